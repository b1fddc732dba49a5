//! RRULEs that choose dates (DESIGN §4 rules 5 and 7).
//!
//! A rule is anchored at a date and expanded in UTC at midnight, so daylight-saving shifts
//! cannot move a date. Rules that would choose times (BYHOUR, BYMINUTE, BYSECOND, or a
//! frequency below daily) are refused: wall-clock times always come from blocks.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone};
use rrule::{RRule, RRuleSet, Unvalidated};

/// A parsed, validated date rule. Its dates are expanded a calendar year at a time, on
/// first use, and kept: a date check is then a binary search.
#[derive(Debug)]
pub(crate) struct DateRule {
    set: RRuleSet,
    years: RwLock<HashMap<i32, Arc<[NaiveDate]>>>,
}

impl Clone for DateRule {
    fn clone(&self) -> DateRule {
        DateRule {
            set: self.set.clone(),
            years: RwLock::default(),
        }
    }
}

fn midnight_utc(date: NaiveDate) -> chrono::DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

impl DateRule {
    /// Parses `rule` (with or without a leading `RRULE:`) anchored at `anchor`.
    pub(crate) fn parse(rule: &str, anchor: NaiveDate) -> Result<DateRule, String> {
        let text = rule.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        let upper = text.to_ascii_uppercase();
        for part in ["BYHOUR", "BYMINUTE", "BYSECOND"] {
            if upper.contains(part) {
                return Err(format!(
                    "RRULE `{rule}` uses {part}: a recurrence chooses dates only, times come \
                     from the blocks"
                ));
            }
        }
        for freq in ["HOURLY", "MINUTELY", "SECONDLY"] {
            if upper.contains(&format!("FREQ={freq}")) {
                return Err(format!("RRULE `{rule}`: FREQ={freq} is finer than a date"));
            }
        }
        let parsed: RRule<Unvalidated> = text
            .parse()
            .map_err(|e| format!("RRULE `{rule}` does not parse: {e}"))?;
        let set = parsed
            .build(midnight_utc(anchor))
            .map_err(|e| format!("RRULE `{rule}` is invalid: {e}"))?;
        Ok(DateRule {
            set,
            years: RwLock::default(),
        })
    }

    /// The dates the rule chooses in one calendar year, ascending (cached).
    fn year(&self, year: i32) -> Arc<[NaiveDate]> {
        if let Some(dates) = self
            .years
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&year)
        {
            return Arc::clone(dates);
        }
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Arc::from(Vec::new());
        };
        let dates: Arc<[NaiveDate]> = Arc::from(self.expand(first, last));
        let mut years = self.years.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(years.entry(year).or_insert(dates))
    }

    /// The dates the rule chooses in `from..=to`, ascending.
    pub(crate) fn dates_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        if to < from {
            return out;
        }
        for year in from.year()..=to.year() {
            let dates = self.year(year);
            out.extend(dates.iter().filter(|d| **d >= from && **d <= to));
        }
        out
    }

    /// Expands the rule over `from..=to` with the rrule crate.
    fn expand(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out: Vec<NaiveDate> = self
            .set
            .clone()
            .after(midnight_utc(from))
            .before(midnight_utc(to))
            .all(u16::MAX)
            .dates
            .into_iter()
            .map(|t| t.date_naive())
            .filter(|d| *d >= from && *d <= to)
            .collect();
        out.dedup();
        out
    }

    /// Whether the rule chooses `date`.
    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        self.year(date.year()).binary_search(&date).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn every_other_week() {
        let r = DateRule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", d(2027, 2, 1)).expect("ok");
        assert_eq!(
            r.dates_between(d(2027, 2, 1), d(2027, 2, 21)),
            vec![d(2027, 2, 1), d(2027, 2, 3), d(2027, 2, 15), d(2027, 2, 17)]
        );
        assert!(r.contains(d(2027, 3, 1)));
        assert!(!r.contains(d(2027, 2, 8)));
    }

    #[test]
    fn yearly_holiday_and_until() {
        let r =
            DateRule::parse("RRULE:FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1", d(2020, 1, 1)).expect("ok");
        assert!(r.contains(d(2027, 7, 1)));
        assert!(!r.contains(d(2027, 7, 2)));
        let u = DateRule::parse("FREQ=DAILY;UNTIL=20270305T000000Z", d(2027, 3, 1)).expect("ok");
        assert_eq!(u.dates_between(d(2027, 2, 1), d(2027, 3, 31)).len(), 5);
    }

    #[test]
    fn refuses_times_and_garbage() {
        assert!(DateRule::parse("FREQ=DAILY;BYHOUR=9", d(2027, 1, 1)).is_err());
        assert!(DateRule::parse("FREQ=HOURLY", d(2027, 1, 1)).is_err());
        assert!(DateRule::parse("every tuesday", d(2027, 1, 1)).is_err());
    }
}
