//! The response models for decided items.

use super::*;

pub(super) fn mbox_response(shaped: Shaped) -> MboxResponse {
    MboxResponse {
        name: shaped.name,
        index: shaped.index,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..MboxResponse::default()
    }
}

pub(super) fn prefetch_mbox_response(shaped: Shaped) -> PrefetchMboxResponse {
    PrefetchMboxResponse {
        name: shaped.name,
        index: shaped.index,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..PrefetchMboxResponse::default()
    }
}

pub(super) fn view_response(shaped: Shaped) -> View {
    View {
        name: shaped.name,
        options: shaped.options,
        metrics: shaped.metrics,
        trace: shaped.trace,
        ..View::default()
    }
}
