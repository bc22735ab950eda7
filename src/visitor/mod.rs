//! The Experience Cloud visitor (ECID) of a call, as the Node.js and Java SDKs keep it with
//! `@adobe-mcid/visitor-js-server`: the values of the `AMCV_<orgId>` cookie, the customer ids,
//! and the supplemental data ids (SDID) that tie Target hits to Analytics hits (A4T).
//!
//! Every call has a visitor: the one given with
//! [`GetOffersOptions::visitor`](crate::GetOffersOptions::visitor), or a new one made from
//! [`GetOffersOptions::visitor_cookie`](crate::GetOffersOptions::visitor_cookie). Its state comes
//! back as [`TargetResponse::visitor_state`](crate::TargetResponse::visitor_state), for the
//! page's client-side Visitor API.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use serde_json::{Map, Value, json};

use crate::delivery::types::{AuthenticatedState, CustomerId};

mod amcv;
mod sdid;

use amcv::VisitorValues;
use sdid::SdidState;

/// The consumer id of a call that names none: the global mbox, as in the other SDKs.
pub(crate) const DEFAULT_CONSUMER_ID: &str = "target-global-mbox";

/// The name of the Experience Cloud ID cookie for an organization: `AMCV_<orgId>` (the Node.js
/// SDK's `TargetClient.getVisitorCookieName`).
///
/// ```
/// assert_eq!(
///     adobe_target::visitor_cookie_name("65453EA95A70434F0A495D34@AdobeOrg"),
///     "AMCV_65453EA95A70434F0A495D34@AdobeOrg"
/// );
/// ```
pub fn visitor_cookie_name(organization_id: &str) -> String {
    format!("AMCV_{organization_id}")
}

/// One visitor's Experience Cloud identity, shared by the calls of one page view.
///
/// Clones share one state, as one `Visitor` object of the Node.js SDK does: pass the same
/// visitor to every call of a page view (with
/// [`GetOffersOptions::visitor`](crate::GetOffersOptions::visitor)) and each consumer's
/// supplemental data id follows the ID service's rules across them. A call given only a cookie
/// gets a visitor of its own.
///
/// ```
/// use adobe_target::Visitor;
///
/// let visitor = Visitor::new("65453EA95A70434F0A495D34@AdobeOrg", Some("MCMID|1234567890"));
/// assert_eq!(visitor.marketing_cloud_visitor_id().as_deref(), Some("1234567890"));
/// let sdid = visitor.supplemental_data_id("target-global-mbox");
/// assert_eq!(visitor.supplemental_data_id("hero"), sdid, "another consumer, the same hit");
/// assert_eq!(visitor.state().supplemental_data_id(), Some(sdid.as_str()));
/// ```
#[derive(Clone)]
pub struct Visitor {
    shared: Arc<Mutex<Inner>>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    /// `<id>@AdobeOrg`.
    organization_id: Arc<str>,
    values: VisitorValues,
    /// In the ID service's form: `{"<integrationCode>": {"id": ..., "authState": 0|1|2}}`.
    customer_ids: Option<Map<String, Value>>,
    /// `None` until a supplemental data id is asked for (the state then has `sdid`). Shared
    /// with the states handed out, copied only when it changes while one of them lives.
    sdid: Option<Arc<SdidState>>,
}

impl Inner {
    fn new(organization_id: &Arc<str>, cookie: Option<&str>) -> Self {
        Self {
            organization_id: normalized_organization(organization_id),
            values: cookie.map(VisitorValues::parse).unwrap_or_default(),
            customer_ids: None,
            sdid: None,
        }
    }

    fn state(&self) -> VisitorState {
        VisitorState {
            organization_id: self.organization_id.clone(),
            customer_ids: self.customer_ids.clone(),
            sdid: self.sdid.clone(),
            json: OnceLock::new(),
        }
    }

    fn for_request(&mut self, requested: Option<String>, consumer_id: &str) -> ForRequest {
        let current = self.sdid.as_ref().and_then(|sdid| sdid.current());
        let supplemental_data_id = match requested {
            Some(id) if current.is_some_and(|current| current == id) => id,
            _ => self.supplemental_data_id(consumer_id),
        };
        ForRequest {
            marketing_cloud_visitor_id: self.values.mcmid.clone(),
            customer_ids: self
                .customer_ids
                .as_ref()
                .map(customer_ids_from_state_map)
                .unwrap_or_default(),
            supplemental_data_id,
            aam_location_hint: self.values.aam_location_hint_number(),
            aam_blob: self.values.aam_blob.clone(),
        }
    }

