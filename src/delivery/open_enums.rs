//! Enums of the Delivery API written by hand, which `build.rs` puts in place of the generated
//! enums of the same name: the ones the API may extend, kept open, [`ChannelType`], which also
//! reads the Node.js SDK's spellings, and [`DecisioningMethod`],
//! whose parse error lists the valid values.
//!
//! The Edge adds values over time (a new option type, a new metric type). A closed Rust enum would
//! fail the whole response on such a value, so these keep it in `Other` instead. `build.rs` puts
//! them in place of the generated enums of the same name.

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version of the crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as it is on the wire; a value this crate does not know yet is kept.
            ///
            /// ```
            #[doc = concat!("use adobe_target::delivery::types::", stringify!($name), ";")]
            ///
            #[doc = concat!("let newer = ", stringify!($name), "::from(\"added-by-the-edge-later\");")]
            /// assert_eq!(newer.as_str(), "added-by-the-edge-later");
            /// ```
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Other(_) => Self::Other(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(generator: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                <String as ::schemars::JsonSchema>::json_schema(generator)
            }
        }
    };
}

open_enum! {
    /// The kind of content in an [`OfferOption`](crate::delivery::types::OfferOption).
    ///
    /// ```
    /// use adobe_target::delivery::types::OptionType;
    /// let t: OptionType = serde_json::from_str("\"someFutureType\"").unwrap();
    /// assert_eq!(t, OptionType::Other("someFutureType".into()));
    /// assert_eq!(serde_json::to_string(&OptionType::Json).unwrap(), "\"json\"");
    /// ```
    OptionType {
        /// HTML to insert.
        Html = "html",
        /// A JSON offer.
        Json = "json",
        /// A URL to redirect to.
        Redirect = "redirect",
        /// Dynamic content.
        Dynamic = "dynamic",
        /// Page changes from the visual composer, an array of `Action`.
        Actions = "actions",
    }
}

open_enum! {
    /// The kind of a metric or notification.
    ///
    /// ```
    /// use adobe_target::delivery::types::MetricType;
    /// assert_eq!(MetricType::from("display"), MetricType::Display);
    /// ```
    MetricType {
        /// The visitor clicked the element.
        Click = "click",
        /// The content was displayed.
        Display = "display",
    }
}

open_enum! {
    /// How a customer id was obtained.
    ///
    /// ```
    /// use adobe_target::delivery::types::AuthenticatedState;
    /// assert_eq!(AuthenticatedState::Authenticated.to_string(), "authenticated");
    /// ```
    AuthenticatedState {
        /// Unknown.
        Unknown = "unknown",
        /// The visitor signed in.
        Authenticated = "authenticated",
        /// The visitor signed out.
        LoggedOut = "logged_out",
    }
}

/// How decisions are made: by the Target Edge (`server-side`), locally from the rules artifact
/// (`on-device`), or locally when the artifact can and by the Edge otherwise (`hybrid`).
///
/// ```
/// use adobe_target::{DecisioningMethod, Error};
/// assert_eq!("hybrid".parse::<DecisioningMethod>()?, DecisioningMethod::Hybrid);
/// let err = "local".parse::<DecisioningMethod>().unwrap_err();
/// assert!(matches!(err, Error::InvalidOptions { ref option, .. } if option == "decisioning_method"));
/// assert!(err.to_string().contains("hybrid,on-device,server-side"), "{err}");
/// # Ok::<(), Error>(())
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    ::serde::Serialize,
    ::serde::Deserialize,
    ::schemars::JsonSchema,
)]
pub enum DecisioningMethod {
    /// The Target Edge decides (one Delivery API call).
    #[serde(rename = "server-side")]
    ServerSide,
    /// The SDK decides from the rules artifact, with no call per decision.
    #[serde(rename = "on-device")]
    OnDevice,
    /// On-device when the artifact can decide every item, by the Edge otherwise.
    #[serde(rename = "hybrid")]
    Hybrid,
}

impl DecisioningMethod {
    /// The value as it is on the wire and in option maps.
    ///
    /// ```
    /// use adobe_target::DecisioningMethod;
    ///
    /// assert_eq!(DecisioningMethod::OnDevice.as_str(), "on-device");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ServerSide => "server-side",
            Self::OnDevice => "on-device",
            Self::Hybrid => "hybrid",
        }
    }
}

impl ::std::fmt::Display for DecisioningMethod {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ::std::str::FromStr for DecisioningMethod {
    type Err = crate::error::Error;

    /// One of `server-side`, `on-device` and `hybrid`, or [`Error::InvalidOptions`](crate::Error::InvalidOptions)
    /// naming `decisioning_method` and listing them.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "server-side" => Ok(Self::ServerSide),
            "on-device" => Ok(Self::OnDevice),
            "hybrid" => Ok(Self::Hybrid),
            other => Err(crate::error::Error::InvalidOptions {
                option: "decisioning_method".to_owned(),
                reason: format!(
                    "Invalid Decisioning Method. Must be set to one of: hybrid,on-device,server-side (not {other:?})"
                ),
            }),
        }
    }
}

impl TryFrom<&str> for DecisioningMethod {
    type Error = crate::error::Error;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl TryFrom<String> for DecisioningMethod {
    type Error = crate::error::Error;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// The channel of a request: `web` or `mobile` on the wire.
///
/// It also reads `Web` and `Mobile`, the key spellings the Node.js SDK accepts, and always
/// writes the API's lower-case value. A [`Context`](crate::delivery::types::Context) without a
/// channel is `web`, as in the Node.js SDK.
///
/// ```
/// use adobe_target::delivery::types::{ChannelType, Context};
/// let channel: ChannelType = serde_json::from_str("\"Mobile\"")?;
/// assert_eq!(channel, ChannelType::Mobile);
/// assert_eq!(serde_json::to_string(&channel)?, "\"mobile\"");
/// let context: Context = serde_json::from_str("{}")?;
/// assert_eq!(context.channel, ChannelType::Web);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelType {
    /// A mobile app.
    Mobile,
    /// A web page.
    #[default]
    Web,
}

impl ChannelType {
    /// The value as it is on the wire.
    ///
    /// ```
    /// use adobe_target::delivery::types::ChannelType;
    ///
    /// assert_eq!(ChannelType::Mobile.as_str(), "mobile");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Web => "web",
        }
    }
}

impl ::std::fmt::Display for ChannelType {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ::std::str::FromStr for ChannelType {
    type Err = crate::error::Error;

    /// `web` or `mobile`, or their key spellings `Web` and `Mobile`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "web" | "Web" => Ok(Self::Web),
            "mobile" | "Mobile" => Ok(Self::Mobile),
            other => Err(crate::error::Error::InvalidRequest(format!(
                "context.channel must be one of: mobile,web (not {other:?})"
            ))),
        }
    }
}

impl TryFrom<&str> for ChannelType {
    type Error = crate::error::Error;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl TryFrom<String> for ChannelType {
    type Error = crate::error::Error;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl ::serde::Serialize for ChannelType {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> ::serde::Deserialize<'de> for ChannelType {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        value.parse().map_err(|_| {
            ::serde::de::Error::unknown_variant(&value, &["mobile", "web", "Mobile", "Web"])
        })
    }
}

impl ::schemars::JsonSchema for ChannelType {
    fn schema_name() -> String {
        "ChannelType".to_owned()
    }

    fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
        ::schemars::schema::SchemaObject {
            instance_type: Some(::schemars::schema::InstanceType::String.into()),
            enum_values: Some(vec!["mobile".into(), "web".into()]),
            ..Default::default()
        }
        .into()
    }
}
