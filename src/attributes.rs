//! Feature flags and other JSON offer attributes, by mbox and key.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::delivery::types::{ItemName, OfferOption, OptionType};
use crate::error::{Error, Result};
use crate::remote::response::TargetResponse;

/// The attributes of JSON offers, from [`TargetClient::get_attributes`](crate::TargetClient::get_attributes).
///
/// ```
/// # fn demo(attrs: adobe_target::Attributes) -> adobe_target::Result<()> {
/// let enabled: bool = attrs.value("feature-flags", "enabled")?;
/// let limit: u32 = attrs.value("feature-flags", "limit")?;
/// let everything = attrs.as_object("feature-flags");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Attributes {
    response: TargetResponse,
    values: BTreeMap<String, Map<String, Value>>,
}

impl Attributes {
    /// Indexes the JSON offers of a response: prefetched mboxes first, then executed ones, each
    /// offer's keys merged per mbox.
    pub(crate) fn new(response: TargetResponse) -> Self {
        let mut values: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut add = |name: Option<&ItemName>, options: &[OfferOption]| {
            let Some(name) = name else { return };
            for option in options {
                if option.type_ == Some(OptionType::Json)
                    && let Some(Value::Object(content)) = option.content.as_deref()
                {
                    values
                        .entry(name.to_string())
                        .or_default()
                        .extend(content.clone());
                }
            }
        };
        if let Some(prefetch) = &response.response.prefetch {
            for mbox in &prefetch.mboxes {
                add(mbox.name.as_ref(), &mbox.options);
            }
        }
        if let Some(execute) = &response.response.execute {
            for mbox in &execute.mboxes {
                add(mbox.name.as_ref(), &mbox.options);
            }
        }
        Self { response, values }
    }

    /// The value of `key` in `mbox`'s offers, as any type that deserializes from it.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::{Error, GetOffersOptions};
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// let theme: String = flags.value("feature-flags", "theme")?;
    /// match flags.value::<u32>("feature-flags", "no-such-key") {
    ///     Err(Error::Attribute { key, .. }) => eprintln!("{key} is not set"),
    ///     other => println!("{other:?}"),
    /// }
    /// # let _ = theme;
    /// # Ok(()) }
    /// ```
    pub fn value<T: DeserializeOwned>(&self, mbox: &str, key: &str) -> Result<T> {
        let error = |reason: String| Error::Attribute {
            mbox: mbox.to_owned(),
            key: key.to_owned(),
            reason,
        };
        let value = self
            .values
            .get(mbox)
            .and_then(|attributes| attributes.get(key))
            .ok_or_else(|| {
                error(format!(
                    "Attribute '{key}' does not exist for mbox '{mbox}'"
                ))
            })?;
        T::deserialize(value)
            .map_err(|e| error(format!("has the value {value}, which does not fit: {e}")))
    }

    /// All attributes of one mbox.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::GetOffersOptions;
    ///
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// if let Some(all) = flags.as_object("feature-flags") {
    ///     for (key, value) in all {
    ///         println!("{key} = {value}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn as_object(&self, mbox: &str) -> Option<&Map<String, Value>> {
        self.values.get(mbox)
    }

    /// All attributes, by mbox.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::GetOffersOptions;
    ///
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// for (mbox, attributes) in flags.all() {
    ///     println!("{mbox}: {} attributes", attributes.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn all(&self) -> &BTreeMap<String, Map<String, Value>> {
        &self.values
    }

    /// The response they came from (with its cookies).
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::GetOffersOptions;
    ///
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// // The cookies to set, as for any call.
    /// let cookie = flags.response().target_cookie.as_ref().map(|c| c.value.clone());
    /// # let _ = cookie;
    /// # Ok(()) }
    /// ```
    pub fn response(&self) -> &TargetResponse {
        &self.response
    }

    /// The response they came from, by value.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::GetOffersOptions;
    ///
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default()).await?;
    /// let response = flags.into_response();
    /// println!("{:?}", response.meta.decisioning_method);
    /// # Ok(()) }
    /// ```
    pub fn into_response(self) -> TargetResponse {
        self.response
    }
}