    /// The supplemental data id for `consumer_id`, by the ID service's rules (the state copied
    /// first only if a visitor state handed out still shares it).
    fn supplemental_data_id(&mut self, consumer_id: &str) -> String {
        let state = self.sdid.get_or_insert_with(Arc::default);
        Arc::make_mut(state).id_for(consumer_id, sdid::new_sdid)
    }
}

impl std::fmt::Debug for Visitor {
    /// Says which values are known, never the ids themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.lock().fmt(f)
    }
}

impl std::fmt::Debug for Inner {
    /// Says which values are known, never the ids themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visitor")
            .field("marketing_cloud_visitor_id", &self.values.mcmid.is_some())
            .field("customer_ids", &self.customer_ids.as_ref().map(Map::len))
            .field("supplemental_data_id", &self.sdid.is_some())
            .finish()
    }
}

/// `organization_id` with `@AdobeOrg` added when it has no `@`, as the ID service adds it
/// (shared, not copied, when it has one).
fn normalized_organization(organization_id: &Arc<str>) -> Arc<str> {
    if organization_id.contains('@') {
        Arc::clone(organization_id)
    } else {
        format!("{organization_id}@AdobeOrg").into()
    }
}

impl Visitor {
    /// A visitor of `organization_id` (`@AdobeOrg` is added when missing, as the ID service
    /// does) from the value of its `AMCV_<orgId>` cookie, if the browser sent one. The cookie
    /// is the visitor's input: a value that does not decode gives no ids.
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let cookie = "179643557%7CMCMID%7C12345678901234567890123456789012345678%7CMCAAMLH-1700000000%7C9";
    /// let visitor = Visitor::new("65453EA95A70434F0A495D34@AdobeOrg", Some(cookie));
    /// assert_eq!(
    ///     visitor.marketing_cloud_visitor_id().as_deref(),
    ///     Some("12345678901234567890123456789012345678")
    /// );
    /// assert!(Visitor::new("65453EA95A70434F0A495D34@AdobeOrg", None).marketing_cloud_visitor_id().is_none());
    /// ```
    pub fn new(organization_id: &str, cookie: Option<&str>) -> Self {
        Self::of_organization(&Arc::from(organization_id), cookie)
    }

    /// [`Visitor::new`] for the client's `organization_id`, shared with the client when it is
    /// already in its full form (the common case: no copy per call).
    pub(crate) fn of_organization(organization_id: &Arc<str>, cookie: Option<&str>) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Inner::new(organization_id, cookie))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is plain data, consistent after every statement: a panic elsewhere while
        // it was held leaves nothing half-written.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The Experience Cloud id (`MCMID` of the cookie).
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let visitor = Visitor::new("org@AdobeOrg", Some("1%7CMCMID%7C42"));
    /// assert_eq!(visitor.marketing_cloud_visitor_id().as_deref(), Some("42"));
    /// ```
    pub fn marketing_cloud_visitor_id(&self) -> Option<String> {
        self.lock().values.mcmid.clone()
    }

    /// The supplemental data id for `consumer_id`, by the ID service's rules: the current id
    /// for a consumer's first request, a new one when the same consumer asks again.
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let visitor = Visitor::new("org@AdobeOrg", None);
    /// // One id per consumer and page view, as the ID service hands them out.
    /// let first = visitor.supplemental_data_id("target-global-mbox");
    /// assert_eq!(first, visitor.supplemental_data_id("analytics"));
    /// assert_ne!(first, visitor.supplemental_data_id("target-global-mbox"));
    /// ```
    pub fn supplemental_data_id(&self, consumer_id: &str) -> String {
        self.lock().supplemental_data_id(consumer_id)
    }

    /// Sets the visitor's customer ids (the ID service's `setCustomerIDs`). They come first in
    /// a request's `id.customerIds`, before the request's own, and go back to the page in the
    /// visitor state.
    ///
    /// ```
    /// use adobe_target::Visitor;
    /// use adobe_target::delivery::types::{AuthenticatedState, CustomerId};
    ///
    /// let visitor = Visitor::new("org@AdobeOrg", None);
    /// let login: CustomerId = CustomerId::builder()
    ///     .id("crm-1234")
    ///     .integration_code("crm")
    ///     .authenticated_state(AuthenticatedState::Authenticated)
    ///     .try_into()?;
    /// visitor.set_customer_ids(vec![login]);
    /// assert!(visitor.state().as_json().to_string().contains("crm-1234"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_customer_ids(&self, ids: Vec<CustomerId>) {
        self.set_customer_id_map(customer_id_map(&ids));
    }

    /// Sets the customer ids in the ID service's form, kept as given for the visitor state.
    pub(crate) fn set_customer_id_map(&self, ids: Map<String, Value>) {
        self.lock().customer_ids = Some(ids);
    }

    /// The state to hand to the page's Visitor API
    /// (`Visitor.getInstance(orgId, {serverState})`).
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let visitor = Visitor::new("org@AdobeOrg", None);
    /// let sdid = visitor.supplemental_data_id("target-global-mbox");
    /// assert_eq!(visitor.state().supplemental_data_id(), Some(sdid.as_str()));
    /// ```
    pub fn state(&self) -> VisitorState {
        self.lock().state()
    }
}

