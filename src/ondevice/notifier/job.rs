//! What the notifier queues for one decision and how it becomes a notification request: the
//! decision as it leaves `get_offers`, the request made from it (taking the decided request's
//! parts, or copying them while the caller's response holds them), and the coalescing of one
//! visitor's waiting requests.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::delivery::types::{DeliveryRequest, Notification};
use crate::edge::EdgeCluster;
use crate::remote::prepare::visitor_id;

/// What a queued job costs besides its strings (the request's structs, the channel's node),
/// for the queue's memory bound.
const JOB_OVERHEAD: usize = 1024;

/// What an on-device decision leaves to notify: its decided request (shared with the caller's
/// response), its display notifications, and the visitor's Experience Cloud id, session and edge
/// cluster. The notification request is made from it when the worker receives it, or at once
/// when others wait before it (see [`Queued`]).
pub(crate) struct Decided {
    pub(crate) request: Arc<DeliveryRequest>,
    pub(crate) notifications: Vec<Notification>,
    pub(crate) marketing_cloud_visitor_id: Option<String>,
    pub(crate) session_id: String,
    pub(crate) cluster: Option<EdgeCluster>,
}

impl Decided {
    /// An estimate of the memory the decision holds until it is sent: its strings and a fixed
    /// overhead.
    pub(super) fn size(&self) -> usize {
        let strings: usize = self
            .notifications
            .iter()
            .map(|n| {
                n.id.len()
                    + n.tokens.iter().map(String::len).sum::<usize>()
                    + n.mbox
                        .as_ref()
                        .and_then(|m| m.name.as_ref())
                        .map_or(0, String::len)
            })
            .sum();
        let context = &self.request.context;
        let context = context.user_agent.as_ref().map_or(0, String::len)
            + context
                .address
                .as_ref()
                .and_then(|a| a.url.as_ref())
                .map_or(0, String::len);
        JOB_OVERHEAD + strings + context + self.session_id.len()
    }

    /// The notification request: the decided request's context, ids, environment, Experience
    /// Cloud settings and property (so it keeps the decision's supplemental data id), with the
    /// notifications, and nothing else (the rest from the generated `Default`, so a field the
    /// spec gains later starts out unset here).
    ///
    /// Its ids are the decided request's as a second preparation fills them, as the other SDKs
    /// prepare their notification requests again: with the visitor's Experience Cloud id where
    /// the request has none (an empty one in the caller's request kept it out of the
    /// decision's). The rest of a second preparation would give the same values again.
    ///
    /// The parts are taken, not copied, when the caller's response is gone by now (the Node.js
    /// SDK shares them with the request, as objects); copied while it lives.
    pub(super) fn into_job(self) -> Job {
        let Decided {
            mut request,
            notifications,
            marketing_cloud_visitor_id,
            session_id,
            cluster,
        } = self;
        // Filled in on the heap: a 1.8 KB request built on the stack would be copied into its box.
        let mut notification = Box::<DeliveryRequest>::default();
        let id = match Arc::get_mut(&mut request) {
            Some(only) => {
                // Swapped with the new request's default: no second default context made.
                std::mem::swap(&mut notification.context, &mut only.context);
                notification.experience_cloud = only.experience_cloud.take();
                notification.property = only.property.take();
                only.id.take()
            }
            None => {
                notification.context = request.context.clone();
                notification.experience_cloud = request.experience_cloud.clone();
                notification.property = request.property.clone();
                request.id.clone()
            }
        };
        notification.environment_id = request.environment_id;
        // The customer ids are already the visitor's and the request's: none to add again.
        notification.id = visitor_id(id, None, marketing_cloud_visitor_id.as_deref(), &[]);
        notification.notifications = notifications;
        Job {
            request: notification,
            session_id,
            cluster,
        }
    }
}

/// What the channel carries: a decision whose request the caller's response still shares,
/// taken apart when the worker receives it, or, when earlier ones are still waiting to be
/// received, the notification request already made from it (so a backlog holds notification
/// requests, not every caller's whole request).
pub(super) enum Queued {
    Decided(Decided),
    Job(Job),
}

