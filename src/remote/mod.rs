//! The remote request path: preparing a Delivery request (ids, session, edge cluster, fill-ins),
//! sending it with retries, timeout and the in-flight limit, shaping the answer and its cookies,
//! and the telemetry that rides along.

use std::pin::Pin;
use std::sync::Arc;

use crate::delivery::types::DeliveryRequest;
use crate::error::Result;
use crate::options::GetOffersOptions;

pub(crate) mod cookies;
pub(crate) mod pipeline;
pub(crate) mod prepare;
pub(crate) mod response;
pub(crate) mod telemetry;

use pipeline::Pipeline;
use response::{ResponseMeta, TargetResponse};

/// A call under way, on the heap: only the path it took.
pub(crate) type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<TargetResponse>> + Send + 'a>>;

/// A `get_offers` call the Edge decides; `meta` says which items needed it.
pub(crate) fn get_offers<'a>(
    pipeline: &'a Pipeline,
    options: &GetOffersOptions,
    request: Arc<DeliveryRequest>,
    meta: ResponseMeta,
) -> CallFuture<'a> {
    Box::pin(pipeline.execute("get_offers", options, request, meta))
}
