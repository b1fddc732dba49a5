//! RRULEs that choose dates (rules 5 (availability records) and 7 (closures)).
//!
//! A rule is anchored at a date and expanded in UTC at midnight, so daylight-saving shifts
//! cannot move a date. Rules that would choose times (BYHOUR, BYMINUTE, BYSECOND, or a
//! frequency below daily) are refused: wall-clock times always come from blocks.
//!
//! Expansion costs what the asked window costs, never what the distance from the anchor
//! costs: a rule without COUNT is re-anchored at the first day of the period (day, week,
//! month or year, times INTERVAL) that holds the window's first date, computed by
//! arithmetic, so a date in 9998 of a daily rule anchored in 1900 expands one year, not
//! eight thousand. (A rule that chooses dates rarely also costs the periods up to its next
//! date after the window; the rrule crate stops after a fixed number of periods without
//! one.) A rule that never chooses a date is found once, when parsed, and never expanded
//! again. A rule with COUNT has at most [`MAX_RRULE_COUNT`] dates, expanded once when it is
//! parsed. Dates are kept per calendar year in a cache of fixed capacity.

use std::sync::Arc;

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

use crate::config::{MAX_RRULE_CHARS, MAX_RRULE_COUNT};
use crate::zone::YearCache;

/// How many years of dates one rule keeps (a query spans at most two years).
pub(crate) const RULE_YEARS_CACHED: usize = 4;

/// The first date any rule expands to (the engine refuses earlier instants).
pub(crate) const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The last date any rule expands to (the engine refuses later instants).
pub(crate) const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// A parsed, validated date rule.
#[derive(Debug)]
pub(crate) struct DateRule {
    /// The rule with every default the anchor implies made explicit (BYDAY of a weekly
    /// rule, BYMONTHDAY of a monthly one…), so that it can be re-anchored.
    rule: RRule,
    anchor: NaiveDate,
    /// The last date UNTIL allows.
    until: Option<NaiveDate>,
    /// A rule with COUNT: all its dates, ascending.
    finite: Option<Arc<[NaiveDate]>>,
    /// The first date the rule chooses; `None`: it never chooses one.
    first: Option<NaiveDate>,
    years: YearCache<Arc<[NaiveDate]>>,
}

impl Clone for DateRule {
    fn clone(&self) -> DateRule {
        DateRule {
            rule: self.rule.clone(),
            anchor: self.anchor,
            until: self.until,
            finite: self.finite.clone(),
            first: self.first,
            years: YearCache::new(RULE_YEARS_CACHED),
        }
    }
}

