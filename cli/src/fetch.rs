//! `adobe-target fetch`: a client's artifact downloaded to a file, with its ETag kept beside it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adobe_target::{ArtifactFormat, ArtifactSummary, ClientOptions};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, ETAG, IF_NONE_MATCH};

use crate::Failure;

#[derive(clap::Args)]
pub(crate) struct FetchArgs {
    /// The Target client code (the artifact's URL is made from it, as the SDK makes it).
    #[arg(long, required_unless_present = "location")]
    client: Option<String>,
    /// The Target environment.
    #[arg(long, default_value = "production")]
    environment: String,
    /// The CDN environment (production or staging).
    #[arg(long, default_value = "production")]
    cdn_environment: String,
    /// Another CDN: a host, or a base URL.
    #[arg(long, value_name = "HOST_OR_URL")]
    cdn_base_path: Option<String>,
    /// The property (workspace) token.
    #[arg(long)]
    property_token: Option<String>,
    /// The artifact's format.
    #[arg(long, default_value = "json", value_parser = ["json", "bin"])]
    format: String,
    /// Download from this URL instead.
    #[arg(long, value_name = "URL", conflicts_with = "client")]
    location: Option<String>,
    /// For a rules.bin: the organization id it is obfuscated with, to check it after download.
    #[arg(long, value_name = "ORG@AdobeOrg")]
    organization_id: Option<String>,
    /// The file to write; FILE.etag keeps the ETag.
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Seconds to wait for the whole download.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

pub(crate) async fn run(args: FetchArgs) -> Result<(), Failure> {
    let format: ArtifactFormat = args.format.parse().map_err(|e| format!("--format: {e}"))?;
    let mut options = ClientOptions::new(args.client.clone().unwrap_or_default(), "fetch@AdobeOrg")
        .environment(&args.environment)
        .cdn_environment(&args.cdn_environment)
        .artifact_format(format);
    if let Some(base) = &args.cdn_base_path {
        options = options.cdn_base_path(base);
    }
    if let Some(token) = &args.property_token {
        options = options.property_token(token);
    }
    if let Some(location) = &args.location {
        options = options.artifact_location(location);
    }
    let url = options.artifact_url().map_err(|e| e.to_string())?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("{url}: fetch downloads from http(s) URLs only"));
    }

    let etag_file = etag_path(&args.output);
    let known = match (args.output.exists(), std::fs::read_to_string(&etag_file)) {
        (true, Ok(etag)) => Some(etag.trim().to_owned()).filter(|e| !e.is_empty()),
        _ => None,
    };
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(args.timeout))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = http.get(&url);
    if let Some(etag) = &known {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if response.status() == StatusCode::NOT_MODIFIED {
        println!(
            "{}: not modified (ETag {})",
            args.output.display(),
            known.unwrap_or_default()
        );
        return Ok(());
    }
    if !response.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", response.status()));
    }
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let length = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let body = download(response, length)
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;

    // Only an artifact the SDK would load replaces the file.
    match format {
        ArtifactFormat::Json => ArtifactSummary::from_json(&body).map(drop),
        ArtifactFormat::Bin => match &args.organization_id {
            Some(organization) => ArtifactSummary::from_bin(&body, organization).map(drop),
            None => Ok(()),
        },
    }
    .map_err(|e| format!("{url}: {e}"))?;
    write_atomically(&args.output, &body)?;
    match &etag {
        Some(etag) => write_atomically(&etag_file, etag.as_bytes())?,
        None => {
            let _ = std::fs::remove_file(&etag_file);
        }
    }
    println!(
        "{}: {} bytes from {url}{}",
        args.output.display(),
        body.len(),
        etag.map(|e| format!(" (ETag {e})")).unwrap_or_default()
    );
    Ok(())
}

/// `FILE.etag` beside `output`.
fn etag_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".etag");
    PathBuf::from(name)
}

/// The body, with a progress bar on a terminal and nothing when stderr is piped.
async fn download(
    response: reqwest::Response,
    length: Option<u64>,
) -> Result<Vec<u8>, reqwest::Error> {
    let bar = match std::io::stderr().is_terminal() {
        true => {
            let bar = length.map_or_else(ProgressBar::no_length, ProgressBar::new);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            {
                bar.set_style(style);
            }
            bar
        }
        false => ProgressBar::hidden(),
    };
    let mut body = Vec::with_capacity(length.unwrap_or(0).min(64 << 20) as usize);
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bar.inc(chunk.len() as u64);
        body.extend_from_slice(&chunk);
    }
    bar.finish_and_clear();
    Ok(body)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".part");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}
