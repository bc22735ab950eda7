//! An [OpenFeature](https://openfeature.dev) provider for Target's attributes (feature
//! `openfeature`, on the `open-feature` crate 0.3).
//!
//! A flag key names an mbox and one attribute of its JSON offers: `"<mbox>.<attribute>"`,
//! split at the **last** dot, so `"home.hero.enabled"` is the attribute `enabled` of the mbox
//! `home.hero`; an attribute whose name has a dot needs another separator
//! ([`TargetProvider::separator`]).
//!
//! The evaluation context is the visitor:
//! - the targeting key is the Target visitor id, `tntId` by default ([`TargetingKey`]); without
//!   one, every decision is a new visitor's;
//! - [`PAGE_URL_FIELD`] (`pageUrl`), [`USER_AGENT_FIELD`] (`userAgent`) and
//!   [`IP_ADDRESS_FIELD`] (`ipAddress`) fill the request's context;
//! - a field `profile.<name>` is the profile parameter `<name>`;
//! - every other field is an mbox parameter (its string form; structures are not sent).
//!
//! **One decision per page view**: evaluations whose context carries the same
//! [`PAGE_VIEW_FIELD`] (`targetPageViewId`) and the same visitor and fields share one decision
//! per mbox, so a page that reads five flags of an mbox sends Target one display notification,
//! not five. [`page_view_context`] makes such a context; without the field, each evaluation
//! decides on its own.
//!
//! Resolution: a value from the visitor's offer is `TARGETING_MATCH`, with the experience name as
//! the variant and the activity in the flag metadata (`activityId`, `activityName`,
//! `experienceId`, `offerId`, where the response tokens carry them); a flag the visitor got no
//! value for resolves to its default set with [`TargetProvider::default_value`] (`DEFAULT`), and
//! is `FLAG_NOT_FOUND` without one. A value of another type is `TYPE_MISMATCH`; a client whose
//! artifact is not loaded is `PROVIDER_NOT_READY`; other failures are `GENERAL` with our error's
//! message.
//!
//! ```no_run
//! use adobe_target::openfeature::{TargetProvider, page_view_context};
//! use adobe_target::{ClientOptions, TargetClient};
//! use open_feature::OpenFeature;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = TargetClient::create(ClientOptions::new("acmeclient", "1234@AdobeOrg")).await?;
//! OpenFeature::singleton_mut()
//!     .await
//!     .set_provider(TargetProvider::new(client))
//!     .await;
//!
//! // Per request: one page view of one visitor.
//! let mut flags = OpenFeature::singleton().await.create_client();
//! flags.set_evaluation_context(page_view_context("visitor-tnt-id").with_custom_field("plan", "pro"));
//! let dark = flags.get_bool_value("feature-flags.dark_mode", None, None).await.unwrap_or(false);
//! let limit = flags.get_int_value("feature-flags.search_limit", None, None).await.unwrap_or(20);
//! # let _ = (dark, limit);
//! # Ok(()) }
//! ```

mod context;
mod page_views;
mod status;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus, ResolutionDetails,
};
use open_feature::{
    EvaluationContext, EvaluationError, EvaluationErrorCode, EvaluationReason, EvaluationResult,
    FlagMetadata, StructValue, async_trait,
};
use serde_json::Value;
use tokio::sync::broadcast;

pub use context::{
    IP_ADDRESS_FIELD, PAGE_URL_FIELD, PAGE_VIEW_FIELD, PROFILE_PREFIX, TargetingKey,
    USER_AGENT_FIELD,
};
pub use status::ProviderEvent;

use crate::attributes::Attributes;
use crate::client::TargetClient;
use crate::error::Error;
use crate::options::GetOffersOptions;
use page_views::PageViews;
use status::Status;

/// How long [`FeatureProvider::initialize`] waits for the client by default.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// An evaluation context for one page view of the visitor `targeting_key`: flags evaluated with
/// it (and the same other fields) share one decision per mbox.
///
/// ```
/// # #[cfg(feature = "openfeature")] {
/// use adobe_target::openfeature::{PAGE_VIEW_FIELD, page_view_context};
///
/// let one = page_view_context("visitor-1");
/// let other = page_view_context("visitor-1");
/// assert_eq!(one.targeting_key.as_deref(), Some("visitor-1"));
/// assert!(one.custom_fields.contains_key(PAGE_VIEW_FIELD));
/// assert_ne!(
///     one.custom_fields[PAGE_VIEW_FIELD].as_str(),
///     other.custom_fields[PAGE_VIEW_FIELD].as_str()
/// );
/// # }
/// ```
pub fn page_view_context(targeting_key: impl Into<String>) -> EvaluationContext {
    EvaluationContext::default()
        .with_targeting_key(targeting_key)
        .with_custom_field(PAGE_VIEW_FIELD, crate::ids::new_id())
}

