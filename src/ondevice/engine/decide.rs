//! Deciding a request against the artifact: which rules match each mbox, view and page load,
//! and what the response, notifications and trace look like. Mirrors the decisions of the
//! other Target SDKs; the conformance suite is the judge.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{Map, Value, json};

use super::allocation::{allocation, visitor_key};
use super::artifact::{Artifact, Rule, js_key};
use super::context::{MboxContext, RequestContext, UrlContext};
use super::rules::{self, Data, Val};
use crate::delivery::types::{
    Address, DeliveryRequest, DeliveryResponse, ExecuteResponse, MboxRequest, MboxResponse, Metric,
    MetricType, Notification, NotificationMbox, OfferOption, OptionType, PageLoadResponse,
    Parameters, PrefetchMboxResponse, PrefetchResponse, ResponseTokens, TraceResponse, View,
};

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
}

/// The outcome of an on-device decision.
#[derive(Debug)]
pub(crate) struct Decision {
    pub(crate) response: DeliveryResponse,
    /// Display notifications for executed content, to send in the background.
    pub(crate) notifications: Vec<Notification>,
    pub(crate) remote_mboxes: Vec<String>,
    pub(crate) remote_views: Vec<String>,
}

/// Which requested mboxes and views the artifact cannot decide.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RemoteDependency {
    pub(crate) mboxes: Vec<String>,
    pub(crate) views: Vec<String>,
}

impl RemoteDependency {
    pub(crate) fn needed(&self) -> bool {
        !self.mboxes.is_empty() || !self.views.is_empty()
    }
}

/// The requested names the server must decide, once each: those the artifact lists as remote,
/// then those it does not list as local.
fn needing_server(requested: &[&str], remote: &[String], local: &[String]) -> Vec<String> {
    let remote = remote
        .iter()
        .map(String::as_str)
        .filter(|r| requested.contains(r));
    let unknown = requested
        .iter()
        .copied()
        .filter(|r| !local.iter().any(|l| l == r));
    unique(remote.chain(unknown))
}

/// `names` without repeats, in first-seen order.
fn unique<'n>(names: impl Iterator<Item = &'n str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        if !seen.iter().any(|n| n == name) {
            seen.push(name.to_owned());
        }
    }
    seen
}

/// Mboxes in `remoteMboxes` or not in `localMboxes` need the server; so do views likewise, and
/// every remote view when views are asked for without names. The page load counts as the global mbox.
pub(crate) fn remote_dependency(
    artifact: &Artifact,
    request: &DeliveryRequest,
) -> RemoteDependency {
    let mut requested: Vec<&str> = Vec::new();
    for mode_mboxes in [
        request.execute.as_ref().map(|e| &e.mboxes),
        request.prefetch.as_ref().map(|p| &p.mboxes),
    ] {
        requested.extend(mode_mboxes.into_iter().flatten().map(|m| m.name.as_str()));
    }
    let page_load = request
        .execute
        .as_ref()
        .is_some_and(|e| e.page_load.is_some())
        || request
            .prefetch
            .as_ref()
            .is_some_and(|p| p.page_load.is_some());
    if page_load {
        requested.push(&artifact.global_mbox);
    }
    let view_requests = request
        .prefetch
        .as_ref()
        .map(|p| p.views.as_slice())
        .unwrap_or_default();
    let named: Vec<&str> = view_requests
        .iter()
        .filter_map(|v| v.name.as_deref())
        .filter(|n| !n.is_empty())
        .collect();
    let mboxes = needing_server(&requested, &artifact.remote_mboxes, &artifact.local_mboxes);
    let views = if !view_requests.is_empty() && named.is_empty() {
        // Views asked for without names: every remote view.
        unique(artifact.remote_views.iter().map(String::as_str))
    } else {
        needing_server(&named, &artifact.remote_views, &artifact.local_views)
    };
    RemoteDependency { mboxes, views }
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
struct RuleData<'a> {
    base: &'a RequestContext,
    page: Option<&'a UrlContext>,
    mbox: &'a MboxContext<'a>,
    allocation: Allocation<'a>,
}

