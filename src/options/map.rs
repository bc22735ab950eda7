//! Options from the Python and Node.js SDKs' option maps (snake_case and camelCase keys).

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::call::call_timeout_invalid;
use super::validate::check_artifact_payload;
use super::{ClientOptions, GetOffersOptions, MAX_RETRIES_LIMIT, invalid};
use crate::delivery::types::{CustomerId, DecisioningMethod};
use crate::edge::EdgeCluster;
use crate::error::{Error, Result};
use crate::visitor::customer_id_map;

impl ClientOptions {
    /// Options from a map with the Python SDK's keys (`client`, `organization_id`, `timeout` in
    /// ms, `polling_interval` in seconds, ...); Node.js keys (`organizationId`, `pollingInterval`
    /// in ms, ...) work too. `logger` and `events` are accepted and ignored (use `tracing` and
    /// [`on_event`](Self::on_event)); any other unknown key is an error.
    ///
    /// ```
    /// use adobe_target::{ClientOptions, Error};
    /// use serde_json::json;
    /// let python = ClientOptions::from_map(json!({
    ///     "client": "acmeclient", "organization_id": "org@AdobeOrg", "timeout": 2000,
    ///     "decisioning_method": "hybrid", "polling_interval": 300,
    /// }))?;
    /// let node = ClientOptions::from_map(json!({
    ///     "client": "acmeclient", "organizationId": "org@AdobeOrg", "pollingInterval": 300000,
    /// }))?;
    /// let typo = ClientOptions::from_map(json!({"client": "acmeclient", "organisation_id": "x"}));
    /// assert!(matches!(typo, Err(Error::InvalidOptions { .. })));
    /// # let _ = (python, node);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_map(map: Value) -> Result<Self> {
        let Value::Object(map) = map else {
            return Err(invalid("options", "must be a JSON object"));
        };
        let client = optional_string(&map, &["client"])?.unwrap_or_default();
        let organization_id =
            optional_string(&map, &["organization_id", "organizationId"])?.unwrap_or_default();
        let mut options = Self::new(client, organization_id);
        for (key, value) in &map {
            let key = key.as_str();
            match key {
                "client" | "organization_id" | "organizationId" => {}
                "timeout" => options.timeout = Duration::from_millis(unsigned("timeout", value)?),
                "server_domain" | "serverDomain" => {
                    options.server_domain = nullable_string("server_domain", value)?
                }
                "target_location_hint" | "targetLocationHint" => {
                    options.target_location_hint = nullable_string("target_location_hint", value)?;
                }
                "secure" => options.secure = boolean("secure", value)?,
                "decisioning_method" | "decisioningMethod" => {
                    options.decisioning_method = decisioning_method(value)?;
                }
                "polling_interval" => {
                    options.polling_interval =
                        Duration::from_secs(unsigned("polling_interval", value)?);
                }
                "pollingInterval" => {
                    options.polling_interval =
                        Duration::from_millis(unsigned("polling_interval", value)?);
                }
                "maximum_wait_ready" | "maximumWaitReady" => {
                    options.maximum_wait_ready = match value.as_i64() {
                        Some(-1) => None,
                        Some(ms) if ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
                        _ => {
                            return Err(invalid(
                                "maximum_wait_ready",
                                "must be -1 (wait forever) or milliseconds >= 0",
                            ));
                        }
                    };
                }
                "artifact_location" | "artifactLocation" => {
                    options.artifact_location = nullable_string("artifact_location", value)?;
                }
                "artifact_format" | "artifactFormat" => {
                    options.artifact_format = nullable_string("artifact_format", value)?
                        .map(|format| format.parse())
                        .transpose()?;
                }
                "artifact_payload" | "artifactPayload" => {
                    options.artifact_payload = match value {
                        Value::Null => None,
                        payload => {
                            check_artifact_payload(payload)?;
                            Some(Arc::new(payload.clone()))
                        }
                    };
                }
                "environment_id" | "environmentId" => {
                    options.environment_id = match value {
                        Value::Null => None,
                        _ => Some(
                            value
                                .as_i64()
                                .ok_or_else(|| invalid("environment_id", "must be an integer"))?,
                        ),
                    };
                }
                "environment" => options.environment = string("environment", value)?,
                "cdn_environment" | "cdnEnvironment" => {
                    options.cdn_environment = string("cdn_environment", value)?
                }
                "cdn_base_path" | "cdnBasePath" => {
                    options.cdn_base_path = nullable_string("cdn_base_path", value)?
                }
                "telemetry_enabled" | "telemetryEnabled" => {
                    options.telemetry_enabled = boolean("telemetry_enabled", value)?;
                }
                "version" => options.version = nullable_string("version", value)?,
                "property_token" | "propertyToken" => {
                    options.property_token = nullable_string("property_token", value)?
                }
                "max_retries" | "maxRetries" => {
                    options.max_retries =
                        u32::try_from(unsigned("max_retries", value)?).map_err(|_| {
                            invalid(
                                "max_retries",
                                format!("must be at most {MAX_RETRIES_LIMIT}"),
                            )
                        })?;
                }
                "max_in_flight" | "maxInFlight" => {
                    let limit =
                        usize::try_from(unsigned("max_in_flight", value)?).unwrap_or(usize::MAX);
                    options.max_in_flight = Some(
                        NonZeroUsize::new(limit)
                            .ok_or_else(|| invalid("max_in_flight", "must be at least 1"))?,
                    );
                }
                "geo_lookup" | "geoLookup" => options.geo_lookup = boolean("geo_lookup", value)?,
                "logger" | "events" | "fetchApi" => {
                    tracing::debug!(
                        option = key,
                        "ignored: use tracing and ClientOptions::on_event in Rust"
                    );
                }
                other => {
                    return Err(Error::InvalidOptions {
                        option: other.to_owned(),
                        reason: "is not a known option".to_owned(),
                    });
                }
            }
        }
        Ok(options)
    }
}

