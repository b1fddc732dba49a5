//! Who occupies a practitioner's time: the index behind capacity (DESIGN §4 rule 10).
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
        self.max_len = self.max_len.max(occ.end - occ.start);
        let at = match self.position(occ.start, &occ.id) {
            Ok(i) | Err(i) => i,
        };
        self.items.insert(at, occ);
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

    /// The occupancy step function over `[from, to)`.
    pub(crate) fn profile(&self, from: Instant, to: Instant) -> Profile {
        let mut events: Vec<(Instant, i32)> = Vec::new();
        for o in self.overlapping(from, to) {
            events.push((o.start, 1));
            events.push((o.end, -1));
        }
        Profile::from_events(events)
    }
}

/// A step function: disjoint segments `[start, end)` with how many intervals cover them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    segments: Vec<(Instant, Instant, u32)>,
}

impl Profile {
    fn from_events(mut events: Vec<(Instant, i32)>) -> Profile {
        events.sort_unstable();
        let mut segments = Vec::new();
        let mut count: i32 = 0;
        let mut i = 0;
        while i < events.len() {
            let t = events[i].0;
            while i < events.len() && events[i].0 == t {
                count += events[i].1;
                i += 1;
            }
            if let Some(&(next, _)) = events.get(i) {
                if count > 0 {
                    segments.push((t, next, count as u32));
                }
            }
        }
        Profile { segments }
    }

    /// The largest number of intervals covering any instant of `[start, end)`.
    pub(crate) fn max_in(&self, start: Instant, end: Instant) -> u32 {
        let first = self.segments.partition_point(|s| s.1 <= start);
        self.segments[first..]
            .iter()
            .take_while(|s| s.0 < end)
            .map(|s| s.2)
            .max()
            .unwrap_or(0)
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
        }
    }

    #[test]
    fn profile_counts_overlaps() {
        let mut t = Timeline::default();
        t.insert(occ(0, 100, "a"));
        t.insert(occ(50, 150, "b"));
        t.insert(occ(150, 200, "c"));
        let p = t.profile(0, 1000);
        assert_eq!(p.max_in(0, 50), 1);
        assert_eq!(p.max_in(40, 60), 2);
        assert_eq!(p.max_in(100, 150), 1);
        assert_eq!(p.max_in(200, 300), 0);
        assert!(t.remove(50, "b"));
        assert!(!t.remove(50, "b"));
        assert_eq!(t.profile(0, 1000).max_in(40, 60), 1);
    }

    #[test]
    fn overlapping_looks_back_by_longest_interval() {
        let mut t = Timeline::default();
        t.insert(occ(0, 10_000, "long"));
        t.insert(occ(5_000, 5_010, "short"));
        let ids: Vec<&str> = t.overlapping(9_000, 9_100).map(|o| &*o.id).collect();
        assert_eq!(ids, vec!["long"]);
    }
}
