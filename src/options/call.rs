//! `GetOffersOptions`: the options of one call.

use std::time::Duration;

use crate::delivery::types::{CustomerId, DecisioningMethod, DeliveryRequest};
use crate::edge::EdgeCluster;
use crate::error::{Error, Result};

/// Options for one `get_offers`, `get_attributes` or `send_notifications` call.
///
/// ```
/// use adobe_target::GetOffersOptions;
/// use adobe_target::delivery::types::DeliveryRequest;
///
/// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
///     "context": {"channel": "web"},
///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
/// }))?;
/// let options = GetOffersOptions::new(request).target_cookie("session#abc#1900000000");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct GetOffersOptions {
    pub(crate) request: Option<DeliveryRequest>,
    pub(crate) target_cookie: Option<String>,
    pub(crate) target_location_hint: Option<EdgeCluster>,
    pub(crate) session_id: Option<String>,
    pub(crate) customer_ids: Vec<CustomerId>,
    pub(crate) consumer_id: Option<String>,
    pub(crate) decisioning_method: Option<DecisioningMethod>,
    pub(crate) timeout: Option<Duration>,
}

impl GetOffersOptions {
    /// Options for a Delivery request.
    pub fn new(request: DeliveryRequest) -> Self {
        Self {
            request: Some(request),
            ..Self::default()
        }
    }

    /// The Delivery request.
    pub fn request(mut self, request: DeliveryRequest) -> Self {
        self.request = Some(request);
        self
    }

    /// The value of the visitor's `mbox` cookie.
    pub fn target_cookie(mut self, cookie: impl Into<String>) -> Self {
        self.target_cookie = Some(cookie.into());
        self
    }

    /// The visitor's edge cluster: the value of the `mboxEdgeCluster` cookie, as the browser
    /// sent it. It is the visitor's input: a value that is not a cluster id (see
    /// [`EdgeCluster`]) is ignored with a `debug` log line, never used in a host name or a cookie.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// let from_cookie = GetOffersOptions::default().target_location_hint("35");
    /// let hostile = GetOffersOptions::default().target_location_hint("1@127.0.0.1:8099/");
    /// assert_eq!(from_cookie.location_hint().map(|c| c.as_str()), Some("35"));
    /// assert_eq!(hostile.location_hint(), None);
    /// ```
    pub fn target_location_hint(mut self, hint: impl AsRef<str>) -> Self {
        self.target_location_hint =
            EdgeCluster::from_visitor(hint.as_ref(), "target_location_hint");
        self
    }

    /// The edge cluster set with [`target_location_hint`](Self::target_location_hint), if it
    /// was a cluster id.
    pub fn location_hint(&self) -> Option<&EdgeCluster> {
        self.target_location_hint.as_ref()
    }

    /// The session id to use when the cookie has no live session.
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// Customer ids added to the request's `id.customerIds`.
    pub fn customer_ids(mut self, ids: Vec<CustomerId>) -> Self {
        self.customer_ids = ids;
        self
    }

    /// The consumer id for the supplemental data id (A4T); default `target-global-mbox`.
    pub fn consumer_id(mut self, consumer_id: impl Into<String>) -> Self {
        self.consumer_id = Some(consumer_id.into());
        self
    }

    /// How this call is decided, overriding the client's default.
    pub fn decisioning_method(mut self, method: DecisioningMethod) -> Self {
        self.decisioning_method = Some(method);
        self
    }

    /// The timeout of this call, overriding the client's. It must be greater than zero: a call
    /// with a zero timeout is refused with [`Error::InvalidRequest`], as the map's `timeout: 0` is.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The rules a call applies to its options whichever way they were built.
    pub(crate) fn check(&self) -> Result<()> {
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(call_timeout_invalid());
        }
        Ok(())
    }
}

/// A per-call timeout that is not a positive duration.
pub(super) fn call_timeout_invalid() -> Error {
    Error::InvalidRequest(
        "timeout must be milliseconds > 0 (a per-call `timeout` of zero is refused)".to_owned(),
    )
}
