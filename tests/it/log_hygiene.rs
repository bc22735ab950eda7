//! Logs above `debug` carry no secret: not the organization id, not a cookie value, not the
//! request body, even when calls and notifications fail. Errors, which callers log, neither.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use adobe_target::delivery::types::DeliveryRequest;
use adobe_target::{ClientOptions, DecisioningMethod, GetOffersOptions, TargetClient};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::read_json;

/// The organization id without `@AdobeOrg`: it also shows URL-encoded (`%40AdobeOrg`).
const ORG: &str = "SECRETORG0123456789ABCDEF";
const SESSION: &str = "secret-session-4f1c9e";
// No location hint suffix (`.28_0`): that would route to an Edge cluster, off loopback.
const TNT: &str = "secrettnt0123456789";
const PARAMETER: &str = "secret-parameter-value";

/// What the subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn call() -> GetOffersOptions {
    let request: DeliveryRequest = serde_json::from_value(json!({
        "context": {"channel": "web", "address": {"url": "https://shop.example.com/"}},
        "execute": {"mboxes": [{"name": "homepage-hero", "index": 0, "parameters": {"p": PARAMETER}}]}
    }))
    .expect("a valid request");
    let expires = 4_000_000_000_u64;
    GetOffersOptions::new(request)
        .target_cookie(format!("session#{SESSION}#{expires}|PC#{TNT}#{expires}"))
}

/// Runs `test` on a current-thread runtime, with a subscriber at `level` for this thread only
/// (the runtime keeps the SDK's tasks on it), and returns what was logged.
pub fn logs_of(level: tracing::Level, test: impl Future<Output = ()>) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(test);
    captured.text()
}

#[test]
fn nothing_secret_is_logged_above_debug_when_calls_and_notifications_fail() {
    let logs = logs_of(tracing::Level::INFO, async {
        let domain = crate::support::refused_address();
        // Server-side: the call fails after its retry.
        let client = TargetClient::create(
            ClientOptions::new("demo", format!("{ORG}@AdobeOrg"))
                .server_domain(domain.clone())
                .secure(false)
                .max_retries(1)
                .timeout(Duration::from_secs(5)),
        )
        .await
        .expect("valid options");
        let error = client.get_offers(call()).await.expect_err("refused");
        let shown = format!("{error} {error:?}");
        for secret in [ORG, SESSION, TNT, PARAMETER] {
            assert!(!shown.contains(secret), "{secret} in the error: {shown}");
        }
        assert!(
            shown.contains(&domain),
            "the error still names the host: {shown}"
        );

        #[cfg(feature = "on-device")]
        on_device_notification_fails(domain).await;
    });
    #[cfg(feature = "on-device")]
    assert!(
        logs.contains("notifications could not be sent"),
        "the failed notification is logged: {logs}"
    );
    for secret in [ORG, SESSION, TNT, PARAMETER] {
        assert!(
            !logs.contains(secret),
            "{secret} logged above debug:\n{logs}"
        );
    }
}

/// On-device: decided locally; the display notification fails in the background.
#[cfg(feature = "on-device")]
async fn on_device_notification_fails(domain: String) {
    let client = TargetClient::create(
        ClientOptions::new("demo", format!("{ORG}@AdobeOrg"))
            .decisioning_method(DecisioningMethod::OnDevice)
            .artifact_payload(read_json(std::path::Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/data/demo-artifact.json"
            ))))
            .server_domain(domain)
            .secure(false)
            .max_retries(0)
            .timeout(Duration::from_secs(5)),
    )
    .await
    .expect("valid options");
    tokio::time::timeout(Duration::from_secs(10), client.ready())
        .await
        .expect("ready in time")
        .expect("the artifact loads");
    let decided = client.get_offers(call()).await.expect("decided on-device");
    assert_eq!(decided.status, 200);
    tokio::time::timeout(Duration::from_secs(20), client.shutdown())
        .await
        .expect("shutdown in time");
}
