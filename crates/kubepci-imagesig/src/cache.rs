//! Verification results by (policy, digest), kept for a time-to-live and up to a bound. A
//! digest names immutable content, so its result only changes when signatures are added or
//! removed, which the time-to-live bounds. Registry failures are never cached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::verifier::Decision;

/// A bounded, expiring map.
#[derive(Debug)]
pub(crate) struct Cache {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<(usize, String), (Instant, Decision)>>,
}

impl Cache {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The unexpired result for a policy and digest.
    pub(crate) fn get(&self, policy: usize, digest: &str, now: Instant) -> Option<Decision> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(&(policy, digest.to_owned()))
            .filter(|(at, _)| now.duration_since(*at) < self.ttl)
            .map(|(_, d)| d.clone())
    }

    /// Remembers a result; at the bound, expired entries go first, then the oldest.
    pub(crate) fn insert(&self, policy: usize, digest: &str, decision: Decision, now: Instant) {
        if self.max == 0 || self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= self.max {
            entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
        }
        while entries.len() >= self.max {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&oldest);
        }
        entries.insert((policy, digest.to_owned()), (now, decision));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubepci_rules::signatures::Outcome;

    fn decision(reason: &str) -> Decision {
        Decision {
            outcome: Outcome::Rejected,
            signers: Vec::new(),
            reason: Some(reason.into()),
        }
    }

    #[test]
    fn entries_expire_and_the_oldest_go_first() {
        let cache = Cache::new(Duration::from_secs(10), 2);
        let t0 = Instant::now();
        cache.insert(0, "sha256:a", decision("a"), t0);
        cache.insert(0, "sha256:b", decision("b"), t0 + Duration::from_secs(1));
        assert!(
            cache
                .get(0, "sha256:a", t0 + Duration::from_secs(9))
                .is_some()
        );
        assert!(cache.get(1, "sha256:a", t0).is_none(), "per policy");
        assert!(
            cache
                .get(0, "sha256:a", t0 + Duration::from_secs(10))
                .is_none(),
            "expired"
        );
        cache.insert(0, "sha256:c", decision("c"), t0 + Duration::from_secs(2));
        assert_eq!(cache.len(), 2);
        assert!(
            cache
                .get(0, "sha256:a", t0 + Duration::from_secs(2))
                .is_none(),
            "evicted"
        );
        assert!(
            cache
                .get(0, "sha256:c", t0 + Duration::from_secs(2))
                .is_some()
        );
        let off = Cache::new(Duration::ZERO, 10);
        off.insert(0, "sha256:a", decision("a"), t0);
        assert_eq!(off.len(), 0);
    }
}
