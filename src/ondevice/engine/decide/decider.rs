//! The decider: each rule of each requested item evaluated, consequences shaped, notifications
//! and traces recorded.

use std::sync::LazyLock;

use super::*;

/// A display notification with nothing else set, every field the spec gains later included:
/// built once through the generated builder (which checks the required fields), then cloned
/// (no allocation: its strings are empty) and filled in per notification, without the builder's
/// moves of its whole state and its placeholder error strings.
static DISPLAY_NOTIFICATION: LazyLock<Option<Notification>> = LazyLock::new(|| {
    Notification::builder()
        .id(String::new())
        .timestamp(0)
        .type_(MetricType::Display)
        .try_into()
        .inspect_err(|error| tracing::error!(%error, "the display notification template"))
        .ok()
});

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
            item,
            allocation: Allocation {
                rule,
                client: self.input.client,
                visitor_key: &self.visitor_key,
                buckets: &self.buckets,
                known: &self.allocations,
            },
        };
        let satisfied = rules::matches(&rule.condition, &data);
        if self.tracing {
            trace_rule(tracer, rule, &data, satisfied, &self.input.artifact.meta);
        }
        if let Some(explanation) = &mut self.explanation {
            let location = item.name.unwrap_or_default();
            let how = (mode, item.kind, item.page_load);
            explain::record(explanation, how, location, rule, &data, satisfied);
        }
        satisfied.then(|| self.shape(mode, tracer, rule, item))
    }

    /// A matching rule's consequence, shaped for `mode`. Apart from [`Self::evaluate`], so the
    /// test of a rule that does not match, the common case, runs in a small frame.
    #[inline(never)]
    fn shape(
        &mut self,
        mode: Mode,
        tracer: &mut Tracer,
        rule: &'a Rule,
        item: &Detail<'_>,
    ) -> Shaped {
        let consequence = &rule.consequence;
        // Each mode copies what it returns, made at load (`Rule::executed`, `Rule::prefetched`).
        let (options, metrics) = match mode {
            Mode::Execute => {
                self.notify(tracer, rule);
                rule.executed.clone()
            }
            Mode::Prefetch => {
                let metrics = match item.kind {
                    Kind::View => consequence.metrics.clone(),
                    Kind::Mbox => Vec::new(),
                };
                (rule.prefetched.clone(), metrics)
            }
        };
        let mut shaped = Shaped {
            name: consequence.name.clone(),
            index: item.index,
            options,
            metrics,
            trace: None,
        };
        let tokens = match &self.geo_tokens {
            Some(geo) => rule.response_tokens.with_overlay(geo),
            None => rule.response_tokens.clone(),
        };
        for option in &mut shaped.options {
            option.response_tokens = Some(tokens.clone());
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
        shaped
    }

    /// A display notification for the executed options' event tokens (each token once per mbox).
    fn notify(&mut self, tracer: &mut Tracer, rule: &'a Rule) {
        let consequence = &rule.consequence;
        let name = consequence.name.as_deref().unwrap_or_default();
        // Each token once per mbox: not already in this mbox's notifications, nor in this one.
        let notified = |token: &str| {
            self.notifications.iter().any(|n| {
                n.mbox.as_ref().and_then(|m| m.name.as_deref()) == Some(name)
                    && n.tokens.iter().any(|t| t == token)
            })
        };
        let mut tokens: Vec<String> = Vec::new();
        for token in consequence
            .options
            .iter()
            .filter_map(|o| o.event_token.as_deref())
        {
            if !notified(token) && !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
        if tokens.is_empty() {
            return;
        }
        let Some(mut notification) = DISPLAY_NOTIFICATION.clone() else {
            tracing::error!("a display notification could not be built");
            return;
        };
        notification.id = (self.input.new_id)();
        notification.impression_id = Some((self.input.new_id)());
        notification.timestamp = self.timestamp;
        notification.mbox = Some(NotificationMbox {
            name: Some(name.to_owned()),
            ..NotificationMbox::default()
        });
        notification.tokens = tokens;
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
        if self.notifications.capacity() == 0 {
            // Most calls execute one mbox: room for one (496 bytes, not the four a first push
            // makes room for), and doubling from there.
            self.notifications.reserve_exact(1);
        }
        self.notifications.push(notification);
    }

    /// Every requested mbox of one mode, in request order, each result made a response by `to`
    /// as it is decided.
    pub(super) fn mboxes<T>(
        &mut self,
        mode: Mode,
        tracer: &mut Tracer,
        mboxes: &[MboxRequest],
        to: fn(Shaped) -> T,
    ) -> Vec<T> {
        let mut responses = Vec::with_capacity(mboxes.len());
        for m in mboxes {
            let item = detail(
                Kind::Mbox,
                Some(&m.name),
                m.index,
                m.address.as_ref(),
                m.parameters.as_ref(),
                m,
            );
            self.mbox(mode, tracer, &item, &mut |shaped| {
                responses.push(to(shaped))
            });
        }
        responses
    }

    /// An mbox (or the page load as the global mbox), each result given to `add`: the first
    /// matching rule, or for the global mbox the first matching rule of every activity; a blank
    /// result when nothing matches.
    fn mbox(
        &mut self,
        mode: Mode,
        tracer: &mut Tracer,
        item: &Detail<'_>,
        add: &mut dyn FnMut(Shaped),
    ) {
        let artifact = self.input.artifact;
        let name = item.name.unwrap_or_default();
        let is_global = name == artifact.global_mbox;
        if self.tracing {
            self.trace_request(tracer, mode, "mbox", item);
        }
        let mut found = false;
        let mut matched_keys: Vec<&str> = Vec::new();
        for rule in artifact
            .mbox_rules
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if !rule.applies_to(self.property_token)
                || (is_global && matched_keys.contains(&rule.key.as_str()))
            {
                continue;
            }
            if let Some(shaped) = self.evaluate(mode, tracer, rule, item) {
                add(shaped);
                found = true;
                if !is_global {
                    break;
                }
                matched_keys.push(rule.key.as_str());
            }
        }
        if !is_global && !found {
            let trace = self.tracing.then(|| self.trace_result(tracer));
            add(Shaped {
                name: Some(name.into()),
                index: item.index,
                options: Vec::new(),
                metrics: Vec::new(),
                trace,
            });
        }
    }

    /// The page load: the global mbox's options from every matching activity.
    pub(super) fn page_load(
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
        let mut results = Vec::new();
        self.mbox(mode, tracer, &item, &mut |shaped| results.push(shaped));
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
    pub(super) fn views(&mut self, tracer: &mut Tracer, item: &Detail<'_>) -> Vec<Shaped> {
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
        let mut matched_keys: Vec<&str> = Vec::new();
        for rule in rules {
            if !rule.applies_to(self.property_token) || matched_keys.contains(&rule.key.as_str()) {
                continue;
            }
            let Some(shaped) = self.evaluate(Mode::Prefetch, tracer, rule, item) else {
                continue;
            };
            matched_keys.push(rule.key.as_str());
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
        let page = self.context.page();
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
