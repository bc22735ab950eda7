//! The crate's one error type.

/// Everything that can go wrong in this crate. Each variant says what to do about it.
///
/// ```
/// use adobe_target::Error;
/// let err = Error::Http { status: 400, message: "Invalid token".into() };
/// assert_eq!(err.status(), Some(400));
/// assert!(!err.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A client option is invalid: fix the named option.
    #[error("invalid option `{option}`: {reason}")]
    InvalidOptions {
        /// The option's name, as in the Python SDK's option map.
        option: String,
        /// The rule it breaks.
        reason: String,
    },
    /// The request or per-call options are invalid: fix the request.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The Delivery API answered with an error status; `message` is its explanation.
    /// 4xx: fix the request or the credentials; 429 and 5xx are retried and may pass later.
    #[error("Delivery API returned HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The API's `UnexpectedError.message`, or the start of the body when it sent none.
        message: String,
    },
    /// The call did not finish within its timeout: raise the timeout or check the network.
    #[error("the request timed out")]
    Timeout,
    /// The connection failed (refused, reset, DNS, TLS): check the host and the network.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// An attribute asked of [`Attributes`](crate::Attributes) is missing or of another type.
    #[error("attribute `{key}` of mbox `{mbox}`: {reason}")]
    Attribute {
        /// The mbox asked for.
        mbox: String,
        /// The attribute asked for.
        key: String,
        /// What is wrong: missing, or the type it has.
        reason: String,
    },
    /// On-device decisioning was asked for before the rules artifact was loaded, or
    /// [`TargetClient::ready`](crate::TargetClient::ready) gave up waiting for it. The source is the
    /// last failed download or parse (the text of the `artifact_download_failed` event): fix
    /// what it names (artifact location, on-device decisioning enabled for the client, the
    /// network), raise `maximum_wait_ready`, or use hybrid, which asks the Edge meanwhile.
    #[error("Unable to fulfill request; decisioning engine not ready: {}", not_ready(.last_failure.as_deref()))]
    EngineNotReady {
        /// Why the artifact did not load, when an attempt failed; `None` while the first
        /// download is still under way.
        #[source]
        last_failure: Option<std::sync::Arc<Error>>,
    },
    /// The CDN answered the artifact download with an error status. 401 or 403: enable
    /// on-device decisioning in Target's admin settings (or check the property token); 404:
    /// check the client code, environment and artifact location. 429 and 5xx are retried.
    #[error("artifact download: {message}")]
    ArtifactDownload {
        /// The HTTP status.
        status: u16,
        /// What the status means for the artifact.
        message: String,
    },
    /// The rules artifact could not be loaded or is not supported.
    #[error("artifact: {0}")]
    Artifact(String),
    /// An I/O error: reading an artifact file, or starting the blocking client's runtime.
    #[error("I/O error: {0}")]
    Io(#[source] std::io::Error),
    /// The client was shut down.
    #[error("the client was shut down")]
    Shutdown,
    /// The server's answer could not be decoded: report it, with the body.
    #[error("could not decode the response: {message}")]
    Decode {
        /// What did not match.
        message: String,
        /// The start of the body as received.
        body: String,
    },
}

/// What `EngineNotReady` says about the artifact.
fn not_ready(last_failure: Option<&Error>) -> String {
    match last_failure {
        Some(failure) => format!(
            "the rules artifact did not load ({failure}); fix its location or the network, or \
             raise maximum_wait_ready"
        ),
        None => "the rules artifact has not loaded yet; await TargetClient::ready() (bounded by \
                 maximum_wait_ready), or use hybrid decisioning"
            .to_owned(),
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// At most this much of a body is kept in an error.
pub(crate) const BODY_EXCERPT: usize = 512;

impl Error {
    /// The HTTP status, for errors that carry one.
    ///
    /// ```
    /// # async fn run(client: adobe_target::TargetClient, options: adobe_target::GetOffersOptions) {
    /// if let Err(error) = client.get_offers(options).await {
    ///     match error.status() {
    ///         Some(status) => eprintln!("the Edge answered {status}: {error}"),
    ///         None => eprintln!("no answer: {error}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } | Self::ArtifactDownload { status, .. } => Some(*status),
            Self::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Whether trying the same call again may succeed: connection failures, timeouts, 429 and 5xx.
    ///
    /// ```
    /// use adobe_target::Error;
    ///
    /// let refused = Error::InvalidRequest("execute or prefetch is required".to_owned());
    /// assert!(!refused.is_retryable());
    /// assert_eq!(refused.status(), None);
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } | Self::ArtifactDownload { status, .. } => {
                *status == 429 || *status >= 500
            }
            Self::Timeout => true,
            Self::Transport(e) => !e.is_builder() && !e.is_redirect(),
            _ => false,
        }
    }
}

/// The first [`BODY_EXCERPT`] bytes of a body, as text.
pub(crate) fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body.get(..BODY_EXCERPT).unwrap_or(body)).into_owned()
}
