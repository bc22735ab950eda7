//! `GetOffersOptions`: the options of one call.

use std::sync::Arc;
use std::time::Duration;

use crate::delivery::types::{CustomerId, DecisioningMethod, DeliveryRequest};
use crate::edge::EdgeCluster;
use crate::error::{Error, Result};
use crate::visitor::Visitor;

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
    pub(crate) request: Option<Arc<DeliveryRequest>>,
    pub(crate) target_cookie: Option<String>,
    pub(crate) target_location_hint: Option<EdgeCluster>,
    pub(crate) session_id: Option<String>,
    /// In the ID service's form (what the visitor state keeps).
    pub(crate) customer_ids: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) consumer_id: Option<String>,
    pub(crate) visitor_cookie: Option<String>,
    pub(crate) visitor: Option<Visitor>,
    pub(crate) decisioning_method: Option<DecisioningMethod>,
    pub(crate) timeout: Option<Duration>,
}

impl GetOffersOptions {
    /// Options for a Delivery request.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
    /// }))?;
    /// let options = GetOffersOptions::new(request);
    /// # let _ = options;
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(request: DeliveryRequest) -> Self {
        Self {
            request: Some(Arc::new(request)),
            ..Self::default()
        }
    }

    /// The Delivery request.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
    /// }))?;
    /// let options = GetOffersOptions::default().target_cookie("session#abc#1900000000").request(request);
    /// # let _ = options;
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn request(mut self, request: DeliveryRequest) -> Self {
        self.request = Some(Arc::new(request));
        self
    }

    /// The value of the visitor's `mbox` cookie.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    ///
    /// // The browser's `mbox` cookie, as it came.
    /// let options = GetOffersOptions::default().target_cookie("session#8d3ba0f2#1900000000|PC#8d3ba0f2.28_0#1900000000");
    /// # let _ = options;
    /// ```
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
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    ///
    /// let hinted = GetOffersOptions::default().target_location_hint("28");
    /// assert_eq!(hinted.location_hint().map(|c| c.as_str()), Some("28"));
    /// // A value that is not a cluster id is ignored.
    /// let hostile = GetOffersOptions::default().target_location_hint("1@evil.example");
    /// assert!(hostile.location_hint().is_none());
    /// ```
    pub fn location_hint(&self) -> Option<&EdgeCluster> {
        self.target_location_hint.as_ref()
    }

    /// The session id to use when the cookie has no live session.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    ///
    /// let options = GetOffersOptions::default().session_id("8d3ba0f2-visit-1");
    /// # let _ = options;
    /// ```
    pub fn session_id(mut self, session_id: impl Into<String>) -> Self {
        self.session_id = Some(session_id.into());
        self
    }

    /// The visitor's customer ids, set on the call's [`Visitor`] as the Node.js SDK sets them:
    /// they come first in the request's `id.customerIds`, before the request's own, and are in
    /// the returned [`visitor_state`](crate::TargetResponse::visitor_state).
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// use adobe_target::delivery::types::{AuthenticatedState, CustomerId};
    ///
    /// let signed_in = CustomerId::builder()
    ///     .id("c-1024")
    ///     .integration_code("crm")
    ///     .authenticated_state(AuthenticatedState::Authenticated)
    ///     .try_into()?;
    /// let options = GetOffersOptions::default().customer_ids(vec![signed_in]);
    /// # Ok::<(), adobe_target::delivery::types::error::ConversionError>(())
    /// ```
    pub fn customer_ids(mut self, ids: Vec<CustomerId>) -> Self {
        self.customer_ids = Some(crate::visitor::customer_id_map(&ids));
        self
    }

    /// Who asks for the supplemental data id that ties this call's Target hit to its Analytics
    /// hit (A4T); default `target-global-mbox`. Within one [`Visitor`], each consumer's first
    /// call gets the page view's current id, and a consumer asking again starts a new one.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    ///
    /// // A second supplemental data id for the same page view (another A4T consumer).
    /// let options = GetOffersOptions::default().consumer_id("target-global-mbox-2");
    /// # let _ = options;
    /// ```
    pub fn consumer_id(mut self, consumer_id: impl Into<String>) -> Self {
        self.consumer_id = Some(consumer_id.into());
        self
    }

    /// The value of the visitor's `AMCV_<orgId>` cookie (its name:
    /// [`visitor_cookie_name`](crate::visitor_cookie_name)). The call then carries the
    /// visitor's Experience Cloud id (`id.marketingCloudVisitorId`) and Audience Manager values
    /// unless the request sets them. It is the visitor's input: a value that does not decode
    /// is ignored.
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// let options = GetOffersOptions::default()
    ///     .visitor_cookie("-1330315163%7CMCMID%7C12345678901234567890123456789012345678");
    /// ```
    pub fn visitor_cookie(mut self, cookie: impl Into<String>) -> Self {
        self.visitor_cookie = Some(cookie.into());
        self
    }

    /// The visitor to use, shared with other calls of the same page view (the Node.js SDK's
    /// `visitor` option). Without it, each call makes its own from
    /// [`visitor_cookie`](Self::visitor_cookie).
    ///
    /// ```
    /// use adobe_target::{GetOffersOptions, Visitor};
    /// let visitor = Visitor::new("ORG@AdobeOrg", Some("MCMID|1234"));
    /// let hero = GetOffersOptions::default().visitor(visitor.clone()).consumer_id("hero");
    /// let footer = GetOffersOptions::default().visitor(visitor).consumer_id("footer");
    /// ```
    pub fn visitor(mut self, visitor: Visitor) -> Self {
        self.visitor = Some(visitor);
        self
    }

    /// How this call is decided, overriding the client's default.
    ///
    /// ```
    /// use adobe_target::{DecisioningMethod, GetOffersOptions};
    ///
    /// // Ask the Edge for this call, whatever the client decides by default.
    /// let options = GetOffersOptions::default().decisioning_method(DecisioningMethod::ServerSide);
    /// # let _ = options;
    /// ```
    pub fn decisioning_method(mut self, method: DecisioningMethod) -> Self {
        self.decisioning_method = Some(method);
        self
    }

    /// The timeout of this call, overriding the client's. It must be greater than zero: a call
    /// with a zero timeout is refused with [`Error::InvalidRequest`], as the map's `timeout: 0` is.
    ///
    /// ```
    /// use std::time::Duration;
    /// use adobe_target::GetOffersOptions;
    ///
    /// let options = GetOffersOptions::default().timeout(Duration::from_millis(250));
    /// # let _ = options;
    /// ```
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
