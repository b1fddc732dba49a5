//! Clinic wall time ↔ instants in the clinic's IANA zone (DESIGN §4 rule 11).
//!
//! Wall times are resolved once per clinic and local date into a [`DayFrame`]. On the
//! ordinary day (no offset change between this midnight and the next) a wall minute is
//! `midnight + minute × 60`; on a daylight-saving day every minute goes through chrono-tz:
//! a start in the spring-forward gap does not exist, an ambiguous (fall-back) wall time
//! takes the earlier instant, and a block boundary in a gap moves to the first wall time
//! that exists after it.

use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
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

fn local(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minute))
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
        probe += Duration::minutes(1);
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

/// The local wall time of an instant.
pub(crate) fn wall_of(tz: Tz, instant: Instant) -> NaiveDateTime {
    let utc = chrono::DateTime::from_timestamp(instant, 0).unwrap_or_default();
    utc.with_timezone(&tz).naive_local()
}

impl DayFrame {
    pub(crate) fn new(tz: Tz, date: NaiveDate) -> DayFrame {
        let midnight = resolve_boundary(tz, local(date, 0));
        let next_midnight = resolve_boundary(tz, local(date, 1440));
        let offset = offset_at(tz, midnight);
        let simple = next_midnight - midnight == 86_400
            && offset_at(tz, next_midnight - 1) == offset
            && resolve_start(tz, local(date, 0)).is_some();
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

    /// The instant a slot starting at wall `minute` starts: `None` in a gap.
    #[inline]
    pub(crate) fn start_instant(&self, minute: u32) -> Option<Instant> {
        if self.simple {
            Some(self.midnight + 60 * i64::from(minute))
        } else {
            resolve_start(self.tz, local(self.date, minute))
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
            resolve_boundary(self.tz, local(self.date, minute))
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
}

/// Day frames of one zone, computed a year at a time on first use and kept: queries copy
/// the frames of their dates instead of asking chrono-tz again.
#[derive(Debug)]
pub(crate) struct FrameCache {
    tz: Tz,
    years: std::sync::RwLock<std::collections::HashMap<i32, std::sync::Arc<[DayFrame]>>>,
}

impl FrameCache {
    pub(crate) fn new(tz: Tz) -> FrameCache {
        FrameCache {
            tz,
            years: std::sync::RwLock::default(),
        }
    }

    fn year(&self, year: i32) -> std::sync::Arc<[DayFrame]> {
        if let Some(frames) = self
            .years
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&year)
        {
            return std::sync::Arc::clone(frames);
        }
        let first = NaiveDate::from_ymd_opt(year, 1, 1);
        let frames: std::sync::Arc<[DayFrame]> = first
            .map(|first| {
                first
                    .iter_days()
                    .take_while(|d| chrono::Datelike::year(d) == year)
                    .map(|d| DayFrame::new(self.tz, d))
                    .collect()
            })
            .unwrap_or_default();
        let mut years = self.years.write().unwrap_or_else(|p| p.into_inner());
        std::sync::Arc::clone(years.entry(year).or_insert(frames))
    }

    /// The frames of `days` consecutive dates from `from`.
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
                date = date.succ_opt().unwrap_or(date);
                continue;
            }
            out.extend_from_slice(&frames[start..start + take]);
            date += Duration::days(take as i64);
        }
        out
    }
}
