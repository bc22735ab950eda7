//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// The shared reference folder (`../shared` next to the repository), or `ADOBE_TARGET_SHARED`.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("ADOBE_TARGET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// A Delivery request from its JSON, failing the test when it is not one.
pub fn request(value: serde_json::Value) -> adobe_target::delivery::types::DeliveryRequest {
    serde_json::from_value(value).unwrap_or_else(|e| panic!("not a DeliveryRequest: {e}"))
}

/// Whether `text` is a supplemental data id in the Experience Cloud ID service's format: two
/// 16-digit hex numbers below 2^63, joined by `-`.
pub fn is_sdid(text: &str) -> bool {
    let halves: Vec<&str> = text.split('-').collect();
    halves.len() == 2
        && halves
            .iter()
            .all(|h| h.len() == 16 && u64::from_str_radix(h, 16).is_ok_and(|v| v < 1 << 63))
}

/// A `host:port` on 127.0.0.1 that nothing listens on (the port was free a moment ago).
pub fn refused_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("an address").to_string()
}

/// Reads a JSON file, failing the test with the path when it cannot.
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Reads a YAML (or lenient JSON) file as a JSON value.
pub fn read_yaml(path: &std::path::Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// `target/<profile>`, where cargo puts the binaries of the tests' build.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .to_path_buf()
}

/// Runs `cargo build ARGS` in this package, failing the test when it fails. `cargo test`
/// builds the examples but a filtered `cargo test --test it` does not, and leaves an older
/// binary in place: so cargo is asked every time (a no-op when it is fresh).
fn cargo_build(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .arg("build")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build {args:?}");
}

/// The binary of an example, built next to the test binaries.
pub fn example(name: &str) -> PathBuf {
    cargo_build(&["--all-features", "--example", name]);
    profile_dir()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The `adobe-target` command (the `cli/` package), built next to the test binaries, once
/// per test run.
pub fn cli() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            cargo_build(&["-p", "adobe-target-cli", "--bin", "adobe-target"]);
            profile_dir().join(format!("adobe-target{}", std::env::consts::EXE_SUFFIX))
        })
        .clone()
}

/// An on-device client of the conformance artifact `name` for `client`, telemetry off, and the
/// number of notification requests it would have sent (a notification handler counts them).
#[cfg(feature = "on-device")]
pub async fn counted_on_device(
    name: &str,
    client: &str,
) -> (
    adobe_target::TargetClient,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let artifact = read_json(&shared_dir().join(format!("conformance/artifacts/{name}.json")));
    let sent = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let options = adobe_target::ClientOptions::new(client, "org@AdobeOrg")
        .decisioning_method(adobe_target::DecisioningMethod::OnDevice)
        .artifact_payload(artifact)
        .telemetry_enabled(false)
        .notification_handler(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    let client = adobe_target::TargetClient::create(options)
        .await
        .expect("a client");
    (client, sent)
}
