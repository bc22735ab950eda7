//! Sends the display notifications (and telemetry) of on-device decisions in the background,
//! so a decision never waits for the network. Jobs that wait for a free slot are coalesced: the
//! notifications of one visitor's decisions (the same session, ids and context) go in one
//! Delivery request, as the API takes a list of them per visitor. Nothing is dropped silently: a send that fails,
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
use crate::events::Event;
use crate::options::NotificationHandler;
use crate::remote::pipeline::Pipeline;

mod job;

pub(crate) use job::Decided;
use job::{Job, Queued, Waiting};

/// How many received jobs wait in the worker, at most, to be coalesced with later ones (the rest
/// wait in the channel).
const COALESCED: usize = 64;

#[derive(Default)]
struct Pending {
    count: AtomicUsize,
    idle: Notify,
    /// Estimated bytes of the jobs queued or in flight.
    bytes: AtomicUsize,
    room: Notify,
    /// Tasks in `flush` or `wait_for_room`: only then is there anyone to wake (each wake takes
    /// `Notify`'s lock, on every notification sent otherwise).
    watching: AtomicUsize,
    /// Jobs sent to the worker that it has not received yet.
    unreceived: AtomicUsize,
}

impl Pending {
    fn done(&self, size: usize) {
        self.done_many(size, 1);
    }

    /// `jobs` jobs of `size` bytes in all were sent or reported.
    ///
    /// The counters and `watching` are sequentially consistent: a watcher that counted itself
    /// in after this update reads the updated counters, one that did before is woken.
    fn done_many(&self, size: usize, jobs: usize) {
        self.bytes.fetch_sub(size, Ordering::SeqCst);
        let idle = self.count.fetch_sub(jobs, Ordering::SeqCst) == jobs;
        if self.watching.load(Ordering::SeqCst) > 0 {
            self.room.notify_waiters();
            if idle {
                self.idle.notify_waiters();
            }
        }
    }

    /// The job of `queued`, just received from the channel.
    fn received(&self, queued: Queued) -> Job {
        self.unreceived.fetch_sub(1, Ordering::SeqCst);
        queued.into_job()
    }

    /// Counts a watcher in until the guard drops (also when its future is dropped).
    fn watch(&self) -> Watching<'_> {
        self.watching.fetch_add(1, Ordering::SeqCst);
        Watching(&self.watching)
    }
}

struct Watching<'a>(&'a AtomicUsize);

impl Drop for Watching<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) struct Notifier {
    sender: Mutex<Option<mpsc::UnboundedSender<(Queued, usize)>>>,
    pending: Arc<Pending>,
    worker: Mutex<Option<JoinHandle<()>>>,
    pipeline: Arc<Pipeline>,
}

impl Notifier {
    pub(crate) fn start(pipeline: Arc<Pipeline>) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
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

    /// Queues a decision's notification request; when it cannot be queued (no room in the
    /// memory bound, or shut down), says so through the event.
    pub(crate) fn enqueue(&self, decided: Decided) {
        let size = decided.size();
        self.pending.count.fetch_add(1, Ordering::SeqCst);
        let queued = self.pending.bytes.fetch_add(size, Ordering::SeqCst);
        let limit = self.pipeline.options.notification_queue_bytes;
        let refused = if queued.saturating_add(size) > limit && queued > 0 {
            Some((Queued::Decided(decided), "the notification queue is full"))
        } else {
            // Shared with the response only when the worker has taken everything sent before
            // (it then takes this one at its next turn, usually once the response is gone).
            let queued = match self.pending.unreceived.fetch_add(1, Ordering::SeqCst) {
                0 => Queued::Decided(decided),
                _ => Queued::Job(decided.into_job()),
            };
            // Sent under the lock (a send does not wait), not through a clone of the sender.
            let sender = self.sender.lock().ok();
            let refused = match sender.as_ref().and_then(|s| s.as_ref()) {
                Some(sender) => sender
                    .send((queued, size))
                    .err()
                    .map(|e| (e.0.0, "the client was shut down")),
                None => Some((queued, "the client was shut down")),
            };
            if refused.is_some() {
                self.pending.unreceived.fetch_sub(1, Ordering::SeqCst);
            }
            refused
        };
        if let Some((queued, reason)) = refused {
            self.pending.done(size);
            tracing::warn!(reason, "notification not sent");
            self.pipeline.events.emit(Event::SendNotificationError {
                request: queued.into_job().request,
                error: reason.to_owned(),
            });
        }
    }

    /// Whether the queue is below its memory bound.
    pub(crate) fn has_room(&self) -> bool {
        self.pending.bytes.load(Ordering::SeqCst) < self.pipeline.options.notification_queue_bytes
    }

    /// Waits up to `max` for the queue to drop below its memory bound.
    pub(crate) async fn wait_for_room(&self, max: std::time::Duration) {
        let room = async {
            let _watching = self.pending.watch();
            loop {
                let freed = self.pending.room.notified();
                if self.has_room() {
                    return;
                }
                freed.await;
            }
        };
        let _ = tokio::time::timeout(max, room).await;
    }