/// The visitor's allocation for one activity, computed on first use and remembered for the
/// request.
struct Allocation<'a> {
    client: &'a str,
    activity_id: &'a str,
    visitor_key: &'a str,
    known: &'a RefCell<HashMap<String, f64>>,
}

impl Allocation<'_> {
    fn get(&self) -> f64 {
        if let Some(value) = self.known.borrow().get(self.activity_id) {
            return *value;
        }
        let value = allocation(self.client, self.activity_id, self.visitor_key);
        self.known
            .borrow_mut()
            .insert(self.activity_id.to_owned(), value);
        value
    }
}

impl Data for RuleData<'_> {
    fn lookup(&self, path: &[String]) -> Option<Val<'_>> {
        match path.split_first()? {
            (first, []) if first == "allocation" => Some(Val::Num(self.allocation.get())),
            (first, rest) if first == "mbox" => self.mbox.lookup(rest),
            _ => self.base.lookup(path, self.page),
        }
    }
}

impl RuleData<'_> {
    /// The whole rule context as JSON, as traces show it.
    fn to_json(&self) -> Value {
        let mut map = self.base.to_json(self.page);
        map.insert("mbox".to_owned(), self.mbox.json().clone());
        map.insert("allocation".to_owned(), json!(self.allocation.get()));
        Value::Object(map)
    }
}

/// A matched (or blank) result for one item while post-processing.
struct Shaped {
    name: Option<String>,
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
    context: RequestContext,
    visitor_key: String,
    property_token: Option<&'a str>,
    base_tokens: Map<String, Value>,
    tracing: bool,
    allocations: RefCell<HashMap<String, f64>>,
    notifications: Vec<Notification>,
    notified: HashSet<String>,
    timestamp: i64,
}

