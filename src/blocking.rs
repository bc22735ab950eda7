//! A synchronous client for callers without an async runtime (feature `blocking`).
//!
//! It owns a small tokio runtime (one worker thread) that runs the async client; every method
//! blocks the calling thread until its call completes. Do not call it from inside an async
//! runtime: use [`crate::TargetClient`] there.
//!
//! ```no_run
//! use adobe_target::{ClientOptions, GetOffersOptions, blocking::TargetClient};
//!
//! let client = TargetClient::create(ClientOptions::new("acmeclient", "0123456789ABCDEF01234567@AdobeOrg"))?;
//! let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default())?;
//! let enabled: bool = flags.value("feature-flags", "enabled")?;
//! # Ok::<(), adobe_target::Error>(())
//! ```

use std::sync::Arc;

use crate::{Attributes, ClientOptions, Error, GetOffersOptions, Result, TargetResponse};

/// The blocking twin of [`crate::TargetClient`]. Clone it freely; clones share the runtime.
#[derive(Clone, Debug)]
pub struct TargetClient {
    client: crate::TargetClient,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl TargetClient {
    /// Starts the runtime and creates the client.
    ///
    /// ```
    /// use adobe_target::ClientOptions;
    /// use adobe_target::blocking::TargetClient;
    ///
    /// let client = TargetClient::create(ClientOptions::new("acme", "org@AdobeOrg"))?;
    /// client.ready()?;
    /// # Ok::<(), adobe_target::Error>(())
    /// ```
    pub fn create(options: ClientOptions) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("adobe-target")
            .enable_all()
            .build()
            .map_err(Error::Io)?;
        let client = runtime.block_on(crate::TargetClient::create(options))?;
        Ok(Self {
            client,
            runtime: Arc::new(runtime),
        })
    }

    /// See [`crate::TargetClient::ready`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) {
    /// if let Err(not_ready) = client.ready() {
    ///     eprintln!("{not_ready}");
    /// }
    /// # }
    /// ```
    pub fn ready(&self) -> Result<()> {
        self.runtime.block_on(self.client.ready())
    }

    /// See [`crate::TargetClient::get_offers`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use adobe_target::GetOffersOptions;
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// let request: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "execute": {"mboxes": [{"name": "hero", "index": 0}]}
    /// }))?;
    /// let out = client.get_offers(GetOffersOptions::new(request))?;
    /// println!("{:?}", out.response_tokens());
    /// # Ok(()) }
    /// ```
    pub fn get_offers(&self, options: GetOffersOptions) -> Result<TargetResponse> {
        self.runtime.block_on(self.client.get_offers(options))
    }

    /// See [`crate::TargetClient::send_notifications`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use adobe_target::GetOffersOptions;
    /// use adobe_target::delivery::types::DeliveryRequest;
    ///
    /// let seen: DeliveryRequest = serde_json::from_value(serde_json::json!({
    ///     "notifications": [{"id": "n-1", "type": "display", "timestamp": 1700000000000_i64,
    ///                        "mbox": {"name": "hero"}, "tokens": ["event-token"]}]
    /// }))?;
    /// client.send_notifications(GetOffersOptions::new(seen))?;
    /// # Ok(()) }
    /// ```
    pub fn send_notifications(&self, options: GetOffersOptions) -> Result<TargetResponse> {
        self.runtime
            .block_on(self.client.send_notifications(options))
    }

    /// See [`crate::TargetClient::get_attributes`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) -> adobe_target::Result<()> {
    /// use adobe_target::GetOffersOptions;
    ///
    /// let flags = client.get_attributes(&["feature-flags"], GetOffersOptions::default())?;
    /// let dark: bool = flags.value("feature-flags", "dark_mode")?;
    /// # let _ = dark;
    /// # Ok(()) }
    /// ```
    pub fn get_attributes(
        &self,
        mbox_names: &[&str],
        options: GetOffersOptions,
    ) -> Result<Attributes> {
        self.runtime
            .block_on(self.client.get_attributes(mbox_names, options))
    }

    /// See [`crate::TargetClient::flush`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) {
    /// // Before a batch job exits: every display notification queued so far is sent.
    /// client.flush();
    /// # }
    /// ```
    pub fn flush(&self) {
        self.runtime.block_on(self.client.flush());
    }

    /// See [`crate::TargetClient::shutdown`].
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) {
    /// client.shutdown();
    /// # }
    /// ```
    pub fn shutdown(&self) {
        self.runtime.block_on(self.client.shutdown());
    }

    /// The async client inside, for use from the runtime's own tasks.
    ///
    /// ```
    /// # fn run(client: adobe_target::blocking::TargetClient) {
    /// let events = client.as_async().subscribe();
    /// # let _ = events;
    /// # }
    /// ```
    pub fn as_async(&self) -> &crate::TargetClient {
        &self.client
    }
}
