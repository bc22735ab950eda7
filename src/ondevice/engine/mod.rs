//! The pure on-device decisioning engine: a request and an artifact in, a decision out. No
//! network, no runtime, no facade types: the artifact model and its checks, the request context,
//! JSON-logic rules, Target's allocation hashing, geo values, and the decider.

pub(crate) mod allocation;
pub(crate) mod artifact;
pub(crate) mod context;
pub(crate) mod decide;
pub(crate) mod geo;
pub(crate) mod obfuscation;
pub(crate) mod rules;
pub(crate) mod summary;
