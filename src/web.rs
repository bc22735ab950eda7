//! Helpers for web frameworks on the `http` crate's types (axum, actix-web 4, hyper, tower):
//! the per-call options from a browser's request, and the `Set-Cookie` headers of an answer.
//!
//! Everything read here is the visitor's input. Cookies, the user agent, the Client Hints and
//! the page address only fill request fields; none of them chooses a host, a header the SDK
//! sets, or a file. The visitor's IP address is read only from a header you name as set by
//! your own proxy.
//!
//! ```
//! use adobe_target::delivery::types::DeliveryRequest;
//! use adobe_target::web::WebRequests;
//! use http::{HeaderName, Request};
//!
//! let web = WebRequests::new("65453EA95A70434F0A495D34@AdobeOrg")
//!     .trusted_ip_header(HeaderName::from_static("x-forwarded-for"));
//! let browser = Request::get("/products?id=7")
//!     .header("host", "shop.example.com")
//!     .header("cookie", "mbox=session#abc#1900000000; mboxEdgeCluster=35")
//!     .header("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)")
//!     .header("sec-ch-ua-platform", "\"macOS\"")
//!     .header("x-forwarded-for", "203.0.113.9")
//!     .body(())?;
//! let (parts, ()) = browser.into_parts();
//! let request: DeliveryRequest = serde_json::from_str(r#"{"execute": {"pageLoad": {}}}"#)?;
//! let options = web.get_offers_options(&parts, request);
//! assert_eq!(options.location_hint().map(|c| c.as_str()), Some("35"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::IpAddr;

use http::header::{COOKIE, HOST, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::delivery::types::{Address, ClientHints, DeliveryRequest, Geo};
use crate::options::GetOffersOptions;
use crate::remote::cookies::{LOCATION_HINT_COOKIE_NAME, TARGET_COOKIE_NAME, TargetCookie};
use crate::remote::response::TargetResponse;
use crate::visitor::visitor_cookie_name;

/// The `SameSite` attribute of the cookies the SDK sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SameSite {
    /// Sent with top-level navigations from other sites (the browsers' default).
    #[default]
    Lax,
    /// Sent only to the same site.
    Strict,
    /// Sent everywhere; browsers then require `Secure`.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }
}

/// How a service reads Target's inputs from a browser's request and writes Target's cookies
/// back: built once, used for every request.
#[derive(Clone, Debug)]
pub struct WebRequests {
    visitor_cookie: String,
    trusted_ip_header: Option<HeaderName>,
    scheme: &'static str,
    same_site: SameSite,
    secure: bool,
}

impl WebRequests {
    /// For the Adobe organization whose `AMCV_<orgId>` cookie carries the visitor's
    /// Experience Cloud id. No IP header is trusted; page URLs are `https`; cookies are
    /// `SameSite=Lax` and `Secure`.
    ///
    /// ```
    /// use adobe_target::web::WebRequests;
    ///
    /// let web = WebRequests::new("65453EA95A70434F0A495D34@AdobeOrg");
    /// # let _ = web;
    /// ```
    pub fn new(organization_id: &str) -> Self {
        Self {
            visitor_cookie: visitor_cookie_name(organization_id),
            trusted_ip_header: None,
            scheme: "https",
            same_site: SameSite::Lax,
            secure: true,
        }
    }

    /// The header your own proxy or load balancer sets to the visitor's address (such as
    /// `x-forwarded-for`). Of a list, the last address is taken: the one your proxy added
    /// (earlier ones came from the browser and may be made up). A value that is not an IP
    /// address is ignored. Without this, no header is trusted and no address is sent.
    ///
    /// ```
    /// use adobe_target::web::WebRequests;
    ///
    /// // Behind a proxy that appends the client's address to X-Forwarded-For.
    /// let web = WebRequests::new("org@AdobeOrg").trusted_ip_header(http::HeaderName::from_static("x-forwarded-for"));
    /// # let _ = web;
    /// ```
    pub fn trusted_ip_header(mut self, name: HeaderName) -> Self {
        self.trusted_ip_header = Some(name);
        self
    }

    /// Whether page URLs are `http` (a service behind no TLS) or `https` (default).
    ///
    /// ```
    /// use adobe_target::web::WebRequests;
    ///
    /// // A development server on http://localhost: page URLs start with http://.
    /// let web = WebRequests::new("org@AdobeOrg").plain_http(true);
    /// # let _ = web;
    /// ```
    pub fn plain_http(mut self, plain: bool) -> Self {
        self.scheme = if plain { "http" } else { "https" };
        self
    }

