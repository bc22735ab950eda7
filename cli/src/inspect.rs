//! `adobe-target inspect` and `validate`: an artifact read as the SDK reads it.

use std::fmt::Write;
use std::path::PathBuf;

use adobe_target::ArtifactSummary;

use crate::{Failure, is_rules_bin, print_json, read};

/// An artifact file.
#[derive(clap::Args)]
pub(crate) struct ArtifactArgs {
    /// A rules.json, or a rules.bin (by its name).
    #[arg(value_name = "FILE")]
    pub(crate) path: PathBuf,
    /// The organization id a rules.bin is obfuscated with (its key).
    #[arg(long, value_name = "ORG@AdobeOrg")]
    pub(crate) organization_id: Option<String>,
}

/// The artifact summarised, or the reason the SDK refuses it.
fn load(args: &ArtifactArgs) -> Result<ArtifactSummary, Failure> {
    let bytes = read(&args.path)?;
    let summary = if is_rules_bin(&args.path) {
        let organization = args
            .organization_id
            .as_deref()
            .ok_or("a rules.bin needs --organization-id, the key it is obfuscated with")?;
        ArtifactSummary::from_bin(&bytes, organization)
    } else {
        ArtifactSummary::from_json(&bytes)
    };
    summary.map_err(|e| format!("{}: {e}", args.path.display()))
}

pub(crate) fn validate(args: &ArtifactArgs) -> Result<(), Failure> {
    let summary = load(args)?;
    for warning in &summary.unevaluable_rules {
        eprintln!("warning: a rule that never matches: {warning}");
    }
    let rules: usize = summary.activities.iter().map(|a| a.rules).sum();
    println!(
        "{}: valid, version {}, {} activities, {rules} rules",
        args.path.display(),
        summary.version,
        summary.activities.len()
    );
    Ok(())
}

pub(crate) fn inspect(args: &ArtifactArgs, json: bool) -> Result<(), Failure> {
    let summary = load(args)?;
    if json {
        return print_json(&summary);
    }
    print!("{}", render(&summary));
    Ok(())
}

fn render(s: &ArtifactSummary) -> String {
    let none = || "-".to_owned();
    let list = |items: &[String]| match items.is_empty() {
        true => none(),
        false => items.join(", "),
    };
    let mut out = String::new();
    let _ = writeln!(out, "version       {}", s.version);
    let _ = writeln!(
        out,
        "client        {}",
        s.client_code.clone().unwrap_or_else(none)
    );
    let _ = writeln!(
        out,
        "environment   {}",
        s.environment.clone().unwrap_or_else(none)
    );
    let _ = writeln!(
        out,
        "geo targeting {}",
        if s.geo_targeting_enabled { "on" } else { "off" }
    );
    let count = |kind: &str| {
        let n = s
            .activities
            .iter()
            .filter(|a| a.activity_type.as_deref() == Some(kind))
            .count();
        n.to_string()
    };
    let attributes = s.activities.iter().filter(|a| a.attributes).count();
    let _ = writeln!(
        out,
        "activities    {} (A/B {}, XT {}, attributes {attributes})",
        s.activities.len(),
        count("ab"),
        count("landing"),
    );
    for activity in &s.activities {
        let _ = writeln!(
            out,
            "  {} {} [{}] {} rules on {}",
            activity.id,
            activity.name.as_deref().unwrap_or("(no name)"),
            activity.activity_type.as_deref().unwrap_or("?"),
            activity.rules,
            activity.locations.join(", "),
        );
    }
    let _ = writeln!(out, "mboxes        {}", list(&s.mboxes));
    let _ = writeln!(out, "views         {}", list(&s.views));
    let _ = writeln!(out, "global mbox   {}", s.global_mbox);
    if !s.remote_mboxes.is_empty() || !s.remote_views.is_empty() {
        let _ = writeln!(
            out,
            "server-side   mboxes {}; views {}",
            list(&s.remote_mboxes),
            list(&s.remote_views)
        );
    }
    let _ = writeln!(out, "audiences     {}", s.audiences.len());
    for audience in &s.audiences {
        let ids: Vec<String> = audience.ids.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            out,
            "  {} ({} rules): reads {}",
            if ids.is_empty() {
                "everyone".to_owned()
            } else {
                ids.join(",")
            },
            audience.rules,
            list(&audience.context_keys),
        );
    }
    let _ = writeln!(out, "largest offers");
    for offer in &s.largest_offers {
        let _ = writeln!(
            out,
            "  {} bytes  activity {} on {} (offer {})",
            offer.bytes,
            offer.activity_id,
            offer.location,
            offer.offer_id.as_deref().unwrap_or("?"),
        );
    }
    for warning in &s.unevaluable_rules {
        let _ = writeln!(out, "warning: a rule that never matches: {warning}");
    }
    out
}