/// The OpenFeature provider of a [`TargetClient`]: flags are the attributes of mboxes' JSON
/// offers, decided as the client decides (server-side, on-device or hybrid).
///
/// ```no_run
/// use adobe_target::openfeature::{TargetProvider, TargetingKey};
///
/// # fn run(client: adobe_target::TargetClient) {
/// let provider = TargetProvider::new(client)
///     .targeting_key(TargetingKey::ThirdPartyId)
///     .default_value("feature-flags.search_limit", 20);
/// # let _ = provider;
/// # }
/// ```
pub struct TargetProvider {
    client: TargetClient,
    metadata: ProviderMetadata,
    targeting: TargetingKey,
    separator: char,
    defaults: HashMap<String, Value>,
    ready_timeout: Duration,
    page_views: Arc<PageViews>,
    status: Arc<Status>,
}

impl TargetProvider {
    /// A provider for `client`'s decisions, named `adobe-target`.
    ///
    /// ```
    /// # async fn run() -> adobe_target::Result<()> {
    /// use adobe_target::openfeature::TargetProvider;
    /// use adobe_target::{ClientOptions, TargetClient};
    ///
    /// let client = TargetClient::create(ClientOptions::new("acme", "org@AdobeOrg")).await?;
    /// open_feature::OpenFeature::singleton_mut()
    ///     .await
    ///     .set_provider(TargetProvider::new(client))
    ///     .await;
    /// # Ok(()) }
    /// ```
    pub fn new(client: TargetClient) -> Self {
        Self {
            client,
            metadata: ProviderMetadata::new("adobe-target"),
            targeting: TargetingKey::default(),
            separator: '.',
            defaults: HashMap::new(),
            ready_timeout: READY_TIMEOUT,
            page_views: Arc::new(PageViews::default()),
            status: Arc::new(Status::default()),
        }
    }

    /// Which visitor id the targeting key is. Default: `tntId`.
    ///
    /// ```no_run
    /// # fn run(client: adobe_target::TargetClient) {
    /// use adobe_target::openfeature::{TargetProvider, TargetingKey};
    /// let provider = TargetProvider::new(client).targeting_key(TargetingKey::MarketingCloudVisitorId);
    /// # let _ = provider;
    /// # }
    /// ```
    pub fn targeting_key(mut self, key: TargetingKey) -> Self {
        self.targeting = key;
        self
    }

    /// The character between the mbox and the attribute in a flag key (split at its last
    /// occurrence). Default: `.`.
    ///
    /// ```no_run
    /// # fn run(client: adobe_target::TargetClient) {
    /// // "checkout/payment.provider": the attribute "payment.provider" of the mbox "checkout".
    /// let provider = adobe_target::openfeature::TargetProvider::new(client).separator('/');
    /// # let _ = provider;
    /// # }
    /// ```
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }

    /// The value of `flag_key` for a visitor Target gives no value for (reason `DEFAULT`);
    /// without one, such a flag is `FLAG_NOT_FOUND`.
    ///
    /// ```no_run
    /// # fn run(client: adobe_target::TargetClient) {
    /// let provider = adobe_target::openfeature::TargetProvider::new(client)
    ///     .default_value("feature-flags.dark_mode", false)
    ///     .default_value("feature-flags.theme", "classic");
    /// # let _ = provider;
    /// # }
    /// ```
    pub fn default_value(mut self, flag_key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.defaults.insert(flag_key.into(), value.into());
        self
    }

    /// How long `initialize` waits for the client to be ready. Default: 30 s. Past it the
    /// provider is in error, and ready as soon as the client is.
    ///
    /// ```no_run
    /// # fn run(client: adobe_target::TargetClient) {
    /// let provider = adobe_target::openfeature::TargetProvider::new(client)
    ///     .ready_timeout(std::time::Duration::from_secs(5));
    /// # let _ = provider;
    /// # }
    /// ```
    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    /// The provider's events: ready, configuration changed (a new artifact), stale, error.
    /// The `open-feature` crate 0.3 has no event API; these follow the OpenFeature spec's.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) {
    /// use adobe_target::openfeature::{ProviderEvent, TargetProvider};
    /// let provider = TargetProvider::new(client);
    /// let mut events = provider.events();
    /// while let Ok(event) = events.recv().await {
    ///     if let ProviderEvent::ConfigurationChanged = event {
    ///         println!("new rules");
    ///     }
    /// }
    /// # }
    /// ```
    pub fn events(&self) -> broadcast::Receiver<ProviderEvent> {
        self.status.subscribe()
    }

    /// The mbox and the attribute `flag_key` names.
    fn split<'k>(&self, flag_key: &'k str) -> EvaluationResult<(&'k str, &'k str)> {
        flag_key
            .rsplit_once(self.separator)
            .filter(|(mbox, attribute)| !mbox.is_empty() && !attribute.is_empty())
            .ok_or_else(|| {
                evaluation_error(
                    EvaluationErrorCode::FlagNotFound,
                    format!(
                        "flag key {flag_key:?} is not \"<mbox>{}<attribute>\"",
                        self.separator
                    ),
                )
            })
    }

    /// The flag's JSON value with its reason, variant and metadata.
    async fn resolve(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<Value>> {
        let (mbox, attribute) = self.split(flag_key)?;
        let ask = context::ask(mbox, context, self.targeting)
            .map_err(|e| evaluation_error(EvaluationErrorCode::InvalidContext, e.to_string()))?;
        let decide = async {
            let mboxes = [mbox];
            self.client
                .get_attributes(&mboxes, GetOffersOptions::new(ask.request))
                .await
                .map(Arc::new)
                .map_err(|e| from_error(&e))
        };
        let attributes = match ask.shared_as {
            Some(key) => self.page_views.decide(key, decide).await?,
            None => decide.await?,
        };
        let found = attributes.as_object(mbox).and_then(|a| a.get(attribute));
        match (found, self.defaults.get(flag_key)) {
            (Some(value), _) => Ok(matched(value.clone(), &attributes, mbox, attribute)),
            (None, Some(default)) => Ok(ResolutionDetails {
                value: default.clone(),
                variant: None,
                reason: Some(EvaluationReason::Default),
                flag_metadata: None,
            }),
            (None, None) => Err(evaluation_error(
                EvaluationErrorCode::FlagNotFound,
                format!("mbox {mbox:?} gave this visitor no attribute {attribute:?}"),
            )),
        }
    }

    /// The flag as `T`, or `TYPE_MISMATCH`.
    async fn typed<T>(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
        expected: &str,
        convert: impl FnOnce(&Value) -> Option<T>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let details = self.resolve(flag_key, context).await?;
        let value = convert(&details.value).ok_or_else(|| {
            evaluation_error(
                EvaluationErrorCode::TypeMismatch,
                format!("{flag_key} is {}, not {expected}", details.value),
            )
        })?;
        Ok(ResolutionDetails {
            value,
            variant: details.variant,
            reason: details.reason,
            flag_metadata: details.flag_metadata,
        })
    }
}

