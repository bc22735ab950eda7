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

    /// Where an on-device client downloads its rules artifact from: `artifact_location` (a
    /// path is a `file://` URL), else
    /// `{cdn}/{client}/{environment}/v1/[{property_token}/]rules.json` (or `rules.bin`), each
    /// part in its own path segment (percent-encoded: a `/` or `?` in it stays inside it).
    ///
    /// ```
    /// use adobe_target::{ArtifactFormat, ClientOptions};
    ///
    /// let options = ClientOptions::new("acme", "org@AdobeOrg").artifact_format(ArtifactFormat::Bin);
    /// assert_eq!(
    ///     options.artifact_url()?,
    ///     "https://assets.adobetarget.com/acme/production/v1/rules.bin"
    /// );
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn artifact_url(&self) -> Result<String> {
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
            .push(self.effective_artifact_format().file_name());
        Ok(url.into())
    }

    /// The artifact's format: the one set, else `bin` for an `artifact_location` ending in
    /// `.bin` (any case), else `json`, as in the Node.js SDK.
    pub(crate) fn effective_artifact_format(&self) -> ArtifactFormat {
        self.artifact_format.unwrap_or_else(|| {
            let binary = self.artifact_location.as_deref().is_some_and(|location| {
                location.len() > 4 && location.to_ascii_lowercase().ends_with(".bin")
            });
            if binary {
                ArtifactFormat::Bin
            } else {
                ArtifactFormat::Json
            }
        })
    }
}

/// The format of the rules artifact: `rules.json`, or the obfuscated `rules.bin` (the JSON
/// XOR-ed with the organization id and a key in its 40-byte header).
///
/// ```
/// use adobe_target::ArtifactFormat;
/// assert_eq!("bin".parse::<ArtifactFormat>()?, ArtifactFormat::Bin);
/// assert_eq!(ArtifactFormat::Json.file_name(), "rules.json");
/// assert!("xml".parse::<ArtifactFormat>().is_err());
/// # Ok::<(), adobe_target::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ArtifactFormat {
    /// `rules.json`.
    #[default]
    Json,
    /// `rules.bin`, obfuscated.
    Bin,
}

impl ArtifactFormat {
    /// The artifact's file name on the CDN.
    ///
    /// ```
    /// use adobe_target::ArtifactFormat;
    ///
    /// assert_eq!(ArtifactFormat::Bin.file_name(), "rules.bin");
    /// assert_eq!(ArtifactFormat::default().file_name(), "rules.json");
    /// ```
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Json => "rules.json",
            Self::Bin => "rules.bin",
        }
    }
}

impl std::str::FromStr for ArtifactFormat {
    type Err = crate::error::Error;

    /// `json` or `bin`, the values of the Node.js SDK's `artifactFormat`.
    fn from_str(value: &str) -> Result<Self> {
        match value {
            "json" => Ok(Self::Json),
            "bin" => Ok(Self::Bin),
            other => Err(invalid(
                "artifact_format",
                format!("must be json or bin (not {other:?})"),
            )),
        }
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

#[cfg(all(test, feature = "on-device"))]
mod tests {
    use super::*;

    #[test]
    fn the_format_names_the_file() {
        let options = ClientOptions::new("acmeclient", "org@AdobeOrg").property_token("p-1");
        let url = |o: &ClientOptions| o.artifact_url().unwrap_or_default();
        assert_eq!(
            url(&options),
            "https://assets.adobetarget.com/acmeclient/production/v1/p-1/rules.json"
        );
        let bin = options.clone().artifact_format(ArtifactFormat::Bin);
        assert_eq!(
            url(&bin),
            "https://assets.adobetarget.com/acmeclient/production/v1/p-1/rules.bin"
        );
        for (location, format) in [
            ("https://cdn.example/rules.BIN", ArtifactFormat::Bin),
            ("/etc/target/rules.bin", ArtifactFormat::Bin),
            (".bin", ArtifactFormat::Json),
            ("https://cdn.example/rules.json", ArtifactFormat::Json),
        ] {
            let located = options.clone().artifact_location(location);
            assert_eq!(located.effective_artifact_format(), format, "{location}");
        }
        let forced = options
            .artifact_location("https://cdn.example/rules.bin")
            .artifact_format(ArtifactFormat::Json);
        assert_eq!(forced.effective_artifact_format(), ArtifactFormat::Json);
    }
}