/// The Experience Cloud visitor of one call: the caller's, shared with other calls (read again
/// when the call ends), or the call's own, made from the cookie, which nothing else can change
/// (no lock, and not on the heap).
#[derive(Clone, Debug)]
pub(crate) enum CallVisitor {
    Shared(Visitor),
    Own(Inner),
}

impl CallVisitor {
    /// The caller's `given` visitor, else one of `organization_id` from `cookie`.
    pub(crate) fn new(
        given: Option<&Visitor>,
        organization_id: &Arc<str>,
        cookie: Option<&str>,
    ) -> Self {
        match given {
            Some(visitor) => Self::Shared(visitor.clone()),
            None => Self::Own(Inner::new(organization_id, cookie)),
        }
    }

    fn with<R>(&mut self, f: impl FnOnce(&mut Inner) -> R) -> R {
        match self {
            Self::Shared(visitor) => f(&mut visitor.lock()),
            Self::Own(inner) => f(inner),
        }
    }

    fn read<R>(&self, f: impl FnOnce(&Inner) -> R) -> R {
        match self {
            Self::Shared(visitor) => f(&visitor.lock()),
            Self::Own(inner) => f(inner),
        }
    }

    /// Sets the customer ids in the ID service's form (see [`Visitor::set_customer_id_map`]).
    pub(crate) fn set_customer_id_map(&mut self, ids: Map<String, Value>) {
        self.with(|inner| inner.customer_ids = Some(ids));
    }

    /// What a request takes from the visitor, read under one lock: the Experience Cloud id,
    /// the customer ids (converted from the ID service's form as the Node.js SDK converts
    /// them), the Audience Manager hint and blob, and the supplemental data id for
    /// `consumer_id`: `requested` when it is the visitor's current one (a request that carries
    /// it keeps it), else the one [`Visitor::supplemental_data_id`] gives.
    pub(crate) fn for_request(
        &mut self,
        requested: Option<String>,
        consumer_id: &str,
    ) -> ForRequest {
        self.with(|inner| inner.for_request(requested, consumer_id))
    }

    /// The visitor's state now (see [`Visitor::state`]).
    pub(crate) fn state(&self) -> VisitorState {
        self.read(Inner::state)
    }

    /// The Experience Cloud id (`MCMID` of the cookie).
    #[cfg(feature = "on-device")]
    pub(crate) fn marketing_cloud_visitor_id(&self) -> Option<String> {
        self.read(|inner| inner.values.mcmid.clone())
    }
}

/// What a request takes from its visitor ([`CallVisitor::for_request`]).
pub(crate) struct ForRequest {
    pub(crate) marketing_cloud_visitor_id: Option<String>,
    pub(crate) customer_ids: Vec<CustomerId>,
    pub(crate) supplemental_data_id: String,
    pub(crate) aam_location_hint: Option<i32>,
    pub(crate) aam_blob: Option<String>,
}

/// The ID service's numeric authentication states: 0 unknown, 1 authenticated, 2 logged out.
fn auth_state_code(state: &AuthenticatedState) -> Option<u8> {
    match state {
        AuthenticatedState::Unknown => Some(0),
        AuthenticatedState::Authenticated => Some(1),
        AuthenticatedState::LoggedOut => Some(2),
        AuthenticatedState::Other(_) => None,
    }
}

/// The authentication state of an ID-service number, as the Node.js SDK maps it.
fn auth_state_from_code(code: Option<&Value>) -> AuthenticatedState {
    match code.and_then(Value::as_u64) {
        Some(1) => AuthenticatedState::Authenticated,
        Some(2) => AuthenticatedState::LoggedOut,
        _ => AuthenticatedState::Unknown,
    }
}

