#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// No input can make library code panic: no unwrap, expect, panic or unchecked indexing.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attributes;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
#[cfg(feature = "on-device")]
mod cdn;
mod client;
mod concurrency;
mod cookies;
pub mod delivery;
mod edge;
mod engine;
mod error;
mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "on-device")]
mod local;
#[cfg(feature = "on-device")]
mod notifier;
#[cfg(feature = "on-device")]
pub(crate) mod ondevice;
mod open_enums;
mod options;
mod request;
mod response;
mod telemetry;
mod transport;

pub use attributes::Attributes;
pub use client::{SDK_NAME, SDK_VERSION, TargetClient};
pub use cookies::{LOCATION_HINT_COOKIE_NAME, TARGET_COOKIE_NAME, TargetCookie};
pub use delivery::types::DecisioningMethod;
pub use edge::EdgeCluster;
pub use error::{Error, Result};
pub use events::Event;
pub use options::{
    ClientOptions, DEFAULT_MAX_RETRIES, DEFAULT_POLLING_INTERVAL, DEFAULT_TIMEOUT, GetOffersOptions,
};
pub use response::{ResponseMeta, TargetResponse};