/// Decides `input.request` on-device.
pub(crate) fn decide(input: &DecideInput<'_>) -> Decision {
    let request = input.request;
    let context = RequestContext::new(&request.context, input.now);
    let mut decider = Decider {
        base_tokens: base_response_tokens(input.artifact, &context),
        context,
        visitor_key: visitor_key(request.id.as_ref()).unwrap_or_else(|| (input.new_id)()),
        property_token: request
            .property
            .as_ref()
            .map(|p| p.token.as_str())
            .filter(|t| !t.is_empty()),
        tracing: request.trace.is_some(),
        allocations: RefCell::new(HashMap::new()),
        notifications: Vec::new(),
        notified: HashSet::new(),
        timestamp: input.now.timestamp_millis(),
        input,
    };
    let dependency = remote_dependency(input.artifact, request);

    let execute = request.execute.as_ref().map(|execute| {
        let mut tracer = Tracer::default();
        let mboxes = decider
            .mboxes(Mode::Execute, &mut tracer, &execute.mboxes)
            .into_iter()
            .map(mbox_response)
            .collect();
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
        let mboxes = decider
            .mboxes(Mode::Prefetch, &mut tracer, &prefetch.mboxes)
            .into_iter()
            .map(prefetch_mbox_response)
            .collect();
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

    let response = DeliveryResponse {
        status: Some(if dependency.needed() { 206 } else { 200 }),
        request_id: request.request_id.clone(),
        id: request.id.clone(),
        client: Some(input.client.to_owned()),
        execute,
        prefetch,
        ..DeliveryResponse::default()
    };
    Decision {
        response,
        notifications: decider.notifications,
        remote_mboxes: dependency.mboxes,
        remote_views: dependency.views,
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

/// `activity.decisioningMethod` and the geo tokens the artifact asks for.
fn base_response_tokens(artifact: &Artifact, context: &RequestContext) -> Map<String, Value> {
    let mut tokens = Map::new();
    tokens.insert("activity.decisioningMethod".to_owned(), json!("on-device"));
    for (token, key) in [
        ("geo.city", "city"),
        ("geo.country", "country"),
        ("geo.state", "region"),
        ("geo.latitude", "latitude"),
        ("geo.longitude", "longitude"),
    ] {
        if artifact.response_tokens.iter().any(|t| t == token)
            && let Some(value) = context.geo.value(key)
        {
            tokens.insert(token.to_owned(), value);
        }
    }
    tokens
}

impl<'a> Decider<'a> {
    /// Evaluates one rule for one item; the shaped consequence when it matches.
    fn evaluate(
        &mut self,
        mode: Mode,
        tracer: &mut Tracer,
        rule: &'a Rule,
        item: &Detail<'_>,
    ) -> Option<Shaped> {
        let data = RuleData {
            base: &self.context,
            page: item.page(),
            mbox: item.mbox(),
            allocation: Allocation {
                client: self.input.client,
                activity_id: &rule.activity_id,
                visitor_key: &self.visitor_key,
                known: &self.allocations,
            },
        };
        let satisfied = rules::matches(&rule.condition, &data);
        if self.tracing {
            trace_rule(tracer, rule, &data, satisfied, &self.input.artifact.meta);
        }
        if !satisfied {
            return None;
        }
        let consequence = &rule.consequence;
        let mut shaped = Shaped {
            name: consequence.name.clone(),
            index: item.index,
            options: consequence.options.clone(),
            metrics: consequence.metrics.clone(),
            trace: None,
        };
        match mode {
            Mode::Execute => {
                self.notify(tracer, rule, &shaped);
                shaped
                    .options
                    .retain(|o| o.type_.is_some() || o.content.is_some());
                for option in &mut shaped.options {
                    option.event_token = None;
                }
                shaped
                    .metrics
                    .retain(|m| m.type_ == Some(MetricType::Click));
            }
            Mode::Prefetch => {
                let metrics = &shaped.metrics;
                for (i, option) in shaped.options.iter_mut().enumerate() {
                    if option.event_token.is_none()
                        && let Some(metric) = metrics
                            .get(i)
                            .filter(|m| m.type_ == Some(MetricType::Display))
                    {
                        option.event_token = metric.event_token.clone();
                    }
                }
                if item.kind != Kind::View {
                    shaped.metrics.clear();
                }
            }
        }
        let mut tokens = rule.response_tokens.clone();
        tokens.extend(self.base_tokens.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some((last, rest)) = shaped.options.split_last_mut() {
            for option in rest {
                option.response_tokens = Some(ResponseTokens(tokens.clone()));
            }
            last.response_tokens = Some(ResponseTokens(tokens));
        }
        for option in &mut shaped.options {
            replace_macros(option, rule, item);
        }
        if self.tracing {
            shaped.trace = Some(self.trace_result(tracer));
        }
        if item.page_load {
            shaped.index = None;
            shaped.name = None;
        }
        Some(shaped)
    }

    /// A display notification for the executed options' event tokens (each token once per mbox).
    fn notify(&mut self, tracer: &mut Tracer, rule: &Rule, shaped: &Shaped) {
        let name = shaped.name.clone().unwrap_or_default();
        let tokens: Vec<String> = shaped
            .options
            .iter()
            .filter_map(|o| o.event_token.clone())
            .filter(|token| self.notified.insert(format!("{name}-{token}")))
            .collect();
        if tokens.is_empty() {
            return;
        }
        let built = Notification::builder()
            .id((self.input.new_id)())
            .impression_id(Some((self.input.new_id)()))
            .timestamp(self.timestamp)
            .type_(MetricType::Display)
            .mbox(Some(NotificationMbox {
                name: Some(name),
                ..NotificationMbox::default()
            }))
            .tokens(tokens)
            .try_into();
        // Every required field is set above, so the builder cannot refuse.
        let Ok(notification): Result<Notification, _> = built else {
            tracing::error!("a display notification could not be built");
            return;
        };
        if self.tracing
            && let Some((_, campaign)) = tracer
                .campaigns
                .iter_mut()
                .find(|(id, _)| *id == rule.activity_id)
        {
            let list = campaign
                .entry("notifications")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(serde_json::to_value(&notification).unwrap_or_default());
            }
        }
        self.notifications.push(notification);
    }

    /// Every requested mbox of one mode, in request order.
    fn mboxes(&mut self, mode: Mode, tracer: &mut Tracer, mboxes: &[MboxRequest]) -> Vec<Shaped> {
        let mut shaped = Vec::with_capacity(mboxes.len());
        for m in mboxes {
            let item = detail(
                Kind::Mbox,
                Some(&m.name),
                m.index,
                m.address.as_ref(),
                m.parameters.as_ref(),
                m,
            );
            shaped.extend(self.mbox(mode, tracer, &item));
        }
        shaped
    }

    /// An mbox (or the page load as the global mbox): the first matching rule, or for the global
    /// mbox the first matching rule of every activity; a blank result when nothing matches.
    fn mbox(&mut self, mode: Mode, tracer: &mut Tracer, item: &Detail<'_>) -> Vec<Shaped> {
        let artifact = self.input.artifact;
        let name = item.name.unwrap_or_default();
        let is_global = name == artifact.global_mbox;
        if self.tracing {
            self.trace_request(tracer, mode, "mbox", item);
        }
        let mut results = Vec::new();
        let mut matched_keys: HashSet<&str> = HashSet::new();
        for rule in artifact
            .mbox_rules
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if !rule.applies_to(self.property_token)
                || (is_global && matched_keys.contains(rule.key.as_str()))
            {
                continue;
            }
            if let Some(shaped) = self.evaluate(mode, tracer, rule, item) {
                results.push(shaped);
                matched_keys.insert(rule.key.as_str());
                if !is_global {
                    break;
                }
            }
        }
        if !is_global && results.is_empty() {
            let trace = self.tracing.then(|| self.trace_result(tracer));
            results.push(Shaped {
                name: Some(name.to_owned()),
                index: item.index,
                options: Vec::new(),
                metrics: Vec::new(),
                trace,
            });
        }
        results
    }

    /// The page load: the global mbox's options from every matching activity.
    fn page_load(
        &mut self,
        mode: Mode,
        tracer: &mut Tracer,
        details: &crate::delivery::types::RequestDetails,
    ) -> PageLoadResponse {
        let global = self.input.artifact.global_mbox.clone();
        let item = Detail {
            page_load: true,
            ..detail(
                Kind::Mbox,
                Some(&global),
                None,
                details.address.as_ref(),
                details.parameters.as_ref(),
                details,
            )
        };
        let results = self.mbox(mode, tracer, &item);
        let trace = results.iter().rev().find_map(|r| r.trace.clone());
        let mut metrics: Vec<Metric> = Vec::new();
        for metric in results.iter().flat_map(|r| r.metrics.iter()) {
            match metrics
                .iter_mut()
                .find(|m| m.event_token == metric.event_token)
            {
                Some(existing) => *existing = metric.clone(),
                None => metrics.push(metric.clone()),
            }
        }
        PageLoadResponse {
            options: results.into_iter().flat_map(|r| r.options).collect(),
            metrics,
            trace,
            ..PageLoadResponse::default()
        }
    }

    /// Views (prefetch only): every matching rule of the named view, or of all views, merged by
    /// view name.
    fn views(&mut self, tracer: &mut Tracer, item: &Detail<'_>) -> Vec<Shaped> {
        let artifact = self.input.artifact;
        if self.tracing {
            self.trace_request(tracer, Mode::Prefetch, "view", item);
        }
        let rules: Vec<&'a Rule> = match item.name.filter(|n| !n.is_empty()) {
            Some(name) => artifact
                .view_rules
                .iter()
                .filter(|(n, _)| n == name)
                .flat_map(|(_, r)| r)
                .collect(),
            None => artifact.view_rules.iter().flat_map(|(_, r)| r).collect(),
        };
        let mut merged: Vec<Shaped> = Vec::new();
        let mut matched_keys: HashSet<&str> = HashSet::new();
        for rule in rules {
            if !rule.applies_to(self.property_token) || matched_keys.contains(rule.key.as_str()) {
                continue;
            }
            let Some(shaped) = self.evaluate(Mode::Prefetch, tracer, rule, item) else {
                continue;
            };
            matched_keys.insert(rule.key.as_str());
            match merged.iter_mut().find(|m| m.name == shaped.name) {
                Some(existing) => {
                    existing.options.extend(shaped.options);
                    existing.metrics.extend(shaped.metrics);
                }
                None => merged.push(shaped),
            }
        }
        merged
    }

    fn trace_request(&self, tracer: &mut Tracer, mode: Mode, kind: &str, item: &Detail<'_>) {
        let page = &self.context.page;
        let mut request = Map::new();
        request.insert("pageURL".to_owned(), json!(page.url()));
        request.insert("host".to_owned(), json!(page.domain()));
        let mut described = item.json().clone();
        if let Value::Object(map) = &mut described {
            map.insert("type".to_owned(), json!(mode.as_str()));
        }
        request.insert(kind.to_owned(), described);
        tracer.request = request;
    }

    fn trace_result(&self, tracer: &Tracer) -> TraceResponse {
        let request = self.input.request;
        let mut visitor = serde_json::to_value(&request.id).unwrap_or_default();
        if let (Value::Object(map), Some(tnt_id)) = (
            &mut visitor,
            request.id.as_ref().and_then(|id| id.tnt_id.as_deref()),
        ) {
            let mut parts = tnt_id.splitn(2, '.');
            map.insert("tntId".to_owned(), json!(parts.next()));
            if let Some(location) = parts.next() {
                map.insert("profileLocation".to_owned(), json!(location));
            }
        }
        let mut request_trace = Map::new();
        request_trace.insert("sessionId".to_owned(), json!(self.input.session_id));
        request_trace.extend(tracer.request.clone());
        let campaigns: Vec<Value> = tracer
            .campaigns
            .iter()
            .map(|(_, c)| Value::Object(c.clone()))
            .collect();
        let targets: Vec<Value> = tracer
            .targets
            .iter()
            .map(|(_, t)| {
                json!({
                    "context": t.context,
                    "campaignId": t.campaign_id,
                    "campaignType": t.campaign_type,
                    "matchedSegmentIds": t.matched_segments,
                    "unmatchedSegmentIds": t.unmatched_segments,
                    "matchedRuleConditions": t.matched_conditions,
                    "unmatchedRuleConditions": t.unmatched_conditions,
                })
            })
            .collect();
        let mut trace = Map::new();
        trace.insert("clientCode".to_owned(), json!(self.input.client));
        trace.insert("artifact".to_owned(), self.input.artifact_trace.clone());
        trace.insert("profile".to_owned(), json!({"visitorId": visitor}));
        trace.insert("request".to_owned(), Value::Object(request_trace));
        trace.insert("campaigns".to_owned(), Value::Array(campaigns));
        trace.insert("evaluatedCampaignTargets".to_owned(), Value::Array(targets));
        TraceResponse(trace)
    }
}

/// Records an evaluated rule in the trace: the campaign when it matched first, and the audience
/// targets it was evaluated against.
fn trace_rule(
    tracer: &mut Tracer,
    rule: &Rule,
    data: &RuleData<'_>,
    satisfied: bool,
    artifact_meta: &Map<String, Value>,
) {
    let meta = &rule.meta;
    let activity = rule.activity_id.clone();
    if satisfied && !tracer.campaigns.iter().any(|(id, _)| *id == activity) {
        let mut campaign = Map::new();
        campaign.insert(
            "id".to_owned(),
            meta.get("activity.id").cloned().unwrap_or(Value::Null),
        );
        campaign.insert(
            "campaignType".to_owned(),
            meta.get("activity.type").cloned().unwrap_or(Value::Null),
        );
        campaign.insert(
            "branchId".to_owned(),
            meta.get("experience.id").cloned().unwrap_or(Value::Null),
        );
        let offers: Vec<Value> = meta
            .get("offer.id")
            .filter(|v| !v.is_null())
            .cloned()
            .into_iter()
            .collect();
        campaign.insert("offers".to_owned(), Value::Array(offers));
        campaign.insert(
            "environment".to_owned(),
            artifact_meta
                .get("environment")
                .cloned()
                .unwrap_or(Value::Null),
        );
        tracer.campaigns.push((activity.clone(), campaign));
    }
    let position = match tracer.targets.iter().position(|(id, _)| *id == activity) {
        Some(position) => position,
        None => {
            tracer.targets.push((
                activity,
                Target {
                    context: data.to_json(),
                    campaign_id: meta.get("activity.id").cloned().unwrap_or(Value::Null),
                    campaign_type: meta.get("activity.type").cloned().unwrap_or(Value::Null),
                    matched_segments: Vec::new(),
                    unmatched_segments: Vec::new(),
                    matched_conditions: Vec::new(),
                    unmatched_conditions: Vec::new(),
                },
            ));
            tracer.targets.len() - 1
        }
    };
    let Some((_, target)) = tracer.targets.get_mut(position) else {
        return;
    };
    let segments = if satisfied {
        &mut target.matched_segments
    } else {
        &mut target.unmatched_segments
    };
    for audience in meta
        .get("audience.ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !segments.contains(audience) {
            segments.push(audience.clone());
        }
    }
    let conditions = if satisfied {
        &mut target.matched_conditions
    } else {
        &mut target.unmatched_conditions
    };
    conditions.push(rule.condition_json.clone());
}

#[allow(
    clippy::expect_used,
    reason = "the never-matching fallback is a constant"
)]
static MACRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\$\{([a-zA-Z0-9_.]*?)\}").unwrap_or_else(|_| Regex::new("$^").expect("valid"))
});
#[allow(
    clippy::expect_used,
    reason = "the never-matching fallback is a constant"
)]
static MACRO_RENAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)campaign|recipe").unwrap_or_else(|_| Regex::new("$^").expect("valid"))
});

