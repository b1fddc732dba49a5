//! Clinic wall time ↔ instants in the clinic's IANA zone (rule 11 (time zones)).
//!
//! Wall times are resolved once per clinic and local date into a [`DayFrame`]. On the
//! ordinary day (no offset change between this midnight and the next) a wall minute is
//! `midnight + minute × 60`; on a daylight-saving day every minute goes through chrono-tz:
//! a start in the spring-forward gap does not exist, an ambiguous (fall-back) wall time
//! takes the earlier instant, and a block boundary in a gap moves to the first wall time
//! that exists after it.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

use chrono::{Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Seconds since the Unix epoch.
pub(crate) type Instant = i64;

/// One local date of one clinic, resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DayFrame {
    pub(crate) tz: Tz,
    pub(crate) date: NaiveDate,
    /// The instant of the first wall time that exists on `date` (normally 00:00).
    pub(crate) midnight: Instant,
    /// The instant of the first wall time that exists on the next date.
    pub(crate) next_midnight: Instant,
    /// UTC offset in seconds at `midnight`.
    offset: i32,
    /// No offset change during the day: wall minute m is `midnight + 60 m`.
    simple: bool,
}

/// The wall time `minute` minutes after the start of `date`; `None` past chrono's range.
fn local(date: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    date.and_time(NaiveTime::MIN)
        .checked_add_signed(Duration::minutes(i64::from(minute)))
}

/// The instant of a local wall time: `None` in a gap, the earlier instant in a fold.
pub(crate) fn resolve_start(tz: Tz, wall: NaiveDateTime) -> Option<Instant> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => None,
    }
}

/// The instant of a local wall time used as a boundary: in a gap, the first wall time that
/// exists after it (the instant of the transition).
pub(crate) fn resolve_boundary(tz: Tz, wall: NaiveDateTime) -> Instant {
    let mut probe = wall;
    // Gaps in the tz database are whole minutes and shorter than a day.
    for _ in 0..=1440 {
        if let Some(t) = resolve_start(tz, probe) {
            return t;
        }
        match probe.checked_add_signed(Duration::minutes(1)) {
            Some(next) => probe = next,
            None => break,
        }
    }
    // Unreachable for real zones; fall back to reading the wall time as UTC.
    wall.and_utc().timestamp()
}

/// The UTC offset (seconds) in force at an instant.
pub(crate) fn offset_at(tz: Tz, instant: Instant) -> i32 {
    let utc = chrono::DateTime::from_timestamp(instant, 0)
        .unwrap_or_default()
        .naive_utc();
    tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()
}

/// The local wall time of an instant. Never panics: an instant outside chrono's range reads
/// as the Unix epoch, and a wall time that would fall outside chrono's range (the last or
/// first hours it can represent) is the UTC wall time instead. Operations refuse such
/// instants before they get here (1900–9999, see docs/limits.md).
pub(crate) fn wall_of(tz: Tz, instant: Instant) -> NaiveDateTime {
    let utc = chrono::DateTime::from_timestamp(instant, 0)
        .unwrap_or_default()
        .naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).unwrap_or(utc)
}

impl DayFrame {
    pub(crate) fn new(tz: Tz, date: NaiveDate) -> DayFrame {
        let (Some(first), Some(last)) = (local(date, 0), local(date, 1440)) else {
            // The last date chrono can represent: read it as a UTC day (no operation
            // accepts dates this far out; this only keeps the arithmetic total).
            let midnight = date.and_time(NaiveTime::MIN).and_utc().timestamp();
            return DayFrame {
                tz,
                date,
                midnight,
                next_midnight: midnight.saturating_add(86_400),
                offset: 0,
                simple: true,
            };
        };
        let midnight = resolve_boundary(tz, first);
        let next_midnight = resolve_boundary(tz, last);
        let offset = offset_at(tz, midnight);
        let simple = next_midnight - midnight == 86_400
            && offset_at(tz, next_midnight - 1) == offset
            && resolve_start(tz, first).is_some();
        DayFrame {
            tz,
            date,
            midnight,
            next_midnight,
            offset,
            simple,
        }
    }

    /// Whether the offset changes during this local day.
    #[cfg(test)]
    pub(crate) fn is_transition_day(&self) -> bool {
        !self.simple
    }

