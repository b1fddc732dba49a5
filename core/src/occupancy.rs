//! Who occupies a practitioner's time: the index behind capacity (rule 10 (capacity)).
//!
//! Each practitioner has a timeline of occupying intervals sorted by start. A query looks up
//! only the intervals that can touch its window (binary search, then a bounded scan), so its
//! cost grows with the logarithm of the stored appointments, not with their number.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

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
    /// How many of the items are holds.
    holds: usize,
    /// The step function of every item that is not a hold (holds expire, so they depend on
    /// the query's `now`). Built by the first search that reads it, then kept up to date by
    /// [`Timeline::insert`] and [`Timeline::remove`]: a practitioner nobody searches costs no
    /// memory for it, and a search no longer rebuilds it.
    base: OnceLock<Profile>,
}

impl Timeline {
    fn position(&self, start: Instant, id: &str) -> Result<usize, usize> {
        self.items
            .binary_search_by(|o| (o.start, &*o.id).cmp(&(start, id)))
    }

    pub(crate) fn insert(&mut self, occ: Occupied) {
        self.max_len = self.max_len.max(occ.end.saturating_sub(occ.start));
        if occ.expires.is_some() {
            self.holds += 1;
        } else if let Some(base) = self.base.get_mut() {
            base.add(occ.start, occ.end);
        }
        let at = match self.position(occ.start, &occ.id) {
            Ok(i) | Err(i) => i,
        };
        self.items.insert(at, occ);
    }

