//! Configuration validation: every problem at once, each with its JSON path and severity;
//! and failed operations change nothing.

use chrono::{NaiveDate, TimeZone, Utc};
use clinic_portal::{
    Appointment, AppointmentStatus, Config, Engine, ErrorCode, Patient, Severity, SlotQuery, Source,
};
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "clinics": [{"id": "tor", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "pt", "name": "Physio"}],
        "practitioner_types": [{"id": "physio"}],
        "practitioners": [{"id": "lee", "practitioner_types": ["physio"], "schedule_types": ["pt"],
            "availability": [{"id": "r1", "start_date": "2027-01-01", "end_date": "2027-06-30",
                "blocks": [{"weekday": "mon", "start": "09:00", "end": "17:00", "schedule_type": "pt"}]}]}],
        "services": [{"id": "s30", "duration_minutes": 30, "schedule_types": ["pt"]}]
    })
}

fn diagnostics(v: &Value) -> Vec<(Severity, String)> {
    let config: Config = serde_json::from_value(v.clone()).expect("parses");
    let mut out: Vec<(Severity, String)> = Engine::validate(&config)
        .into_iter()
        .map(|d| (d.severity, d.path))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn errors(v: &Value) -> Vec<String> {
    diagnostics(v)
        .into_iter()
        .filter(|d| d.0 == Severity::Error)
        .map(|d| d.1)
        .collect()
}

fn warnings(v: &Value) -> Vec<String> {
    diagnostics(v)
        .into_iter()
        .filter(|d| d.0 == Severity::Warning)
        .map(|d| d.1)
        .collect()
}

#[test]
fn base_config_is_clean() {
    assert_eq!(diagnostics(&base()), vec![]);
}

#[test]
fn unknown_fields_are_rejected() {
    let mut v = base();
    v["services"][0]["durration_minutes"] = json!(30);
    let e = Engine::from_json(&v.to_string()).expect_err("unknown field");
    assert_eq!(e.code(), ErrorCode::InvalidConfig);
    assert!(e.message().contains("durration_minutes"), "{}", e.message());
}

#[test]
fn every_error_is_reported_at_once_with_its_path() {
    let mut v = base();
    v["clinics"][0]["time_zone"] = json!("Mars/Olympus_Mons");
    v["portal"] = json!({"scheduling": {"start_interval_minutes": 7}});
    v["services"][0]["duration_minutes"] = json!(0);
    v["services"][0]["portal_capacity"] = json!(0);
    v["services"][0]["schedule_types"] = json!(["pt", "nope"]);
    v["practitioners"][0]["availability"][0]["blocks"][0]["end"] = json!("08:00");
    v["practitioners"][0]["availability"][0]["recurrence"] = json!("FREQ=SOMETIMES");
    v["closures"] = json!([{"clinic": "nowhere", "date": "2027-03-01"}]);
    let errs = errors(&v);
    for path in [
        "clinics[0].time_zone",
        "portal.scheduling.start_interval_minutes",
        "services[0].duration_minutes",
        "services[0].portal_capacity",
        "services[0].schedule_types[1]",
        "practitioners[0].availability[0].blocks[0]",
        "practitioners[0].availability[0].recurrence",
        "closures[0].clinic",
    ] {
        assert!(errs.iter().any(|e| e == path), "missing {path} in {errs:?}");
    }
    let e = Engine::from_json(&v.to_string()).expect_err("invalid");
    assert_eq!(e.code(), ErrorCode::InvalidConfig);
    assert!(e.diagnostics().iter().filter(|d| d.is_error()).count() >= 8);
}

#[test]
fn overlapping_records_name_both() {
    let mut v = base();
    v["practitioners"][0]["availability"]
        .as_array_mut()
        .expect("array")
        .push(json!({"id": "r2", "start_date": "2027-06-01",
            "blocks": [{"weekday": "tue", "start": "09:00", "end": "12:00", "schedule_type": "pt"}]}));
    let config: Config = serde_json::from_value(v.clone()).expect("parses");
    let diags = Engine::validate(&config);
    let d = diags.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!(d.path, "practitioners[0].availability[1]");
    assert!(
        d.message.contains("`r1`") && d.message.contains("`r2`"),
        "{}",
        d.message
    );
    // Ending the first record the day before makes them adjacent, which is fine.
    v["practitioners"][0]["availability"][0]["end_date"] = json!("2027-05-31");
    assert_eq!(errors(&v), Vec::<String>::new());
}

#[test]
fn overlapping_blocks_and_portal_blocks_outside() {
    let mut v = base();
    v["portal"] = json!({"scheduling": {"slot_mode": "portal_blocks"}});
    let rec = &mut v["practitioners"][0]["availability"][0];
    rec["blocks"]
        .as_array_mut()
        .expect("array")
        .push(json!({"weekday": "mon", "start": "16:00", "end": "18:00", "schedule_type": "pt"}));
    rec["portal_blocks"] =
        json!([{"weekday": "mon", "start": "08:00", "end": "10:00", "schedule_type": "pt"}]);
    let errs = errors(&v);
    assert!(
        errs.contains(&"practitioners[0].availability[0].blocks[1]".to_owned()),
        "{errs:?}"
    );
    assert!(
        errs.contains(&"practitioners[0].availability[0].portal_blocks[0]".to_owned()),
        "{errs:?}"
    );
}

#[test]
fn clinic_of_a_block_must_be_decidable() {
    let mut v = base();
    v["clinics"]
        .as_array_mut()
        .expect("array")
        .push(json!({"id": "van", "time_zone": "America/Vancouver"}));
    // The schedule type is for any clinic and there are two clinics: the block must say.
    assert_eq!(
        errors(&v),
        vec!["practitioners[0].availability[0].blocks[0].clinic".to_owned()]
    );
    v["practitioners"][0]["availability"][0]["blocks"][0]["clinic"] = json!("van");
    assert_eq!(errors(&v), Vec::<String>::new());
    // A block may not contradict its schedule type's clinic.
    v["schedule_types"][0]["clinic"] = json!("tor");
    assert_eq!(
        errors(&v),
        vec!["practitioners[0].availability[0].blocks[0].clinic".to_owned()]
    );
}

#[test]
fn warnings_empty_portal_day_late_fee_and_unofferable_service() {
    let mut v = base();
    v["portal"] = json!({"scheduling": {
        "slot_mode": "portal_blocks",
        "min_hours_before_cancel": 24,
        "late_cancel_fee_hours": 24
    }});
    let w = warnings(&v);
    assert!(
        w.contains(&"practitioners[0].availability[0].portal_blocks".to_owned()),
        "{w:?}"
    );
    assert!(
        w.contains(&"portal.scheduling.late_cancel_fee_hours".to_owned()),
        "{w:?}"
    );
    // The only day has no portal blocks, so the service can never be offered online.
    assert!(w.contains(&"services[0]".to_owned()), "{w:?}");
    let engine = Engine::from_json(&v.to_string()).expect("warnings do not stop loading");
    let report = engine.service_report("s30").expect("report");
    assert!(report.offered_by.is_empty());
    assert_eq!(report.not_offered_by[0].reason.rule, 6);
    // A fee window longer than the cut-off is reachable: no warning.
    v["portal"]["scheduling"]["late_cancel_fee_hours"] = json!(48);
    assert!(!warnings(&v).contains(&"portal.scheduling.late_cancel_fee_hours".to_owned()));
}

#[test]
fn closures_need_dates_and_rrules_must_choose_dates_only() {
    let mut v = base();
    v["closures"] = json!([
        {"reason": "no dates"},
        {"start_date": "2027-01-01", "recurrence": "FREQ=DAILY;BYHOUR=9"},
        {"date": "2027-02-01", "start_time": "12:00", "end_time": "11:00"},
        {"start_date": "2027-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1"}
    ]);
    assert_eq!(
        errors(&v),
        vec![
            "closures[0]",
            "closures[1].recurrence",
            "closures[2].end_time"
        ]
    );
}

fn engine() -> Engine {
    Engine::from_json(&base().to_string()).expect("engine")
}

fn appt(id: &str, start_hour: u32, status: AppointmentStatus) -> Appointment {
    Appointment {
        id: id.to_owned(),
        practitioner: "lee".to_owned(),
        clinic: Some("tor".to_owned()),
        service: Some("s30".to_owned()),
        patient: None,
        start: Utc
            .with_ymd_and_hms(2027, 3, 1, start_hour, 0, 0)
            .single()
            .expect("t"),
        end: Utc
            .with_ymd_and_hms(2027, 3, 1, start_hour, 30, 0)
            .single()
            .expect("t"),
        status,
        source: Source::Staff,
    }
}

fn snapshot(e: &Engine) -> String {
    let monday = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let now = Utc
        .with_ymd_and_hms(2027, 2, 1, 0, 0, 0)
        .single()
        .expect("now");
    let slots = e
        .search(&SlotQuery::new("s30", monday, monday), now)
        .expect("search");
    format!("{}|{}", e.appointment_count(), slots.to_json())
}

#[test]
fn failed_operations_change_nothing() {
    let e = engine();
    e.add_appointment(appt("a1", 15, AppointmentStatus::Booked))
        .expect("add");
    let before = snapshot(&e);
    let cases: Vec<(ErrorCode, Result<(), clinic_portal::Error>)> = vec![
        (
            ErrorCode::DuplicateId,
            e.add_appointment(appt("a1", 16, AppointmentStatus::Booked)),
        ),
        (
            ErrorCode::NotFound,
            e.add_appointment(Appointment {
                practitioner: "ghost".into(),
                ..appt("a2", 16, AppointmentStatus::Booked)
            }),
        ),
        (
            ErrorCode::InvalidInput,
            e.add_appointment(Appointment {
                end: appt("x", 14, AppointmentStatus::Booked).start,
                ..appt("a3", 16, AppointmentStatus::Booked)
            }),
        ),
        (
            ErrorCode::NotFound,
            e.add_appointment(Appointment {
                patient: Some("nobody".into()),
                ..appt("a4", 16, AppointmentStatus::Booked)
            }),
        ),
        (
            ErrorCode::NotFound,
            e.update_appointment(appt("missing", 16, AppointmentStatus::Booked)),
        ),
        (
            ErrorCode::NotFound,
            e.remove_appointment("missing").map(|_| ()),
        ),
        (
            ErrorCode::DuplicateId,
            e.add_appointments(vec![
                appt("b1", 17, AppointmentStatus::Booked),
                appt("b1", 18, AppointmentStatus::Booked),
            ]),
        ),
        (
            ErrorCode::NotFound,
            e.upsert_patient(Patient {
                id: "p1".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                birth_date: None,
                email: None,
                allowed_practitioners: vec!["ghost".into()],
                default_insurance: None,
                referral_type: None,
            }),
        ),
    ];
    for (i, (code, result)) in cases.into_iter().enumerate() {
        assert_eq!(result.expect_err("must fail").code(), code, "case {i}");
        assert_eq!(snapshot(&e), before, "case {i} changed the engine");
    }
}

#[test]
fn appointments_take_capacity_until_cancelled_or_removed() {
    let e = engine();
    let monday = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let now = Utc
        .with_ymd_and_hms(2027, 2, 1, 0, 0, 0)
        .single()
        .expect("now");
    let q = SlotQuery::new("s30", monday, monday);
    let count = |e: &Engine| e.search(&q, now).expect("search").len();
    assert_eq!(count(&e), 16);
    e.add_appointment(appt("a1", 15, AppointmentStatus::Pending))
        .expect("add"); // 10:00 local
    assert_eq!(count(&e), 15);
    e.update_appointment(appt("a1", 15, AppointmentStatus::Cancelled))
        .expect("update");
    assert_eq!(count(&e), 16);
    e.update_appointment(appt("a1", 16, AppointmentStatus::Booked))
        .expect("update");
    assert_eq!(count(&e), 15);
    let removed = e.remove_appointment("a1").expect("remove");
    assert_eq!(removed.id, "a1");
    assert_eq!(count(&e), 16);
}

#[test]
fn query_errors_are_typed() {
    let e = engine();
    let d = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let now = Utc
        .with_ymd_and_hms(2027, 2, 1, 0, 0, 0)
        .single()
        .expect("now");
    let code = |q: SlotQuery| e.search(&q, now).expect_err("error").code();
    assert_eq!(code(SlotQuery::new("nope", d, d)), ErrorCode::NotFound);
    assert_eq!(
        code(SlotQuery::new("s30", d, d).practitioner("ghost")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(SlotQuery::new("s30", d, d).clinic("ghost")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(SlotQuery::new("s30", d, d).patient("ghost")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(SlotQuery::new("s30", d, d - chrono::Duration::days(1))),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        code(SlotQuery::new("s30", d, d + chrono::Duration::days(400))),
        ErrorCode::InvalidInput
    );
}

#[test]
fn error_codes_are_stable_and_unique() {
    use std::collections::HashSet;
    let all = ErrorCode::ALL;
    assert_eq!(all.len(), 23);
    let numbers: HashSet<u32> = all.iter().map(|c| c.number()).collect();
    let names: HashSet<&str> = all.iter().map(|c| c.as_str()).collect();
    assert_eq!(numbers.len(), all.len(), "two codes share a number");
    assert_eq!(names.len(), all.len(), "two codes share a name");
    assert!(!numbers.contains(&0), "0 is success in the C ABI");
    for c in all {
        assert_eq!(ErrorCode::from_number(c.number()), Some(*c));
        assert_eq!(ErrorCode::from_name(c.as_str()), Some(*c));
        assert_eq!(serde_json::to_value(c).expect("json"), json!(c.as_str()));
    }
    // Released numbers never change.
    assert_eq!(ErrorCode::InvalidConfig.number(), 1);
    assert_eq!(ErrorCode::SlotUnavailable.number(), 6);
    assert_eq!(ErrorCode::Internal.number(), 21);
    assert_eq!(ErrorCode::IdempotencyConflict.number(), 22);
    assert_eq!(ErrorCode::StaleSequence.number(), 23);
    // Every number from 1 up is taken, in order: a new code goes at the end.
    let mut sorted: Vec<u32> = numbers.into_iter().collect();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=all.len() as u32).collect::<Vec<_>>());
}

#[test]
fn book_button_is_escaped() {
    let mut v = base();
    v["portal"] =
        json!({"widgets": {"book_button": {"label": "<b>Book</b> & \"go\"", "colour": "red;x"}}});
    let e = Engine::from_json(&v.to_string()).expect("engine");
    let html = e
        .book_button_html(Some("https://x.example/?a=1&b=\"2\""))
        .expect("html");
    assert!(
        html.contains("&lt;b&gt;Book&lt;/b&gt; &amp; &quot;go&quot;"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\""),
        "{html}"
    );
    assert!(
        html.contains("background:#0b7285"),
        "invalid colour falls back: {html}"
    );
    assert_eq!(
        e.book_button_html(None).expect_err("no url").code(),
        ErrorCode::InvalidInput
    );
    assert!(warnings(&v).contains(&"portal.widgets.book_button.colour".to_owned()));
}

#[test]
fn diagnostics_carry_their_facts_as_fields() {
    let mut v = base();
    // A portal block outside the working blocks (rule 6), on Tuesday, in record r1 of lee.
    v["practitioners"][0]["availability"][0]["portal_blocks"] =
        json!([{"weekday": "tue", "start": "09:00", "end": "10:00", "schedule_type": "pt"}]);
    // An unknown schedule type on a service.
    v["services"][0]["schedule_types"] = json!(["pt", "nope"]);
    let config: Config = serde_json::from_value(v).expect("parses");
    let found = Engine::validate(&config);
    let block = found
        .iter()
        .find(|d| d.path.ends_with("portal_blocks[0]"))
        .unwrap_or_else(|| panic!("no portal-block diagnostic in {found:?}"));
    assert_eq!(block.rule, Some(6), "{block:?}");
    assert_eq!(block.practitioner.as_deref(), Some("lee"));
    assert_eq!(block.record.as_deref(), Some("r1"));
    assert_eq!(block.weekday, Some(clinic_portal::config::Weekday::Tue));
    assert_eq!(block.service, None);
    let service = found
        .iter()
        .find(|d| d.path.starts_with("services[0]"))
        .unwrap_or_else(|| panic!("no service diagnostic in {found:?}"));
    assert_eq!(service.service.as_deref(), Some("s30"));
    assert_eq!((service.practitioner.as_ref(), service.rule), (None, None));
    // As JSON, facts that do not apply are left out, and the shape reads back.
    let json = serde_json::to_value(block).unwrap();
    assert_eq!(json["weekday"], "tue");
    assert!(json.get("service").is_none(), "{json}");
    let back: clinic_portal::Diagnostic = serde_json::from_value(json).unwrap();
    assert_eq!(&back, block);
}