    /// The instant of wall minute `m` when the offset does not change during the day
    /// (`midnight + 60 m`); `None` on a day with a change.
    #[inline]
    pub(crate) fn plain_minutes(&self) -> Option<Instant> {
        self.simple.then_some(self.midnight)
    }

    /// The instant a slot starting at wall `minute` starts: `None` in a gap.
    #[inline]
    pub(crate) fn start_instant(&self, minute: u32) -> Option<Instant> {
        if self.simple {
            Some(self.midnight + 60 * i64::from(minute))
        } else {
            resolve_start(self.tz, local(self.date, minute)?)
        }
    }

    /// The instant of a block boundary at wall `minute` (`1440` = the next midnight).
    #[inline]
    pub(crate) fn boundary_instant(&self, minute: u32) -> Instant {
        if self.simple {
            self.midnight + 60 * i64::from(minute)
        } else if minute >= 1440 {
            self.next_midnight
        } else {
            local(self.date, minute)
                .map_or(self.next_midnight, |wall| resolve_boundary(self.tz, wall))
        }
    }

    /// The UTC offset in seconds at an instant of this day.
    #[inline]
    pub(crate) fn offset_at(&self, instant: Instant) -> i32 {
        if self.simple {
            self.offset
        } else {
            offset_at(self.tz, instant)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn ordinary_day_is_simple() {
        let f = DayFrame::new(chrono_tz::America::Toronto, d(2027, 2, 1));
        assert!(!f.is_transition_day());
        assert_eq!(f.next_midnight - f.midnight, 86_400);
        assert_eq!(f.start_instant(9 * 60), Some(f.midnight + 9 * 3600));
        assert_eq!(f.offset_at(f.midnight), -5 * 3600);
    }

    #[test]
    fn spring_gap_and_fall_fold() {
        let tz = chrono_tz::America::Toronto;
        let spring = DayFrame::new(tz, d(2027, 3, 14));
        assert!(spring.is_transition_day());
        assert_eq!(spring.next_midnight - spring.midnight, 23 * 3600);
        assert_eq!(spring.start_instant(150), None); // 02:30 does not exist
        assert_eq!(spring.boundary_instant(150), spring.boundary_instant(180));
        let fall = DayFrame::new(tz, d(2027, 11, 7));
        assert_eq!(fall.next_midnight - fall.midnight, 25 * 3600);
        // 01:30 happens twice: the earlier (EDT) instant.
        assert_eq!(fall.start_instant(90), Some(fall.midnight + 90 * 60));
    }

    #[test]
    fn no_panic_at_the_ends_of_chronos_range() {
        // Instants near chrono's ends used to panic ("Local time out of range").
        for tz in [
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Niue,
            Tz::UTC,
        ] {
            for instant in [
                i64::MIN,
                i64::MAX,
                chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp(),
                chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp(),
            ] {
                let wall = wall_of(tz, instant);
                let _ = DayFrame::new(tz, wall.date());
                let _ = offset_at(tz, instant);
            }
            for date in [NaiveDate::MIN, NaiveDate::MAX] {
                let f = DayFrame::new(tz, date);
                assert!(f.midnight < f.next_midnight);
                let _ = f.start_instant(1439);
                let _ = f.boundary_instant(720);
            }
            let cache = FrameCache::new(tz);
            assert_eq!(cache.frames(NaiveDate::MAX, 3).len(), 1);
            assert_eq!(cache.frames(NaiveDate::MIN, 2).len(), 2);
        }
        // Inside the range nothing changes: 2027-02-01 09:00 in Toronto.
        let t = local(d(2027, 2, 1), 540).expect("in range");
        let instant = resolve_start(chrono_tz::America::Toronto, t).expect("exists");
        assert_eq!(wall_of(chrono_tz::America::Toronto, instant), t);
    }

    #[test]
    fn frame_cache_keeps_a_fixed_number_of_years() {
        let cache = FrameCache::new(chrono_tz::America::Toronto);
        for year in 2000..2100 {
            let frames = cache.frames(d(year, 6, 1), 3);
            assert_eq!(frames[0].date, d(year, 6, 1));
            assert!(cache.cached_years() <= FRAME_YEARS_CACHED);
        }
        assert_eq!(cache.cached_years(), FRAME_YEARS_CACHED);
        // A year evicted and asked again is recomputed alike.
        assert_eq!(
            cache.frames(d(2000, 3, 12), 1)[0].midnight,
            DayFrame::new(chrono_tz::America::Toronto, d(2000, 3, 12)).midnight
        );
    }

    #[test]
    fn year_cache_drops_the_oldest_year() {
        let cache: YearCache<i32> = YearCache::new(2);
        assert_eq!(cache.get_or_insert_with(1, || 10), 10);
        assert_eq!(cache.get_or_insert_with(2, || 20), 20);
        assert_eq!(
            cache.get_or_insert_with(1, || 99),
            10,
            "a hit keeps the value"
        );
        assert_eq!(cache.get_or_insert_with(3, || 30), 30);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get_or_insert_with(1, || 11), 11, "year 1 was dropped");
    }
}

/// A cache of one value per calendar year with a fixed capacity: when it is full, the year
/// stored first is dropped. Day frames and RRULE dates are kept this way, so that queries
/// over many different years cannot grow memory (see docs/limits.md).
#[derive(Debug)]
pub(crate) struct YearCache<V> {
    capacity: usize,
    years: RwLock<VecDeque<(i32, V)>>,
}

impl<V: Clone> YearCache<V> {
    /// An empty cache holding at most `capacity` years (at least one).
    pub(crate) fn new(capacity: usize) -> YearCache<V> {
        YearCache {
            capacity: capacity.max(1),
            years: RwLock::default(),
        }
    }