    /// Appends an interval without keeping the order: [`Timeline::sort`] must follow
    /// before the timeline is read or changed otherwise (bulk loading).
    pub(crate) fn push_unsorted(&mut self, occ: Occupied) {
        self.max_len = self.max_len.max(occ.end.saturating_sub(occ.start));
        self.holds += usize::from(occ.expires.is_some());
        self.base.take();
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
                let gone = self.items.remove(i);
                if gone.expires.is_some() {
                    self.holds -= 1;
                } else if let Some(base) = self.base.get_mut() {
                    base.sub(gone.start, gone.end);
                }
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

    /// [`Timeline::profile`] without building anything when no live hold touches
    /// `[from, to)`: then it is the maintained step function of the appointments, borrowed
    /// (a search reads only the part inside its window).
    pub(crate) fn profile_at(&self, from: Instant, to: Instant, now: Instant) -> Cow<'_, Profile> {
        let live_hold = self.holds > 0
            && self
                .overlapping(from, to)
                .any(|o| o.expires.is_some() && o.live_at(now));
        if live_hold {
            Cow::Owned(self.profile(from, to, now))
        } else {
            Cow::Borrowed(self.base.get_or_init(|| {
                let mut starts = Vec::with_capacity(self.items.len() - self.holds);
                let mut ends = Vec::with_capacity(self.items.len() - self.holds);
                for o in self.items.iter().filter(|o| o.expires.is_none()) {
                    starts.push(o.start);
                    ends.push(o.end);
                }
                ends.sort_unstable();
                Profile::from_sorted(&starts, &ends)
            }))
        }
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

    /// Adds one interval `[start, end)` (an empty or reversed one adds nothing; none is
    /// ever stored): the segments it covers count one more, the gaps in it become segments
    /// of one.
    fn add(&mut self, start: Instant, end: Instant) {
        self.change(start, end, |c| c.saturating_add(1), 1);
    }

    /// Removes one interval that [`Profile::add`] (or the build) counted: the segments it
    /// covers count one less, and those that reach zero go.
    fn sub(&mut self, start: Instant, end: Instant) {
        self.change(start, end, |c| c.saturating_sub(1), 0);
    }

    /// Rewrites the segments overlapping `[start, end)`: inside it each count becomes
    /// `f(count)` and an uncovered gap counts `gap`; outside it the pieces keep their
    /// counts. Segments that end up at zero are left out.
    fn change(&mut self, start: Instant, end: Instant, f: impl Fn(u32) -> u32, gap: u32) {
        if start >= end {
            return;
        }
        let first = self.segments.partition_point(|s| s.1 <= start);
        let last = first + self.segments[first..].partition_point(|s| s.0 < end);
        // The neighbours that touch the span join in, so that equal counts merge and the
        // segments stay as few as the intervals' distinct ends allow.
        let lo = if first > 0 && self.segments[first - 1].1 == start {
            first - 1
        } else {
            first
        };
        let touches_next = self.segments.get(last).is_some_and(|s| s.0 == end);
        let hi = last + usize::from(touches_next);
        let mut pieces: Vec<(Instant, Instant, u32)> = Vec::with_capacity(hi - lo + 3);
        let mut push = |a: Instant, b: Instant, c: u32| {
            if a >= b || c == 0 {
                return;
            }
            match pieces.last_mut() {
                Some(p) if p.1 == a && p.2 == c => p.1 = b,
                _ => pieces.push((a, b, c)),
            }
        };
        if lo < first {
            let (a, b, c) = self.segments[lo];
            push(a, b, c);
        }
        let mut at = start;
        for &(a, b, c) in &self.segments[first..last] {
            push(a, a.max(start), c);
            push(at, a.max(start), gap);
            push(a.max(start), b.min(end), f(c));
            push(end, b, c);
            at = b.min(end);
        }
        push(at, end, gap);
        if touches_next {
            let (a, b, c) = self.segments[last];
            push(a, b, c);
        }
        self.segments.splice(lo..hi, pieces);
    }

    /// The segments `[start, end)` with their counts, in order; gaps count zero.
    pub(crate) fn segments(&self) -> &[(Instant, Instant, u32)] {
        &self.segments
    }

    /// The largest number of intervals covering any instant of `[start, end)`.
    pub(crate) fn max_in(&self, start: Instant, end: Instant) -> u32 {
        self.max_from(self.first_ending_after(start), end)
    }

    /// The index of the first segment that ends after `at`: a cursor for
    /// [`Profile::max_in_from`] that starts at `at`.
    pub(crate) fn first_ending_after(&self, at: Instant) -> usize {
        self.segments.partition_point(|s| s.1 <= at)
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

    /// The maintained step function answers like one rebuilt from the live intervals,
    /// whatever the order of insertions and removals, and stays small.
    #[test]
    fn maintained_profile_equals_rebuilt() {
        use proptest::prelude::*;
        let op = (any::<bool>(), 0i64..40, 1i64..12, 0usize..8);
        proptest!(|(ops in proptest::collection::vec(op, 1..60), hold_at in 0i64..60)| {
            let mut t = Timeline::default();
            let mut live: Vec<(i64, i64, String)> = Vec::new();
            let mut n = 0;
            // Built before the changes, so that they are all incremental.
            let _ = t.profile_at(0, 100, 0);
            for (add, s, len, pick) in ops {
                if add || live.is_empty() {
                    n += 1;
                    let id = format!("a{n}");
                    t.insert(occ(s, s + len, &id));
                    live.push((s, s + len, id));
                } else {
                    let (s, _, id) = live.remove(pick % live.len());
                    prop_assert!(t.remove(s, &id));
                }
                let mut fresh = Timeline::default();
                for (s, e, id) in &live {
                    fresh.insert(occ(*s, *e, id));
                }
                for (a, b) in [(0, 60), (5, 6), (10, 25), (30, 31), (-5, 3)] {
                    prop_assert_eq!(
                        t.profile_at(-10, 100, 0).max_in(a, b),
                        fresh.profile(-10, 100, 0).max_in(a, b)
                    );
                }
                let segments = &t.profile_at(-10, 100, 0).segments;
                prop_assert!(segments.len() <= 2 * live.len());
                prop_assert!(segments.windows(2).all(|w| w[0].1 <= w[1].0));
            }
            // A live hold is counted (the per-query profile), an expired one is not.
            t.insert(Occupied { expires: Some(10), ..occ(hold_at, hold_at + 5, "hold") });
            let before = t.profile(-10, 100, 20).max_in(hold_at, hold_at + 5);
            prop_assert_eq!(t.profile_at(-10, 100, 20).max_in(hold_at, hold_at + 5), before);
            prop_assert_eq!(
                t.profile_at(-10, 100, 0).max_in(hold_at, hold_at + 5),
                t.profile(-10, 100, 0).max_in(hold_at, hold_at + 5)
            );
        });
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
