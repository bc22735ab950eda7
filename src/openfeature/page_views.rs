//! Decisions shared within a page view: the evaluations of one mbox for one visitor's page view
//! (the same request) wait for one decision, so the page view sends one notification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use open_feature::EvaluationError;
use tokio::sync::OnceCell;

use crate::attributes::Attributes;

/// How long a page view's decisions are kept for its later evaluations.
const KEPT_FOR: Duration = Duration::from_secs(60);
/// At most this many decisions are kept; past it, an evaluation decides on its own.
const MOST_KEPT: usize = 10_000;

pub(crate) type Decided = Result<Arc<Attributes>, EvaluationError>;

/// A decision being made or made, and when it was asked for first.
type Slot = (Instant, Arc<OnceCell<Decided>>);

/// The decisions of recent page views, by page view and request.
#[derive(Default)]
pub(crate) struct PageViews {
    decisions: Mutex<HashMap<String, Slot>>,
}

impl PageViews {
    /// The decision for `key`: made by `decide` once, then shared while it is kept.
    pub(crate) async fn decide<F>(&self, key: String, decide: F) -> Decided
    where
        F: Future<Output = Decided>,
    {
        let Some(cell) = self.cell(key) else {
            return decide.await;
        };
        cell.get_or_init(|| decide).await.clone()
    }

    /// The shared slot for `key`, or `None` when the table is full of live page views.
    fn cell(&self, key: String) -> Option<Arc<OnceCell<Decided>>> {
        let now = Instant::now();
        let mut decisions = self.decisions.lock().ok()?;
        if let Some((at, cell)) = decisions.get(&key)
            && now.duration_since(*at) < KEPT_FOR
        {
            return Some(cell.clone());
        }
        if decisions.len() >= MOST_KEPT {
            decisions.retain(|_, (at, _)| now.duration_since(*at) < KEPT_FOR);
            if decisions.len() >= MOST_KEPT {
                return None;
            }
        }
        let cell = Arc::new(OnceCell::new());
        decisions.insert(key, (now, cell.clone()));
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn failure() -> Decided {
        Err(EvaluationError::builder()
            .code(open_feature::EvaluationErrorCode::General("x".to_owned()))
            .build())
    }

    #[tokio::test]
    async fn concurrent_evaluations_of_one_key_decide_once_and_other_keys_apart() {
        let views = PageViews::default();
        let calls = AtomicUsize::new(0);
        let decide = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            failure()
        };
        let (a, b, c) = tokio::join!(
            views.decide("pv-1".to_owned(), decide()),
            views.decide("pv-1".to_owned(), decide()),
            views.decide("pv-2".to_owned(), decide()),
        );
        assert!(a.is_err() && b.is_err() && c.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
