//! The rules options must follow; each failure names the option.

use std::time::Duration;

use super::artifact_url::artifact_location_url;
use super::{CDN_ENVIRONMENTS, ClientOptions, MAX_RETRIES_LIMIT, invalid, on_device_unavailable};
use crate::delivery::types::DecisioningMethod;
use crate::edge::{EdgeCluster, host_origin};
use crate::error::Result;

impl ClientOptions {
    /// Checks every option; the error names the first invalid one and the rule it breaks.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, Error};
    /// let err = ClientOptions::new("", "org@AdobeOrg").validate().unwrap_err();
    /// assert!(matches!(err, Error::InvalidOptions { ref option, .. } if option == "client"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.client.trim().is_empty() {
            return Err(invalid("client", "Client is required"));
        }
        if !self
            .client
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "client",
                "must be a client code (letters, digits, '-' and '_')",
            ));
        }
        if self.organization_id.trim().is_empty() {
            return Err(invalid("organization_id", "Organization Id is required"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout", "must be greater than zero"));
        }
        if !cfg!(feature = "on-device") && self.decisioning_method != DecisioningMethod::ServerSide
        {
            return Err(on_device_unavailable());
        }
        if let Some(domain) = &self.server_domain {
            check_host("server_domain", domain)?;
        }
        if let Some(hint) = &self.target_location_hint {
            hint.parse::<EdgeCluster>()?;
        }
        if !self.polling_interval.is_zero() && self.polling_interval < Duration::from_secs(1) {
            return Err(invalid(
                "polling_interval",
                "must be 0 (off) or at least 1 second",
            ));
        }
        if let Some(location) = &self.artifact_location {
            artifact_location_url(location)?;
        }
        if let Some(payload) = &self.artifact_payload {
            check_artifact_payload(payload)?;
        }
        if self.decisioning_method == DecisioningMethod::ServerSide {
            let artifact_options = [
                ("artifact_location", self.artifact_location.is_some()),
                ("artifact_payload", self.artifact_payload.is_some()),
                ("artifact_bytes", self.artifact_bytes.is_some()),
                ("artifact_format", self.artifact_format.is_some()),
            ];
            if let Some((option, _)) = artifact_options.into_iter().find(|(_, set)| *set) {
                let reason = if cfg!(feature = "on-device") {
                    "is only used by on-device and hybrid decisioning: set decisioning_method, or leave it out"
                } else {
                    "needs the crate's `on-device` feature (and on-device or hybrid decisioning)"
                };
                return Err(invalid(option, reason));
            }
        }
        check_path_segment("environment", &self.environment)?;
        if !CDN_ENVIRONMENTS.contains(&self.cdn_environment.as_str()) {
            return Err(invalid(
                "cdn_environment",
                "must be one of: production, staging, development",
            ));
        }
        if let Some(base) = &self.cdn_base_path {
            match base.split_once("://") {
                Some(("http" | "https", host)) => {
                    check_host("cdn_base_path", host.trim_end_matches('/'))?
                }
                Some(_) => {
                    return Err(invalid(
                        "cdn_base_path",
                        "must be a host, or an http(s):// base URL",
                    ));
                }
                None => check_host("cdn_base_path", base)?,
            }
        }
        if let Some(token) = &self.property_token {
            check_path_segment("property_token", token)?;
        }
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(invalid(
                "max_retries",
                format!("must be at most {MAX_RETRIES_LIMIT}"),
            ));
        }
        Ok(())
    }
}

fn check_host(option: &str, host: &str) -> Result<()> {
    host_origin(option, "https", host).map(drop)
}

/// A value that becomes one segment of the artifact URL's path: not empty, and not `.` or `..`
/// (which would climb out of the client's folder). Other characters are percent-encoded there.
fn check_path_segment(option: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        Err(invalid(option, "must not be empty"))
    } else if matches!(value, "." | "..") || value.chars().any(char::is_control) {
        Err(invalid(
            option,
            "must be a name, not `.`, `..` or control characters",
        ))
    } else {
        Ok(())
    }
}

/// An artifact payload is a JSON object (its contents are checked when it is loaded).
pub(super) fn check_artifact_payload(payload: &serde_json::Value) -> Result<()> {
    if payload.is_object() {
        Ok(())
    } else {
        Err(invalid(
            "artifact_payload",
            "must be a JSON object (the rules artifact)",
        ))
    }
}
