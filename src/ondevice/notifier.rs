//! Sends the display notifications (and telemetry) of on-device decisions in the background,
//! so a decision never waits for the network. Nothing is dropped silently: a send that fails,
//! or a job the queue cannot take, raises `Event::SendNotificationError`; `flush` waits for
//! everything queued; closing the queue lets the worker finish what is left.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::delivery::types::DeliveryRequest;
use crate::edge::EdgeCluster;
use crate::events::Event;
use crate::options::{GetOffersOptions, NotificationHandler};
use crate::remote::pipeline::Pipeline;
use crate::remote::response::ResponseMeta;
use crate::visitor::Visitor;

/// Jobs waiting beyond this are refused (and reported), so memory stays bounded.
const QUEUE: usize = 10_000;
/// Notification requests in flight at once.
const CONCURRENCY: usize = 16;

/// One notification request and the visitor's session, edge cluster and Experience Cloud
/// visitor (so the request keeps the decision's supplemental data id).
pub(crate) struct Job {
    pub(crate) request: DeliveryRequest,
    pub(crate) session_id: String,
    pub(crate) cluster: Option<EdgeCluster>,
    pub(crate) visitor: Visitor,
}

#[derive(Default)]
struct Pending {
    count: AtomicUsize,
    idle: Notify,
}

impl Pending {
    fn done(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }
}

pub(crate) struct Notifier {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    pending: Arc<Pending>,
    worker: Mutex<Option<JoinHandle<()>>>,
    pipeline: Arc<Pipeline>,
}

impl Notifier {
    pub(crate) fn start(pipeline: Arc<Pipeline>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let pending = Arc::new(Pending::default());
        let handler = pipeline.options.notification_handler.clone();
        let worker = tokio::spawn(run(receiver, pipeline.clone(), pending.clone(), handler));
        Self {
            sender: Mutex::new(Some(sender)),
            pending,
            worker: Mutex::new(Some(worker)),
            pipeline,
        }
    }

    /// Queues a notification request; when it cannot be queued, says so through the event.
    pub(crate) fn enqueue(&self, job: Job) {
        let sender = self.sender.lock().ok().and_then(|s| s.clone());
        self.pending.count.fetch_add(1, Ordering::AcqRel);
        let refused = match sender {
            Some(sender) => sender.try_send(job).err().map(|e| match e {
                mpsc::error::TrySendError::Full(job) => (job, "the notification queue is full"),
                mpsc::error::TrySendError::Closed(job) => (job, "the client was shut down"),
            }),
            None => Some((job, "the client was shut down")),
        };
        if let Some((job, reason)) = refused {
            self.pending.done();
            tracing::warn!(reason, "notification not sent");
            self.pipeline.events.emit(Event::SendNotificationError {
                request: Box::new(job.request),
                error: reason.to_owned(),
            });
        }
    }

    /// Waits until every queued notification was sent or reported.
    pub(crate) async fn flush(&self) {
        loop {
            let idle = self.pending.idle.notified();
            if self.pending.count.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Stops taking jobs, sends what is queued, and waits for the worker to end.
    pub(crate) async fn close(&self) {
        self.sender.lock().ok().and_then(|mut s| s.take());
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(worker) = worker {
            let _ = worker.await;
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // Closing the queue lets the worker send what is left, then end on its own.
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
    }
}

async fn run(
    mut receiver: mpsc::Receiver<Job>,
    pipeline: Arc<Pipeline>,
    pending: Arc<Pending>,
    handler: Option<NotificationHandler>,
) {
    let mut in_flight: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    loop {
        tokio::select! {
            job = receiver.recv(), if in_flight.len() < CONCURRENCY => match job {
                Some(Job { request, session_id, cluster, visitor }) => match (prepare(request, &pipeline), &handler) {
                    (Some(request), None) => {
                        let job = Job { request, session_id, cluster, visitor };
                        in_flight.push(Box::pin(deliver(job, pipeline.clone(), pending.clone())));
                    }
                    (Some(request), Some(handler)) => {
                        // What would be sent: prepared as `deliver` prepares it.
                        let options = call_options(session_id, cluster, visitor);
                        handler(pipeline.prepare(&options, request).request);
                        pending.done();
                    }
                    (None, _) => pending.done(),
                },
                None => break,
            },
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
        }
    }
    while in_flight.next().await.is_some() {}
}

/// Attaches pending telemetry; `None` when there is nothing to send.
fn prepare(mut request: DeliveryRequest, pipeline: &Pipeline) -> Option<DeliveryRequest> {
    pipeline.attach_telemetry(&mut request);
    let has_content = !request.notifications.is_empty()
        || request
            .telemetry
            .as_ref()
            .is_some_and(|t| !t.entries.is_empty());
    has_content.then_some(request)
}

/// The options of a notification call for the visitor of a decision.
fn call_options(
    session_id: String,
    cluster: Option<EdgeCluster>,
    visitor: Visitor,
) -> GetOffersOptions {
    let mut options = GetOffersOptions::default()
        .session_id(session_id)
        .visitor(visitor);
    options.target_location_hint = cluster;
    options
}

async fn deliver(job: Job, pipeline: Arc<Pipeline>, pending: Arc<Pending>) {
    let Job {
        request,
        session_id,
        cluster,
        visitor,
    } = job;
    let options = call_options(session_id, cluster, visitor);
    let sent = pipeline
        .execute(
            "send_notifications",
            &options,
            request.clone(),
            ResponseMeta::server_side(),
        )
        .await;
    if let Err(error) = sent {
        tracing::warn!(%error, "notifications could not be sent");
        pipeline.events.emit(Event::SendNotificationError {
            request: Box::new(request),
            error: error.to_string(),
        });
    }
    pending.done();
}
