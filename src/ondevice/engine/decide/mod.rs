//! Deciding a request against the artifact: which rules match each mbox, view and page load,
//! and what the response, notifications and trace look like. Mirrors the decisions of the
//! other Target SDKs; the conformance suite is the judge.

mod decider;
mod dependency;
mod explain;
mod macros;
mod response;
mod trace;

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::allocation::{VisitorBuckets, visitor_key};
use super::artifact::{Artifact, Rule, js_key};
use super::context::{MboxContext, RequestContext, UrlContext};
use super::rules::{self, Data, Root, Val, VarPath};
use crate::delivery::shared::TokenOverlay;
use crate::delivery::types::{
    Address, DeliveryRequest, DeliveryResponse, ExecuteResponse, ItemName, MboxRequest,
    MboxResponse, Metric, MetricType, Notification, NotificationMbox, OfferOption, OptionType,
    PageLoadResponse, Parameters, PrefetchMboxResponse, PrefetchResponse, TraceResponse, View,
};

pub(crate) use dependency::remote_dependency;
pub use explain::{Explanation, RuleOutcome};
use macros::replace_macros;
use response::{mbox_response, prefetch_mbox_response, view_response};
use trace::trace_rule;

/// What a decision needs besides the artifact and the request.
pub(crate) struct DecideInput<'a> {
    pub(crate) artifact: &'a Artifact,
    /// The client code (allocation hashes it).
    pub(crate) client: &'a str,
    /// The request, with a visitor id and request id already filled in.
    pub(crate) request: &'a DeliveryRequest,
    pub(crate) session_id: &'a str,
    pub(crate) now: DateTime<Utc>,
    /// The `artifact` part of a trace (location, polling, version...).
    pub(crate) artifact_trace: &'a Value,
    /// Makes notification and impression ids.
    pub(crate) new_id: &'a dyn Fn() -> String,
    /// Hybrid routing already found that the artifact decides every item of `request`, so the
    /// remote dependency is not computed again.
    pub(crate) known_local: bool,
    /// Record every rule evaluated, for [`Explanation`].
    pub(crate) explain: bool,
}

/// The outcome of an on-device decision.
#[derive(Debug)]
pub(crate) struct Decision {
    pub(crate) response: Box<DeliveryResponse>,
    /// Display notifications for executed content, to send in the background.
    pub(crate) notifications: Vec<Notification>,
    pub(crate) remote_mboxes: Vec<String>,
    pub(crate) remote_views: Vec<String>,
    /// Every rule evaluated, when the input asked for it.
    pub(crate) explanation: Option<Explanation>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Execute,
    Prefetch,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Execute => "execute",
            Self::Prefetch => "prefetch",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mbox,
    View,
}

/// One mbox, view or page load of the request.
struct Detail<'r> {
    kind: Kind,
    name: Option<&'r str>,
    index: Option<i32>,
    address: Option<&'r Address>,
    parameters: Option<&'r Parameters>,
    /// The request item as JSON, for macros and traces; made on first use.
    json: OnceCell<Value>,
    source: &'r dyn erased::ToJson,
    /// `page` (and `referring`) from the item's own address, when it has one.
    page: OnceCell<Option<UrlContext>>,
    /// `mbox.*` from the item's parameters.
    mbox: OnceCell<MboxContext<'r>>,
    /// The page load: results lose their name, index and trace.
    page_load: bool,
}

