//! Daylight-saving days (rule 11 (time zones)) in America/Toronto (2027-03-14, 2027-11-07),
//! Europe/London (2027-03-28, 2027-10-31) and Australia/Lord_Howe (30-minute shift:
//! 2027-10-03 02:00→02:30, 2027-04-04 02:00→01:30). Expectations are computed here with
//! chrono-tz directly, never with the engine's own zone code.

mod common;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::America::Toronto;
use chrono_tz::Australia::Lord_Howe;
use chrono_tz::Europe::London;
use chrono_tz::Tz;
use clinic_portal::{AppointmentStatus, Engine, SlotQuery, Slots};
use common::*;
use serde_json::{json, Value};

/// (zone, switch date, spring forward?)
const SWITCHES: [(Tz, (i32, u32, u32), bool); 6] = [
    (Toronto, (2027, 3, 14), true),
    (Toronto, (2027, 11, 7), false),
    (London, (2027, 3, 28), true),
    (London, (2027, 10, 31), false),
    (Lord_Howe, (2027, 10, 3), true),
    (Lord_Howe, (2027, 4, 4), false),
];

fn switch_date(s: (i32, u32, u32)) -> NaiveDate {
    date(s.0, s.1, s.2)
}

/// Long before every date used here.
fn now() -> DateTime<Utc> {
    utc(2026, 12, 1, 0, 0)
}

/// One clinic in `tz`, one practitioner per entry of `blocks` (`p0`, `p1`…), a service
/// `svc` of `duration` minutes, an optional start grid.
fn zone_cfg(tz: Tz, blocks: Vec<Vec<Value>>, grid: Option<u32>, duration: u32) -> Value {
    let practitioners: Vec<Value> = blocks
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            json!({"id": format!("p{i}"), "schedule_types": ["treat"],
                   "availability": [{"start_date": "2026-01-01", "blocks": b}]})
        })
        .collect();
    let mut scheduling = json!({"max_days_ahead": 500});
    if let Some(n) = grid {
        scheduling["start_interval_minutes"] = json!(n);
    }
    json!({
        "portal": {"scheduling": scheduling},
        "clinics": [{"id": "c", "time_zone": tz.name()}],
        "schedule_types": [{"id": "treat"}],
        "practitioners": practitioners,
        "services": [{"id": "svc", "duration_minutes": duration, "schedule_types": ["treat"]}]
    })
}

fn one_block(tz: Tz, weekday: &str, start: &str, end: &str, grid: Option<u32>, dur: u32) -> Engine {
    engine(&zone_cfg(
        tz,
        vec![vec![block(weekday, start, end, "treat")]],
        grid,
        dur,
    ))
}

fn q(day: NaiveDate) -> SlotQuery {
    SlotQuery::new("svc", day, day)
}

fn wall(day: NaiveDate, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute))
}

/// RFC 3339 of an instant in `tz`'s offset at that instant.
fn rfc(tz: Tz, t: i64) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .expect("instant")
        .fixed_offset()
        .to_rfc3339()
}

/// The instant of a block boundary at wall `minute` (1440 = next midnight): the earliest
/// instant of that wall time, or in a gap the first wall minute after it that exists.
fn boundary(tz: Tz, day: NaiveDate, minute: u32) -> i64 {
    let mut w = wall(day, minute);
    loop {
        if let Some(t) = tz.from_local_datetime(&w).earliest() {
            return t.timestamp();
        }
        w += Duration::minutes(1);
    }
}

