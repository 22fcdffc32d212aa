//! The one stateful field, `kubepci.user.denials[N]`: denied requests per user over a sliding
//! window of event time. Memory is bounded: at most [`MAX_USERS`] users and
//! [`MAX_PER_USER`] remembered denials each.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

/// Most users tracked at once; beyond it the users with the oldest denials are forgotten.
pub(crate) const MAX_USERS: usize = 50_000;
/// Most denials remembered per user.
pub(crate) const MAX_PER_USER: usize = 100_000;

#[derive(Debug, Default)]
pub(crate) struct Denials {
    /// Per user: (event time ns, hash of the auditID), in arrival order.
    by_user: HashMap<Box<str>, VecDeque<(u64, u64)>>,
    window_ns: u64,
}

impl Denials {
    pub(crate) fn new(max_window_secs: u64) -> Self {
        Self {
            by_user: HashMap::new(),
            window_ns: max_window_secs.saturating_mul(1_000_000_000),
        }
    }

    /// Records a denial by `user` at `time_ns` (once per auditID) and fills `counts` with the
    /// number of denials within each window (seconds) ending at `time_ns`.
    pub(crate) fn record(
        &mut self,
        user: &str,
        audit_id: &str,
        time_ns: u64,
        windows: &[u64],
        counts: &mut Vec<(u64, u64)>,
    ) {
        counts.clear();
        if self.window_ns == 0 {
            return;
        }
        let mut h = DefaultHasher::new();
        audit_id.hash(&mut h);
        let id = h.finish();
        if !self.by_user.contains_key(user) && self.by_user.len() >= MAX_USERS {
            self.evict(time_ns);
        }
        let entries = self.by_user.entry(user.into()).or_default();
        let horizon = time_ns.saturating_sub(self.window_ns);
        while entries.front().is_some_and(|(t, _)| *t < horizon) {
            entries.pop_front();
        }
        if !entries.iter().any(|(_, seen)| *seen == id) {
            if entries.len() >= MAX_PER_USER {
                entries.pop_front();
            }
            entries.push_back((time_ns, id));
        }
        for &w in windows {
            let from = time_ns.saturating_sub(w.saturating_mul(1_000_000_000));
            let n = entries
                .iter()
                .filter(|(t, _)| *t > from && *t <= time_ns)
                .count();
            counts.push((w, u64::try_from(n).unwrap_or(u64::MAX)));
        }
    }

    /// Forgets users whose last denial is outside the window, or the oldest half.
    fn evict(&mut self, now_ns: u64) {
        let horizon = now_ns.saturating_sub(self.window_ns);
        self.by_user
            .retain(|_, e| e.back().is_some_and(|(t, _)| *t >= horizon));
        if self.by_user.len() >= MAX_USERS {
            let mut lasts: Vec<u64> = self
                .by_user
                .values()
                .filter_map(|e| e.back().map(|(t, _)| *t))
                .collect();
            lasts.sort_unstable();
            let cut = lasts[lasts.len() / 2];
            self.by_user
                .retain(|_, e| e.back().is_some_and(|(t, _)| *t > cut));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_windows_once_per_request() {
        let mut d = Denials::new(60);
        let mut counts = Vec::new();
        let s = 1_000_000_000u64;
        for i in 0..5 {
            d.record(
                "mallory",
                &format!("id{i}"),
                100 * s + i * 10 * s,
                &[30, 60],
                &mut counts,
            );
        }
        // Denials at 100, 110, 120, 130, 140 s; the last one sees 3 within 30 s, 5 within 60 s.
        assert_eq!(counts, vec![(30, 3), (60, 5)]);
        d.record("mallory", "id4", 140 * s, &[60], &mut counts);
        assert_eq!(
            counts,
            vec![(60, 5)],
            "a repeated auditID is not counted twice"
        );
        d.record("mallory", "late", 300 * s, &[60], &mut counts);
        assert_eq!(counts, vec![(60, 1)]);
        d.record("eve", "x", 300 * s, &[60], &mut counts);
        assert_eq!(counts, vec![(60, 1)]);
    }
}