/// `TARGETING_MATCH` details for `value`, with the tokens of the option that gave it.
fn matched(
    value: Value,
    attributes: &Attributes,
    mbox: &str,
    attribute: &str,
) -> ResolutionDetails<Value> {
    let response = &attributes.response().response;
    let tokens = response
        .execute
        .iter()
        .flat_map(|e| &e.mboxes)
        .filter(|m| m.name.as_deref() == Some(mbox))
        .flat_map(|m| &m.options)
        .filter(
            |o| matches!(o.content.as_deref(), Some(Value::Object(c)) if c.contains_key(attribute)),
        )
        .find_map(|o| o.response_tokens.as_ref());
    let token = |key: &str| tokens.and_then(|t| t.get(key));
    let mut metadata = FlagMetadata::default();
    for (token_key, field) in [
        ("activity.id", "activityId"),
        ("activity.name", "activityName"),
        ("experience.id", "experienceId"),
        ("offer.id", "offerId"),
    ] {
        match token(token_key) {
            Some(Value::Number(n)) if n.is_i64() => {
                metadata.add_value(field, n.as_i64().unwrap_or_default());
            }
            Some(Value::String(s)) => metadata.add_value(field, s.clone()),
            Some(other) if !other.is_null() => metadata.add_value(field, other.to_string()),
            _ => {}
        }
    }
    ResolutionDetails {
        value,
        variant: token("experience.name")
            .and_then(Value::as_str)
            .map(str::to_owned),
        reason: Some(EvaluationReason::TargetingMatch),
        flag_metadata: Some(metadata),
    }
}

fn evaluation_error(code: EvaluationErrorCode, message: String) -> EvaluationError {
    EvaluationError::builder()
        .code(code)
        .message(message)
        .build()
}

/// Our error as OpenFeature's.
fn from_error(error: &Error) -> EvaluationError {
    let code = match error {
        Error::EngineNotReady { .. } => EvaluationErrorCode::ProviderNotReady,
        Error::InvalidOptions { .. } | Error::InvalidRequest(_) => {
            EvaluationErrorCode::InvalidContext
        }
        _ => EvaluationErrorCode::General(error.to_string()),
    };
    evaluation_error(code, error.to_string())
}

#[async_trait]
impl FeatureProvider for TargetProvider {
    /// Waits for the client to be ready (at most [`TargetProvider::ready_timeout`]), then
    /// follows its events.
    async fn initialize(&mut self, _context: &EvaluationContext) {
        self.status.follow(&self.client, self.ready_timeout).await;
    }

    fn status(&self) -> ProviderStatus {
        self.status.get()
    }

    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.typed(flag_key, context, "a boolean", Value::as_bool)
            .await
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.typed(flag_key, context, "an integer", Value::as_i64)
            .await
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.typed(flag_key, context, "a number", Value::as_f64)
            .await
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        self.typed(flag_key, context, "a string", text).await
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        let structure = |v: &Value| match open_feature::Value::try_from(v) {
            Ok(open_feature::Value::Struct(s)) if v.is_object() => Some(s),
            _ => None,
        };
        self.typed(flag_key, context, "an object", structure).await
    }
}