/// Independent expectation for one block `[start, end)` (wall minutes) on `day`: wall
/// minutes on the grid (or stepping by the duration from the block start), nonexistent
/// ones dropped, ambiguous ones at their earliest instant, kept when the whole slot lies
/// inside the block's instants. Returns (start instant, RFC 3339 start).
fn expected(
    tz: Tz,
    day: NaiveDate,
    start: u32,
    end: u32,
    duration: u32,
    grid: Option<u32>,
) -> Vec<(i64, String)> {
    let (b0, b1) = (boundary(tz, day, start), boundary(tz, day, end));
    let minutes: Vec<u32> = match grid {
        Some(n) => (start..end).filter(|m| m % n == 0).collect(),
        None => (start..end).step_by(duration as usize).collect(),
    };
    minutes
        .into_iter()
        .filter_map(|m| match tz.from_local_datetime(&wall(day, m)) {
            LocalResult::None => None,
            LocalResult::Single(t) => Some(t.timestamp()),
            LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        })
        .filter(|&t| t >= b0 && t + 60 * i64::from(duration) <= b1)
        .map(|t| (t, rfc(tz, t)))
        .collect()
}

fn actual(slots: &Slots) -> Vec<(i64, String)> {
    slots
        .iter()
        .map(|s| (s.start_unix(), s.start().to_rfc3339()))
        .collect()
}

fn durations_are_real(slots: &Slots, minutes: i64) {
    for s in slots.iter() {
        assert_eq!(s.end_unix() - s.start_unix(), 60 * minutes, "{s:?}");
        assert_eq!((s.end() - s.start()).num_minutes(), minutes, "{s:?}");
    }
}

#[test]
fn switch_days_are_what_the_tests_assume() {
    for (tz, d, spring) in SWITCHES {
        let day = switch_date(d);
        let first = tz
            .from_local_datetime(&wall(day, 0))
            .earliest()
            .expect("00:00");
        let last = tz
            .from_local_datetime(&wall(day, 1439))
            .earliest()
            .expect("23:59");
        let shift = last.fixed_offset().offset().local_minus_utc()
            - first.fixed_offset().offset().local_minus_utc();
        let size = if tz == Lord_Howe { 1800 } else { 3600 };
        let expected = if spring { size } else { -size };
        assert_eq!(shift, expected, "{tz} {day}");
        assert_eq!(weekday_name(day), "sun");
    }
    // Lord Howe: 02:15 does not exist on 3 October; 01:45 happens twice on 4 April.
    let oct3 = date(2027, 10, 3);
    let apr4 = date(2027, 4, 4);
    assert!(matches!(
        Lord_Howe.from_local_datetime(&wall(oct3, 135)),
        LocalResult::None
    ));
    assert!(matches!(
        Lord_Howe.from_local_datetime(&wall(apr4, 105)),
        LocalResult::Ambiguous(..)
    ));
}

fn weekday_name(day: NaiveDate) -> &'static str {
    clinic_portal::config::Weekday::of(day).as_str()
}

// ---------------------------------------------------------------------------------------
// Spring forward: the gap.
// ---------------------------------------------------------------------------------------

#[test]
fn spring_gap_has_no_starts() {
    let cases: [(Tz, NaiveDate, &str, &str, Vec<&str>); 3] = [
        (
            Toronto,
            date(2027, 3, 14),
            "01:00",
            "04:00",
            vec![
                "2027-03-14T01:00:00-05:00",
                "2027-03-14T01:15:00-05:00",
                "2027-03-14T01:30:00-05:00",
                "2027-03-14T01:45:00-05:00",
                "2027-03-14T03:00:00-04:00",
                "2027-03-14T03:15:00-04:00",
                "2027-03-14T03:30:00-04:00",
            ],
        ),
        (
            London,
            date(2027, 3, 28),
            "00:00",
            "03:00",
            vec![
                "2027-03-28T00:00:00+00:00",
                "2027-03-28T00:15:00+00:00",
                "2027-03-28T00:30:00+00:00",
                "2027-03-28T00:45:00+00:00",
                "2027-03-28T02:00:00+01:00",
                "2027-03-28T02:15:00+01:00",
                "2027-03-28T02:30:00+01:00",
            ],
        ),
        (
            Lord_Howe,
            date(2027, 10, 3),
            "01:00",
            "03:30",
            vec![
                "2027-10-03T01:00:00+10:30",
                "2027-10-03T01:15:00+10:30",
                "2027-10-03T01:30:00+10:30",
                "2027-10-03T01:45:00+10:30",
                "2027-10-03T02:30:00+11:00",
                "2027-10-03T02:45:00+11:00",
                "2027-10-03T03:00:00+11:00",
            ],
        ),
    ];
    for (tz, day, start, end, want) in cases {
        let e = one_block(tz, "sun", start, end, Some(15), 30);
        let slots = search(&e, &q(day), now());
        assert_eq!(starts(&slots), strs(&want), "{tz}");
        durations_are_real(&slots, 30);
        // The last slot before the gap ends after it, 30 real minutes later.
        let before_gap = slots.get(3).expect("slot");
        assert_eq!(before_gap.end_unix() - before_gap.start_unix(), 1800);
        for s in slots.iter() {
            assert!(explain(&e, &q(day), s.start().with_timezone(&Utc), now()).offered);
        }
    }
}

