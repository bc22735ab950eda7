//! The `decide` example, run as a user runs it, on conformance inputs.

use std::process::Command;

use serde_json::Value;

use crate::support::{example, read_json, shared_dir};

#[test]
fn decides_a_conformance_case_offline() {
    let conformance = shared_dir().join("conformance");
    let suite = read_json(&conformance.join("models/TEST_SUITE_TIMEFRAME.json"));
    let case = &suite["test"]["date_range_1"];
    let dir = std::env::temp_dir().join(format!("adobe-target-decide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let write = |name: &str, value: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, value.to_string()).expect("write");
        path
    };
    let request = write("request.json", &case["input"]["request"]);
    let conf = write("conf.json", &suite["conf"]);
    // The case decided from `artifact`: what the tool printed.
    let decide = |artifact: &std::path::Path| -> Value {
        let output = Command::new(example("decide"))
            .arg("--artifact")
            .arg(artifact)
            .arg("--request")
            .arg(&request)
            .arg("--conf")
            .arg(&conf)
            .args(["--now", "2021-02-11T19:00:00Z"])
            .output()
            .expect("the decide example runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON output")
    };
    let printed = decide(&conformance.join("artifacts/TEST_ARTIFACT_TIMEFRAME.json"));
    let expected = &case["output"]["prefetch"]["mboxes"][0]["options"][0];
    let option = &printed["response"]["prefetch"]["mboxes"][0]["options"][0];
    assert_eq!(option["content"], expected["content"]);
    assert_eq!(option["eventToken"], expected["eventToken"]);
    assert_eq!(printed["meta"]["decisioning_method"], "on-device");
    let telemetry = &printed["notifications"][0]["telemetry"]["entries"][0];
    assert_eq!(telemetry["features"]["prefetchMboxCount"], 1);

    // The same case from an obfuscated rules.bin of the same artifact.
    let artifact = read_json(&conformance.join("artifacts/TEST_ARTIFACT_TIMEFRAME.json"));
    let org = suite["conf"]["organizationId"]
        .as_str()
        .expect("the suite's organization id");
    let bin = dir.join("rules.bin");
    std::fs::write(
        &bin,
        crate::ondevice::obfuscated(&artifact, org, b"TNT:1\0\0\0"),
    )
    .expect("write");
    let from_bin = decide(&bin);
    assert_eq!(
        from_bin["response"]["prefetch"],
        printed["response"]["prefetch"]
    );

    let missing = Command::new(example("decide"))
        .args(["--artifact", "/nonexistent.json", "--request", "x"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.json"));
    let usage = Command::new(example("decide")).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