fn midnight_utc(date: NaiveDate) -> chrono::DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// Expands `rule` re-anchored at `start` over `from..=to` (both within the rule's range).
fn expand_from(rule: &RRule, start: NaiveDate, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out: Vec<NaiveDate> = RRuleSet::new(midnight_utc(start))
        .rrule(rule.clone())
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

impl DateRule {
    /// Parses `rule` (with or without a leading `RRULE:`) anchored at `anchor`.
    pub(crate) fn parse(rule: &str, anchor: NaiveDate) -> Result<DateRule, String> {
        if rule.chars().count() > MAX_RRULE_CHARS {
            return Err(format!("an RRULE has at most {MAX_RRULE_CHARS} characters"));
        }
        let text = rule.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        let upper = text.to_ascii_uppercase();
        for part in ["BYHOUR", "BYMINUTE", "BYSECOND", "BYEASTER"] {
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
        if !(FIRST_DATE..=LAST_DATE).contains(&anchor) {
            return Err(format!(
                "RRULE `{rule}` is anchored at {anchor}, outside {FIRST_DATE} to {LAST_DATE}"
            ));
        }
        let parsed: RRule<Unvalidated> = text
            .parse()
            .map_err(|e| format!("RRULE `{rule}` does not parse: {e}"))?;
        if parsed.get_interval() == 0 {
            return Err(format!(
                "RRULE `{rule}`: INTERVAL=0 never repeats; INTERVAL must be at least 1"
            ));
        }
        if let Some(count) = parsed.get_count() {
            if count == 0 || count > MAX_RRULE_COUNT {
                return Err(format!(
                    "RRULE `{rule}`: COUNT must be 1 to {MAX_RRULE_COUNT} (got {count})"
                ));
            }
        }
        let validated = parsed
            .validate(midnight_utc(anchor))
            .map_err(|e| format!("RRULE `{rule}` is invalid: {e}"))?;
        let until = validated
            .get_until()
            .map(|u| u.with_timezone(&chrono::Utc).date_naive());
        let finite: Option<Arc<[NaiveDate]>> = validated.get_count().map(|_| {
            // At most MAX_RRULE_COUNT dates, and the rrule crate's own iteration limit.
            Arc::from(expand_from(&validated, anchor, anchor, LAST_DATE))
        });
        let first = match &finite {
            Some(all) => all.first().copied(),
            // The rrule crate gives up after a fixed number of periods without a date (or
            // at the year 10000), so this costs a bounded amount once, at load.
            None => RRuleSet::new(midnight_utc(anchor))
                .rrule(validated.clone())
                .before(midnight_utc(LAST_DATE))
                .all(1)
                .dates
                .first()
                .map(|t| t.date_naive()),
        };
        Ok(DateRule {
            rule: validated,
            anchor,
            until,
            finite,
            first,
            years: YearCache::new(RULE_YEARS_CACHED),
        })
    }

    /// The first day of the period (of INTERVAL days, weeks, months or years, counted from
    /// the anchor's) that holds `date`, or the anchor itself in the first period. Expanding
    /// from there gives the same dates on and after `date` as expanding from the anchor.
    pub(crate) fn period_start(&self, date: NaiveDate) -> NaiveDate {
        let a = self.anchor;
        if date <= a {
            return a;
        }
        let n = i64::from(self.rule.get_interval().max(1));
        let start = match self.rule.get_freq() {
            Frequency::Daily => {
                let k = (date - a).num_days() / n;
                a.checked_add_days(Days::new((k * n) as u64))
            }
            Frequency::Weekly => {
                let wkst = self.rule.get_week_start();
                let back = i64::from(a.weekday().days_since(wkst));
                let week0 = a.checked_sub_days(Days::new(back as u64)).unwrap_or(a);
                let k = (date - week0).num_days() / (7 * n);
                if k == 0 {
                    Some(a)
                } else {
                    week0.checked_add_days(Days::new((k * 7 * n) as u64))
                }
            }
            Frequency::Monthly => {
                let months = i64::from(date.year() - a.year()) * 12 + i64::from(date.month0())
                    - i64::from(a.month0());
                let k = months / n;
                if k == 0 {
                    Some(a)
                } else {
                    a.with_day(1)
                        .and_then(|first| first.checked_add_months(Months::new((k * n) as u32)))
                }
            }
            _ => {
                let k = i64::from(date.year() - a.year()) / n;
                if k == 0 {
                    Some(a)
                } else {
                    NaiveDate::from_ymd_opt(a.year() + (k * n) as i32, 1, 1)
                }
            }
        };
        start.filter(|s| *s <= date).unwrap_or(a)
    }

    /// The dates the rule chooses in one calendar year, ascending (cached).
    fn year(&self, year: i32) -> Arc<[NaiveDate]> {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Arc::from(Vec::new());
        };
        let Some(first_match) = self.first else {
            return Arc::from(Vec::new());
        };
        let from = first.max(first_match);
        let to = last.min(LAST_DATE).min(self.until.unwrap_or(LAST_DATE));
        if from > to {
            return Arc::from(Vec::new());
        }
        self.years.get_or_insert_with(year, || match &self.finite {
            Some(all) => all
                .iter()
                .copied()
                .filter(|d| *d >= from && *d <= to)
                .collect(),
            None => Arc::from(expand_from(&self.rule, self.period_start(from), from, to)),
        })
    }

    /// The dates the rule chooses in `from..=to`, ascending.
    pub(crate) fn dates_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let Some(first) = self.first else {
            return out;
        };
        let from = from.max(first);
        let to = to.min(LAST_DATE);
        if to < from {
            return out;
        }
        for year in from.year()..=to.year() {
            let dates = self.year(year);
            out.extend(dates.iter().filter(|d| **d >= from && **d <= to));
        }
        out
    }

    /// Whether the rule chooses `date`.
    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        self.first.is_some_and(|first| date >= first)
            && self.year(date.year()).binary_search(&date).is_ok()
    }

    /// The first date the rule chooses, if it chooses any before 9999-12-31 (searched from
    /// the anchor when parsed, within the rrule crate's iteration limit: a rule that finds
    /// nothing there never matches, and is never expanded again).
    pub(crate) fn first_date(&self) -> Option<NaiveDate> {
        self.first
    }

    /// How many years of dates are cached.
    #[cfg(test)]
    fn cached_years(&self) -> usize {
        self.years.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    /// What the rule chooses in `from..=to`, expanded the slow way: from the anchor.
    fn reference(rule: &str, anchor: NaiveDate, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let text = rule.strip_prefix("RRULE:").unwrap_or(rule);
        let parsed: RRule<Unvalidated> = text.parse().expect("parses");
        let set = parsed.build(midnight_utc(anchor)).expect("valid");
        let mut out: Vec<NaiveDate> = set
            .after(midnight_utc(from))
            .before(midnight_utc(to))
            .all(u16::MAX)
            .dates
            .into_iter()
            .map(|t| t.date_naive())
            .filter(|x| *x >= from && *x <= to)
            .collect();
        out.dedup();
        out
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
        assert!(u.dates_between(d(2028, 1, 1), d(2028, 12, 31)).is_empty());
    }

    #[test]
    fn refuses_times_and_garbage() {
        assert!(DateRule::parse("FREQ=DAILY;BYHOUR=9", d(2027, 1, 1)).is_err());
        assert!(DateRule::parse("FREQ=HOURLY", d(2027, 1, 1)).is_err());
        assert!(DateRule::parse("every tuesday", d(2027, 1, 1)).is_err());
    }

    #[test]
    fn refuses_interval_zero_huge_counts_and_far_anchors() {
        let e = DateRule::parse("FREQ=WEEKLY;INTERVAL=0;BYDAY=MO", d(2027, 1, 1)).unwrap_err();
        assert!(e.contains("INTERVAL=0"), "{e}");
        let e = DateRule::parse("FREQ=DAILY;COUNT=1000000", d(2027, 1, 1)).unwrap_err();
        assert!(e.contains("COUNT"), "{e}");
        assert!(DateRule::parse("FREQ=DAILY;COUNT=1000", d(2027, 1, 1)).is_ok());
        assert!(DateRule::parse("FREQ=DAILY", d(10_000, 1, 1)).is_err());
        assert!(DateRule::parse("FREQ=DAILY", d(1899, 12, 31)).is_err());
    }

    #[test]
    fn first_date_tells_rules_that_never_match() {
        let never = DateRule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", d(2027, 1, 1));
        assert_eq!(never.expect("parses").first_date(), None);
        let never = DateRule::parse("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4", d(2027, 1, 1));
        assert_eq!(never.expect("parses").first_date(), None);
        let rare = DateRule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", d(2029, 1, 1));
        assert_eq!(rare.expect("parses").first_date(), Some(d(2032, 2, 29)));
        let counted = DateRule::parse("FREQ=WEEKLY;COUNT=3;BYDAY=FR", d(2027, 1, 1)).expect("ok");
        assert_eq!(counted.first_date(), Some(d(2027, 1, 1)));
        assert_eq!(
            counted.dates_between(d(2026, 1, 1), d(2028, 1, 1)),
            vec![d(2027, 1, 1), d(2027, 1, 8), d(2027, 1, 15)]
        );
    }

    #[test]
    fn far_dates_expand_from_the_window_not_the_anchor() {
        // Each period start lies within one period of the asked date: expanding there costs
        // one year of dates whatever the distance from the anchor.
        let daily = DateRule::parse("FREQ=DAILY;INTERVAL=3", d(1900, 1, 1)).expect("ok");
        let s = daily.period_start(d(9998, 6, 1));
        assert!(
            s <= d(9998, 6, 1) && (d(9998, 6, 1) - s).num_days() < 3,
            "{s}"
        );
        let fortnightly =
            DateRule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", d(2027, 2, 3)).expect("ok");
        let s = fortnightly.period_start(d(9998, 6, 1));
        assert!(
            s <= d(9998, 6, 1) && (d(9998, 6, 1) - s).num_days() < 14,
            "{s}"
        );
        assert_eq!(s.weekday(), chrono::Weekday::Mon, "a period starts on WKST");
        let monthly = DateRule::parse("FREQ=MONTHLY;INTERVAL=5", d(1900, 1, 31)).expect("ok");
        let s = monthly.period_start(d(9998, 6, 1));
        assert!(
            s <= d(9998, 6, 1) && (d(9998, 6, 1) - s).num_days() < 5 * 31,
            "{s}"
        );
        let yearly = DateRule::parse("FREQ=YEARLY;INTERVAL=7", d(1900, 3, 1)).expect("ok");
        let s = yearly.period_start(d(9998, 6, 1));
        assert!(
            s <= d(9998, 6, 1) && d(9998, 6, 1).year() - s.year() < 7,
            "{s}"
        );
        // And the dates there are right.
        assert_eq!(
            fortnightly.dates_between(d(9998, 1, 1), d(9998, 12, 31)),
            reference(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
                d(2027, 2, 3),
                d(9998, 1, 1),
                d(9998, 12, 31)
            )
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// RRULE text from arbitrary parts never panics the parser or the expansion.
        #[test]
        fn arbitrary_rules_never_panic(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "FREQ=DAILY", "FREQ=WEEKLY", "FREQ=MONTHLY", "FREQ=YEARLY", "FREQ=HOURLY",
                    "INTERVAL=0", "INTERVAL=1", "INTERVAL=65535", "INTERVAL=99999", "COUNT=0",
                    "COUNT=3", "COUNT=1000", "COUNT=4294967295", "BYDAY=MO,FR", "BYDAY=-1SU",
                    "BYDAY=53MO", "BYDAY=+5FR", "BYMONTHDAY=31", "BYMONTHDAY=-31", "BYMONTHDAY=0",
                    "BYMONTH=2", "BYMONTH=13", "BYYEARDAY=366", "BYYEARDAY=-366", "BYWEEKNO=53",
                    "BYWEEKNO=-1", "BYSETPOS=1", "BYSETPOS=-1", "BYSETPOS=367", "WKST=SU",
                    "UNTIL=20270101T000000Z", "UNTIL=99991231T000000Z", "UNTIL=19000101",
                    "UNTIL=garbage", "X-NAME=1", "", ";", "=",
                ]),
                0..6,
            ),
            freq in proptest::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
            anchor in 0i64..(8099 * 365),
            probe in 0i64..(8099 * 365),
        ) {
            let text = format!("FREQ={freq};{}", parts.join(";"));
            let anchor = FIRST_DATE + Days::new(anchor as u64);
            let probe = FIRST_DATE + Days::new(probe as u64);
            if let Ok(rule) = DateRule::parse(&text, anchor) {
                let _ = rule.contains(probe);
                let dates = rule.dates_between(probe, probe + Days::new(40));
                proptest::prop_assert!(dates.windows(2).all(|w| w[0] < w[1]));
                let _ = rule.first_date();
            }
        }
    }

    #[test]
    fn the_cache_keeps_a_fixed_number_of_years() {
        let r = DateRule::parse("FREQ=WEEKLY;BYDAY=TU", d(1900, 1, 2)).expect("ok");
        for year in 2000..2200 {
            assert!(r.contains(
                NaiveDate::from_isoywd_opt(year, 10, chrono::Weekday::Tue).expect("date")
            ));
            assert!(r.cached_years() <= RULE_YEARS_CACHED);
        }
    }

    #[test]
    fn re_anchored_expansion_matches_the_anchored_one() {
        let rules = [
            "FREQ=DAILY",
            "FREQ=DAILY;INTERVAL=3",
            "FREQ=DAILY;INTERVAL=10;BYDAY=MO,FR",
            "FREQ=DAILY;BYMONTH=2,3",
            "FREQ=WEEKLY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
            "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,SA;WKST=SU",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=WE",
            "FREQ=WEEKLY;INTERVAL=5;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=MONTHLY",
            "FREQ=MONTHLY;INTERVAL=2",
            "FREQ=MONTHLY;BYDAY=1MO",
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1",
            "FREQ=YEARLY",
            "FREQ=YEARLY;INTERVAL=4",
            "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1",
            "FREQ=YEARLY;BYMONTH=9;BYDAY=1MO",
            "FREQ=YEARLY;BYWEEKNO=1,52;BYDAY=MO",
            "FREQ=YEARLY;BYYEARDAY=1,100,-1",
            "FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;UNTIL=20400101T000000Z",
        ];
        let anchors = [
            d(2027, 1, 31),
            d(2028, 2, 29),
            d(2026, 12, 30),
            d(2027, 6, 15),
        ];
        let mut windows = Vec::new();
        for start in [d(2027, 1, 1), d(2029, 3, 17), d(2033, 12, 20)] {
            for days in [0u64, 45, 365] {
                windows.push((start, start + Days::new(days)));
            }
        }
        for rule in rules {
            for anchor in anchors {
                let r = DateRule::parse(rule, anchor).expect("parses");
                for &(from, to) in &windows {
                    assert_eq!(
                        r.dates_between(from, to),
                        reference(rule, anchor, from.max(anchor), to),
                        "{rule} anchored {anchor}, {from}..={to}"
                    );
                }
                let probe = anchor + Days::new(4000);
                assert_eq!(
                    r.contains(probe),
                    reference(rule, anchor, probe, probe) == vec![probe],
                    "{rule} anchored {anchor} on {probe}"
                );
            }
        }
    }
}