#[test]
fn block_starting_in_the_gap_starts_at_the_transition() {
    let day = date(2027, 3, 14);
    // Toronto 02:30–05:00 is 03:00–05:00 on the wall: two real hours.
    let e = one_block(Toronto, "sun", "02:30", "05:00", Some(15), 30);
    let slots = search(&e, &q(day), now());
    assert_eq!(
        hhmm(&slots),
        strs(&["03:00", "03:15", "03:30", "03:45", "04:00", "04:15", "04:30"])
    );
    assert_eq!(starts(&slots)[0], "2027-03-14T03:00:00-04:00");

    let e = one_block(Toronto, "sun", "02:30", "05:00", None, 30);
    assert_eq!(
        hhmm(&search(&e, &q(day), now())),
        strs(&["03:00", "03:30", "04:00", "04:30"])
    );
    // Without a grid, starts step by the duration from the block's wall start (02:30), and
    // the steps that fall in the gap are skipped: 02:30 (gap), 03:15, 04:00. docs/rules.md leaves
    // open whether the steps restart at the transition; this follows the engine.
    let e = one_block(Toronto, "sun", "02:30", "05:00", None, 45);
    assert_eq!(hhmm(&search(&e, &q(day), now())), strs(&["03:15", "04:00"]));

    // Lord Howe 02:15–03:30 (gap 02:00–02:30) starts at 02:30 (+11:00).
    let e = one_block(Lord_Howe, "sun", "02:15", "03:30", Some(15), 30);
    let slots = search(&e, &q(date(2027, 10, 3)), now());
    assert_eq!(
        starts(&slots),
        strs(&[
            "2027-10-03T02:30:00+11:00",
            "2027-10-03T02:45:00+11:00",
            "2027-10-03T03:00:00+11:00",
        ])
    );
}

#[test]
fn block_ending_in_the_gap_ends_at_the_transition() {
    // Toronto 00:00–02:30 ends at 03:00 EDT, which is 02:00 EST: the last 30-minute slot
    // starts at 01:30.
    let e = one_block(Toronto, "sun", "00:00", "02:30", Some(30), 30);
    assert_eq!(
        hhmm(&search(&e, &q(date(2027, 3, 14)), now())),
        strs(&["00:00", "00:30", "01:00", "01:30"])
    );
}

#[test]
fn lead_time_counts_real_hours_across_the_gap() {
    // now = 01:30 EST; 2 hours later is 04:30 EDT (not 03:30).
    let mut cfg = zone_cfg(
        Toronto,
        vec![vec![block("sun", "00:00", "06:00", "treat")]],
        Some(30),
        30,
    );
    cfg["portal"]["scheduling"]["min_hours_before_booking"] = json!(2);
    let e = engine(&cfg);
    let day = date(2027, 3, 14);
    let n = local(Toronto, 2027, 3, 14, 1, 30);
    assert_eq!(
        hhmm(&search(&e, &q(day), n)),
        strs(&["04:30", "05:00", "05:30"])
    );
    assert_eq!(
        rule_of(&e, &q(day), local(Toronto, 2027, 3, 14, 4, 0), n),
        Some(8)
    );
}

// ---------------------------------------------------------------------------------------
// Fall back: the fold.
// ---------------------------------------------------------------------------------------