    /// The value of `year`, computed by `make` on a miss.
    pub(crate) fn get_or_insert_with(&self, year: i32, make: impl FnOnce() -> V) -> V {
        let found = self
            .years
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, v)| v.clone());
        if let Some(v) = found {
            return v;
        }
        let value = make();
        let mut years = self.years.write().unwrap_or_else(|p| p.into_inner());
        if let Some((_, v)) = years.iter().find(|(y, _)| *y == year) {
            return v.clone();
        }
        while years.len() >= self.capacity {
            years.pop_front();
        }
        years.push_back((year, value.clone()));
        value
    }

    /// How many years are cached.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.years.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// How many years of day frames one clinic keeps (a query spans at most two years).
pub(crate) const FRAME_YEARS_CACHED: usize = 4;

/// Day frames of one zone, computed a year at a time on first use and kept in a
/// [`YearCache`]: queries copy the frames of their dates instead of asking chrono-tz again.
#[derive(Debug)]
pub(crate) struct FrameCache {
    tz: Tz,
    years: YearCache<Arc<[DayFrame]>>,
}

impl FrameCache {
    pub(crate) fn new(tz: Tz) -> FrameCache {
        FrameCache {
            tz,
            years: YearCache::new(FRAME_YEARS_CACHED),
        }
    }

    fn year(&self, year: i32) -> Arc<[DayFrame]> {
        self.years.get_or_insert_with(year, || {
            NaiveDate::from_ymd_opt(year, 1, 1)
                .map(|first| {
                    first
                        .iter_days()
                        .take_while(|d| chrono::Datelike::year(d) == year)
                        .map(|d| DayFrame::new(self.tz, d))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// The frame of one date, from the cached year (computed directly outside chrono's
    /// calendar).
    pub(crate) fn frame(&self, date: NaiveDate) -> DayFrame {
        self.year(chrono::Datelike::year(&date))
            .get(chrono::Datelike::ordinal0(&date) as usize)
            .copied()
            .unwrap_or_else(|| DayFrame::new(self.tz, date))
    }

    /// The frames of `days` consecutive dates from `from` (fewer if chrono's calendar ends
    /// first).
    pub(crate) fn frames(&self, from: NaiveDate, days: usize) -> Vec<DayFrame> {
        let mut out = Vec::with_capacity(days);
        let mut date = from;
        while out.len() < days {
            let year = chrono::Datelike::year(&date);
            let frames = self.year(year);
            let start = chrono::Datelike::ordinal0(&date) as usize;
            let take = (days - out.len()).min(frames.len().saturating_sub(start));
            if take == 0 {
                // Outside chrono's range: compute directly.
                out.push(DayFrame::new(self.tz, date));
                match date.succ_opt() {
                    Some(next) => date = next,
                    None => break,
                }
                continue;
            }
            out.extend_from_slice(&frames[start..start + take]);
            match date.checked_add_days(Days::new(take as u64)) {
                Some(next) => date = next,
                None => break,
            }
        }
        out
    }

    /// How many years of frames are cached.
    #[cfg(test)]
    pub(crate) fn cached_years(&self) -> usize {
        self.years.len()
    }
}
