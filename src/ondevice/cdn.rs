//! The CDN over HTTP: artifact downloads (with ETag) and geo lookups, for the on-device engine.

use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::{StatusCode, header};

use crate::delivery::body;
use crate::delivery::types::Geo;
use crate::error::{Error, Result};
use crate::ondevice::engine::geo::{FORWARDED_FOR, geo_from};
use crate::ondevice::provider::{Cdn, Fetched};

/// A larger artifact is refused: the biggest real ones are a few megabytes.
pub(crate) const MAX_ARTIFACT_BYTES: usize = 64 * 1024 * 1024;
/// A geo answer is a handful of fields.
const MAX_GEO_BYTES: usize = 64 * 1024;

pub(crate) struct HttpCdn {
    pub(crate) http: reqwest::Client,
    pub(crate) geo_url: String,
    pub(crate) timeout: Duration,
}

impl HttpCdn {
    async fn get(&self, url: &str, headers: header::HeaderMap) -> Result<reqwest::Response> {
        let send = self.http.get(url).headers(headers).send();
        tokio::time::timeout(self.timeout, send)
            .await
            .map_err(|_| Error::Timeout)?
            .map_err(body::transport_error)
    }
}

/// Reads a body of at most `limit` bytes within `timeout`.
async fn read_limited(
    response: reqwest::Response,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes> {
    tokio::time::timeout(timeout, body::read(response, limit))
        .await
        .map_err(|_| Error::Timeout)?
}

/// Reads a `file://` artifact; its size and modification time stand in for an ETag.
async fn read_file(url: &str, etag: Option<&str>) -> Result<Fetched> {
    let path = url::Url::parse(url)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| Error::Artifact(format!("{url} is not a file path")))?;
    let metadata = tokio::fs::metadata(&path).await.map_err(Error::Io)?;
    if metadata.len() > MAX_ARTIFACT_BYTES as u64 {
        return Err(Error::Artifact(format!(
            "the artifact is larger than {MAX_ARTIFACT_BYTES} bytes"
        )));
    }
    let modified = metadata
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok());
    let tag = format!(
        "\"{}-{}\"",
        metadata.len(),
        modified.map_or(0, |m| m.as_nanos())
    );
    if etag == Some(tag.as_str()) {
        return Ok(Fetched::NotModified);
    }
    let bytes = tokio::fs::read(&path).await.map_err(Error::Io)?;
    Ok(Fetched::Body {
        bytes: Bytes::from(bytes),
        etag: Some(tag),
        geo: Box::default(),
    })
}

/// What an error status of the artifact download means (the peers' messages for 403 and others).
fn download_refused(status: u16) -> Error {
    let message = match status {
        401 | 403 => "Artifact request is not authorized. This is likely due to On-Device-Decisioning being disabled in Admin settings. Please enable and try again.".to_owned(),
        404 => "Non-200 status code response from artifact request: 404 (no artifact at this URL: check the client code, environment, property token and artifact location)".to_owned(),
        status => format!("Non-200 status code response from artifact request: {status}"),
    };
    Error::ArtifactDownload { status, message }
}

impl Cdn for HttpCdn {
    fn fetch_artifact<'a>(
        &'a self,
        url: &'a str,
        etag: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            if url.starts_with("file:") {
                return read_file(url, etag).await;
            }
            let mut headers = header::HeaderMap::new();
            if let Some(value) = etag.and_then(|e| header::HeaderValue::from_str(e).ok()) {
                headers.insert(header::IF_NONE_MATCH, value);
            }
            let response = self.get(url, headers).await?;
            match response.status() {
                StatusCode::NOT_MODIFIED => return Ok(Fetched::NotModified),
                StatusCode::OK => {}
                status => return Err(download_refused(status.as_u16())),
            }
            let headers = response.headers().clone();
            let etag = headers
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let geo = geo_from(|name| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| serde_json::Value::String(s.to_owned()))
            });
            let bytes = read_limited(response, MAX_ARTIFACT_BYTES, self.timeout).await?;
            Ok(Fetched::Body {
                bytes,
                etag,
                geo: Box::new(Geo {
                    ip_address: None,
                    ..geo
                }),
            })
        })
    }

    fn lookup_geo<'a>(&'a self, ip: Option<&'a str>) -> BoxFuture<'a, Result<Geo>> {
        Box::pin(async move {
            let mut headers = header::HeaderMap::new();
            if let Some(value) = ip.and_then(|ip| header::HeaderValue::from_str(ip).ok()) {
                headers.insert(FORWARDED_FOR, value);
            }
            let response = self.get(&self.geo_url, headers).await?;
            let status = response.status();
            if !status.is_success() {
                return Err(Error::Http {
                    status: status.as_u16(),
                    message: "geo lookup failed".to_owned(),
                });
            }
            let body = read_limited(response, MAX_GEO_BYTES, self.timeout).await?;
            let payload: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| Error::Decode {
                    message: e.to_string(),
                    body: crate::error::excerpt(&body),
                })?;
            Ok(geo_from(|name| payload.get(name).cloned()))
        })
    }
}