#[test]
fn fold_offers_each_wall_time_once_at_the_earlier_instant() {
    let cases = [
        (Toronto, date(2027, 11, 7), "00:00", "03:00", (1, 30)),
        (London, date(2027, 10, 31), "00:00", "03:00", (1, 30)),
        (Lord_Howe, date(2027, 4, 4), "01:00", "03:00", (1, 45)),
    ];
    for (tz, day, start, end, (fh, fm)) in cases {
        let e = one_block(tz, "sun", start, end, Some(15), 30);
        let slots = search(&e, &q(day), now());
        let walls = hhmm(&slots);
        let mut unique = walls.clone();
        unique.dedup();
        assert_eq!(walls, unique, "{tz}: a wall time offered twice");
        let (s, e_min) = (
            start[..2].parse::<u32>().unwrap() * 60,
            end[..2].parse::<u32>().unwrap() * 60,
        );
        assert_eq!(
            actual(&slots),
            expected(tz, day, s, e_min, 30, Some(15)),
            "{tz}"
        );
        assert_eq!(slots.len() as u32, (e_min - s) / 15 - 1, "{tz}");
        durations_are_real(&slots, 30);

        let (y, m, d) = (day.year(), day.month(), day.day());
        let earlier = local(tz, y, m, d, fh, fm);
        let later = local_latest(tz, y, m, d, fh, fm);
        assert!(later > earlier, "{tz}: {fh}:{fm} is ambiguous");
        assert!(slots.iter().any(|s| s.start_unix() == earlier.timestamp()));
        assert!(slots.iter().all(|s| s.start_unix() != later.timestamp()));
        let ex = explain(&e, &q(day), later, now());
        assert_eq!(ex.rule, Some(11), "{tz}: {ex:?}");
        assert!(explain(&e, &q(day), earlier, now()).offered);
    }
}

#[test]
fn slot_across_the_fold_lasts_real_minutes() {
    // Toronto 01:45 EDT + 30 minutes = 01:15 EST.
    let e = one_block(Toronto, "sun", "00:00", "03:00", Some(15), 30);
    let day = date(2027, 11, 7);
    let slots = search(&e, &q(day), now());
    let s = slots
        .iter()
        .find(|s| s.start().to_rfc3339() == "2027-11-07T01:45:00-04:00")
        .expect("01:45 EDT offered");
    assert_eq!(s.end_unix() - s.start_unix(), 1800);
    assert_eq!(
        s.end_unix(),
        local_latest(Toronto, 2027, 11, 7, 1, 15).timestamp()
    );
    // An hour-long slot from 01:30 EDT ends at 01:30 EST.
    let e = one_block(Toronto, "sun", "00:00", "03:00", Some(30), 60);
    let slots = search(&e, &q(day), now());
    durations_are_real(&slots, 60);
    let s = slots
        .iter()
        .find(|s| s.start().to_rfc3339() == "2027-11-07T01:30:00-04:00")
        .expect("01:30 EDT offered");
    assert_eq!(
        s.end_unix(),
        local_latest(Toronto, 2027, 11, 7, 1, 30).timestamp()
    );
}

#[test]
fn capacity_in_the_fold_is_counted_in_instants() {
    // An appointment at the second 01:00–01:30 (EST) does not take the first 01:00 (EDT).
    let e = one_block(Toronto, "sun", "00:00", "03:00", Some(15), 30);
    let day = date(2027, 11, 7);
    let before = starts(&search(&e, &q(day), now()));
    e.add_appointment(appt(
        "x",
        "p0",
        local_latest(Toronto, 2027, 11, 7, 1, 0),
        local_latest(Toronto, 2027, 11, 7, 1, 30),
        AppointmentStatus::Booked,
    ))
    .expect("appointment");
    let after = starts(&search(&e, &q(day), now()));
    let removed: Vec<&String> = before.iter().filter(|s| !after.contains(s)).collect();
    assert_eq!(removed, ["2027-11-07T01:45:00-04:00"]);
    let at = local(Toronto, 2027, 11, 7, 1, 45);
    assert_eq!(rule_of(&e, &q(day), at, now()), Some(10));
}

