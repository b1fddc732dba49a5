//! Who occupies a practitioner's time: the index behind capacity (rule 10 (capacity)).
//!
//! Each practitioner has a timeline of occupying intervals sorted by start. A query looks up
//! only the intervals that can touch its window (binary search, then a bounded scan), so its
//! cost grows with the logarithm of the stored appointments, not with their number.

use std::sync::Arc;

use crate::zone::Instant;

/// One occupying interval (an appointment with its service buffers, or a hold).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Occupied {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) id: Arc<str>,
    /// For a hold (docs/booking.md): the instant from which it no longer occupies anything.
    pub(crate) expires: Option<Instant>,
}

impl Occupied {
    /// Whether the interval still occupies time at `now` (a hold past its expiry does not).
    pub(crate) fn live_at(&self, now: Instant) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

/// The occupying intervals of one practitioner.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    items: Vec<Occupied>,
    /// The longest interval ever stored: how far back an overlapping interval can start.
    max_len: i64,
}

impl Timeline {
    fn position(&self, start: Instant, id: &str) -> Result<usize, usize> {
        self.items
            .binary_search_by(|o| (o.start, &*o.id).cmp(&(start, id)))
    }

    pub(crate) fn insert(&mut self, occ: Occupied) {
        self.max_len = self.max_len.max(occ.end.saturating_sub(occ.start));
        let at = match self.position(occ.start, &occ.id) {
            Ok(i) | Err(i) => i,
        };
        self.items.insert(at, occ);
    }

    /// Appends an interval without keeping the order: [`Timeline::sort`] must follow
    /// before the timeline is read or changed otherwise (bulk loading).
    pub(crate) fn push_unsorted(&mut self, occ: Occupied) {
        self.max_len = self.max_len.max(occ.end.saturating_sub(occ.start));
        self.items.push(occ);
    }

    /// Restores the order after [`Timeline::push_unsorted`].
    pub(crate) fn sort(&mut self) {
        self.items
            .sort_unstable_by(|a, b| (a.start, &*a.id).cmp(&(b.start, &*b.id)));
    }

    pub(crate) fn remove(&mut self, start: Instant, id: &str) -> bool {
        match self.position(start, id) {
            Ok(i) => {
                self.items.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Intervals overlapping `[from, to)`.
    pub(crate) fn overlapping(
        &self,
        from: Instant,
        to: Instant,
    ) -> impl Iterator<Item = &Occupied> {
        let first = self
            .items
            .partition_point(|o| o.start < from.saturating_sub(self.max_len));
        self.items[first..]
            .iter()
            .take_while(move |o| o.start < to)
            .filter(move |o| o.end > from)
    }

    /// The occupancy step function over `[from, to)` as of `now`: holds past their expiry
    /// are left out (docs/booking.md, holds).
    pub(crate) fn profile(&self, from: Instant, to: Instant, now: Instant) -> Profile {
        // Starts come sorted from the timeline; only the ends need sorting.
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for o in self.overlapping(from, to).filter(|o| o.live_at(now)) {
            starts.push(o.start);
            ends.push(o.end);
        }
        ends.sort_unstable();
        Profile::from_sorted(&starts, &ends)
    }
}

/// A step function: disjoint segments `[start, end)` with how many intervals cover them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    segments: Vec<(Instant, Instant, u32)>,
}

impl Profile {
    /// From sorted interval starts and sorted interval ends.
    fn from_sorted(starts: &[Instant], ends: &[Instant]) -> Profile {
        let mut segments = Vec::with_capacity(starts.len() * 2);
        let (mut i, mut j) = (0, 0);
        let mut count: u32 = 0;
        let mut at: Option<Instant> = None;
        while i < starts.len() || j < ends.len() {
            let t = match (starts.get(i), ends.get(j)) {
                (Some(&s), Some(&e)) => s.min(e),
                (Some(&s), None) => s,
                (None, Some(&e)) => e,
                (None, None) => break,
            };
            if let Some(prev) = at {
                if count > 0 && prev < t {
                    segments.push((prev, t, count));
                }
            }
            while starts.get(i) == Some(&t) {
                count = count.saturating_add(1);
                i += 1;
            }
            while ends.get(j) == Some(&t) {
                // Saturating: an interval that ends before it starts (never stored by the
                // live operations) must not wrap the count.
                count = count.saturating_sub(1);
                j += 1;
            }
            at = Some(t);
        }
        Profile { segments }
    }

    /// The largest number of intervals covering any instant of `[start, end)`.
    pub(crate) fn max_in(&self, start: Instant, end: Instant) -> u32 {
        self.max_from(self.segments.partition_point(|s| s.1 <= start), end)
    }

    fn max_from(&self, first: usize, end: Instant) -> u32 {
        self.segments[first..]
            .iter()
            .take_while(|s| s.0 < end)
            .map(|s| s.2)
            .max()
            .unwrap_or(0)
    }

    /// [`Profile::max_in`] for queries that mostly move forward in time: `cursor` remembers
    /// where the last one started, so a sweep costs linear time instead of a search each.
    #[inline]
    pub(crate) fn max_in_from(&self, cursor: &mut usize, start: Instant, end: Instant) -> u32 {
        let segments = &self.segments;
        if *cursor > 0 && segments.get(*cursor - 1).is_some_and(|s| s.1 > start) {
            *cursor = segments.partition_point(|s| s.1 <= start);
        }
        while segments.get(*cursor).is_some_and(|s| s.1 <= start) {
            *cursor += 1;
        }
        self.max_from(*cursor, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(start: i64, end: i64, id: &str) -> Occupied {
        Occupied {
            start,
            end,
            id: Arc::from(id),
            expires: None,
        }
    }

    #[test]
    fn profile_counts_overlaps() {
        let mut t = Timeline::default();
        t.insert(occ(0, 100, "a"));
        t.insert(occ(50, 150, "b"));
        t.insert(occ(150, 200, "c"));
        let p = t.profile(0, 1000, 0);
        assert_eq!(p.max_in(0, 50), 1);
        assert_eq!(p.max_in(40, 60), 2);
        assert_eq!(p.max_in(100, 150), 1);
        assert_eq!(p.max_in(200, 300), 0);
        let mut cursor = 0;
        for (s, e, want) in [
            (0, 50, 1),
            (40, 60, 2),
            (100, 150, 1),
            (200, 300, 0),
            (40, 60, 2),
        ] {
            assert_eq!(p.max_in_from(&mut cursor, s, e), want, "[{s}, {e})");
        }
        assert!(t.remove(50, "b"));
        assert!(!t.remove(50, "b"));
        assert_eq!(t.profile(0, 1000, 0).max_in(40, 60), 1);
    }

    #[test]
    fn overlapping_looks_back_by_longest_interval() {
        let mut t = Timeline::default();
        t.insert(occ(0, 10_000, "long"));
        t.insert(occ(5_000, 5_010, "short"));
        let ids: Vec<&str> = t.overlapping(9_000, 9_100).map(|o| &*o.id).collect();
        assert_eq!(ids, vec!["long"]);
    }

    #[test]
    fn expired_holds_do_not_count() {
        let mut t = Timeline::default();
        t.insert(Occupied {
            expires: Some(500),
            ..occ(1_000, 2_000, "hold")
        });
        assert_eq!(t.profile(0, 3_000, 499).max_in(1_000, 2_000), 1);
        assert_eq!(t.profile(0, 3_000, 500).max_in(1_000, 2_000), 0);
    }
}
