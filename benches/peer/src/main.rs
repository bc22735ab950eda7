//! The workload of `../shared/bench` (the Python and Node.js SDK benchmarks), for this SDK, with
//! the same flags and the same JSON line, so the three run side by side through
//! `../shared/bench/with_stub.sh` (loopback-only network namespace, stub on 127.0.0.1).
//!
//! ```text
//! cargo build --release -p adobe-target-peer-bench   # --no-default-features: the SDK remote-only
//! ./with_stub.sh target/release/peer_bench ondevice --artifact AB_SIMPLE.json --notify off --n 5000 --warmup 500
//! ./with_stub.sh target/release/peer_bench remote --conc 64 --n 2000
//! ./with_stub.sh target/release/peer_bench http --conc 64 --n 2000   # reqwest alone, no SDK
//! ```
//!
//! One call = `get_offers` executing one mbox and prefetching the same one, with 3 parameters, a
//! page URL, a Chrome user agent, geo fields, and a tntId rotating over 1000 visitors. Every loop
//! is bounded by a count and `--max-seconds`. The runtime is single-threaded: one core of SDK.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use adobe_target::delivery::types::DeliveryResponse;
use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use serde_json::{Value, json};

/// How the results name this binary: the SDK as built by default, or built remote-only.
const SDK: &str = if cfg!(feature = "on-device") {
    "rust"
} else {
    "rust-remote-only-build"
};

/// Counts the heap allocations and bytes asked for, so the results can say what one call costs
/// in allocations (the issue's figure), not only in time.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicU64, Ordering};

    pub struct Counting;

    static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
    static BYTES: AtomicU64 = AtomicU64::new(0);

    // SAFETY: every call is forwarded to the system allocator unchanged; the counters are
    // relaxed atomics that allocate nothing.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
            // SAFETY: the caller's contract for `alloc` is passed on as is.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from `System` with this layout (every allocation does).
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
            // SAFETY: as for `dealloc`, and `new_size` is the caller's.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// (allocations, bytes) so far.
    pub fn now() -> (u64, u64) {
        (
            ALLOCATIONS.load(Ordering::Relaxed),
            BYTES.load(Ordering::Relaxed),
        )
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[path = "../../workload/mod.rs"]
mod workload;
use workload::{make_request, tnt_ids};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == &format!("--{name}"))
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