impl<'de> serde::Deserialize<'de> for ClientOptions {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let map = Value::deserialize(deserializer)?;
        Self::from_map(map).map_err(serde::de::Error::custom)
    }
}

impl GetOffersOptions {
    /// Per-call options from a map with the Python SDK's keys (`request`, `target_cookie`,
    /// `target_location_hint`, `session_id`, `customer_ids`, `consumer_id`, `visitor_cookie`,
    /// `decisioning_method`, `timeout` in ms), or the Node.js camelCase ones. `customer_ids`
    /// is a list of `CustomerId`s or, as in the Node.js SDK, the ID service's map
    /// `{"<integrationCode>": {"id": ..., "authState": 0|1|2}}` (integer-like codes first,
    /// then by name).
    ///
    /// ```
    /// use adobe_target::GetOffersOptions;
    /// use serde_json::json;
    /// let options = GetOffersOptions::from_map(json!({
    ///     "request": {"execute": {"pageLoad": {}}},
    ///     "targetCookie": "session#abc#1900000000",
    ///     "visitorCookie": "MCMID|12345",
    ///     "customerIds": {"crm": {"id": "c-1024", "authState": 1}},
    ///     "consumerId": "hero",
    /// }))?;
    /// # let _ = options;
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn from_map(map: Value) -> Result<Self> {
        let Value::Object(map) = map else {
            return Err(Error::InvalidRequest("Options map is required".to_owned()));
        };
        let mut options = Self::default();
        for (key, value) in map {
            match key.as_str() {
                "request" => {
                    options.request = match value {
                        Value::Null => None,
                        value => Some({
                            validate_json(&value)?;
                            serde_json::from_value(value).map_err(|e| {
                                Error::InvalidRequest(format!(
                                    "request is not a valid DeliveryRequest: {e}"
                                ))
                            })?
                        }),
                    };
                }
                "target_cookie" | "targetCookie" => {
                    options.target_cookie = call_string(&key, value)?
                }
                "target_location_hint" | "targetLocationHint" | "locationHint" => {
                    options.target_location_hint = call_string(&key, value)?
                        .and_then(|hint| EdgeCluster::from_visitor(&hint, "target_location_hint"));
                }
                "session_id" | "sessionId" => options.session_id = call_string(&key, value)?,
                "consumer_id" | "consumerId" => options.consumer_id = call_string(&key, value)?,
                "customer_ids" | "customerIds" => {
                    options.customer_ids = match value {
                        Value::Null => None,
                        // The Node.js SDK's form, the ID service's: `{"crm": {"id": ..., "authState": 1}}`.
                        Value::Object(by_code) => Some(by_code),
                        list => {
                            let ids: Vec<CustomerId> = serde_json::from_value(list)
                                .map_err(|e| Error::InvalidRequest(format!("customer_ids: {e}")))?;
                            Some(customer_id_map(&ids))
                        }
                    };
                }
                "visitor_cookie" | "visitorCookie" => {
                    options.visitor_cookie = call_string(&key, value)?
                }
                "decisioning_method" | "decisioningMethod" => {
                    options.decisioning_method = Some(
                        decisioning_method(&value)
                            .map_err(|e| Error::InvalidRequest(e.to_string()))?,
                    );
                }
                "timeout" => {
                    let ms = value.as_u64().ok_or_else(call_timeout_invalid)?;
                    options.timeout = Some(Duration::from_millis(ms));
                }
                "visitor" | "callback" | "err_callback" => {
                    tracing::debug!(option = key.as_str(), "ignored per-call option");
                }
                other => {
                    return Err(Error::InvalidRequest(format!(
                        "unknown per-call option `{other}`"
                    )));
                }
            }
        }
        options.check()?;
        Ok(options)
    }
}