    /// Waits until every queued notification was sent or reported.
    pub(crate) async fn flush(&self) {
        let _watching = self.pending.watch();
        loop {
            let idle = self.pending.idle.notified();
            if self.pending.count.load(Ordering::SeqCst) == 0 {
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
    mut receiver: mpsc::UnboundedReceiver<(Queued, usize)>,
    pipeline: Arc<Pipeline>,
    pending: Arc<Pending>,
    handler: Option<NotificationHandler>,
) {
    let concurrency = pipeline.options.notification_concurrency.get();
    let mut in_flight: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    let mut waiting = Waiting::default();
    let mut open = true;
    loop {
        // What is queued already joins the waiting jobs of its visitor.
        while open && waiting.0.len() < COALESCED {
            match receiver.try_recv() {
                Ok((queued, size)) => waiting.add(pending.received(queued), size),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => open = false,
            }
        }
        if in_flight.len() < concurrency
            && let Some((job, size, jobs)) = waiting.0.pop_front()
        {
            start(
                job,
                size,
                jobs,
                &pipeline,
                &pending,
                handler.as_ref(),
                &mut in_flight,
            );
            continue;
        }
        if !open && waiting.0.is_empty() {
            break;
        }
        tokio::select! {
            job = receiver.recv(), if open && waiting.0.len() < COALESCED => match job {
                Some((queued, size)) => waiting.add(pending.received(queued), size),
                None => open = false,
            },
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
        }
    }
    while in_flight.next().await.is_some() {}
}

/// Starts sending `job` (standing for `jobs` queued jobs of `size` bytes), or hands it to the
/// notification handler.
fn start(
    mut job: Job,
    size: usize,
    jobs: usize,
    pipeline: &Arc<Pipeline>,
    pending: &Arc<Pending>,
    handler: Option<&NotificationHandler>,
    in_flight: &mut FuturesUnordered<BoxFuture<'static, ()>>,
) {
    if !prepare(&mut job.request, pipeline) {
        return pending.done_many(size, jobs);
    }
    match handler {
        None => {
            let (pipeline, pending) = (pipeline.clone(), pending.clone());
            in_flight.push(Box::pin(async move {
                deliver(job, &pipeline).await;
                pending.done_many(size, jobs);
            }));
        }
        Some(handler) => {
            // What would be sent.
            handler(*job.request);
            pending.done_many(size, jobs);
        }
    }
}

/// Gives the request its id and the pending telemetry; whether there is anything to send.
fn prepare(request: &mut DeliveryRequest, pipeline: &Pipeline) -> bool {
    pipeline.attach_telemetry(request);
    let send = !request.notifications.is_empty()
        || request
            .telemetry
            .as_ref()
            .is_some_and(|t| !t.entries.is_empty());
    if send && request.request_id.is_none() {
        request.request_id = Some(crate::ids::new_id());
    }
    send
}

/// How long a notification request may take at least: no visitor waits for it, and one that
/// times out is lost to Target's reports, so a slow moment of the Edge must not cost it.
const NOTIFICATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn deliver(job: Job, pipeline: &Pipeline) {
    let timeout = pipeline.options.timeout.max(NOTIFICATION_TIMEOUT);
    let sent = pipeline
        .notify(&job.session_id, job.cluster.as_ref(), job.request, timeout)
        .await;
    if let Err((error, request)) = sent {
        tracing::warn!(%error, "notifications could not be sent");
        pipeline.events.emit(Event::SendNotificationError {
            request,
            error: error.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::Decided;
    use super::job::tests::decided;
    use crate::delivery::types::DeliveryRequest;

    /// A decision is shared with its response only while nothing waits before it in the
    /// channel: behind a backlog its notification request is made at once, so the backlog
    /// does not keep every caller's whole request alive. Both reach the handler.
    #[tokio::test]
    async fn a_backlog_holds_notification_requests_not_the_callers_requests() {
        let handled = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = handled.clone();
        let options = crate::ClientOptions::new("client", "org@AdobeOrg").notification_handler(
            move |request| {
                if let Ok(mut seen) = seen.lock() {
                    seen.push(request.notifications.len());
                }
            },
        );
        let pipeline = Arc::new(crate::remote::pipeline::Pipeline::new(options).expect("options"));
        let notifier = super::Notifier::start(pipeline);
        let request: DeliveryRequest =
            serde_json::from_value(json!({"context": {"channel": "web"}})).expect("a request");
        let (first, second) = (Arc::new(request.clone()), Arc::new(request));
        // The worker cannot run before this task awaits: both wait in the channel.
        notifier.enqueue(decided(&first));
        // Another page view's (a session of its own), so the two are not coalesced.
        notifier.enqueue(Decided {
            session_id: "another".to_owned(),
            ..decided(&second)
        });
        assert_eq!(Arc::strong_count(&first), 2, "the first waits shared");
        assert_eq!(
            Arc::strong_count(&second),
            1,
            "the second, behind it, made its own"
        );
        notifier.flush().await;
        assert_eq!(Arc::strong_count(&first), 1, "received and let go");
        assert_eq!(*handled.lock().expect("the handler's list"), [1, 1]);
    }
}
