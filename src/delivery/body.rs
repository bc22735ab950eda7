//! HTTP bodies read with a cap, and reqwest's errors classified as the crate's: one place for
//! the Delivery answers, the artifact and the geo answers alike.

#[cfg(feature = "on-device")]
use bytes::Bytes;
use http_body_util::BodyExt;

use crate::error::Error;

/// A body passed its cap.
#[derive(Debug)]
struct TooLarge(usize);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the response is larger than {} bytes", self.0)
    }
}

impl std::error::Error for TooLarge {}

/// Makes reading `response` fail once its body passes `limit` bytes, while it arrives.
pub(crate) fn limit(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let response: http::Response<reqwest::Body> = response.into();
    reqwest::Response::from(response.map(|body| {
        let capped = http_body_util::Limited::new(body, limit).map_err(move |error| {
            if error.is::<http_body_util::LengthLimitError>() {
                Box::new(TooLarge(limit)) as Box<dyn std::error::Error + Send + Sync>
            } else {
                error
            }
        });
        reqwest::Body::wrap(capped)
    }))
}

/// The whole body of `response`, at most `limit` bytes of it: refused before a byte is read
/// when its `Content-Length` is larger, else while it arrives.
#[cfg(feature = "on-device")]
pub(crate) async fn read(
    response: reqwest::Response,
    limit_bytes: usize,
) -> crate::error::Result<Bytes> {
    if response
        .content_length()
        .is_some_and(|length| length > limit_bytes as u64)
    {
        return Err(Error::Decode {
            message: TooLarge(limit_bytes).to_string(),
            body: String::new(),
        });
    }
    limit(response, limit_bytes)
        .bytes()
        .await
        .map_err(transport_error)
}

/// Classifies a reqwest error: a body over its cap is [`Error::Decode`] (not retried), a
/// timeout [`Error::Timeout`], the rest [`Error::Transport`] without the URL's query (it
/// carries the organization and session ids; host and path stay, for finding the fault).
pub(crate) fn transport_error(error: reqwest::Error) -> Error {
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if let Some(too_large) = cause.downcast_ref::<TooLarge>() {
            return Error::Decode {
                message: too_large.to_string(),
                body: String::new(),
            };
        }
        source = cause.source();
    }
    if error.is_timeout() {
        return Error::Timeout;
    }
    match error.url().cloned() {
        Some(mut url) if url.query().is_some() => {
            url.set_query(None);
            Error::Transport(error.with_url(url))
        }
        _ => Error::Transport(error),
    }
}
