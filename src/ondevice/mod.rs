//! On-device decisioning: rules from a downloaded artifact, decided locally with no network.

pub(crate) mod allocation;
pub(crate) mod artifact;
pub(crate) mod context;
pub(crate) mod decide;
pub(crate) mod geo;
pub(crate) mod provider;
pub(crate) mod rules;