#[test]
fn closure_of_wall_hour_in_the_fold_closes_both_passes() {
    let mut cfg = zone_cfg(
        Toronto,
        vec![vec![block("sun", "00:00", "03:00", "treat")]],
        Some(30),
        30,
    );
    cfg["closures"] = json!([{"date": "2027-11-07", "start_time": "01:00", "end_time": "02:00"}]);
    let e = engine(&cfg);
    assert_eq!(
        starts(&search(&e, &q(date(2027, 11, 7)), now())),
        strs(&[
            "2027-11-07T00:00:00-04:00",
            "2027-11-07T00:30:00-04:00",
            "2027-11-07T02:00:00-05:00",
            "2027-11-07T02:30:00-05:00",
        ])
    );
}

// ---------------------------------------------------------------------------------------
// Working days across the switch.
// ---------------------------------------------------------------------------------------

/// Wall 09:00–16:00 on the hour on `day`, as RFC 3339 in `tz`.
fn nine_to_five(tz: Tz, day: NaiveDate) -> Vec<String> {
    (9..17)
        .map(|h| {
            let t = tz
                .from_local_datetime(&wall(day, h * 60))
                .single()
                .expect("office hours exist");
            rfc(tz, t.timestamp())
        })
        .collect()
}

#[test]
fn nine_to_five_is_nine_to_five_on_the_wall() {
    for (tz, d, _) in SWITCHES {
        let day = switch_date(d);
        let e = one_block(tz, "sun", "09:00", "17:00", Some(60), 60);
        let slots = search(&e, &q(day), now());
        let want = nine_to_five(tz, day);
        assert_eq!(starts(&slots), want, "{tz} {day}");
        assert!(want[0].starts_with(&format!("{day}T09:00:00")));
        durations_are_real(&slots, 60);
        // The week before, same wall times with the other offset.
        let before = day - Duration::days(7);
        let earlier = starts(&search(&e, &q(before), now()));
        assert_eq!(earlier, nine_to_five(tz, before));
        assert_ne!(earlier[0][19..], want[0][19..], "{tz}: offset changes");
        assert_eq!(earlier[0][11..19], want[0][11..19]);
    }
}

#[test]
fn recurring_record_on_the_switch_day_keeps_block_times() {
    // An RRULE chooses the dates; the wall times still come from the blocks.
    let mut cfg = zone_cfg(
        Toronto,
        vec![vec![block("sun", "09:00", "17:00", "treat")]],
        Some(60),
        60,
    );
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!("2027-01-03");
    cfg["practitioners"][0]["availability"][0]["recurrence"] =
        json!("FREQ=WEEKLY;INTERVAL=1;BYDAY=SU");
    let e = engine(&cfg);
    let day = date(2027, 3, 14);
    assert_eq!(
        starts(&search(&e, &q(day), now())),
        nine_to_five(Toronto, day)
    );
}

#[test]
fn query_window_spanning_the_switch() {
    for (tz, d, _) in SWITCHES {
        let day = switch_date(d);
        let blocks: Vec<Value> = ["sat", "sun", "mon"]
            .iter()
            .map(|w| block(w, "09:00", "17:00", "treat"))
            .collect();
        let e = engine(&zone_cfg(tz, vec![blocks], Some(60), 60));
        let (from, to) = (day - Duration::days(1), day + Duration::days(1));
        let slots = search(&e, &SlotQuery::new("svc", from, to), now());
        let mut want = nine_to_five(tz, from);
        want.extend(nine_to_five(tz, day));
        want.extend(nine_to_five(tz, to));
        assert_eq!(starts(&slots), want, "{tz} {day}");
        let offsets: Vec<&str> = want.iter().map(|s| &s[19..]).collect();
        assert_ne!(
            offsets[0], offsets[8],
            "{tz}: the offset changes on the switch day"
        );
        assert_eq!(offsets[8], offsets[16]);
    }
}

