//! The `server` example, started as a user starts it, driven by a cookie-keeping HTTP client
//! over several page views, with its notifications going to a Delivery stub on 127.0.0.1.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::example;
use serde_json::{Value, json};

use crate::stub::Stub;

/// Kills the server when the test ends, even when it fails.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the example as a user would, deciding with `method` and calling the Delivery API at
/// the stub; returns it with the base URL it listens on.
pub fn start_server(delivery: &Stub, method: &str) -> (Running, String) {
    let mut child = Command::new(example("server"))
        .env("PORT", "0")
        .env("TARGET_SERVER_DOMAIN", delivery.domain())
        .env("TARGET_SECURE", "false")
        .env("TARGET_DECISIONING_METHOD", method)
        .env("NO_PROXY", "127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server example starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = sender.send(url.to_owned());
            }
        }
    });
    let url = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the server says where it listens");
    (running, url)
}

#[tokio::test]
async fn a_visitor_keeps_its_id_session_and_experience_across_page_views() {
    let delivery = Stub::start().await;
    let (_server, base) = start_server(&delivery, "on-device");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("a browser");

    let mut variants = Vec::new();
    let mut tnt_ids = Vec::new();
    for _ in 0..3 {
        let response = browser
            .get(format!("{base}/mboxes?mbox=homepage-hero,loyalty-offer"))
            .send()
            .await
            .expect("a page view");
        assert_eq!(response.status(), 200);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        let mbox_cookie = set_cookies
            .iter()
            .find(|c| c.starts_with("mbox=session#"))
            .expect("an mbox cookie")
            .clone();
        assert!(mbox_cookie.contains("Max-Age=63244800"), "{mbox_cookie}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["meta"]["decisioning_method"], "on-device");
        let hero = &body["response"]["execute"]["mboxes"][0];
        assert_eq!(hero["name"], "homepage-hero");
        variants.push(hero["options"][0]["content"]["variant"].clone());
        let tnt_id = body["response"]["id"]["tntId"]
            .as_str()
            .expect("a tntId")
            .to_owned();
        assert!(
            mbox_cookie.contains(&format!("|PC#{tnt_id}#")),
            "the cookie carries the visitor: {mbox_cookie}"
        );
        tnt_ids.push(tnt_id);
    }
    assert!(variants[0].is_string(), "the visitor got an experience");
    assert!(
        variants.iter().all(|v| *v == variants[0]),
        "the same experience every time: {variants:?}"
    );
    assert!(
        tnt_ids.iter().all(|t| *t == tnt_ids[0]),
        "the same visitor every time: {tnt_ids:?}"
    );

    // Feature flags, and a notification for displayed content.
    let flags: Value = browser
        .get(format!("{base}/attributes?mbox=feature-flags"))
        .send()
        .await
        .expect("a call")
        .json()
        .await
        .expect("JSON");
    assert_eq!(flags["attributes"]["feature-flags"]["dark_mode"], true);
    let sent = browser
        .post(format!("{base}/notifications"))
        .json(&json!({"mbox": "homepage-hero", "tokens": ["ZGVtby1oZXJvLUE="]}))
        .send()
        .await
        .expect("a call");
    assert_eq!(sent.status(), 200);

    // A page that asks for no mbox is the browser's mistake: a 400 that says what is missing.
    let wrong = browser
        .get(format!("{base}/mboxes"))
        .send()
        .await
        .expect("a call");
    assert_eq!(wrong.status(), 400);
    let wrong: Value = wrong.json().await.expect("JSON");
    assert!(
        wrong["error"]
            .as_str()
            .is_some_and(|e| e.contains("mboxes is required")),
        "{wrong}"
    );

    // The on-device decisions' display notifications reach the Delivery API in the background.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while delivery
        .recorded()
        .iter()
        .filter(|r| r.body["notifications"][0]["type"] == "display")
        .count()
        < 4
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "notifications arrive: {}",
            delivery.count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recorded = delivery.recorded();
    let sessions: std::collections::HashSet<&str> = recorded
        .iter()
        .filter_map(|r| r.query("sessionId"))
        .collect();
    assert_eq!(
        sessions.len(),
        1,
        "one session for the whole visit: {sessions:?}"
    );
    assert!(
        recorded.iter().all(|r| r.body["id"]["tntId"] == tnt_ids[0]),
        "every notification is for the visitor"
    );
    let explicit = recorded
        .iter()
        .find(|r| r.body["notifications"][0]["tokens"] == json!(["ZGVtby1oZXJvLUE="]))
        .expect("the posted one");
    assert_eq!(
        explicit.body["notifications"][0]["mbox"]["name"],
        "homepage-hero"
    );
}