mod erased {
    /// Serializes a request item (mbox, view or page load) on demand.
    pub(super) trait ToJson {
        fn to_json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> ToJson for T {
        fn to_json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

impl<'r> Detail<'r> {
    fn page(&self) -> Option<&UrlContext> {
        self.page
            .get_or_init(|| {
                self.address
                    .map(|address| UrlContext::new(address.url.as_deref()))
            })
            .as_ref()
    }

    fn mbox(&self) -> &MboxContext<'r> {
        self.mbox.get_or_init(|| MboxContext::new(self.parameters))
    }

    fn json(&self) -> &Value {
        self.json.get_or_init(|| {
            let mut value = self.source.to_json();
            if let (Value::Object(map), Some(name)) = (&mut value, self.name)
                && !map.contains_key("name")
            {
                map.insert("name".to_owned(), Value::String(name.to_owned()));
            }
            value
        })
    }
}

/// The values rules read: the request context, with the item's page, parameters and the
/// visitor's allocation for the rule's activity (hashed only when a rule reads it).
struct RuleData<'a, 'r> {
    base: &'a RequestContext<'a>,
    /// The item: its page and `mbox.*` parameters are read from it when a rule first reads them.
    item: &'a Detail<'r>,
    allocation: Allocation<'a>,
}

/// The visitor's allocation for one activity, computed on first use and remembered for the
/// request (by the activity's number: a request meets a handful of activities).
struct Allocation<'a> {
    rule: &'a Rule,
    client: &'a str,
    visitor_key: &'a str,
    buckets: &'a OnceCell<VisitorBuckets>,
    known: &'a RefCell<Vec<(usize, f64)>>,
}

impl Allocation<'_> {
    fn get(&self) -> f64 {
        let activity = self.rule.activity;
        if let Some((_, value)) = self.known.borrow().iter().find(|(a, _)| *a == activity) {
            return *value;
        }
        let buckets = self
            .buckets
            .get_or_init(|| VisitorBuckets::new(self.client, self.visitor_key));
        let value = buckets.allocation(&self.rule.activity_hashed);
        self.known.borrow_mut().push((activity, value));
        value
    }
}

impl Data for RuleData<'_, '_> {
    fn lookup(&self, path: &[String]) -> Option<Val<'_>> {
        self.read(Root::of(path), path)
    }

    fn lookup_var(&self, var: &VarPath) -> Option<Val<'_>> {
        match var.root {
            Root::Mbox => self.item.mbox().lookup_param(
                var.param.as_ref(),
                var.segments.get(1..).unwrap_or_default(),
            ),
            root => self.read(root, &var.segments),
        }
    }
}

impl RuleData<'_, '_> {
    /// The value at `path`, which reads `root`.
    fn read(&self, root: Root, path: &[String]) -> Option<Val<'_>> {
        match root {
            Root::Allocation => Some(Val::Num(self.allocation.get())),
            Root::Mbox => self.item.mbox().lookup(path.get(1..).unwrap_or_default()),
            Root::Other => self.base.lookup(path, self.item.page()),
        }
    }

    /// The whole rule context as JSON, as traces show it.
    fn to_json(&self) -> Value {
        let mut map = self.base.to_json(self.item.page());
        map.insert("mbox".to_owned(), self.item.mbox().json().clone());
        map.insert("allocation".to_owned(), json!(self.allocation.get()));
        Value::Object(map)
    }
}

/// A matched (or blank) result for one item while post-processing.
struct Shaped {
    name: Option<ItemName>,
    index: Option<i32>,
    options: Vec<OfferOption>,
    metrics: Vec<Metric>,
    trace: Option<TraceResponse>,
}

/// Trace bookkeeping for one mode (execute or prefetch), as the other SDKs keep it.
#[derive(Default)]
struct Tracer {
    request: Map<String, Value>,
    campaigns: Vec<(String, Map<String, Value>)>,
    targets: Vec<(String, Target)>,
}

struct Target {
    context: Value,
    campaign_id: Value,
    campaign_type: Value,
    matched_segments: Vec<Value>,
    unmatched_segments: Vec<Value>,
    matched_conditions: Vec<Value>,
    unmatched_conditions: Vec<Value>,
}

struct Decider<'a> {
    input: &'a DecideInput<'a>,
    context: RequestContext<'a>,
    /// Borrowed from the request's id; made up when the visitor has none.
    visitor_key: Cow<'a, str>,
    /// The visitor's hashed id, prepared on the first allocation a rule reads.
    buckets: OnceCell<VisitorBuckets>,
    property_token: Option<&'a str>,
    /// The visitor's geo tokens, when the artifact asks for some and the visitor has them:
    /// laid over each matching rule's tokens, shared by all.
    geo_tokens: Option<TokenOverlay>,
    tracing: bool,
    explanation: Option<Explanation>,
    allocations: RefCell<Vec<(usize, f64)>>,
    notifications: Vec<Notification>,
    timestamp: i64,
}

