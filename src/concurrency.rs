//! Running many Target calls at once.
//!
//! Every call is a future: `tokio::join!` them, `tokio::spawn` them, or drop one to cancel its
//! request. For one page view, run everything together so the page waits for the slowest call
//! only:
//!
//! ```no_run
//! use adobe_target::{GetOffersOptions, TargetClient};
//! use adobe_target::delivery::types::DeliveryRequest;
//!
//! # async fn page_view(client: TargetClient, offers: DeliveryRequest, seen: DeliveryRequest) -> adobe_target::Result<()> {
//! let cookie = "session#abc#1900000000|PC#abc.28_0#1900000000";
//! let (offers, flags, notified) = tokio::join!(
//!     client.get_offers(GetOffersOptions::new(offers).target_cookie(cookie)),
//!     client.get_attributes(&["feature-flags"], GetOffersOptions::default().target_cookie(cookie)),
//!     client.send_notifications(GetOffersOptions::new(seen).target_cookie(cookie)),
//! );
//! let dark_mode: bool = flags?.value("feature-flags", "dark-mode")?;
//! # let _ = (offers?, notified?, dark_mode);
//! # Ok(()) }
//! ```

use std::num::NonZeroUsize;

use futures::stream::{self, Stream, StreamExt};

use crate::client::TargetClient;
use crate::error::Result;
use crate::options::GetOffersOptions;
use crate::remote::response::TargetResponse;

impl TargetClient {
    /// Runs `get_offers` for every item with at most `concurrency` in flight, and returns the
    /// results in input order.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient, calls: Vec<adobe_target::GetOffersOptions>) {
    /// use std::num::NonZeroUsize;
    /// let results = client.get_offers_all(calls, NonZeroUsize::new(16).unwrap()).await;
    /// for result in results {
    ///     match result {
    ///         Ok(out) => println!("{:?}", out.meta),
    ///         Err(e) => eprintln!("{e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn get_offers_all<I>(
        &self,
        calls: I,
        concurrency: NonZeroUsize,
    ) -> Vec<Result<TargetResponse>>
    where
        I: IntoIterator<Item = GetOffersOptions>,
    {
        stream::iter(calls)
            .map(|call| self.get_offers(call))
            .buffered(concurrency.get())
            .collect()
            .await
    }

    /// Runs `get_offers` for every item with at most `concurrency` in flight, yielding each
    /// result with its input position as soon as it completes. Dropping the stream cancels the
    /// calls still running.
    ///
    /// ```no_run
    /// # async fn run(client: adobe_target::TargetClient, calls: Vec<adobe_target::GetOffersOptions>) {
    /// use futures::StreamExt;
    /// use std::num::NonZeroUsize;
    /// let mut results = client.get_offers_stream(calls, NonZeroUsize::new(16).unwrap());
    /// while let Some((position, result)) = results.next().await {
    ///     println!("call {position}: {}", result.is_ok());
    /// }
    /// # }
    /// ```
    pub fn get_offers_stream<I>(
        &self,
        calls: I,
        concurrency: NonZeroUsize,
    ) -> impl Stream<Item = (usize, Result<TargetResponse>)> + Send + 'static
    where
        I: IntoIterator<Item = GetOffersOptions>,
        I::IntoIter: Send + 'static,
    {
        let client = self.clone();
        stream::iter(calls.into_iter().enumerate())
            .map(move |(position, call)| {
                let client = client.clone();
                async move { (position, client.get_offers(call).await) }
            })
            .buffer_unordered(concurrency.get())
    }
}
