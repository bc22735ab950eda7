//! Load and soak, loopback only: thousands of concurrent `get_offers` in each decisioning mode
//! for a fixed time against a Delivery stub on 127.0.0.1, reporting throughput, p50/p99 latency,
//! peak RSS, RSS growth after warm-up (a leak shows as growth), and the tasks left behind after
//! shutdown (there must be none).
//!
//! ```text
//! cargo run --release --example load -- --seconds 60 --concurrency 2000
//! ```
//!
//! Prints one JSON line per mode. Every loop is bounded by `--seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use serde_json::{Value, json};

const DEMO_ARTIFACT: &str = include_str!("data/demo-artifact.json");

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == &format!("--{name}"))
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Latencies in microseconds, shared by all callers: exact below 128 µs, then 64 buckets per
/// power of two (under 1.6 % error), up to 71 minutes: no ceiling that hides a slow tail.
struct Histogram(Vec<AtomicU64>);

const LINEAR: u64 = 128;
const SUB_BUCKETS: u64 = 64;

impl Histogram {
    fn new() -> Self {
        Self(
            (0..Self::index(u64::from(u32::MAX)) + 1)
                .map(|_| AtomicU64::new(0))
                .collect(),
        )
    }

    fn index(micros: u64) -> usize {
        if micros < LINEAR {
            return micros as usize;
        }
        let exponent = u64::from(63 - micros.leading_zeros()); // 7 and up
        let sub = (micros >> (exponent - 6)) & (SUB_BUCKETS - 1);
        (LINEAR + (exponent - 7) * SUB_BUCKETS + sub) as usize
    }

    /// The lower bound of bucket `index`.
    fn value(index: usize) -> u64 {
        let index = index as u64;
        if index < LINEAR {
            return index;
        }
        let exponent = (index - LINEAR) / SUB_BUCKETS + 7;
        let sub = (index - LINEAR) % SUB_BUCKETS;
        (SUB_BUCKETS + sub) << (exponent - 6)
    }

    fn record(&self, micros: u64) {
        let bucket = Self::index(micros.min(u64::from(u32::MAX)));
        if let Some(count) = self.0.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn quantile(&self, q: f64) -> u64 {
        let total: u64 = self.0.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        let target = (total as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (index, count) in self.0.iter().enumerate() {
            seen += count.load(Ordering::Relaxed);
            if seen >= target.max(1) {
                return Self::value(index);
            }
        }
        0
    }
}

/// A Delivery stub on its own thread and runtime, so the measured runtime counts only the SDK.
fn start_stub() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let answer = json!({"status": 200, "execute": {"mboxes": [{"index": 0, "name": "homepage-hero",
                "options": [{"type": "json", "content": {"variant": "server"}}]}]}});
            let app = axum::Router::new().fallback(move || {
                let answer = answer.clone();
                async move { axum::Json(answer) }
            });
            let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
            let _ = axum::serve(listener, app).await;
        });
    });
    addr
}

fn request(i: u64) -> DeliveryRequest {
    // Half the visitors ask for an mbox only the server decides: hybrid then goes remote.
    let mut mboxes =
        vec![json!({"name": "homepage-hero", "index": 0, "parameters": {"loyalty": "gold"}})];
    if i.is_multiple_of(2) {
        mboxes.push(json!({"name": "server-only", "index": 1}));
    }
    serde_json::from_value(json!({
        "id": {"tntId": format!("{:032x}.28_0", i % 10_000)},
        "context": {"channel": "web", "address": {"url": "https://shop.example.com/checkout"}},
        "execute": {"mboxes": mboxes}
    }))
    .expect("a valid request")
}

async fn run(mode: DecisioningMethod, stub: &str, seconds: f64, concurrency: usize) -> Value {
    let tasks_before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let mut options = ClientOptions::new("demo", "DEMO0000000000000000000000@AdobeOrg")
        .decisioning_method(mode)
        .polling_interval(Duration::ZERO)
        .server_domain(stub.to_owned())
        .secure(false)
        .http_client(
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("an HTTP client"),
        )
        .timeout(Duration::from_secs(5));
    if mode != DecisioningMethod::ServerSide {
        options = options
            .artifact_payload(serde_json::from_str(DEMO_ARTIFACT).expect("the demo artifact"));
    }
    let unsent = Arc::new(AtomicU64::new(0));
    let counted = unsent.clone();
    let options = options.on_event(move |event| {
        if matches!(event, adobe_target::Event::SendNotificationError { .. }) {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    let client = TargetClient::create(options).await.expect("valid options");
    client.ready().await.expect("ready");

    let histogram = Arc::new(Histogram::new());
    let (calls, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (client, histogram, calls, errors, stop) = (
                client.clone(),
                histogram.clone(),
                calls.clone(),
                errors.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut i = w as u64;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    match client.get_offers(GetOffersOptions::new(request(i))).await {
                        Ok(_) => histogram.record(t0.elapsed().as_micros() as u64),
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                    i += concurrency as u64;
                    // A service awaits I/O between requests; an on-device decision never waits,
                    // so give the scheduler its turn as a request handler would.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    // RSS after warm-up (the first fifth) and at the end.
    tokio::time::sleep(Duration::from_secs_f64(seconds / 5.0)).await;
    let rss_after_warmup = rss_kb("VmRSS:");
    tokio::time::sleep(Duration::from_secs_f64(seconds * 4.0 / 5.0)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let wall = started.elapsed().as_secs_f64();
    let rss_end = rss_kb("VmRSS:");
    client.shutdown().await;
    drop(client);
    // Pooled connections close asynchronously; give them a bounded moment.
    let mut tasks_left = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
        .saturating_sub(tasks_before);
    for _ in 0..100 {
        if tasks_left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        tasks_left = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
            .saturating_sub(tasks_before);
    }
    let calls = calls.load(Ordering::Relaxed);
    json!({
        "mode": mode.to_string(), "concurrency": concurrency, "seconds": (wall * 10.0).round() / 10.0,
        "calls": calls, "errors": errors.load(Ordering::Relaxed), "calls_per_s": (calls as f64 / wall).round(),
        "p50_us": histogram.quantile(0.5), "p99_us": histogram.quantile(0.99),
        "peak_rss_mb": rss_kb("VmHWM:") / 1024, "rss_growth_after_warmup_kb": rss_end as i64 - rss_after_warmup as i64,
        "tasks_left": tasks_left,
        "notifications_reported_unsent": unsent.load(Ordering::Relaxed),
    })
}

fn main() {
    let seconds: f64 = arg("seconds", 10.0);
    let concurrency: usize = arg("concurrency", 1000);
    let stub = start_stub();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut failed = false;
    for mode in [
        DecisioningMethod::ServerSide,
        DecisioningMethod::OnDevice,
        DecisioningMethod::Hybrid,
    ] {
        let line = runtime.block_on(run(mode, &stub, seconds, concurrency));
        failed |= line["errors"] != 0 || line["tasks_left"] != 0;
        println!("{line}");
    }
    if failed {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn buckets_round_trip_and_keep_the_tail() {
        for index in 0..Histogram::index(u64::from(u32::MAX)) {
            let value = Histogram::value(index);
            assert_eq!(Histogram::index(value), index);
            assert!(Histogram::value(index + 1) > value);
        }
        let histogram = Histogram::new();
        for micros in [10, 20, 30, 250_000] {
            histogram.record(micros);
        }
        assert_eq!(histogram.quantile(0.5), 20);
        let tail = histogram.quantile(1.0);
        assert!((246_000..=250_000).contains(&tail), "{tail}");
    }
}
