//! Bounds of the schedule computation (see docs/limits.md): no input panics, work is bounded
//! by the asked window (never by the distance from an RRULE anchor), every configuration
//! number has an upper bound that validation enforces, and search, explain and booking give
//! one answer at the edges.

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinic_portal::{
    AppointmentFilter, AppointmentStatus, BookRequest, Config, Engine, ErrorCode, HoldRequest,
    Patient, RegistrationRequest, SlotQuery, Source,
};
use common::*;
use serde_json::{json, Value};

fn patient(e: &Engine, id: &str) {
    let p: Patient = serde_json::from_value(json!({"id": id})).expect("patient");
    e.upsert_patient(p).expect("patient loads");
}

/// Whether a message cites rule `n` ("rule 1" but not "rule 12").
fn names_rule(message: &str, n: u8) -> bool {
    let needle = format!("rule {n}");
    message.match_indices(&needle).any(|(i, _)| {
        !message[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// The JSON paths of the errors validation reports for `cfg`.
fn error_paths(cfg: &Value) -> Vec<String> {
    let config: Config = serde_json::from_value(cfg.clone()).expect("parses");
    Engine::validate(&config)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.path)
        .collect()
}

fn warning_paths(cfg: &Value) -> Vec<String> {
    let config: Config = serde_json::from_value(cfg.clone()).expect("parses");
    Engine::validate(&config)
        .into_iter()
        .filter(|d| !d.is_error())
        .map(|d| d.path)
        .collect()
}

/// Sets a value at a `a.b.c` path of a JSON object, creating objects on the way.
fn set(cfg: &mut Value, path: &str, value: Value) {
    let mut at = cfg;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let key: Option<usize> = part
            .strip_suffix(']')
            .and_then(|p| p.split_once('['))
            .and_then(|(_, n)| n.parse().ok());
        let name = part.split('[').next().unwrap_or(part);
        if i + 1 == parts.len() && key.is_none() {
            at[name] = value;
            return;
        }
        if at.get(name).is_none() {
            at[name] = json!({});
        }
        at = &mut at[name];
        if let Some(k) = key {
            if i + 1 == parts.len() {
                at[k] = value;
                return;
            }
            at = &mut at[k];
        }
    }
}

// ---------------------------------------------------------------------------------------
// No panic: dates and instants at chrono's ends.
// ---------------------------------------------------------------------------------------

#[test]
fn search_and_explain_refuse_dates_outside_1900_to_9999() {
    let e = engine(&base());
    for day in [
        NaiveDate::MAX,
        NaiveDate::MIN,
        date(10_000, 1, 1),
        date(1899, 12, 31),
    ] {
        // Used to panic in date arithmetic (`NaiveDate + TimeDelta overflowed`).
        let err = e.search(&on(day), early()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{day}: {err}");
        let err = e.explain(&on(day), mon_at(9, 0), early()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{day}: {err}");
    }
    // The JSON form accepts chrono's whole range; the engine refuses it.
    let q: SlotQuery = serde_json::from_value(json!({
        "service": "physio-30", "from": "+262142-12-31", "to": "+262142-12-31"}))
    .expect("query parses");
    assert_eq!(
        e.search(&q, early()).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    // The edges themselves are fine.
    assert!(e.search(&on(date(9999, 12, 31)), early()).is_ok());
    assert!(e.search(&on(date(1900, 1, 1)), early()).is_ok());
}

#[test]
fn appointments_at_chronos_ends_do_not_panic_reports_or_bookings() {
    let mut cfg = base();
    set_scheduling(&mut cfg, "max_bookings_per_day", json!(3));
    set_scheduling(&mut cfg, "max_future_bookings_per_patient", json!(5));
    let e = engine(&cfg);
    patient(&e, "pat");
    for (id, start, end) in [
        (
            "max",
            DateTime::<Utc>::MAX_UTC - Duration::hours(1),
            DateTime::<Utc>::MAX_UTC,
        ),
        (
            "min",
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MIN_UTC + Duration::hours(1),
        ),
    ] {
        let mut a = appt(id, "dr-a", start, end, AppointmentStatus::Booked);
        a.patient = Some("pat".to_owned());
        a.clinic = Some("main".to_owned());
        a.source = Source::Portal;
        // Whether the import is accepted or refused, nothing after it may panic.
        let _ = e.add_appointment(a);
    }
    let report = e
        .report_portal_appointments(&AppointmentFilter::new(
            date(1900, 1, 1),
            date(9999, 12, 31),
        ))
        .expect("report");
    assert!(report.iter().all(|a| a.id == "max" || a.id == "min"));
    let booked = e.book(&BookRequest::new("pat", "physio-30", mon_at(9, 0)), early());
    assert!(booked.is_ok(), "{booked:?}");
}

#[test]
fn capacity_is_bounded_and_never_overflows() {
    let mut cfg = base();
    cfg["schedule_types"][0]["allow_conflicts"] = json!(true);
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr-b", weekday_blocks("09:00", "12:00")),
    ]);
    // u32::MAX with two practitioners and no preference overflowed the summed capacity.
    cfg["services"][0]["portal_capacity"] = json!(u32::MAX);
    assert_eq!(error_paths(&cfg), ["services[0].portal_capacity"]);
    cfg["services"][0]["portal_capacity"] = json!(clinic_portal::config::MAX_PORTAL_CAPACITY);
    let slots = search(&engine(&cfg), &on(monday()), early());
    assert_eq!(slots.len(), 6);
    assert!(slots
        .iter()
        .all(|s| s.remaining_capacity() == 2 * clinic_portal::config::MAX_PORTAL_CAPACITY));
}

// ---------------------------------------------------------------------------------------
// Configuration numbers: every one has an upper bound that validation enforces.
// ---------------------------------------------------------------------------------------

#[test]
fn configuration_numbers_beyond_their_bounds_are_refused() {
    use clinic_portal::config::*;
    let cases: Vec<(&str, u32, u32)> = vec![
        ("portal.invitation_ttl_hours", MAX_INVITATION_TTL_HOURS, 0),
        (
            "portal.scheduling.min_hours_before_cancel",
            MAX_NOTICE_HOURS,
            u32::MAX,
        ),
        (
            "portal.scheduling.min_hours_before_booking",
            MAX_NOTICE_HOURS,
            u32::MAX,
        ),
        (
            "portal.scheduling.late_cancel_fee_hours",
            MAX_NOTICE_HOURS,
            u32::MAX,
        ),
        ("portal.scheduling.hold_minutes", MAX_HOLD_MINUTES, 0),
        ("portal.scheduling.max_days_ahead", MAX_DAYS_AHEAD, u32::MAX),
        (
            "portal.scheduling.max_future_bookings_per_patient",
            MAX_BOOKING_LIMIT,
            0,
        ),
        (
            "portal.scheduling.max_bookings_per_day",
            MAX_BOOKING_LIMIT,
            0,
        ),
        ("portal.scheduling.start_interval_minutes", 1440, 0),
        ("services[0].portal_capacity", MAX_PORTAL_CAPACITY, 0),
        ("services[0].duration_minutes", MAX_DURATION_MINUTES, 0),
        (
            "services[0].buffer_before_minutes",
            MAX_BUFFER_MINUTES,
            u32::MAX,
        ),
        (
            "services[0].buffer_after_minutes",
            MAX_BUFFER_MINUTES,
            u32::MAX,
        ),
        (
            "schedule_types[0].default_duration_minutes",
            MAX_DURATION_MINUTES,
            0,
        ),
    ];
    for (path, max, low) in cases {
        let mut cfg = base();
        set(&mut cfg, path, json!(max));
        let errs = error_paths(&cfg);
        assert!(
            errs.is_empty(),
            "{path} = {max} (the bound) must load: {errs:?}"
        );
        for bad in [max + 1, u32::MAX, low] {
            if bad <= max && bad != 0 {
                continue;
            }
            let mut cfg = base();
            set(&mut cfg, path, json!(bad));
            let errs = error_paths(&cfg);
            assert_eq!(errs, [path], "{path} = {bad}");
            let err = Engine::from_json(&cfg.to_string()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig);
        }
    }
}

#[test]
fn huge_invitation_ttl_and_cancel_cut_off_are_refused_not_loaded() {
    // Both used to validate, after which every invitation / every cancel failed.
    let mut cfg = base();
    cfg["portal"] = json!({"invitation_ttl_hours": u32::MAX});
    assert_eq!(error_paths(&cfg), ["portal.invitation_ttl_hours"]);
    let mut cfg = base();
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(u32::MAX));
    assert_eq!(
        error_paths(&cfg),
        ["portal.scheduling.min_hours_before_cancel"]
    );
}

#[test]
fn a_lead_time_past_the_horizon_is_a_warning() {
    let mut cfg = base();
    set_scheduling(&mut cfg, "max_days_ahead", json!(2));
    set_scheduling(&mut cfg, "min_hours_before_booking", json!(72));
    assert_eq!(
        warning_paths(&cfg),
        ["portal.scheduling.min_hours_before_booking"]
    );
    set_scheduling(&mut cfg, "min_hours_before_booking", json!(71));
    assert!(warning_paths(&cfg).is_empty());
}

#[test]
fn list_lengths_ids_and_dates_are_bounded() {
    use clinic_portal::config::*;
    let mut cfg = base();
    cfg["referral_types"] = Value::Array(
        (0..=MAX_REFERRAL_TYPES)
            .map(|i| json!({"id": format!("r{i}")}))
            .collect(),
    );
    assert_eq!(error_paths(&cfg), ["referral_types"]);

    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"] = Value::Array(
        (0..=MAX_BLOCKS_PER_RECORD)
            .map(|_| block("mon", "09:00", "10:00", "treat"))
            .collect(),
    );
    assert!(error_paths(&cfg).contains(&"practitioners[0].availability[0].blocks".to_owned()));

    let mut cfg = base();
    cfg["closures"] = Value::Array(
        (0..=MAX_RRULES)
            .map(|_| json!({"start_date": "2027-01-01", "recurrence": "FREQ=YEARLY"}))
            .collect(),
    );
    assert_eq!(
        error_paths(&cfg),
        [format!("closures[{MAX_RRULES}].recurrence")]
    );

    let mut cfg = base();
    cfg["services"][0]["id"] = json!("s".repeat(MAX_CONFIG_ID_CHARS + 1));
    assert_eq!(error_paths(&cfg), ["services[0].id"]);

    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!("+20000-01-01");
    assert_eq!(
        error_paths(&cfg),
        ["practitioners[0].availability[0].start_date"]
    );
    let mut cfg = base();
    cfg["closures"] = json!([{"date": "0900-01-01"}]);
    assert_eq!(error_paths(&cfg), ["closures[0].date"]);
}

// ---------------------------------------------------------------------------------------
// RRULEs: wrong rules are refused or reported; far dates cost the window only.
// ---------------------------------------------------------------------------------------

#[test]
fn interval_zero_is_an_error_and_never_matching_rules_a_warning() {
    let path = "practitioners[0].availability[0].recurrence";
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["recurrence"] =
        json!("FREQ=WEEKLY;INTERVAL=0;BYDAY=MO");
    assert_eq!(error_paths(&cfg), [path]);
    cfg["practitioners"][0]["availability"][0]["recurrence"] =
        json!("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30");
    assert!(error_paths(&cfg).is_empty());
    assert!(
        warning_paths(&cfg).contains(&path.to_owned()),
        "{:?}",
        warning_paths(&cfg)
    );
    // Matching only after the record's end is as good as never.
    cfg["practitioners"][0]["availability"][0]["recurrence"] =
        json!("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25");
    cfg["practitioners"][0]["availability"][0]["end_date"] = json!("2027-06-30");
    assert!(warning_paths(&cfg).contains(&path.to_owned()));

    let mut cfg = base();
    cfg["closures"] = json!([
        {"start_date": "2027-01-01", "recurrence": "FREQ=DAILY;INTERVAL=0"},
        {"start_date": "2027-01-01", "recurrence": "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31"},
        {"start_date": "2027-01-01", "recurrence": "FREQ=DAILY;COUNT=100000"},
    ]);
    assert_eq!(
        error_paths(&cfg),
        ["closures[0].recurrence", "closures[2].recurrence"]
    );
    assert!(warning_paths(&cfg).contains(&"closures[1].recurrence".to_owned()));
}

fn far_future(recurrence: &str, anchor: &str) -> Engine {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!(anchor);
    cfg["practitioners"][0]["availability"][0]["recurrence"] = json!(recurrence);
    set_scheduling(&mut cfg, "max_days_ahead", json!(3660));
    engine(&cfg)
}

#[test]
fn a_daily_rule_anchored_in_1900_gives_the_right_dates_in_9998() {
    let e = far_future("FREQ=DAILY;INTERVAL=2", "1900-01-01");
    let now = utc(9998, 5, 1, 12, 0);
    let slots = search(
        &e,
        &SlotQuery::new("physio-30", date(9998, 6, 1), date(9998, 6, 7)),
        now,
    );
    // 9998-06-01 is 2_962_... days after 1900-01-01, an odd number: off; then every other day
    // among the weekdays Mon–Fri.
    let days: Vec<String> = slots
        .iter()
        .map(|s| s.start().format("%Y-%m-%d").to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(days, ["9998-06-02", "9998-06-04"]);
    assert_eq!(slots.len(), 12);
}

#[test]
fn a_fortnightly_record_anchored_2027_holds_right_in_9998() {
    let e = far_future("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", "2027-02-01");
    let now = utc(9998, 5, 1, 12, 0);
    let at = |d: u32| local(chrono_tz::America::Toronto, 9998, 6, d, 9, 0);
    // 9998-06-01 (a Monday) lies in an on-week, 9998-06-08 in an off-week.
    let hold = e
        .hold(&HoldRequest::new("physio-30", at(1)), now)
        .expect("on-week hold");
    assert_eq!(hold.practitioner, "dr-a");
    let err = e
        .hold(&HoldRequest::new("physio-30", at(8)), now)
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{err}");
    assert!(names_rule(err.message(), 5), "{err}");
    let ex = explain(&e, &on(date(9998, 6, 3)), at(3), now);
    assert!(ex.offered, "{ex:?}");
}

#[test]
fn programs_obey_the_booking_window() {
    let mut cfg = base();
    cfg["programs"] = json!([{
        "id": "yoga", "clinic": "main", "start_date": "2027-01-04", "start_time": "18:00",
        "duration_minutes": 60, "capacity": 5, "recurrence": "FREQ=WEEKLY;BYDAY=MO"}]);
    set_scheduling(&mut cfg, "min_hours_before_booking", json!(48));
    set_scheduling(&mut cfg, "max_days_ahead", json!(30));
    let e = engine(&cfg);
    patient(&e, "pat");
    let now = utc(2027, 2, 1, 12, 0); // Monday noon: tonight's session is 6 h away
    let register =
        |d: NaiveDate| e.register_program(&RegistrationRequest::new("yoga", "pat", d), now);
    let before = e.snapshot();
    for (day, why) in [
        (date(2027, 2, 1), "less than 48 hour(s)"),
        (date(2027, 3, 8), "more than 30 day(s)"),
        // Registering for a session in 9998 used to succeed.
        (date(9998, 6, 1), "more than 30 day(s)"),
    ] {
        let err = register(day).unwrap_err();
        assert_eq!(err.code(), ErrorCode::OutsideBookingWindow, "{day}: {err}");
        assert!(err.message().contains(why), "{day}: {err}");
    }
    assert_eq!(e.snapshot(), before, "failed registrations change nothing");
    assert!(register(date(2027, 2, 8)).is_ok());
    assert_eq!(
        register(NaiveDate::MAX).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
}

// ---------------------------------------------------------------------------------------
// Wrong or missing errors.
// ---------------------------------------------------------------------------------------

#[test]
fn sub_second_starts_are_off_the_grid() {
    let e = engine(&base());
    patient(&e, "pat");
    let start = mon_at(9, 0) + Duration::milliseconds(500);
    let ex = explain(&e, &on(monday()), start, early());
    assert_eq!((ex.offered, ex.rule), (false, Some(9)), "{ex:?}");
    let before = e.snapshot();
    let err = e
        .book(&BookRequest::new("pat", "physio-30", start), early())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{err}");
    assert!(names_rule(err.message(), 9), "{err}");
    assert_eq!(e.snapshot(), before);
    let err = e
        .hold(&HoldRequest::new("physio-30", start), early())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{err}");
    assert!(e
        .book(&BookRequest::new("pat", "physio-30", mon_at(9, 0)), early())
        .is_ok());
}

#[test]
fn wall_times_are_strict_hh_mm() {
    for bad in [
        "+9:+0",
        "9:00",
        "09:0",
        " 9:00",
        "09: 0",
        "+1:00",
        "٠٩:٠٠",
        "0x:00",
    ] {
        let mut cfg = base();
        cfg["practitioners"][0]["availability"][0]["blocks"][0]["start"] = json!(bad);
        let err = Engine::from_json(&cfg.to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig, "{bad}");
        assert!(err.message().contains("HH:MM"), "{bad}: {err}");
    }
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"][0]["start"] = json!("09:30");
    assert!(Engine::from_json(&cfg.to_string()).is_ok());
}

#[test]
fn search_and_book_agree_at_the_last_instant() {
    // Instants are accepted up to 9999-12-31T00:00:00Z: search must not offer later starts.
    let mut cfg = base();
    cfg["clinics"][0]["time_zone"] = json!("UTC");
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!("9999-12-01");
    cfg["practitioners"][0]["availability"][0]["blocks"] = json!([
        block("thu", "09:00", "10:00", "treat"),
        block("fri", "00:00", "10:00", "treat"),
    ]);
    let e = engine(&cfg);
    patient(&e, "pat");
    let now = utc(9999, 12, 20, 0, 0);
    let slots = search(
        &e,
        &SlotQuery::new("physio-30", date(9999, 12, 30), date(9999, 12, 31)),
        now,
    );
    assert_eq!(
        starts(&slots),
        [
            "9999-12-30T09:00:00+00:00",
            "9999-12-30T09:30:00+00:00",
            "9999-12-31T00:00:00+00:00"
        ]
    );
    for slot in slots.iter() {
        let start = slot.start().with_timezone(&Utc);
        let booked = e.book(&BookRequest::new("pat", "physio-30", start), now);
        assert!(
            booked.is_ok(),
            "search offered {start}, book says {booked:?}"
        );
    }
    let late = Utc
        .with_ymd_and_hms(9999, 12, 31, 0, 30, 0)
        .single()
        .expect("instant");
    let book = e
        .book(&BookRequest::new("pat", "physio-30", late), now)
        .unwrap_err();
    assert_eq!(book.code(), ErrorCode::InvalidInput);
    let ex = e.explain(
        &SlotQuery::new("physio-30", date(9999, 12, 31), date(9999, 12, 31)),
        late,
        now,
    );
    assert_eq!(ex.unwrap_err().code(), ErrorCode::InvalidInput);
}

#[test]
fn the_book_button_links_only_to_http_urls() {
    let e = engine(&base());
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/book",
        "https:///book",
        "https://",
        "/\\evil.example",
        "ftp://files.example",
        "book",
    ] {
        let err = e.book_button_html(Some(bad)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
    }
    for good in [
        "https://portal.example/book?c=1&s=2",
        "HTTP://portal.example",
        "/book",
    ] {
        let html = e.book_button_html(Some(good)).expect(good);
        assert!(html.starts_with("<a "), "{html}");
    }
    let mut cfg = base();
    cfg["portal"] = json!({"login_url": "javascript:alert(1)"});
    assert_eq!(error_paths(&cfg), ["portal.login_url"]);
}

// ---------------------------------------------------------------------------------------
// Agreement between search, explain and booking.
// ---------------------------------------------------------------------------------------

#[test]
fn explain_refuses_starts_outside_the_querys_dates() {
    let e = engine(&base());
    let tuesday = date(2027, 2, 2);
    let tue_9 = local(chrono_tz::America::Toronto, 2027, 2, 2, 9, 0);
    // Offered when asked about its own date…
    assert!(explain(&e, &on(tuesday), tue_9, early()).offered);
    // …but a query for Monday does not return it, so explain must not say offered.
    let ex = explain(&e, &on(monday()), tue_9, early());
    assert_eq!((ex.offered, ex.rule), (false, Some(8)), "{ex:?}");
    assert_eq!(ex.entity.as_deref(), Some("query"));
    assert!(
        ex.message.contains("outside the query's dates"),
        "{}",
        ex.message
    );
    // Evening starts whose UTC date is the next day are inside the query's local date.
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"] =
        json!([block("mon", "20:00", "22:00", "treat")]);
    let e = engine(&cfg);
    patient(&e, "pat");
    let evening = mon_at(21, 0);
    assert_eq!(evening.date_naive(), date(2027, 2, 2));
    assert!(explain(&e, &on(monday()), evening, early()).offered);
    assert!(e
        .book(&BookRequest::new("pat", "physio-30", evening), early())
        .is_ok());
}

#[test]
fn query_level_refusals_are_errors_in_search_and_explanations_in_explain() {
    // The same refusal, however it is asked: search and booking as the same error code,
    // explain as the rule.
    let mut off = base();
    off["portal"] = json!({"enabled": false});
    let mut service_off = base();
    service_off["services"][0]["book_from_portal"] = json!(false);
    let mut clinic_off = base();
    clinic_off["clinics"][0]["book_in_portal"] = json!(false);
    let mut no_pref = base();
    set_scheduling(&mut no_pref, "allow_no_preference", json!(false));
    for (cfg, query, rule, code) in [
        (off, on(monday()), 1, ErrorCode::PortalDisabled),
        (service_off, on(monday()), 2, ErrorCode::SlotUnavailable),
        (
            clinic_off,
            on(monday()).clinic("main"),
            1,
            ErrorCode::PortalDisabled,
        ),
        (no_pref, on(monday()), 12, ErrorCode::SlotUnavailable),
    ] {
        let e = engine(&cfg);
        patient(&e, "pat");
        let err = e.search(&query, early()).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(names_rule(err.message(), rule), "{err}");
        let ex = explain(&e, &query, mon_at(9, 0), early());
        assert_eq!((ex.offered, ex.rule), (false, Some(rule)), "{ex:?}");
        let mut request = BookRequest::new("pat", "physio-30", mon_at(9, 0));
        request.clinic = query.clinic.clone();
        let booked = e.book(&request, early()).unwrap_err();
        assert_eq!(booked.code(), code, "{booked}");
    }
    // Unknown ids are errors everywhere.
    let e = engine(&base());
    let q = SlotQuery::new("nope", monday(), monday());
    assert_eq!(
        e.search(&q, early()).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        e.explain(&q, mon_at(9, 0), early()).unwrap_err().code(),
        ErrorCode::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Bounded answers.
// ---------------------------------------------------------------------------------------

/// A 1-minute grid and `n` practitioners working 09:00–17:00 on weekdays.
fn minute_grid(n: usize) -> Engine {
    let mut cfg = base();
    set_scheduling(&mut cfg, "start_interval_minutes", json!(1));
    set_scheduling(&mut cfg, "max_days_ahead", json!(400));
    cfg["practitioners"] = Value::Array(
        (0..n)
            .map(|i| practitioner(&format!("dr-{i}"), weekday_blocks("09:00", "17:00")))
            .collect(),
    );
    engine(&cfg)
}

#[test]
fn a_search_returns_at_most_the_default_number_of_slots() {
    let e = minute_grid(3);
    let q = SlotQuery::new("physio-30", date(2027, 2, 1), date(2027, 3, 31));
    let slots = search(&e, &q, early());
    assert!(!slots.is_empty());
    assert!(slots.len() <= 10_000, "{} slots", slots.len());
}

#[test]
fn a_query_spans_at_most_366_days() {
    let e = engine(&base());
    let q = SlotQuery::new("physio-30", date(2027, 1, 1), date(2028, 1, 2));
    assert_eq!(
        e.search(&q, early()).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    // 366 dates (2027-01-01 to 2028-01-01) are the most.
    let q = SlotQuery::new("physio-30", date(2027, 1, 1), date(2028, 1, 1));
    assert!(e.search(&q, early()).is_ok());
}

// -- paging (new API) --------------------------------------------------------------------

#[test]
fn slot_limits_are_checked() {
    use clinic_portal::availability::{DEFAULT_SLOT_LIMIT, MAX_SLOT_LIMIT};
    const { assert!(DEFAULT_SLOT_LIMIT <= MAX_SLOT_LIMIT) };
    let e = engine(&base());
    for bad in [0, MAX_SLOT_LIMIT + 1, u32::MAX] {
        let err = e.search(&on(monday()).limit(bad), early()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
    }
    assert_eq!(
        search(&e, &on(monday()).limit(MAX_SLOT_LIMIT), early()).len(),
        6
    );
    let err = e
        .search(&on(monday()).after(DateTime::<Utc>::MAX_UTC), early())
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[test]
fn a_huge_answer_is_truncated_at_the_default_limit_and_pages_on() {
    use clinic_portal::availability::DEFAULT_SLOT_LIMIT;
    // A 1-minute grid with 20 practitioners over a year used to return 10.5 M slots.
    let e = minute_grid(20);
    let q = SlotQuery::new("physio-30", date(2027, 1, 18), date(2028, 1, 17));
    let first = search(&e, &q, early());
    assert!(first.truncated());
    assert!(first.len() <= DEFAULT_SLOT_LIMIT as usize && first.len() > 9_000);
    assert!(first.iter().all(|s| s.practitioners().len() == 20));
    let cursor = first.next_after().expect("cursor");
    assert_eq!(
        cursor.timestamp(),
        first.get(first.len() - 1).expect("last").start_unix()
    );
    let second = search(&e, &q.clone().after(cursor), early());
    assert!(second.truncated());
    assert!(second.get(0).expect("first").start_unix() > cursor.timestamp());
    let json: Value = serde_json::from_str(&second.to_page_json()).expect("json");
    assert_eq!(json["truncated"], json!(true));
    assert_eq!(json["slots"].as_array().map(Vec::len), Some(second.len()));
}

#[test]
fn pages_put_together_equal_the_whole_answer() {
    let mut cfg = base();
    cfg["clinics"] = json!([
        {"id": "main", "time_zone": "America/Toronto"},
        {"id": "west", "time_zone": "America/Vancouver"},
    ]);
    let mut east = weekday_blocks("09:00", "12:00");
    let mut west = weekday_blocks("06:00", "09:00");
    for b in east.iter_mut() {
        b["clinic"] = json!("main");
    }
    for b in west.iter_mut() {
        b["clinic"] = json!("west");
    }
    cfg["practitioners"] = json!([practitioner("dr-a", east), practitioner("dr-b", west)]);
    let e = engine(&cfg);
    let q = SlotQuery::new("physio-30", date(2027, 2, 1), date(2027, 2, 14));
    let whole = search(&e, &q, early());
    // Toronto 09:00 and Vancouver 06:00 are the same instant: starts shared by two clinics.
    assert_eq!(whole.len(), 10 * 12);
    assert!(!whole.truncated() && whole.next_after().is_none());
    for limit in [1, 2, 3, 7, 50] {
        let mut got: Vec<(i64, String)> = Vec::new();
        let mut page = q.clone().limit(limit);
        let mut pages = 0;
        loop {
            let slots = search(&e, &page, early());
            pages += 1;
            assert!(
                slots.len() <= (limit as usize).max(2),
                "limit {limit}: {}",
                slots.len()
            );
            got.extend(
                slots
                    .iter()
                    .map(|s| (s.start_unix(), s.clinic().to_owned())),
            );
            match slots.next_after() {
                Some(cursor) => page = page.after(cursor),
                None => break,
            }
            assert!(pages < 1_000);
        }
        let want: Vec<(i64, String)> = whole
            .iter()
            .map(|s| (s.start_unix(), s.clinic().to_owned()))
            .collect();
        assert_eq!(got, want, "limit {limit}");
    }
}
