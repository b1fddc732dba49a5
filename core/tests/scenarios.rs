//! Scenarios from the clinic systems' help pages, as the clinic staff would set them up.
//!
//! (a) "Customize Portal Availability" with a Friday that has no portal slots, under both
//!     `empty_portal_day` policies;
//! (b) one practitioner working at two clinics through two schedule types;
//! (c) a patient whose portal access is limited to two practitioners;
//! (d) a service hidden because its schedule type is not assigned to the practitioner.

use chrono::{DateTime, NaiveDate, Utc};
use clinic_portal::{Engine, ErrorCode, Patient, SlotQuery};
use serde_json::{json, Value};

fn date(s: &str) -> NaiveDate {
    s.parse()
        .unwrap_or_else(|e| panic!("`{s}` is not a date: {e}"))
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("`{s}` is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn engine(config: &Value) -> Engine {
    Engine::from_json(&config.to_string()).unwrap_or_else(|e| panic!("config: {e}"))
}

/// The slot starts of a search, as RFC 3339 strings with the clinic's offset.
fn starts(engine: &Engine, query: &SlotQuery, now: &str) -> Vec<String> {
    engine
        .search(query, instant(now))
        .unwrap_or_else(|e| panic!("search {query:?}: {e}"))
        .iter()
        .map(|s| s.start().to_rfc3339())
        .collect()
}

fn local(day: &str, times: &[&str], offset: &str) -> Vec<String> {
    times
        .iter()
        .map(|t| format!("{day}T{t}:00{offset}"))
        .collect()
}

/// The week of Monday 2027-03-01 (EST, before the 2027-03-14 switch).
const NOW: &str = "2027-02-22T12:00:00Z";

// ---------------------------------------------------------------------------------------
// (a) Portal blocks with an empty Friday.
// ---------------------------------------------------------------------------------------

fn portal_blocks_practice(empty_portal_day: &str) -> Value {
    let block = |day: &str, start: &str, end: &str| json!({"weekday": day, "start": start, "end": end, "schedule_type": "physio"});
    json!({
        "portal": {"scheduling": {
            "slot_mode": "portal_blocks",
            "empty_portal_day": empty_portal_day,
            "start_interval_minutes": 60
        }},
        "clinics": [{"id": "toronto", "name": "Toronto", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "physio", "name": "Physiotherapy"}],
        "practitioners": [{
            "id": "christine",
            "name": "Christine",
            "schedule_types": ["physio"],
            "availability": [{
                "id": "2027",
                "start_date": "2027-01-04",
                "blocks": [block("mon", "09:00", "17:00"), block("fri", "09:00", "13:00")],
                // Only Monday mornings are offered online.
                "portal_blocks": [block("mon", "09:00", "12:00")]
            }]
        }],
        "services": [{"id": "followup-60", "duration_minutes": 60, "schedule_types": ["physio"]}]
    })
}

#[test]
fn empty_portal_friday_is_closed_by_default_policy() {
    let engine = engine(&portal_blocks_practice("closed"));
    let week = SlotQuery::new("followup-60", date("2027-03-01"), date("2027-03-05"));
    assert_eq!(
        starts(&engine, &week, NOW),
        local("2027-03-01", &["09:00", "10:00", "11:00"], "-05:00"),
        "only Monday's portal block is offered; Friday has no portal blocks"
    );
    let friday = instant("2027-03-05T09:00:00-05:00");
    let why = engine.explain(&week, friday, instant(NOW)).unwrap();
    assert!(!why.offered);
    assert_eq!(why.rule, Some(6));
    assert!(
        why.message.contains("closed"),
        "the message names the policy: {}",
        why.message
    );
    // Monday afternoon is working time but not portal time.
    let afternoon = instant("2027-03-01T14:00:00-05:00");
    assert_eq!(
        engine.explain(&week, afternoon, instant(NOW)).unwrap().rule,
        Some(6)
    );
    let warnings = engine.warnings();
    let friday_warnings: Vec<&str> = warnings
        .iter()
        .filter(|d| d.path == "practitioners[0].availability[0].portal_blocks")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(friday_warnings.len(), 1, "{:?}", engine.warnings());
    assert!(friday_warnings[0].contains("fri"), "{}", friday_warnings[0]);
}

#[test]
fn empty_portal_friday_opens_whole_day_with_standard_policy() {
    let engine = engine(&portal_blocks_practice("standard"));
    let week = SlotQuery::new("followup-60", date("2027-03-01"), date("2027-03-05"));
    let mut expected = local("2027-03-01", &["09:00", "10:00", "11:00"], "-05:00");
    expected.extend(local(
        "2027-03-05",
        &["09:00", "10:00", "11:00", "12:00"],
        "-05:00",
    ));
    assert_eq!(starts(&engine, &week, NOW), expected);
    // Monday still offers only its portal block.
    let afternoon = instant("2027-03-01T14:00:00-05:00");
    let why = engine.explain(&week, afternoon, instant(NOW)).unwrap();
    assert_eq!((why.offered, why.rule), (false, Some(6)));
    // Validation still warns: the clinic probably forgot Friday's portal blocks.
    assert!(engine.warnings().iter().any(|d| d.path
        == "practitioners[0].availability[0].portal_blocks"
        && d.message.contains("standard")));
}

// ---------------------------------------------------------------------------------------
// (b) Christine works at two clinics through two schedule types.
// ---------------------------------------------------------------------------------------

fn two_clinic_practice() -> Engine {
    engine(&json!({
        "portal": {"scheduling": {"start_interval_minutes": 30}},
        "clinics": [
            {"id": "toronto", "name": "Toronto", "time_zone": "America/Toronto"},
            {"id": "whitby", "name": "Whitby", "time_zone": "America/Toronto"}
        ],
        "schedule_types": [
            {"id": "christine-toronto", "name": "Christine Toronto", "clinic": "toronto"},
            {"id": "christine-whitby", "name": "Christine Whitby", "clinic": "whitby"}
        ],
        "practitioners": [{
            "id": "christine",
            "name": "Christine",
            "schedule_types": ["christine-toronto", "christine-whitby"],
            "availability": [{"start_date": "2027-01-04", "blocks": [
                {"weekday": "tue", "start": "09:00", "end": "12:00", "schedule_type": "christine-toronto"},
                {"weekday": "thu", "start": "13:00", "end": "17:00", "schedule_type": "christine-whitby"}
            ]}]
        }],
        "services": [
            {"id": "followup-30", "duration_minutes": 30,
             "schedule_types": ["christine-toronto", "christine-whitby"]},
            // Offered at Toronto only: linked to one of the two schedule types.
            {"id": "initial-60", "duration_minutes": 60, "schedule_types": ["christine-toronto"]}
        ]
    }))
}

#[test]
fn christine_at_two_clinics_slots_carry_the_schedule_types_clinic() {
    let engine = two_clinic_practice();
    let week = SlotQuery::new("followup-30", date("2027-03-01"), date("2027-03-05"));
    let slots = engine.search(&week, instant(NOW)).unwrap();
    assert_eq!(slots.len(), 6 + 8, "Tue 09:00-11:30 and Thu 13:00-16:30");
    let by_clinic: Vec<(String, &str)> = slots
        .iter()
        .map(|s| (s.start().to_rfc3339(), s.clinic()))
        .collect();
    assert_eq!(
        by_clinic[0],
        ("2027-03-02T09:00:00-05:00".to_owned(), "toronto")
    );
    assert_eq!(
        by_clinic[5],
        ("2027-03-02T11:30:00-05:00".to_owned(), "toronto")
    );
    assert_eq!(
        by_clinic[6],
        ("2027-03-04T13:00:00-05:00".to_owned(), "whitby")
    );
    assert_eq!(
        by_clinic[13],
        ("2027-03-04T16:30:00-05:00".to_owned(), "whitby")
    );
    for slot in slots.iter() {
        assert_eq!(slot.practitioner_ids(), vec!["christine"]);
        let day = slot.start().date_naive();
        let expected = if day == date("2027-03-02") {
            "toronto"
        } else {
            "whitby"
        };
        assert_eq!(slot.clinic(), expected, "{slot:?}");
    }
}

#[test]
fn christine_clinic_filter_shows_one_clinic_only() {
    let engine = two_clinic_practice();
    let week = SlotQuery::new("followup-30", date("2027-03-01"), date("2027-03-05"));
    let whitby = week.clone().clinic("whitby");
    assert_eq!(
        starts(&engine, &whitby, NOW),
        local(
            "2027-03-04",
            &["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"],
            "-05:00"
        )
    );
    let toronto = week.clone().clinic("toronto");
    assert_eq!(
        starts(&engine, &toronto, NOW),
        local(
            "2027-03-02",
            &["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"],
            "-05:00"
        )
    );
    // Thursday afternoon is Whitby time: not bookable at Toronto.
    let thursday = instant("2027-03-04T13:00:00-05:00");
    let why = engine.explain(&toronto, thursday, instant(NOW)).unwrap();
    assert!(!why.offered);
    assert!(matches!(why.rule, Some(4 | 5)), "{why:?}");
    let why = engine.explain(&whitby, thursday, instant(NOW)).unwrap();
    assert!(why.offered, "{why:?}");
    assert_eq!(why.practitioners[0].clinic.as_deref(), Some("whitby"));
    // An unknown clinic is an error, not an empty answer.
    let err = engine
        .search(&week.clone().clinic("oshawa"), instant(NOW))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[test]
fn christine_service_linked_to_one_clinic_only() {
    let engine = two_clinic_practice();
    let week = SlotQuery::new("initial-60", date("2027-03-01"), date("2027-03-05"));
    assert_eq!(
        starts(&engine, &week, NOW),
        local(
            "2027-03-02",
            &["09:00", "09:30", "10:00", "10:30", "11:00"],
            "-05:00"
        ),
        "initial-60 is only linked to Christine Toronto"
    );
    let whitby = week.clinic("whitby");
    assert!(engine.search(&whitby, instant(NOW)).unwrap().is_empty());
    let why = engine
        .explain(&whitby, instant("2027-03-04T13:00:00-05:00"), instant(NOW))
        .unwrap();
    assert_eq!((why.offered, why.rule), (false, Some(4)), "{why:?}");
}

// ---------------------------------------------------------------------------------------
// (c) A patient limited to two practitioners.
// ---------------------------------------------------------------------------------------

fn three_practitioners() -> Engine {
    let practitioner = |id: &str| {
        json!({"id": id, "schedule_types": ["physio"], "availability": [{
            "start_date": "2027-01-04",
            "blocks": [{"weekday": "mon", "start": "09:00", "end": "10:00", "schedule_type": "physio"}]
        }]})
    };
    let engine = engine(&json!({
        "portal": {"scheduling": {"allow_no_preference": true}},
        "clinics": [{"id": "toronto", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "physio"}],
        "practitioners": [practitioner("christine"), practitioner("dave"), practitioner("erin")],
        "services": [{"id": "followup-30", "duration_minutes": 30, "schedule_types": ["physio"]}]
    }));
    engine
        .upsert_patient(Patient {
            id: "pat-1".into(),
            first_name: "Paula".into(),
            last_name: "Ng".into(),
            birth_date: None,
            email: Some("paula@example.com".into()),
            allowed_practitioners: vec!["christine".into(), "erin".into()],
            default_insurance: None,
            referral_type: None,
        })
        .unwrap();
    engine
}

#[test]
fn restricted_patient_sees_only_allowed_practitioners() {
    let engine = three_practitioners();
    let monday = SlotQuery::new("followup-30", date("2027-03-01"), date("2027-03-01"));
    let everyone = engine.search(&monday, instant(NOW)).unwrap();
    assert_eq!(everyone.len(), 2);
    assert_eq!(
        everyone.get(0).unwrap().practitioner_ids(),
        vec!["christine", "dave", "erin"]
    );
    let mine = engine
        .search(&monday.clone().patient("pat-1"), instant(NOW))
        .unwrap();
    let rows: Vec<(String, Vec<&str>, u32)> = mine
        .iter()
        .map(|s| {
            (
                s.start().to_rfc3339(),
                s.practitioner_ids(),
                s.remaining_capacity(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "2027-03-01T09:00:00-05:00".to_owned(),
                vec!["christine", "erin"],
                2
            ),
            (
                "2027-03-01T09:30:00-05:00".to_owned(),
                vec!["christine", "erin"],
                2
            ),
        ]
    );
}

#[test]
fn restricted_patient_explain_names_rule_3_for_a_third_practitioner() {
    let engine = three_practitioners();
    let nine = instant("2027-03-01T09:00:00-05:00");
    let with_dave = SlotQuery::new("followup-30", date("2027-03-01"), date("2027-03-01"))
        .patient("pat-1")
        .practitioner("dave");
    assert!(engine.search(&with_dave, instant(NOW)).unwrap().is_empty());
    let why = engine.explain(&with_dave, nine, instant(NOW)).unwrap();
    assert!(!why.offered);
    assert_eq!(why.rule, Some(3));
    assert_eq!(why.entity.as_deref(), Some("practitioner dave"));
    // Without the patient, dave is offered.
    let mut anyone = with_dave.clone();
    anyone.patient = None;
    assert!(engine.explain(&anyone, nine, instant(NOW)).unwrap().offered);
    // With no preference the patient is offered 09:00; among every verdict, dave's own
    // is rule 3.
    let mut no_preference = with_dave;
    no_preference.practitioner = None;
    let why = engine
        .explain_all(&no_preference, nine, instant(NOW))
        .unwrap();
    assert!(why.offered);
    let dave = why
        .practitioners
        .iter()
        .find(|v| v.practitioner == "dave")
        .expect("dave has a verdict");
    assert_eq!(dave.refusal.as_ref().map(|r| r.rule), Some(3));
}

// ---------------------------------------------------------------------------------------
// (d) A service hidden because its schedule type is not assigned to the practitioner.
// ---------------------------------------------------------------------------------------

fn massage_practice(with_mia: bool) -> Value {
    let mut practitioners = vec![json!({
        "id": "christine",
        "schedule_types": ["physio"],
        "availability": [{"start_date": "2027-01-04", "blocks": [
            {"weekday": "mon", "start": "09:00", "end": "12:00", "schedule_type": "physio"}]}]
    })];
    if with_mia {
        practitioners.push(json!({
            "id": "mia",
            "schedule_types": ["massage"],
            "availability": [{"start_date": "2027-01-04", "blocks": [
                {"weekday": "wed", "start": "10:00", "end": "12:00", "schedule_type": "massage"}]}]
        }));
    }
    json!({
        "clinics": [{"id": "toronto", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "physio", "name": "Physiotherapy"}, {"id": "massage", "name": "Massage"}],
        "practitioners": practitioners,
        "services": [
            {"id": "followup-30", "duration_minutes": 30, "schedule_types": ["physio"]},
            {"id": "massage-60", "duration_minutes": 60, "schedule_types": ["massage"]}
        ]
    })
}

#[test]
fn service_hidden_when_schedule_type_not_assigned() {
    let engine = engine(&massage_practice(false));
    let monday = SlotQuery::new("massage-60", date("2027-03-01"), date("2027-03-01"))
        .practitioner("christine");
    assert!(engine.search(&monday, instant(NOW)).unwrap().is_empty());
    // The same Monday morning offers her follow-ups.
    let followup = SlotQuery::new("followup-30", date("2027-03-01"), date("2027-03-01"))
        .practitioner("christine");
    assert_eq!(engine.search(&followup, instant(NOW)).unwrap().len(), 6);

    let why = engine
        .explain(&monday, instant("2027-03-01T09:00:00-05:00"), instant(NOW))
        .unwrap();
    assert!(!why.offered);
    assert_eq!(why.rule, Some(4));
    assert!(why.message.contains("massage-60"), "{}", why.message);

    let report = engine.service_report("massage-60").unwrap();
    assert_eq!(report.service, "massage-60");
    assert!(report.offered_by.is_empty());
    assert_eq!(report.not_offered_by.len(), 1);
    assert_eq!(report.not_offered_by[0].practitioner, "christine");
    assert_eq!(report.not_offered_by[0].reason.rule, 4);

    // Nobody can offer it: the loaded engine warns, at the service's path.
    let warnings = engine.warnings();
    let warning = warnings
        .iter()
        .find(|d| d.path == "services[1]")
        .unwrap_or_else(|| panic!("no warning for massage-60: {:?}", engine.warnings()));
    assert!(
        warning.message.contains("massage-60"),
        "{}",
        warning.message
    );
    assert!(!engine.warnings().iter().any(|d| d.path == "services[0]"));
    assert_eq!(
        engine.service_report("nope").unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[test]
fn service_offered_once_a_practitioner_has_its_schedule_type() {
    let engine = engine(&massage_practice(true));
    assert!(
        !engine.warnings().iter().any(|d| d.path == "services[1]"),
        "{:?}",
        engine.warnings()
    );
    let report = engine.service_report("massage-60").unwrap();
    assert_eq!(report.offered_by, vec!["mia"]);
    assert_eq!(report.not_offered_by.len(), 1);
    assert_eq!(report.not_offered_by[0].practitioner, "christine");
    assert_eq!(report.not_offered_by[0].reason.rule, 4);
    let week = SlotQuery::new("massage-60", date("2027-03-01"), date("2027-03-05"));
    let slots = engine.search(&week, instant(NOW)).unwrap();
    let rows: Vec<(String, Vec<&str>)> = slots
        .iter()
        .map(|s| (s.start().to_rfc3339(), s.practitioner_ids()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2027-03-03T10:00:00-05:00".to_owned(), vec!["mia"]),
            ("2027-03-03T11:00:00-05:00".to_owned(), vec!["mia"]),
        ]
    );
}