impl Queued {
    pub(super) fn into_job(self) -> Job {
        match self {
            Self::Decided(decided) => decided.into_job(),
            Self::Job(job) => job,
        }
    }
}

/// One notification request, with the visitor's session and edge cluster.
pub(super) struct Job {
    pub(super) request: Box<DeliveryRequest>,
    pub(super) session_id: String,
    pub(super) cluster: Option<EdgeCluster>,
}

/// Received jobs waiting for a free slot, each with its size and how many jobs it stands for.
#[derive(Default)]
pub(super) struct Waiting(pub(super) VecDeque<(Job, usize, usize)>);

impl Waiting {
    /// Adds `job`, into a waiting job of the same visitor when there is one.
    pub(super) fn add(&mut self, job: Job, size: usize) {
        let same = self
            .0
            .iter_mut()
            .find(|(waiting, _, _)| same_visitor(waiting, &job));
        match same {
            Some((waiting, bytes, jobs)) => {
                waiting
                    .request
                    .notifications
                    .extend(job.request.notifications);
                *bytes += size;
                *jobs += 1;
            }
            None => self.0.push_back((job, size, 1)),
        }
    }
}

/// Whether two notification requests differ only in their notifications: the same session,
/// cluster, visitor ids, context, Experience Cloud settings, property and environment.
fn same_visitor(a: &Job, b: &Job) -> bool {
    let (x, y) = (&a.request, &b.request);
    a.session_id == b.session_id
        && a.cluster == b.cluster
        && x.id == y.id
        && x.context == y.context
        && x.experience_cloud == y.experience_cloud
        && x.property == y.property
        && x.environment_id == y.environment_id
        && x.telemetry.is_none()
        && y.telemetry.is_none()
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::Decided;
    use crate::delivery::types::{DeliveryRequest, Notification};

    pub(in crate::ondevice::notifier) fn decided(request: &Arc<DeliveryRequest>) -> Decided {
        let notification: Notification = serde_json::from_value(json!({
            "id": "n1", "timestamp": 1, "type": "display",
            "mbox": {"name": "hero"}, "tokens": ["t"]
        }))
        .expect("a notification");
        Decided {
            request: request.clone(),
            notifications: vec![notification],
            marketing_cloud_visitor_id: Some("ecid-of-the-visitor".to_owned()),
            session_id: "s".to_owned(),
            cluster: None,
        }
    }

    /// Taken from a request no response shares any more, or copied from one a response still
    /// holds: the same notification request, and the response's request left as it was.
    #[test]
    fn a_notification_request_is_the_same_taken_or_copied() {
        let request: DeliveryRequest = serde_json::from_value(json!({
            "requestId": "decided",
            // As preparation leaves it: no Experience Cloud id (an empty one is dropped there).
            "id": {"tntId": "t.28_0"},
            "context": {"channel": "web", "userAgent": "ua", "address": {"url": "http://x/"},
                        "geo": {"city": "SAN FRANCISCO"}},
            "environmentId": 7,
            "property": {"token": "p"},
            "experienceCloud": {"analytics": {"supplementalDataId": "sdid"}},
            "execute": {"mboxes": [{"name": "hero", "index": 1}]}
        }))
        .expect("a request");
        let expected = json!({
            "id": {"tntId": "t.28_0", "marketingCloudVisitorId": "ecid-of-the-visitor"},
            "context": {"channel": "web", "userAgent": "ua", "address": {"url": "http://x/"},
                        "geo": {"city": "SAN FRANCISCO"}},
            "environmentId": 7,
            "property": {"token": "p"},
            "experienceCloud": {"analytics": {"supplementalDataId": "sdid"}},
            "notifications": [{"id": "n1", "timestamp": 1, "type": "display",
                               "mbox": {"name": "hero"}, "tokens": ["t"]}]
        });
        let response = Arc::new(request.clone());
        let copied = decided(&response).into_job();
        assert_eq!(
            *response, request,
            "the response's request is left as it was"
        );
        let only = Arc::new(request);
        let taken = decided(&only).into_job();
        drop(only);
        for job in [&copied, &taken] {
            assert_eq!(serde_json::to_value(&job.request).expect("JSON"), expected);
            assert_eq!(job.session_id, "s");
        }
    }
}
