//! Sets of integers as sorted, disjoint, non-adjacent inclusive ranges: the algebra behind
//! address sets (ipBlock with except) and port sets (ports with endPort).

/// A set of `u128` values stored as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RangeSet {
    ranges: Vec<(u128, u128)>,
}

impl RangeSet {
    /// The empty set.
    #[must_use]
    pub(crate) const fn empty() -> Self {
        Self { ranges: Vec::new() }
    }

    /// `lo..=hi` (empty when `lo > hi`).
    #[must_use]
    pub(crate) fn range(lo: u128, hi: u128) -> Self {
        if lo > hi {
            Self::empty()
        } else {
            Self {
                ranges: vec![(lo, hi)],
            }
        }
    }

    /// The ranges, sorted and disjoint.
    #[must_use]
    pub(crate) fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Whether the set is empty.
    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `value` is in the set.
    #[must_use]
    pub(crate) fn contains(&self, value: u128) -> bool {
        let i = self.ranges.partition_point(|&(_, hi)| hi < value);
        self.ranges.get(i).is_some_and(|&(lo, _)| lo <= value)
    }

    /// Whether every value of `lo..=hi` is in the set.
    #[must_use]
    pub(crate) fn covers(&self, lo: u128, hi: u128) -> bool {
        let i = self.ranges.partition_point(|&(_, h)| h < lo);
        self.ranges.get(i).is_some_and(|&(l, h)| l <= lo && hi <= h)
    }

    /// `self ∪ other`.
    #[must_use]
    pub(crate) fn union(&self, other: &RangeSet) -> RangeSet {
        let mut all: Vec<(u128, u128)> = self
            .ranges
            .iter()
            .chain(other.ranges.iter())
            .copied()
            .collect();
        all.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match out.last_mut() {
                // Merge overlapping or adjacent ranges.
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        RangeSet { ranges: out }
    }

    /// Adds `other` to this set.
    pub(crate) fn add(&mut self, other: &RangeSet) {
        if !other.is_empty() {
            *self = self.union(other);
        }
    }

    /// `self ∩ other`.
    #[must_use]
    pub(crate) fn intersect(&self, other: &RangeSet) -> RangeSet {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while let (Some(&(a_lo, a_hi)), Some(&(b_lo, b_hi))) =
            (self.ranges.get(i), other.ranges.get(j))
        {
            let (lo, hi) = (a_lo.max(b_lo), a_hi.min(b_hi));
            if lo <= hi {
                out.push((lo, hi));
            }
            if a_hi < b_hi {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }

    /// Whether `self ∩ other` is non-empty.
    #[must_use]
    pub(crate) fn overlaps(&self, other: &RangeSet) -> bool {
        !self.intersect(other).is_empty()
    }

    /// `self \ other`.
    #[must_use]
    pub(crate) fn subtract(&self, other: &RangeSet) -> RangeSet {
        let mut out = Vec::new();
        for &(lo, hi) in &self.ranges {
            let mut cur = lo;
            let mut done = false;
            let start = other.ranges.partition_point(|&(_, h)| h < lo);
            for &(b_lo, b_hi) in &other.ranges[start..] {
                if b_lo > hi {
                    break;
                }
                if b_lo > cur {
                    out.push((cur, b_lo - 1));
                }
                if b_hi >= hi {
                    done = true;
                    break;
                }
                cur = cur.max(b_hi + 1);
            }
            if !done && cur <= hi {
                out.push((cur, hi));
            }
        }
        RangeSet { ranges: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(values: &[u8]) -> RangeSet {
        values.iter().fold(RangeSet::empty(), |s, &v| {
            s.union(&RangeSet::range(u128::from(v), u128::from(v)))
        })
    }

    fn members(s: &RangeSet) -> Vec<u8> {
        (0..=255u8).filter(|&v| s.contains(u128::from(v))).collect()
    }

    proptest! {
        #[test]
        fn algebra_matches_bit_sets(a in proptest::collection::vec(any::<u8>(), 0..40),
                                   b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let (sa, sb) = (set(&a), set(&b));
            let in_a = |v: &u8| a.contains(v);
            let in_b = |v: &u8| b.contains(v);
            let all: Vec<u8> = (0..=255).collect();
            let expect = |f: &dyn Fn(&u8) -> bool| all.iter().copied().filter(|v| f(v)).collect::<Vec<_>>();
            prop_assert_eq!(members(&sa.union(&sb)), expect(&|v| in_a(v) || in_b(v)));
            prop_assert_eq!(members(&sa.intersect(&sb)), expect(&|v| in_a(v) && in_b(v)));
            prop_assert_eq!(members(&sa.subtract(&sb)), expect(&|v| in_a(v) && !in_b(v)));
            // Canonical form: disjoint, sorted, non-adjacent.
            for w in sa.union(&sb).ranges().windows(2) {
                prop_assert!(w[0].1 + 1 < w[1].0);
            }
        }
    }

    #[test]
    fn covers_and_extremes() {
        let full = RangeSet::range(0, u128::MAX);
        assert!(full.covers(0, u128::MAX));
        assert!(full.subtract(&full).is_empty());
        let hole = full.subtract(&RangeSet::range(5, 9));
        assert!(!hole.covers(0, 10));
        assert!(hole.covers(10, u128::MAX));
        assert_eq!(hole.ranges(), &[(0, 4), (10, u128::MAX)]);
    }
}