fn optional_string(map: &Map<String, Value>, keys: &[&str]) -> Result<Option<String>> {
    match keys.iter().find_map(|k| map.get(*k).map(|v| (*k, v))) {
        Some((key, value)) => nullable_string(key, value),
        None => Ok(None),
    }
}

fn string(option: &str, value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(option, "must be a string"))
}

fn nullable_string(option: &str, value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        _ => string(option, value).map(Some),
    }
}

fn call_string(option: &str, value: Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(Error::InvalidRequest(format!("{option} must be a string"))),
    }
}

fn boolean(option: &str, value: &Value) -> Result<bool> {
    value
        .as_bool()
        .ok_or_else(|| invalid(option, "must be true or false"))
}

fn unsigned(option: &str, value: &Value) -> Result<u64> {
    value
        .as_u64()
        .ok_or_else(|| invalid(option, "must be a non-negative integer"))
}

fn decisioning_method(value: &Value) -> Result<DecisioningMethod> {
    match value {
        Value::String(text) => text.parse(),
        _ => Err(invalid(
            "decisioning_method",
            "Invalid Decisioning Method. Must be set to one of: hybrid,on-device,server-side",
        )),
    }
}

/// The checks the Python and Node.js SDKs make of a request given as JSON, with their messages.
///
/// As in the Node.js SDK, an `execute` or `prefetch` with no key at all (`{}`) is no error: it
/// is dropped when the request is prepared, as an empty typed one is. One with keys but no
/// content (`{"mboxes": []}`) is an error. A typed request cannot tell the two apart, so this
/// runs where JSON comes in.
fn validate_json(request: &serde_json::Value) -> Result<()> {
    let unfilled = |part: &str, lists: &[&str]| {
        request
            .get(part)
            .and_then(serde_json::Value::as_object)
            .is_some_and(|object| {
                !object.is_empty()
                    && !object.contains_key("pageLoad")
                    && lists.iter().all(|list| {
                        object
                            .get(*list)
                            .and_then(serde_json::Value::as_array)
                            .is_none_or(Vec::is_empty)
                    })
            })
    };
    if unfilled("execute", &["mboxes"]) {
        return Err(Error::InvalidRequest(
            "Either pageLoad or mboxes is required in execute".to_owned(),
        ));
    }
    if unfilled("prefetch", &["views", "mboxes"]) {
        return Err(Error::InvalidRequest(
            "Either views, pageLoad or mboxes is required in prefetch".to_owned(),
        ));
    }
    Ok(())
}