/// Decides `input.request` on-device.
pub(crate) fn decide(input: &DecideInput<'_>) -> Decision {
    let request = input.request;
    let context = RequestContext::new(&request.context, input.now);
    let mut decider = Decider {
        geo_tokens: geo_response_tokens(input.artifact, &context),
        context,
        visitor_key: visitor_key(request.id.as_ref())
            .map_or_else(|| Cow::Owned((input.new_id)()), Cow::Borrowed),
        property_token: request
            .property
            .as_ref()
            .map(|p| p.token.as_str())
            .filter(|t| !t.is_empty()),
        tracing: request.trace.is_some(),
        explanation: input.explain.then(Explanation::default),
        allocations: RefCell::new(Vec::new()),
        buckets: OnceCell::new(),
        notifications: Vec::new(),
        timestamp: input.now.timestamp_millis(),
        input,
    };
    let dependency = if input.known_local {
        dependency::RemoteDependency::default()
    } else {
        remote_dependency(input.artifact, request)
    };

    let execute = request.execute.as_ref().map(|execute| {
        let mut tracer = Tracer::default();
        let mboxes = decider.mboxes(Mode::Execute, &mut tracer, &execute.mboxes, mbox_response);
        let page_load = execute
            .page_load
            .as_ref()
            .map(|p| decider.page_load(Mode::Execute, &mut tracer, p));
        ExecuteResponse {
            mboxes,
            page_load,
            ..ExecuteResponse::default()
        }
    });
    let prefetch = request.prefetch.as_ref().map(|prefetch| {
        let mut tracer = Tracer::default();
        let mboxes = decider.mboxes(
            Mode::Prefetch,
            &mut tracer,
            &prefetch.mboxes,
            prefetch_mbox_response,
        );
        let views = prefetch
            .views
            .iter()
            .flat_map(|v| {
                decider.views(
                    &mut tracer,
                    &detail(
                        Kind::View,
                        v.name.as_deref(),
                        None,
                        v.address.as_ref(),
                        v.parameters.as_ref(),
                        v,
                    ),
                )
            })
            .map(view_response)
            .collect();
        let page_load = prefetch
            .page_load
            .as_ref()
            .map(|p| decider.page_load(Mode::Prefetch, &mut tracer, p));
        PrefetchResponse {
            mboxes,
            views,
            page_load,
            ..PrefetchResponse::default()
        }
    });

    // Filled in on the heap, not built on the stack and copied into its box.
    let mut response = Box::<DeliveryResponse>::default();
    response.status = Some(if dependency.needed() { 206 } else { 200 });
    response.request_id = request.request_id.clone();
    response.id = request.id.clone();
    response.client = Some(input.client.to_owned());
    response.execute = execute;
    response.prefetch = prefetch;
    Decision {
        response,
        notifications: decider.notifications,
        remote_mboxes: dependency.mboxes,
        remote_views: dependency.views,
        explanation: decider.explanation,
    }
}

fn detail<'r>(
    kind: Kind,
    name: Option<&'r str>,
    index: Option<i32>,
    address: Option<&'r Address>,
    parameters: Option<&'r Parameters>,
    source: &'r dyn erased::ToJson,
) -> Detail<'r> {
    Detail {
        kind,
        name,
        index,
        address,
        parameters,
        json: OnceCell::new(),
        source,
        page: OnceCell::new(),
        mbox: OnceCell::new(),
        page_load: false,
    }
}

/// The geo tokens the artifact asks for, with the visitor's values (`None` when the visitor
/// has none of them): every token listed, in the artifact's key order, so the overlay is made
/// in one allocation of the exact size.
fn geo_response_tokens(artifact: &Artifact, context: &RequestContext) -> Option<TokenOverlay> {
    let tokens = &artifact.geo_tokens;
    tokens.iter().any(|(_, key)| context.geo.has(key)).then(|| {
        tokens
            .iter()
            .map(|(token, key)| (*token, context.geo.value(key)))
            .collect()
    })
}