/// A visitor's state for the page's Visitor API, shaped as the Node.js SDK's
/// `visitor.getState()`: `{"<orgId>": {"customerIDs": ..., "sdid": ...}}`.
///
/// Put it in the page as JSON (`{}` formats it) and pass it to
/// `Visitor.getInstance(orgId, {serverState: ...})`, so Analytics on the page uses the same
/// supplemental data id as the Target call.
///
/// ```
/// let visitor = adobe_target::Visitor::new("ORG@AdobeOrg", None);
/// let sdid = visitor.supplemental_data_id("target-global-mbox");
/// let state = visitor.state();
/// assert_eq!(state.supplemental_data_id(), Some(sdid.as_str()));
/// let script = format!("Visitor.getInstance('ORG@AdobeOrg', {{serverState: {state}}});");
/// assert!(script.contains("supplementalDataIDCurrent"));
/// ```
///
/// It is a snapshot of the visitor when it was taken; the JSON is made the first time it is read
/// (most callers of an on-device decision never read it).
#[derive(Clone, Debug)]
pub struct VisitorState {
    organization_id: Arc<str>,
    customer_ids: Option<Map<String, Value>>,
    sdid: Option<Arc<SdidState>>,
    json: OnceLock<Value>,
}

impl PartialEq for VisitorState {
    fn eq(&self, other: &Self) -> bool {
        (&self.organization_id, &self.customer_ids, &self.sdid)
            == (&other.organization_id, &other.customer_ids, &other.sdid)
    }
}

impl serde::Serialize for VisitorState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_json().serialize(serializer)
    }
}

impl VisitorState {
    /// The state as JSON.
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let state = Visitor::new("org@AdobeOrg", None).state();
    /// // For the page: `Visitor.getInstance("org@AdobeOrg", {serverState: ...})`.
    /// let script = format!("Visitor.getInstance(\"org@AdobeOrg\", {{serverState: {}}});", state.as_json());
    /// # let _ = script;
    /// ```
    pub fn as_json(&self) -> &Value {
        self.json.get_or_init(|| {
            let mut state = Map::new();
            if let Some(ids) = &self.customer_ids {
                state.insert("customerIDs".to_owned(), Value::Object(ids.clone()));
            }
            if let Some(sdid) = &self.sdid {
                state.insert("sdid".to_owned(), json!(sdid.as_ref()));
            }
            json!({ self.organization_id.to_string(): state })
        })
    }

    /// The current supplemental data id, once one was handed out.
    ///
    /// ```
    /// use adobe_target::Visitor;
    ///
    /// let visitor = Visitor::new("org@AdobeOrg", None);
    /// assert_eq!(visitor.state().supplemental_data_id(), None);
    /// let sdid = visitor.supplemental_data_id("target-global-mbox");
    /// assert_eq!(visitor.state().supplemental_data_id(), Some(sdid.as_str()));
    /// ```
    pub fn supplemental_data_id(&self) -> Option<&str> {
        self.sdid.as_ref()?.current()
    }
}

impl std::fmt::Display for VisitorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_json())
    }
}

/// Typed customer ids in the ID service's form (a later id of the same integration code wins).
pub(crate) fn customer_id_map(ids: &[CustomerId]) -> Map<String, Value> {
    ids.iter()
        .map(|c| {
            let mut entry = Map::new();
            entry.insert("id".to_owned(), json!(c.id));
            if let Some(code) = auth_state_code(&c.authenticated_state) {
                entry.insert("authState".to_owned(), json!(code));
            }
            (c.integration_code.clone(), Value::Object(entry))
        })
        .collect()
}

/// Customer ids given as the ID service takes them (`{"crm": {"id": "1", "authState": 1}}` or
/// `{"crm": "1"}`), converted as the Node.js SDK converts them; entries without an id are
/// dropped.
pub(crate) fn customer_ids_from_state_map(map: &Map<String, Value>) -> Vec<CustomerId> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    // JavaScript orders integer-like keys first, ascending.
    entries.sort_by_key(|(key, _)| key.parse::<u32>().map_or(u64::MAX, u64::from));
    entries
        .into_iter()
        .filter_map(|(code, value)| {
            let (id, state) = match value {
                Value::Object(entry) => (
                    entry.get("id").and_then(Value::as_str)?,
                    auth_state_from_code(entry.get("authState")),
                ),
                Value::String(id) => (id.as_str(), AuthenticatedState::Unknown),
                _ => return None,
            };
            if id.is_empty() {
                return None;
            }
            // The generated builder: a field the spec gains later starts out unset.
            CustomerId::builder()
                .id(id)
                .integration_code(code.as_str())
                .authenticated_state(state)
                .try_into()
                .ok()
        })
        .collect()
}
