//! On-device `get_offers` (execute one mbox and prefetch it, with parameters), single thread:
//! on the conformance suite's AB_SIMPLE artifact, on a 500-activity artifact where every call
//! evaluates 1000 extra rules (HOT_500), on one where the extra activities sit on other mboxes
//! (COLD_500), and on AB_SIMPLE with 20 KB JSON offers (LARGE_OFFER: what sharing the artifact's
//! content instead of copying it saves). The artifacts are built like
//! `../shared/bench/make_artifacts.py` builds them, so the numbers compare with the Python and
//! Node.js SDKs' (see README, Performance).
//!
//! ```text
//! cargo bench --bench ondevice
//! ```

use std::path::PathBuf;
use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

mod workload;

fn ab_simple() -> Value {
    let path = std::env::var_os("ADOBE_TARGET_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"))
        .join("artifacts/TEST_ARTIFACT_AB_SIMPLE.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("artifact JSON")
}

/// A clone of `rule` for another activity on `mbox`, optionally behind an extra condition.
fn clone_rule(rule: &Value, activity: u64, mbox: &str, extra: Option<&Value>) -> Value {
    let mut r = rule.clone();
    r["ruleKey"] = json!(activity.to_string());
    r["activityId"] = json!(activity);
    r["meta"]["activity.id"] = json!(activity);
    r["meta"]["location.name"] = json!(mbox);
    r["consequence"]["name"] = json!(mbox);
    if let Some(extra) = extra {
        r["condition"] = json!({"and": [extra, r["condition"]]});
    }
    r
}

/// HOT: 500 activities on the requested mbox, before the real one, that never match.
fn hot(base: &Value, n: u64) -> Value {
    let mut hot = base.clone();
    let rules = base["rules"]["mboxes"]["mbox-magician"]
        .as_array()
        .expect("rules")
        .clone();
    let never = json!({"==": [{"var": "mbox.bench_never"}, "x"]});
    let mut all: Vec<Value> = (0..n)
        .flat_map(|i| rules.iter().map(move |r| (i, r)))
        .map(|(i, r)| clone_rule(r, 800_000 + i, "mbox-magician", Some(&never)))
        .collect();
    all.extend(rules);
    hot["rules"]["mboxes"]["mbox-magician"] = Value::Array(all);
    hot
}

/// COLD: 500 activities, each on its own mbox.
fn cold(base: &Value, n: u64) -> Value {
    let mut cold = base.clone();
    let rules = base["rules"]["mboxes"]["mbox-magician"]
        .as_array()
        .expect("rules")
        .clone();
    for i in 0..n {
        let mbox = format!("bench-mbox-{i}");
        cold["rules"]["mboxes"][&mbox] = Value::Array(
            rules
                .iter()
                .map(|r| clone_rule(r, 900_000 + i, &mbox, None))
                .collect(),
        );
        cold["localMboxes"]
            .as_array_mut()
            .expect("local mboxes")
            .push(json!(mbox));
    }
    cold
}

/// LARGE_OFFER: AB_SIMPLE with every offer's content a JSON object of about 20 KB (200 keys of
/// 100-character strings), as a large JSON offer or feature-flag set would be.
fn large_offer(base: &Value) -> Value {
    let mut large = base.clone();
    let content: serde_json::Map<String, Value> = (0..200)
        .map(|i| {
            (
                format!("key{i:03}"),
                json!(format!("{i:03}").repeat(33) + "x"),
            )
        })
        .collect();
    for rules in large["rules"]["mboxes"]
        .as_object_mut()
        .expect("mboxes")
        .values_mut()
    {
        for rule in rules.as_array_mut().expect("rules") {
            for option in rule["consequence"]["options"]
                .as_array_mut()
                .expect("options")
            {
                option["content"] = Value::Object(content.clone());
            }
        }
    }
    large
}

fn on_device(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let base = ab_simple();
    let artifacts = [
        ("AB_SIMPLE", base.clone()),
        ("COLD_500", cold(&base, 500)),
        ("HOT_500", hot(&base, 500)),
        ("LARGE_OFFER", large_offer(&base)),
    ];
    let mut group = c.benchmark_group("on_device_get_offers");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, artifact) in artifacts {
        let client = runtime.block_on(async {
            let options = ClientOptions::new("someClientId", "someOrgId@AdobeOrg")
                .decisioning_method(DecisioningMethod::OnDevice)
                .artifact_payload(artifact)
                .polling_interval(Duration::ZERO)
                .notification_handler(|_| {});
            TargetClient::create(options).await.expect("valid options")
        });
        let ids = workload::tnt_ids();
        let requests: Vec<DeliveryRequest> =
            (0..1000).map(|i| workload::make_request(&ids, i)).collect();
        let mut i = 0;
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                || {
                    i += 1;
                    GetOffersOptions::new(requests[i % requests.len()].clone())
                },
                |call| {
                    let client = client.clone();
                    async move { client.get_offers(call).await.expect("a decision") }
                },
                criterion::BatchSize::SmallInput,
            )
        });
        runtime.block_on(client.shutdown());
    }
    group.finish();
}

criterion_group!(benches, on_device);
criterion_main!(benches);
