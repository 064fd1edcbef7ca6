//! A value fetched from the network when asked for: one fetch at a time, at most one attempt per
//! interval (a failure too), and readers of the value it has never wait for a fetch.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

struct State<T> {
    value: Option<Arc<T>>,
    attempted_at: Option<Instant>,
}

/// The newest value fetched, and when a fetch was last attempted.
pub struct Refetched<T> {
    min_interval: Duration,
    /// Held only to read or write the state, never across a fetch.
    state: Mutex<State<T>>,
    /// Held across a fetch, by those who need one only.
    fetching: tokio::sync::Mutex<()>,
}

impl<T> Refetched<T> {
    /// Nothing fetched yet; fetches at most once per `min_interval`.
    pub fn new(min_interval: Duration) -> Refetched<T> {
        Refetched {
            min_interval,
            state: Mutex::new(State { value: None, attempted_at: None }),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The value fetched last, without waiting.
    pub fn current(&self) -> Option<Arc<T>> {
        self.with(|state| state.value.clone())
    }

    /// The value fetched anew by `fetch`, or the current one when a fetch was attempted within the
    /// interval (one in flight is waited for); an error when there is none.
    pub async fn refetch<F: Future<Output = Result<T, String>>>(
        &self,
        fetch: impl FnOnce() -> F,
    ) -> Result<Arc<T>, String> {
        let _fetching = self.fetching.lock().await;
        let recent = self.with(|state| {
            let recent = state.attempted_at.is_some_and(|at| at.elapsed() < self.min_interval);
            if !recent {
                state.attempted_at = Some(Instant::now());
            }
            recent
        });
        if recent {
            return self.current().ok_or_else(|| "the last fetch failed; not retried yet".to_owned());
        }
        let value = Arc::new(fetch().await?);
        self.with(|state| state.value = Some(value.clone()));
        Ok(value)
    }
}
