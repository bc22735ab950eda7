//! The load program, kept short: every mode serves concurrent calls with no error and leaves no
//! task behind after shutdown. (The long runs are README commands.)

use std::process::Command;

use crate::support::example;
use serde_json::Value;

#[test]
fn every_mode_under_concurrent_load_ends_clean() {
    let output = Command::new(example("load"))
        .args(["--seconds", "1", "--concurrency", "200"])
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("the load program runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let modes: Vec<&str> = lines.iter().filter_map(|l| l["mode"].as_str()).collect();
    assert_eq!(modes, ["server-side", "on-device", "hybrid"]);
    for line in &lines {
        assert_eq!(line["errors"], 0, "{line}");
        assert_eq!(line["tasks_left"], 0, "{line}");
        assert!(line["calls"].as_u64().is_some_and(|c| c > 0), "{line}");
    }
}
