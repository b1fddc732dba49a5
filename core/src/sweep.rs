//! The inner loop of slot search on an ordinary day: the grid starts of one open span,
//! checked against a practitioner's occupancy (rule 10 (capacity)) in one forward pass.
//!
//! On a day without a UTC-offset change the starts of a block are evenly spaced instants,
//! so the span, the booking window and the paging cursor (rules 7, 8 and the query's
//! `after`) become two bounds computed once, and the only per-start work left is the
//! occupancy. A start that a segment at capacity blocks is not the only one: every later
//! start whose occupied span still reaches into that segment is blocked too, so the sweep
//! jumps straight past it instead of trying each start in between.
//!
//! Days with a change keep the general minute-by-minute loop of
//! [`crate::availability`]; both give the same starts (a property test in
//! `core/tests/properties.rs` compares search against the rules one start at a time).

use crate::zone::Instant;

/// What stays the same for every start of one block: the grid step and the service's
/// length and buffers (seconds), and the capacity of the block's schedule type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    /// Seconds between two starts (at least 60).
    pub(crate) step: i64,
    /// The service's duration in seconds.
    pub(crate) duration: i64,
    /// Buffer before a booking, in seconds.
    pub(crate) before: i64,
    /// Buffer after a booking, in seconds.
    pub(crate) after: i64,
    /// Places per start.
    pub(crate) capacity: u32,
}

/// Calls `offer(start, remaining)` for every start `first + k·step` (k ≥ 0) in
/// `[lo, hi]` whose occupied span `[start − before, start + duration + after)` meets no
/// more than `capacity − 1` occupying intervals at any instant, in increasing order.
///
/// `segments` is a practitioner's occupancy step function (disjoint, ordered segments with
/// their counts); `cursor` is an index into it that moves forward over successive calls
/// (it is moved back by a binary search when a call starts earlier than the one before).
pub(crate) fn sweep(
    segments: &[(Instant, Instant, u32)],
    cursor: &mut usize,
    grid: Grid,
    first: Instant,
    (lo, hi): (Instant, Instant),
    mut offer: impl FnMut(Instant, u32),
) {
    if grid.capacity == 0 || lo > hi || grid.step <= 0 {
        return;
    }
    let step = grid.step;
    // The first start on the grid at or after `lo`.
    let mut start = if lo > first {
        first.saturating_add(ceil_div(lo - first, step).saturating_mul(step))
    } else {
        first
    };
    let reach_before = start.saturating_sub(grid.before);
    if *cursor > segments.len()
        || (*cursor > 0
            && segments
                .get(*cursor - 1)
                .is_some_and(|s| s.1 > reach_before))
    {
        *cursor = segments.partition_point(|s| s.1 <= reach_before);
    }
    let mut rest = segments.get(*cursor..).unwrap_or_default();
    // Plain arithmetic from here: every instant of a search lies within the years
    // 1900–9999 give or take a day, and steps, lengths and buffers are minutes, so no sum
    // comes near the limits of `i64`.
    let length = grid.duration + grid.after;
    while start <= hi {
        let from = start - grid.before;
        while let [s, tail @ ..] = rest {
            if s.1 > from {
                break;
            }
            rest = tail;
        }
        // Every start whose span ends before the next segment begins meets nothing.
        let free_to = rest.first().map_or(hi, |s| hi.min(s.0 - length));
        if start <= free_to {
            while start <= free_to {
                offer(start, grid.capacity);
                start += step;
            }
            // Segments may have ended meanwhile: look again from the next start.
            continue;
        }
        let to = start + length;
        let mut taken = 0;
        let mut blocked_until = None;
        for s in rest.iter().take_while(|s| s.0 < to) {
            taken = taken.max(s.2);
            if s.2 >= grid.capacity {
                blocked_until = Some(s.1);
            }
        }
        match blocked_until {
            // Every start whose span begins before the end of that segment meets it too.
            Some(end) => start += ceil_div((end + grid.before - start).max(1), step) * step,
            None => {
                offer(start, grid.capacity - taken);
                start += step;
            }
        }
    }
    *cursor = segments.len() - rest.len();
}

/// `a / b` rounded up, for `a ≥ 0` and `b > 0`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain definition: every grid start in range, its span's largest count looked up
    /// by scanning all segments.
    fn naive(
        segments: &[(Instant, Instant, u32)],
        grid: Grid,
        first: Instant,
        (lo, hi): (Instant, Instant),
    ) -> Vec<(Instant, u32)> {
        let mut out = Vec::new();
        let mut start = first;
        while start <= hi {
            if start >= lo {
                let (from, to) = (start - grid.before, start + grid.duration + grid.after);
                let taken = segments
                    .iter()
                    .filter(|s| s.0 < to && s.1 > from)
                    .map(|s| s.2)
                    .max()
                    .unwrap_or(0);
                if taken < grid.capacity {
                    out.push((start, grid.capacity - taken));
                }
            }
            start += grid.step;
        }
        out
    }

    fn profile() -> impl Strategy<Value = Vec<(Instant, Instant, u32)>> {
        prop::collection::vec((0i64..40, 1i64..12, 0u32..4), 0..12).prop_map(|raw| {
            let mut at = 0;
            raw.into_iter()
                .filter_map(|(gap, len, count)| {
                    let s = at + gap * 300;
                    at = s + len * 300;
                    (count > 0).then_some((s, at, count))
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn agrees_with_the_plain_definition(
            segments in profile(),
            step in 1i64..8,
            duration in 1i64..8,
            before in 0i64..4,
            after in 0i64..4,
            capacity in 0u32..4,
            first in 0i64..50,
            lo in 0i64..300,
            len in 0i64..300,
            cursor in 0usize..14,
        ) {
            let grid = Grid {
                step: step * 300,
                duration: duration * 300,
                before: before * 300,
                after: after * 300,
                capacity,
            };
            let (first, lo, hi) = (first * 300, lo * 60, (lo + len) * 60);
            let mut got = Vec::new();
            let mut c = cursor;
            sweep(&segments, &mut c, grid, first, (lo, hi), |s, r| got.push((s, r)));
            prop_assert_eq!(got, naive(&segments, grid, first, (lo, hi)));
        }
    }
}
