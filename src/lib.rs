#![doc = include_str!("crate_docs.md")]
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

// The layers, bottom up: `error`; the generated border `delivery`; `events`, `edge` and the
// Experience Cloud `visitor`; `options` (what the caller asked for); the remote request path `remote`; the on-device runtime
// `ondevice` around its pure `engine`; the facade (`client`, `attributes`, `concurrency`,
// `blocking`, and `web`, the helpers for web frameworks). Imports point down only (`tests/it/architecture.rs` checks it).
mod attributes;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod concurrency;
pub mod delivery;
mod edge;
mod error;
mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod ondevice;
#[cfg(feature = "openfeature")]
pub mod openfeature;
mod options;
mod remote;
mod visitor;
pub mod web;

pub use attributes::Attributes;
pub use client::TargetClient;
pub use delivery::types::DecisioningMethod;
pub use delivery::{SDK_NAME, SDK_VERSION};
pub use edge::EdgeCluster;
pub use error::{Error, Result};
pub use events::Event;
#[cfg(feature = "on-device")]
pub use ondevice::{
    ActivitySummary, ArtifactSummary, AudienceSummary, Explanation, FailedCondition, OfferSize,
    RuleOutcome,
};
pub use options::{
    ArtifactFormat, ClientOptions, DEFAULT_MAX_RETRIES, DEFAULT_NOTIFICATION_CONCURRENCY,
    DEFAULT_NOTIFICATION_QUEUE_BYTES, DEFAULT_POLLING_INTERVAL, DEFAULT_TIMEOUT, GetOffersOptions,
    NotificationOverflow,
};
pub use remote::cookies::{LOCATION_HINT_COOKIE_NAME, TARGET_COOKIE_NAME, TargetCookie};
pub use remote::response::{ResponseMeta, ServerState, TargetResponse};
pub use visitor::{Visitor, VisitorState, visitor_cookie_name};

/// The README's code blocks, compiled and run as doctests (the crate's front page is
/// `src/crate_docs.md`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
