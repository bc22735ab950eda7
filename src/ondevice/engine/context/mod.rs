//! The rule context: what Target's audience rules can look at (browser, page, referrer, geo,
//! time, mbox parameters), read by the rules through [`Data`](super::rules::Data); turned into
//! JSON only for traces. Each part is computed the first time a rule reads it, once per
//! request: an artifact whose rules never test the browser or the page parses neither the user
//! agent nor the URLs.

use std::borrow::Cow;
use std::cell::OnceCell;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Map, Value, json};

use super::rules::Val;
use crate::delivery::types::{Context, Geo};

mod params;
mod url;
mod user_agent;

pub(crate) use params::MboxContext;
pub(crate) use url::UrlContext;
pub(crate) use user_agent::UserContext;

/// The whole-request part of the rule context, over the request's own `context`.
#[derive(Debug)]
pub(crate) struct RequestContext<'r> {
    context: &'r Context,
    now: DateTime<Utc>,
    time: OnceCell<String>,
    user: OnceCell<UserContext>,
    page: OnceCell<UrlContext>,
    referring: OnceCell<UrlContext>,
    pub(crate) geo: GeoContext<'r>,
}

impl<'r> RequestContext<'r> {
    pub(crate) fn new(context: &'r Context, now: DateTime<Utc>) -> Self {
        Self {
            context,
            now,
            time: OnceCell::new(),
            user: OnceCell::new(),
            page: OnceCell::new(),
            referring: OnceCell::new(),
            geo: GeoContext::new(context.geo.as_ref()),
        }
    }

    fn timestamp(&self) -> i64 {
        self.now.timestamp_millis()
    }

    /// `HHMM`, as Target compares times of day.
    fn time(&self) -> &str {
        self.time
            .get_or_init(|| format!("{:02}{:02}", self.now.hour(), self.now.minute()))
    }

    /// 1 = Monday ... 7 = Sunday.
    fn day(&self) -> u32 {
        self.now.weekday().number_from_monday()
    }

    fn user(&self) -> &UserContext {
        self.user.get_or_init(|| {
            let context = self.context;
            UserContext::new(context.user_agent.as_deref(), context.client_hints.as_ref())
        })
    }

    /// `page.*`: the request's page URL.
    pub(crate) fn page(&self) -> &UrlContext {
        self.page.get_or_init(|| {
            UrlContext::new(self.context.address.as_ref().and_then(|a| a.url.as_deref()))
        })
    }

    fn referring(&self) -> &UrlContext {
        self.referring.get_or_init(|| {
            let address = self.context.address.as_ref();
            UrlContext::new(address.and_then(|a| a.referring_url.as_deref()))
        })
    }

    /// The value at `path` (`page.url_lc`, `user.browserType`, `current_day`, ...); `page`
    /// (and `referring`) come from `page_override` when the item has its own address.
    ///
    /// Not inlined: the parts it may compute on first use are large, and a caller that mostly
    /// reads `mbox.*` or `allocation` should not pay for their stack frame on every lookup.
    #[inline(never)]
    pub(crate) fn lookup<'a>(
        &'a self,
        path: &[String],
        page_override: Option<&'a UrlContext>,
    ) -> Option<Val<'a>> {
        let (first, rest) = path.split_first()?;
        fn leaf(rest: &[String]) -> Option<&str> {
            match rest {
                [key] => Some(key.as_str()),
                _ => None,
            }
        }
        match first.as_str() {
            "current_timestamp" if rest.is_empty() => Some(Val::Num(self.timestamp() as f64)),
            "current_time" if rest.is_empty() => Some(Val::Str(Cow::Borrowed(self.time()))),
            "current_day" if rest.is_empty() => Some(Val::Num(f64::from(self.day()))),
            "user" => self.user().get(leaf(rest)?),
            "page" => page_override
                .unwrap_or_else(|| self.page())
                .get(leaf(rest)?),
            "referring" => page_override
                .unwrap_or_else(|| self.referring())
                .get(leaf(rest)?),
            "geo" => self.geo.get(leaf(rest)?),
            _ => None,
        }
    }

    /// The context as JSON, as traces show it.
    pub(crate) fn to_json(&self, page_override: Option<&UrlContext>) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("current_timestamp".to_owned(), json!(self.timestamp()));
        map.insert("current_time".to_owned(), json!(self.time()));
        map.insert("current_day".to_owned(), json!(self.day()));
        map.insert("user".to_owned(), self.user().to_json());
        map.insert(
            "page".to_owned(),
            page_override.unwrap_or_else(|| self.page()).to_json(),
        );
        map.insert(
            "referring".to_owned(),
            page_override.unwrap_or_else(|| self.referring()).to_json(),
        );
        map.insert("geo".to_owned(), self.geo.to_json());
        map
    }
}

/// `geo.*`: country, region, city, latitude, longitude (absent values left out), borrowed
/// from the request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GeoContext<'r> {
    pub(crate) country: Option<&'r str>,
    pub(crate) region: Option<&'r str>,
    pub(crate) city: Option<&'r str>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
}

impl<'r> GeoContext<'r> {
    fn new(geo: Option<&'r Geo>) -> Self {
        geo.map_or_else(Self::default, |geo| Self {
            country: geo.country_code.as_deref(),
            region: geo.state_code.as_deref(),
            city: geo.city.as_deref(),
            latitude: geo.latitude,
            longitude: geo.longitude,
        })
    }

    /// Whether the visitor has a value for `key` (see [`Self::value`]).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of `country`, `region`, `city`, `latitude` or `longitude`, as JSON.
    pub(crate) fn value(&self, key: &str) -> Option<Value> {
        self.get(key).map(|v| v.to_json())
    }

    fn get(&self, key: &str) -> Option<Val<'_>> {
        let text = |s: Option<&'r str>| s.map(|s| Val::Str(Cow::Borrowed(s)));
        match key {
            "country" => text(self.country),
            "region" => text(self.region),
            "city" => text(self.city),
            "latitude" => self.latitude.map(Val::Num),
            "longitude" => self.longitude.map(Val::Num),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        let mut map = Map::new();
        for key in ["country", "region", "city", "latitude", "longitude"] {
            if let Some(value) = self.value(key) {
                map.insert(key.to_owned(), value);
            }
        }
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests;
