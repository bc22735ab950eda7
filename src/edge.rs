//! Where a Delivery API call goes: the visitor's edge cluster, parsed once wherever it enters
//! (cookie, Target id, options, the Edge's answer), and the host built from validated parts.
//!
//! A browser controls the `mbox` and `mboxEdgeCluster` cookies, so their cluster part is hostile
//! input. Only an [`EdgeCluster`] (a short ASCII alphanumeric id) can reach a host name, a cookie
//! the SDK sets or a Target id it generates; anything else is dropped where it enters.

use crate::error::{Error, Result};

/// The longest cluster id accepted. Target's are two or three characters (`28`, `35`, `irl1`).
const MAX_CLUSTER_LEN: usize = 16;

/// An Adobe Target edge cluster (a location hint) such as `28`: 1 to 16 ASCII letters and
/// digits, so it is always safe inside the host name `mboxedge<cluster>.tt.omtrdc.net`.
///
/// ```
/// use adobe_target::EdgeCluster;
/// let cluster: EdgeCluster = "28".parse()?;
/// assert_eq!(cluster.as_str(), "28");
/// assert!("1@127.0.0.1:8099/".parse::<EdgeCluster>().is_err());
/// assert!(EdgeCluster::parse("../../evil").is_none());
/// # Ok::<(), adobe_target::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeCluster(Box<str>);

impl EdgeCluster {
    /// The cluster in `text`, or `None` when it is not a cluster id.
    ///
    /// ```
    /// use adobe_target::EdgeCluster;
    ///
    /// assert_eq!(EdgeCluster::parse("35").map(|c| c.to_string()).as_deref(), Some("35"));
    /// // What a browser may send instead is refused: it must never choose a host.
    /// assert!(EdgeCluster::parse("1@127.0.0.1:8080/").is_none());
    /// assert!(EdgeCluster::parse("../../evil").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let valid = !text.is_empty()
            && text.len() <= MAX_CLUSTER_LEN
            && text.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then(|| Self(text.into()))
    }

    /// The cluster id.
    ///
    /// ```
    /// use adobe_target::EdgeCluster;
    ///
    /// let cluster = EdgeCluster::parse("28").expect("a cluster id");
    /// assert_eq!(format!("mboxedge{}.tt.omtrdc.net", cluster.as_str()), "mboxedge28.tt.omtrdc.net");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cluster of a value a visitor sent (`source` names where it came from, for the log):
    /// a value that is not a cluster is ignored with a `debug` line, never an error for the page.
    pub(crate) fn from_visitor(text: &str, source: &'static str) -> Option<Self> {
        let cluster = Self::parse(text);
        if cluster.is_none() && !text.is_empty() {
            tracing::debug!(
                source,
                len = text.len(),
                "ignoring an edge cluster that is not a cluster id"
            );
        }
        cluster
    }

    /// The cluster in a Target id of the form `<id>.<cluster>_<n>`, such as `28` in `abc.28_0`.
    pub(crate) fn from_device_id(device_id: &str) -> Option<Self> {
        let (_, suffix) = device_id.rsplit_once('.')?;
        let (cluster, n) = suffix.split_once('_')?;
        if n.is_empty() {
            return None;
        }
        Self::from_visitor(cluster, "the mbox cookie's Target id")
    }

    /// The cluster in an edge host such as `mboxedge28.tt.omtrdc.net` (the Edge's `edgeHost`).
    pub(crate) fn from_edge_host(edge_host: &str) -> Option<Self> {
        let cluster = edge_host
            .strip_suffix(".tt.omtrdc.net")?
            .strip_prefix("mboxedge")?;
        Self::parse(cluster)
    }
}

impl std::str::FromStr for EdgeCluster {
    type Err = Error;

    /// A cluster id, or [`Error::InvalidOptions`] naming `target_location_hint`.
    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text).ok_or_else(|| Error::InvalidOptions {
            option: "target_location_hint".to_owned(),
            reason: format!(
                "must be an edge cluster id such as \"28\" (1 to {MAX_CLUSTER_LEN} ASCII letters and digits)"
            ),
        })
    }
}

impl std::fmt::Display for EdgeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EdgeCluster {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The hosts a client's Delivery calls can go to, fixed when the client is created from its
/// validated options: `mboxedge<cluster>.tt.omtrdc.net` for a known cluster, else the configured
/// `server_domain`, else `<client>.tt.omtrdc.net`. No other host can come out of it.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    scheme: &'static str,
    /// `scheme://host[:port]` for a call without a cluster.
    default_base: String,
    /// The client's `target_location_hint`, for a visitor whose cookies name no cluster.
    default_cluster: Option<EdgeCluster>,
}

