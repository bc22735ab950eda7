//! The trace of a decision, as the other SDKs record it.

use super::*;

/// Records an evaluated rule in the trace: the campaign when it matched first, and the audience
/// targets it was evaluated against.
pub(super) fn trace_rule(
    tracer: &mut Tracer,
    rule: &Rule,
    data: &RuleData<'_, '_>,
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