#[test]
fn horizon_across_the_switch_ends_at_local_midnight() {
    // Saturday noon before the spring switch, 1 day ahead: Sunday bookable, Monday not.
    for (tz, d, _) in SWITCHES {
        let day = switch_date(d);
        let blocks: Vec<Value> = ["sun", "mon"]
            .iter()
            .map(|w| block(w, "00:00", "24:00", "treat"))
            .collect();
        let mut cfg = zone_cfg(tz, vec![blocks], Some(60), 60);
        cfg["portal"]["scheduling"]["max_days_ahead"] = json!(1);
        let e = engine(&cfg);
        let sat = day - Duration::days(1);
        let now = tz
            .from_local_datetime(&wall(sat, 12 * 60))
            .single()
            .expect("noon")
            .with_timezone(&Utc);
        let q2 = SlotQuery::new("svc", day, day + Duration::days(1));
        let slots = search(&e, &q2, now);
        // Every on-the-hour wall start of the switch day that exists (its first occurrence
        // in a fold), and none of Monday.
        let want = expected(tz, day, 0, 1440, 60, Some(60));
        assert_eq!(actual(&slots), want, "{tz} {day}");
        let monday = tz
            .from_local_datetime(&wall(day + Duration::days(1), 0))
            .earliest()
            .expect("monday");
        assert_eq!(
            rule_of(&e, &q2, monday.with_timezone(&Utc), now),
            Some(8),
            "{tz}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Blocks that start at every hour of the switch day.
// ---------------------------------------------------------------------------------------

#[test]
fn blocks_starting_at_every_hour_of_the_switch_day() {
    for (tz, d, _) in SWITCHES {
        let day = switch_date(d);
        let blocks: Vec<Vec<Value>> = (0..24u32)
            .map(|h| {
                let end = (h + 2).min(24);
                vec![block(
                    "sun",
                    &format!("{h:02}:00"),
                    &format!("{end:02}:00"),
                    "treat",
                )]
            })
            .collect();
        for (grid, duration) in [(Some(15), 30), (Some(15), 60), (None, 45), (Some(5), 25)] {
            let e = engine(&zone_cfg(tz, blocks.clone(), grid, duration));
            for h in 0..24u32 {
                let end = (h + 2).min(24);
                let query = q(day).practitioner(format!("p{h}"));
                let slots = search(&e, &query, now());
                let want = expected(tz, day, h * 60, end * 60, duration, grid);
                assert_eq!(
                    actual(&slots),
                    want,
                    "{tz} {day} block {h:02}:00–{end:02}:00 grid {grid:?} duration {duration}"
                );
                durations_are_real(&slots, i64::from(duration));
                for s in slots.iter() {
                    let ex = explain(&e, &query, s.start().with_timezone(&Utc), now());
                    assert!(ex.offered, "{tz} {s:?}: {ex:?}");
                }
            }
        }
    }
}

#[test]

fn closure_inside_the_gap_closes_nothing() {
    // 02:00–02:30 does not exist on 2027-03-14 in Toronto: closing it removes no time, so
    // an hour from 01:30 EST to 03:30 EDT still fits in the 01:00–04:00 block.
    let mut cfg = zone_cfg(
        Toronto,
        vec![vec![block("sun", "01:00", "04:00", "treat")]],
        Some(30),
        60,
    );
    let e = engine(&cfg);
    let day = date(2027, 3, 14);
    let open = starts(&search(&e, &q(day), now()));
    assert_eq!(
        open,
        strs(&[
            "2027-03-14T01:00:00-05:00",
            "2027-03-14T01:30:00-05:00",
            "2027-03-14T03:00:00-04:00",
        ])
    );
    cfg["closures"] = json!([{"date": "2027-03-14", "start_time": "02:00", "end_time": "02:30"}]);
    let e = engine(&cfg);
    assert_eq!(starts(&search(&e, &q(day), now())), open);
    let at = local(Toronto, 2027, 3, 14, 1, 30);
    assert!(explain(&e, &q(day), at, now()).offered);
}