impl Endpoints {
    /// The endpoints of validated options: `server_domain` must be a host with an optional port,
    /// `client` a client code, the hint a cluster id (each checked again here).
    pub(crate) fn new(
        secure: bool,
        client: &str,
        server_domain: Option<&str>,
        location_hint: Option<&str>,
    ) -> Result<Self> {
        let scheme = if secure { "https" } else { "http" };
        let default_base = match server_domain {
            Some(domain) => host_origin("server_domain", scheme, domain)?,
            None => host_origin("client", scheme, &format!("{client}.tt.omtrdc.net"))?,
        };
        let default_cluster = location_hint.map(str::parse).transpose()?;
        Ok(Self {
            scheme,
            default_base,
            default_cluster,
        })
    }

    /// The configured cluster, for a visitor whose cookies name none.
    pub(crate) fn default_cluster(&self) -> Option<&EdgeCluster> {
        self.default_cluster.as_ref()
    }

    /// `scheme://host[:port]` (no trailing slash) of a call on `cluster`.
    pub(crate) fn base_url(&self, cluster: Option<&EdgeCluster>) -> String {
        match cluster {
            // An EdgeCluster is ASCII alphanumeric: the host is one DNS label under tt.omtrdc.net.
            Some(cluster) => format!("{}://mboxedge{cluster}.tt.omtrdc.net", self.scheme),
            None => self.default_base.clone(),
        }
    }
}

/// [`origin`], or [`Error::InvalidOptions`] naming `option` when `authority` is not a host with
/// an optional port: the one rule for `server_domain`, `cdn_base_path` and the client's host.
pub(crate) fn host_origin(option: &str, scheme: &str, authority: &str) -> Result<String> {
    origin(scheme, authority).ok_or_else(|| Error::InvalidOptions {
        option: option.to_owned(),
        reason: "must be a host name with an optional port, without scheme or path".to_owned(),
    })
}

/// `scheme://host[:port]` when `authority` is exactly a host with an optional port (no user
/// info, path, query or fragment), as the URL parser reads it.
fn origin(scheme: &str, authority: &str) -> Option<String> {
    if authority.is_empty()
        || authority
            .bytes()
            .any(|b| matches!(b, b'/' | b'\\' | b'@' | b'?' | b'#' | b'%') || b <= b' ')
    {
        return None;
    }
    let url = url::Url::parse(&format!("{scheme}://{authority}")).ok()?;
    let host = url.host_str().filter(|h| !h.is_empty())?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return None;
    }
    Some(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_short_alphanumeric_ids() {
        for good in ["28", "35", "irl1", "A7"] {
            assert_eq!(
                EdgeCluster::parse(good).map(|c| c.to_string()),
                Some(good.to_owned())
            );
        }
        for bad in [
            "",
            "1@127.0.0.1:8099/",
            "../../evil",
            "28.evil.com",
            "28 ",
            "2_8",
            "٢٨",
            "12345678901234567",
        ] {
            assert_eq!(EdgeCluster::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clusters_from_device_ids_and_edge_hosts() {
        let c = |s: &str| EdgeCluster::parse(s);
        assert_eq!(EdgeCluster::from_device_id("abc.28_0"), c("28"));
        assert_eq!(EdgeCluster::from_device_id("abc"), None);
        assert_eq!(EdgeCluster::from_device_id("abc.28"), None);
        assert_eq!(
            EdgeCluster::from_device_id("abc.1@2130706433:8099/_0"),
            None
        );
        assert_eq!(
            EdgeCluster::from_edge_host("mboxedge35.tt.omtrdc.net"),
            c("35")
        );
        assert_eq!(EdgeCluster::from_edge_host("demo.tt.omtrdc.net"), None);
        assert_eq!(
            EdgeCluster::from_edge_host("mboxedge1.dev.tt.omtrdc.net"),
            None
        );
        assert_eq!(
            EdgeCluster::from_edge_host("mboxedge1@evil.example/.tt.omtrdc.net"),
            None
        );
    }

    #[test]
    fn origins_are_host_and_port_only() {
        assert_eq!(
            origin("http", "127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("https", "Edge.Example.com").as_deref(),
            Some("https://edge.example.com")
        );
        for bad in [
            "",
            "a@b",
            "host/path",
            "host?q",
            "host#f",
            "host:notaport",
            "ho st",
            "h%2Fx",
            "h\\x",
        ] {
            assert_eq!(origin("https", bad), None, "{bad:?}");
        }
    }
}