fn number<T: std::str::FromStr>(name: &str, default: &str) -> T {
    arg(name, default)
        .parse()
        .unwrap_or_else(|_| panic!("--{name} must be a number"))
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    round1(kb / 1024.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// (mean, p50, p99) in microseconds.
fn latencies(mut micros: Vec<f64>) -> (f64, f64, f64) {
    micros.sort_by(f64::total_cmp);
    let n = micros.len().max(1);
    let mean = micros.iter().sum::<f64>() / n as f64;
    let at = |q: f64| {
        micros
            .get(((n as f64 * q) as usize).min(n - 1))
            .copied()
            .unwrap_or(0.0)
    };
    (round1(mean), round1(at(0.5)), round1(at(0.99)))
}

async fn stub_stats(http: &reqwest::Client, port: u16) -> Value {
    match http
        .get(format!("http://127.0.0.1:{port}/__stats"))
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

async fn stub_reset(http: &reqwest::Client, port: u16) {
    let _ = http
        .post(format!("http://127.0.0.1:{port}/__reset"))
        .send()
        .await;
}

async fn ondevice(http: reqwest::Client) -> Value {
    let artifact_file = arg("artifact", "");
    let (n, warmup): (usize, usize) = (number("n", "5000"), number("warmup", "500"));
    let max = Duration::from_secs_f64(number("max-seconds", "30"));
    let port: u16 = number("stub-port", "18080");
    let notify = arg("notify", "stub");
    let via = arg("artifact-via", "payload");
    let artifact: Value =
        serde_json::from_str(&std::fs::read_to_string(&artifact_file).expect("--artifact FILE"))
            .expect("artifact JSON");
    let ids = tnt_ids();

    let started = Instant::now();
    let mut options = ClientOptions::new("someClientId", "someOrgId@AdobeOrg")
        .decisioning_method(DecisioningMethod::OnDevice)
        .polling_interval(Duration::ZERO)
        .server_domain(format!("127.0.0.1:{port}"))
        .secure(false)
        .http_client(http.clone());
    options = if via == "url" {
        let name = std::path::Path::new(&artifact_file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        options.artifact_location(format!("http://127.0.0.1:{port}/__artifacts/{name}"))
    } else {
        options.artifact_payload(artifact)
    };
    if notify == "off" {
        options = options.notification_handler(|_| {});
    }
    // Notifications the queue could not take or the stub did not answer: the "delivered"
    // figure is the stub's count, this is what was lost.
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = refused.clone();
    options = options.on_event(move |event| {
        if matches!(event, adobe_target::Event::SendNotificationError { .. }) {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let client = TargetClient::create(options).await.expect("valid options");
    client.ready().await.expect("the artifact loads");
    let init_ms = round1(started.elapsed().as_secs_f64() * 1000.0);

    let first = client
        .get_offers(GetOffersOptions::new(make_request(&ids, 0)))
        .await
        .expect("a decision");
    let execute = first.response.execute.as_ref().expect("execute");
    assert!(
        !execute.mboxes[0].options.is_empty(),
        "execute mbox got no option"
    );
    for i in 0..warmup {
        client
            .get_offers(GetOffersOptions::new(make_request(&ids, i)))
            .await
            .expect("a decision");
        tokio::task::yield_now().await;
    }
    client.flush().await;
    stub_reset(&http, port).await;

    let mut micros = Vec::with_capacity(n);
    // Allocations inside `get_offers` (deciding and shaping the answer), and in all (the
    // request built, the answer dropped, the notification sender's work between calls).
    let (mut in_call, mut in_call_bytes) = (0, 0);
    let all_before = counting::now();
    let start = Instant::now();
    for i in 0..n {
        let request = GetOffersOptions::new(make_request(&ids, i));
        let before = counting::now();
        let t0 = Instant::now();
        let out = client.get_offers(request).await.expect("a decision");
        micros.push(t0.elapsed().as_secs_f64() * 1e6);
        let after = counting::now();
        (in_call, in_call_bytes) = (
            in_call + after.0 - before.0,
            in_call_bytes + after.1 - before.1,
        );
        drop(out);
        // Let the notification sender run between calls, as a server would between requests.
        tokio::task::yield_now().await;
        if start.elapsed() > max {
            break;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    client.flush().await;
    let all = counting::now();
    let calls = micros.len();
    let per_call = |total: u64| round1(total as f64 / calls.max(1) as f64);
    let (mean, p50, p99) = latencies(micros);
    let stats = stub_stats(&http, port).await;
    client.shutdown().await;
    json!({
        "sdk": SDK, "mode": "on-device",
        "artifact": std::path::Path::new(&artifact_file).file_name().and_then(|n| n.to_str()),
        "notify": notify, "calls": calls, "init_ms": init_ms,
        "calls_per_s": round1(calls as f64 / wall), "mbox_decisions_per_s": round1(2.0 * calls as f64 / wall),
        "mean_us": mean, "p50_us": p50, "p99_us": p99, "peak_rss_mb": peak_rss_mb(), "stub_seen": stats,
        "notifications_refused": refused.load(std::sync::atomic::Ordering::Relaxed),
        "allocs_per_call": per_call(in_call), "alloc_bytes_per_call": per_call(in_call_bytes),
        "allocs_per_call_all": per_call(all.0 - all_before.0),
        "alloc_bytes_per_call_all": per_call(all.1 - all_before.1),
    })
}

/// Who makes a remote call: the SDK, or (`http` mode, the floor under any reqwest-based client)
/// the bare exchange it comes down to, the same typed request posted as JSON and the answer
/// decoded into the same typed response, with no SDK in between.
#[derive(Clone)]
enum Caller {
    Sdk(TargetClient),
    Http { http: reqwest::Client, url: String },
}

impl Caller {
    async fn call(&self, ids: &[String], i: usize) -> bool {
        match self {
            Caller::Sdk(client) => client
                .get_offers(GetOffersOptions::new(make_request(ids, i)))
                .await
                .is_ok_and(|r| r.status == 200),
            // Boxed like the SDK's call: a worker task is as large as the larger arm's state, and
            // neither mode's peak RSS should carry the other mode's request in every task.
            Caller::Http { http, url } => Box::pin(bare_exchange(http, url, ids, i)).await,
        }
    }
}

/// The same exchange as the SDK's, with reqwest alone.
async fn bare_exchange(http: &reqwest::Client, url: &str, ids: &[String], i: usize) -> bool {
    match http.post(url).json(&make_request(ids, i)).send().await {
        Ok(response) if response.status() == 200 => {
            response.json::<DeliveryResponse>().await.is_ok()
        }
        _ => false,
    }
}

async fn remote(http: reqwest::Client, bare: bool) -> Value {
    let (n, warmup, conc): (usize, usize, usize) = (
        number("n", "2000"),
        number("warmup", "100"),
        number("conc", "1"),
    );
    let max = Duration::from_secs_f64(number("max-seconds", "60"));
    let port: u16 = number("stub-port", "18080");
    let ids = Arc::new(tnt_ids());
    let caller = if bare {
        Caller::Http {
            http: http.clone(),
            url: format!(
                "http://127.0.0.1:{port}/rest/v1/delivery?client=someClientId\
                 &imsOrgId=someOrgId%40AdobeOrg&sessionId=3f1f6c2e-peer-bench-session"
            ),
        }
    } else {
        Caller::Sdk(
            TargetClient::create(
                ClientOptions::new("someClientId", "someOrgId@AdobeOrg")
                    .server_domain(format!("127.0.0.1:{port}"))
                    .secure(false)
                    .http_client(http.clone()),
            )
            .await
            .expect("valid options"),
        )
    };
    for i in 0..=warmup {
        assert!(caller.call(&ids, i).await, "the stub answers 200");
    }
    stub_reset(&http, port).await;

    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let allocated_before = counting::now();
    let start = Instant::now();
    let workers: Vec<_> = (0..conc)
        .map(|_| {
            let (caller, next, errors, ids) =
                (caller.clone(), next.clone(), errors.clone(), ids.clone());
            tokio::spawn(async move {
                let mut micros = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || start.elapsed() > max {
                        return micros;
                    }
                    let t0 = Instant::now();
                    if caller.call(&ids, i).await {
                        micros.push(t0.elapsed().as_secs_f64() * 1e6);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let mut micros = Vec::new();
    for worker in workers {
        micros.extend(worker.await.expect("the worker ran"));
    }
    let wall = start.elapsed().as_secs_f64();
    let allocated = counting::now();
    let requests = micros.len();
    let per_request = |total: u64| round1(total as f64 / requests.max(1) as f64);
    let (mean, p50, p99) = latencies(micros);
    json!({
        "sdk": if bare { format!("{SDK}, reqwest only") } else { SDK.to_owned() },
        "mode": "remote", "in_flight": conc,
        "requests": requests, "errors": errors.load(Ordering::Relaxed),
        "req_per_s": round1(requests as f64 / wall),
        "mean_us": mean, "p50_us": p50, "p99_us": p99, "peak_rss_mb": peak_rss_mb(),
        "allocs_per_request": per_request(allocated.0 - allocated_before.0),
        "alloc_bytes_per_request": per_request(allocated.1 - allocated_before.1),
        "stub_seen": stub_stats(&http, port).await,
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let line = match std::env::args().nth(1).as_deref() {
        Some("ondevice") => runtime.block_on(ondevice(http)),
        Some("remote") => runtime.block_on(remote(http, false)),
        Some("http") => runtime.block_on(remote(http, true)),
        _ => {
            eprintln!("usage: peer_bench ondevice|remote|http [flags of ../shared/bench]");
            std::process::exit(2);
        }
    };
    println!("{line}");
}
