//! Which requested mboxes and views the artifact cannot decide, so the Edge must.

use super::*;

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
/// then those it does not list as local. Nothing is collected when every name is local (the
/// common case).
fn needing_server<'n>(
    requested: impl Iterator<Item = &'n str> + Clone,
    remote: &'n [String],
    local: &[String],
) -> Vec<String> {
    let is_local = |r: &str| local.iter().any(|l| l == r);
    let is_remote = |r: &str| remote.iter().any(|x| x == r);
    if requested.clone().all(|r| is_local(r) && !is_remote(r)) {
        return Vec::new();
    }
    let remote = remote
        .iter()
        .map(String::as_str)
        .filter(|r| requested.clone().any(|q| q == *r));
    let unknown = requested.clone().filter(|r| !is_local(r));
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
    let (execute, prefetch) = (request.execute.as_ref(), request.prefetch.as_ref());
    let page_load = execute.is_some_and(|e| e.page_load.is_some())
        || prefetch.is_some_and(|p| p.page_load.is_some());
    let requested = [execute.map(|e| &e.mboxes), prefetch.map(|p| &p.mboxes)]
        .into_iter()
        .flatten()
        .flatten()
        .map(|m| m.name.as_str())
        .chain(page_load.then_some(artifact.global_mbox.as_str()));
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
    let mboxes = needing_server(requested, &artifact.remote_mboxes, &artifact.local_mboxes);
    let views = if !view_requests.is_empty() && named.is_empty() {
        // Views asked for without names: every remote view.
        unique(artifact.remote_views.iter().map(String::as_str))
    } else {
        needing_server(
            named.iter().copied(),
            &artifact.remote_views,
            &artifact.local_views,
        )
    };
    RemoteDependency { mboxes, views }
}
