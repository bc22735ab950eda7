//! `adobe-target`: decide, explain, inspect, validate and fetch Adobe Target rules artifacts.
//!
//! Every failure is one line on stderr (`error: ...`) and a non-zero exit: 1 for a failure,
//! 2 for a usage error.

mod decide;
mod explain;
mod fetch;
mod inspect;
mod local;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A command's failure, as the one line printed.
type Failure = String;

#[derive(Parser)]
#[command(
    name = "adobe-target",
    version,
    about = "Adobe Target rules artifacts: decide, explain, inspect, validate, fetch",
    after_help = "Examples:
  adobe-target fetch --client acme --output rules.json
  adobe-target inspect rules.json
  adobe-target validate rules.json
  adobe-target decide --artifact rules.json --request request.json
  adobe-target explain --artifact rules.json --request request.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide a Delivery request on-device, offline; print the response, the notifications it
    /// would send, how it was decided, the prepared request and the visitor's state (JSON).
    #[command(after_help = "Examples:
  adobe-target decide --artifact rules.json --request request.json
  adobe-target decide --artifact rules.bin --conf conf.json --request call.json --now 2021-02-11T19:00:00Z

The request is a Delivery request, or a whole per-call options map ({\"request\": ..., \"sessionId\": ...}).
A rules.bin (by its name) needs --conf with the organization id.")]
    Decide(local::Input),
    /// For one request, every rule considered for each mbox and view, whether it matched, and
    /// why not: the failing audience condition with the context value it saw.
    #[command(after_help = "Examples:
  adobe-target explain --artifact rules.json --request request.json
  adobe-target explain --artifact rules.json --request request.json --json")]
    Explain {
        #[command(flatten)]
        input: local::Input,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Summarise an artifact: version, client, environment, activities by type, mboxes and
    /// views, audiences and the context keys they read, the largest offers, geo targeting.
    #[command(after_help = "Examples:
  adobe-target inspect rules.json
  adobe-target inspect rules.bin --organization-id 65453EA95A70434F0A495D34@AdobeOrg --json")]
    Inspect {
        #[command(flatten)]
        artifact: inspect::ArtifactArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check an artifact as the SDK loads it: exit status 1 with the reasons if it would be
    /// refused; rules it cannot evaluate (they never match) are listed as warnings.
    #[command(after_help = "Examples:
  adobe-target validate rules.json && echo usable")]
    Validate {
        #[command(flatten)]
        artifact: inspect::ArtifactArgs,
    },
    /// Download a client's artifact (json or bin) to a file. The ETag is kept beside it
    /// (FILE.etag), and an unchanged artifact is not downloaded again.
    #[command(after_help = "Examples:
  adobe-target fetch --client acme --output rules.json
  adobe-target fetch --client acme --environment staging --format bin --output rules.bin
  adobe-target fetch --location https://example.com/rules.json --output rules.json")]
    Fetch(fetch::FetchArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Decide(input) => decide::run(input).await,
        Command::Explain { input, json } => explain::run(input, json).await,
        Command::Inspect { artifact, json } => inspect::inspect(&artifact, json),
        Command::Validate { artifact } => inspect::validate(&artifact),
        Command::Fetch(args) => fetch::run(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::FAILURE
        }
    }
}

/// `message` on one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `path` names an obfuscated `rules.bin`: it ends in `.bin`, in any case.
fn is_rules_bin(path: &std::path::Path) -> bool {
    path.to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".bin")
}

/// Reads a file, naming it in the failure.
fn read(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints `value` as pretty JSON.
fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}