    /// The `SameSite` attribute of the cookies set. Default `Lax`.
    ///
    /// ```
    /// use adobe_target::web::{SameSite, WebRequests};
    ///
    /// let web = WebRequests::new("org@AdobeOrg").same_site(SameSite::Strict);
    /// # let _ = web;
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Whether the cookies set carry `Secure`. Default true (`SameSite=None` needs it).
    ///
    /// ```
    /// use adobe_target::web::WebRequests;
    ///
    /// // Cookies without `Secure`, for http://localhost only.
    /// let web = WebRequests::new("org@AdobeOrg").secure(false);
    /// # let _ = web;
    /// ```
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Options for a call about the browser request `parts`: its `mbox`, `mboxEdgeCluster` and
    /// `AMCV_<orgId>` cookies, and for `request`'s context (where the request leaves them out)
    /// the user agent, the `Sec-CH-UA*` Client Hints, the page URL (`Host` and path) and the
    /// visitor's address from the trusted header.
    ///
    /// ```
    /// use adobe_target::web::WebRequests;
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// let (parts, ()) = http::Request::get("/checkout")
    ///     .header(http::header::HOST, "shop.example")
    ///     .header(http::header::COOKIE, "mboxEdgeCluster=35")
    ///     .header(http::header::USER_AGENT, "Mozilla/5.0")
    ///     .body(())?
    ///     .into_parts();
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
    /// }))?;
    /// let options = WebRequests::new("org@AdobeOrg").get_offers_options(&parts, request);
    /// assert_eq!(options.location_hint().map(|c| c.as_str()), Some("35"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_offers_options(
        &self,
        parts: &http::request::Parts,
        mut request: DeliveryRequest,
    ) -> GetOffersOptions {
        let headers = &parts.headers;
        let context = &mut request.context;
        if context.user_agent.is_none() {
            context.user_agent = text(headers, &USER_AGENT).map(str::to_owned);
        }
        if context.client_hints.is_none() {
            context.client_hints = client_hints(headers);
        }
        if context.address.as_ref().is_none_or(|a| a.url.is_none())
            && let Some(url) = self.page_url(parts)
        {
            context.address.get_or_insert_with(Address::default).url = Some(url);
        }
        if let Some(ip) = self.visitor_ip(headers) {
            let geo = context.geo.get_or_insert_with(Geo::default);
            if geo.ip_address.is_none() {
                geo.ip_address = Some(ip.to_string());
            }
        }
        let mut options = GetOffersOptions::new(request);
        if let Some(value) = cookie(headers, TARGET_COOKIE_NAME) {
            options = options.target_cookie(value);
        }
        if let Some(value) = cookie(headers, LOCATION_HINT_COOKIE_NAME) {
            options = options.target_location_hint(value);
        }
        if let Some(value) = cookie(headers, &self.visitor_cookie) {
            options = options.visitor_cookie(value);
        }
        options
    }

    /// The `Set-Cookie` header values for the answer's `mbox` and `mboxEdgeCluster` cookies:
    /// `Max-Age` as Target sets it, `Path=/`, and the configured `SameSite` and `Secure`.
    ///
    /// ```
    /// # fn answer(out: &adobe_target::TargetResponse, response: &mut http::Response<String>) {
    /// let web = adobe_target::web::WebRequests::new("ORG@AdobeOrg");
    /// for value in web.set_cookie_headers(out) {
    ///     response.headers_mut().append(http::header::SET_COOKIE, value);
    /// }
    /// # }
    /// ```
    pub fn set_cookie_headers(&self, out: &TargetResponse) -> Vec<HeaderValue> {
        [&out.target_cookie, &out.target_location_hint_cookie]
            .into_iter()
            .flatten()
            .filter_map(|cookie| self.set_cookie(cookie))
            .collect()
    }

    fn set_cookie(&self, cookie: &TargetCookie) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        let text = format!("{cookie}; SameSite={}{secure}", self.same_site.as_str());
        HeaderValue::from_str(&text)
            .inspect_err(|_| tracing::warn!(name = %cookie.name, "a cookie value is not a valid header value; not set"))
            .ok()
    }

    /// `<scheme>://<Host><path and query>`; none without a `Host` (or an absolute URI).
    fn page_url(&self, parts: &http::request::Parts) -> Option<String> {
        if parts.uri.scheme().is_some() {
            return Some(parts.uri.to_string());
        }
        let host = text(&parts.headers, &HOST).or_else(|| parts.uri.host())?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        Some(format!("{}://{host}{path}", self.scheme))
    }

    fn visitor_ip(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let name = self.trusted_ip_header.as_ref()?;
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse().ok()
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// The `Sec-CH-UA*` request headers as `context.clientHints`; none when the browser sent none.
fn client_hints(headers: &HeaderMap) -> Option<ClientHints> {
    let hint = |name: &'static str| text(headers, &HeaderName::from_static(name));
    // Structured-header strings (`"macOS"`) lose their quotes; brand lists keep theirs.
    let unquoted = |name| hint(name).map(|v| v.trim().trim_matches('"').to_owned());
    let hints = ClientHints {
        browser_ua_with_major_version: hint("sec-ch-ua").map(str::to_owned),
        browser_ua_with_full_version: hint("sec-ch-ua-full-version-list").map(str::to_owned),
        platform: unquoted("sec-ch-ua-platform"),
        platform_version: unquoted("sec-ch-ua-platform-version"),
        model: unquoted("sec-ch-ua-model"),
        architecture: unquoted("sec-ch-ua-arch"),
        bitness: unquoted("sec-ch-ua-bitness"),
        mobile: hint("sec-ch-ua-mobile").and_then(|v| match v.trim() {
            "?1" => Some(true),
            "?0" => Some(false),
            _ => None,
        }),
        // A field the spec gains later starts out unset.
        ..ClientHints::default()
    };
    (hints != ClientHints::default()).then_some(hints)
}
