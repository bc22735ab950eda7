//! Client options and per-call options: what the caller asked for, typed or from the Python
//! and Node.js SDKs' option maps, and the rules they must follow.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Error;

mod artifact_url;
mod call;
mod client;
mod map;
mod ondevice;
mod validate;

pub use artifact_url::ArtifactFormat;
pub use call::GetOffersOptions;
pub use client::ClientOptions;
#[cfg(feature = "on-device")]
pub(crate) use ondevice::NotificationHandler;
pub use ondevice::{
    DEFAULT_NOTIFICATION_CONCURRENCY, DEFAULT_NOTIFICATION_QUEUE_BYTES, NotificationOverflow,
};

/// The default timeout of a Delivery API call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);
/// The default artifact polling interval (Adobe's CDN expects no more than one fetch per 5 minutes).
pub const DEFAULT_POLLING_INTERVAL: Duration = Duration::from_secs(300);
/// The default number of retries after a failed attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries allowed.
pub const MAX_RETRIES_LIMIT: u32 = 10;
const CDN_ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];

/// Where "now" comes from (a fixed clock in tests and replays).
pub(crate) type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What on-device and hybrid options get from a build without the `on-device` feature.
pub(crate) fn on_device_unavailable() -> Error {
    invalid(
        "decisioning_method",
        "on-device and hybrid decisioning need the crate's `on-device` feature",
    )
}
pub(crate) fn invalid(option: &str, reason: impl Into<String>) -> Error {
    Error::InvalidOptions {
        option: option.to_owned(),
        reason: reason.into(),
    }
}
