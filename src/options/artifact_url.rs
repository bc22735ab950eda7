//! Where the rules artifact is: the CDN URL derived from the options, or `artifact_location`.

#[cfg(feature = "on-device")]
use super::ClientOptions;
use super::invalid;
use crate::error::Result;

#[cfg(feature = "on-device")]
impl ClientOptions {
    /// The CDN base URL: `cdn_base_path`, else by `cdn_environment`.
    pub(crate) fn cdn_base_url(&self) -> String {
        match &self.cdn_base_path {
            Some(base) if base.contains("://") => base.trim_end_matches('/').to_owned(),
            Some(host) => format!("https://{host}"),
            None if self.cdn_environment == "production" => {
                "https://assets.adobetarget.com".to_owned()
            }
            None => "https://assets.staging.adobetarget.com".to_owned(),
        }
    }

    /// The artifact URL: `artifact_location` (a path is a file), else
    /// `{cdn}/{client}/{environment}/v1/[{property_token}/]rules.json`, with each part put in
    /// its own path segment (percent-encoded: a `/` or `?` in it stays inside it).
    pub(crate) fn artifact_url(&self) -> Result<String> {
        if let Some(location) = &self.artifact_location {
            return artifact_location_url(location).map(String::from);
        }
        let mut url = url::Url::parse(&self.cdn_base_url()).map_err(|e| {
            invalid(
                "cdn_base_path",
                format!("must be a host or a base URL: {e}"),
            )
        })?;
        let environment = self.environment.to_lowercase();
        url.path_segments_mut()
            .map_err(|()| invalid("cdn_base_path", "must be a host or a base URL"))?
            .pop_if_empty()
            .extend([self.client.as_str(), environment.as_str(), "v1"])
            .extend(self.property_token.as_deref())
            .push("rules.json");
        Ok(url.into())
    }
}

/// The URL of an `artifact_location`: an http, https or file URL, or a file path (relative to
/// the working directory).
pub(super) fn artifact_location_url(location: &str) -> Result<url::Url> {
    let path = std::path::Path::new(location);
    let url = match url::Url::parse(location) {
        Ok(url) if !path.has_root() => url,
        Err(url::ParseError::RelativeUrlWithoutBase) | Ok(_) => {
            let absolute = std::path::absolute(path).map_err(|e| {
                invalid(
                    "artifact_location",
                    format!("{location} is not a usable file path: {e}"),
                )
            })?;
            url::Url::from_file_path(&absolute).map_err(|()| {
                invalid(
                    "artifact_location",
                    format!("{location} is not a usable file path"),
                )
            })?
        }
        Err(e) => {
            return Err(invalid(
                "artifact_location",
                format!("must be an http, https or file URL, or a file path: {e}"),
            ));
        }
    };
    if matches!(url.scheme(), "http" | "https" | "file") {
        Ok(url)
    } else {
        Err(invalid(
            "artifact_location",
            "must be an http, https or file URL, or a file path",
        ))
    }
}