/// Campaign macros in HTML and action content: `${activity.name}`, `${mbox.param}`, ... from the
/// rule's meta, the request item, or its parameters; unknown macros stay as written.
fn replace_macros(option: &mut OfferOption, rule: &Rule, item: &Detail<'_>) {
    match option.type_ {
        Some(OptionType::Html) => {
            if let Some(Value::String(content)) = &mut option.content {
                expand(content, rule, item);
            }
        }
        Some(OptionType::Actions) => {
            if let Some(Value::Array(actions)) = &mut option.content {
                for action in actions {
                    if let Some(Value::String(content)) = action.get_mut("content") {
                        expand(content, rule, item);
                    }
                }
            }
        }
        _ => {}
    }
}

fn expand(content: &mut String, rule: &Rule, item: &Detail<'_>) {
    if !content.contains("${") {
        return;
    }
    let replaced = MACRO.replace_all(content, |captures: &regex::Captures<'_>| {
        let whole = captures.get(0).map_or("", |m| m.as_str()).to_owned();
        let key = captures.get(1).map_or("", |m| m.as_str());
        let renamed = MACRO_RENAMES.replace_all(key, |m: &regex::Captures<'_>| {
            if m.get(0)
                .is_some_and(|m| m.as_str().eq_ignore_ascii_case("campaign"))
            {
                "activity"
            } else {
                "experience"
            }
        });
        let parts: Vec<&str> = renamed.split('.').collect();
        // The last two parts.
        let parts = parts
            .get(parts.len().saturating_sub(2)..)
            .unwrap_or_default();
        let key = parts
            .iter()
            .filter(|p| **p != "mbox")
            .copied()
            .collect::<Vec<_>>()
            .join(".");
        let detail = item.json();
        let parameters = detail.get("parameters");
        [
            Some(&rule.meta),
            detail.as_object(),
            parameters.and_then(Value::as_object),
        ]
        .into_iter()
        .flatten()
        .find_map(|haystack| haystack.get(&key))
        .map_or(whole, js_key)
    });
    *content = replaced.into_owned();
}

fn mbox_response(shaped: Shaped) -> MboxResponse {
    MboxResponse {
        name: shaped.name,
        index: shaped.index,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..MboxResponse::default()
    }
}

fn prefetch_mbox_response(shaped: Shaped) -> PrefetchMboxResponse {
    PrefetchMboxResponse {
        name: shaped.name,
        index: shaped.index,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..PrefetchMboxResponse::default()
    }
}

fn view_response(shaped: Shaped) -> View {
    View {
        name: shaped.name,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..View::default()
    }
}
