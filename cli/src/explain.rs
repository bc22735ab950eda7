//! `adobe-target explain`: the rules considered for a request, as a table or JSON.

use adobe_target::{Explanation, RuleOutcome};
use serde_json::Value;

use crate::local::{Input, client};
use crate::{Failure, print_json};

pub(crate) async fn run(input: Input, json: bool) -> Result<(), Failure> {
    // Explaining sends nothing; the handler is never called.
    let (client, call) = client(&input, |_| {}).await?;
    let explanation = client.explain(call).await.map_err(|e| e.to_string())?;
    client.shutdown().await;
    if json {
        print_json(&explanation)
    } else {
        print!("{}", table(&explanation));
        Ok(())
    }
}

const HEADERS: [&str; 6] = [
    "MODE",
    "LOCATION",
    "ACTIVITY",
    "AUDIENCES",
    "MATCHED",
    "WHY NOT",
];

/// One row per rule, columns aligned.
fn table(explanation: &Explanation) -> String {
    if explanation.rules.is_empty() {
        return "no rule of the artifact applies to this request\n".to_owned();
    }
    let rows: Vec<[String; 6]> = explanation.rules.iter().map(row).collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers = HEADERS.map(str::to_owned);
    for row in std::iter::once(&headers).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn row(rule: &RuleOutcome) -> [String; 6] {
    let activity = match &rule.activity_name {
        Some(name) => format!("{} {name}", rule.activity_id),
        None => rule.activity_id.clone(),
    };
    let audiences: Vec<String> = rule.audience_ids.iter().map(scalar).collect();
    let why = rule
        .failed
        .iter()
        .map(|failure| {
            let saw: Vec<String> = failure
                .saw
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            match saw.is_empty() {
                true => failure.condition.to_string(),
                false => format!("{} (saw {})", failure.condition, saw.join(", ")),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    [
        rule.mode.to_owned(),
        format!("{} {}", rule.kind, rule.location),
        activity,
        if audiences.is_empty() {
            "everyone".to_owned()
        } else {
            audiences.join(",")
        },
        if rule.matched { "yes" } else { "no" }.to_owned(),
        why,
    ]
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
