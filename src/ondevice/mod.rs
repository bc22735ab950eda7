//! The on-device runtime: a client's artifact loader and poller, the CDN adapter, on-device calls
//! and their background notifications, around the pure decisioning [`engine`]. Built with the
//! crate's `on-device` feature (on by default); without it a client has no runtime, and
//! on-device and hybrid options are refused when the client is created.

#[cfg(feature = "on-device")]
mod calls;
#[cfg(feature = "on-device")]
mod cdn;
#[cfg(feature = "on-device")]
pub(crate) mod engine;
#[cfg(feature = "on-device")]
mod notifier;
#[cfg(feature = "on-device")]
mod provider;
mod runtime;

#[cfg(feature = "on-device")]
pub use engine::decide::{Explanation, RuleOutcome};
#[cfg(feature = "on-device")]
pub use engine::rules::FailedCondition;
#[cfg(feature = "on-device")]
pub use engine::summary::{ActivitySummary, ArtifactSummary, AudienceSummary, OfferSize};
pub(crate) use runtime::OnDevice;
