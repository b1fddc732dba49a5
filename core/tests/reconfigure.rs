//! Live reconfiguration: the new configuration is validated whole, swapped in one
//! journaled change that keeps the state, and what it strands is reported.

mod common;

use clinic_portal::config::Closure;
use clinic_portal::{
    AppointmentStatus, BookRequest, Config, Engine, ErrorCode, HoldRequest, Patient, StrandReason,
};
use common::*;
use serde_json::json;

fn two_practitioners() -> serde_json::Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr-b", weekday_blocks("09:00", "12:00")),
    ]);
    set_scheduling(&mut cfg, "auto_accept", json!(true));
    cfg
}

fn config_of(v: &serde_json::Value) -> Config {
    Config::from_json(&v.to_string()).expect("config")
}

fn setup() -> Engine {
    let e = engine(&two_practitioners());
    for id in ["ana", "ben", "cy"] {
        let p: Patient = serde_json::from_value(json!({"id": id})).expect("patient");
        e.upsert_patient(p).expect("patient");
    }
    e.book(
        &BookRequest::new("ana", "physio-30", mon_at(9, 0))
            .practitioner("dr-a")
            .id("a-9"),
        early(),
    )
    .expect("ana");
    e.book(
        &BookRequest::new("ben", "physio-30", mon_at(11, 0))
            .practitioner("dr-a")
            .id("a-11"),
        early(),
    )
    .expect("ben");
    e.book(
        &BookRequest::new("cy", "physio-30", mon_at(10, 0))
            .practitioner("dr-b")
            .id("b-10"),
        early(),
    )
    .expect("cy");
    e
}

#[test]
fn reconfiguration_keeps_the_state_and_reports_what_it_strands() {
    let e = setup();
    // A staff appointment in the past, and one over capacity: neither is stranded by the
    // change (the first is over, the second was never offered online).
    e.add_appointment(appt(
        "past",
        "dr-b",
        utc(2027, 1, 4, 15, 0),
        utc(2027, 1, 4, 15, 30),
        AppointmentStatus::Booked,
    ))
    .expect("past");
    let mut cfg = two_practitioners();
    // dr-b leaves; dr-a now works 09:00–10:30 only.
    cfg["practitioners"] = json!([practitioner("dr-a", weekday_blocks("09:00", "10:30"))]);
    let before_patients = e.patient("ana").expect("ana");
    let report = e
        .reconfigure(config_of(&cfg), early())
        .expect("reconfigure");
    let got: Vec<(&str, StrandReason)> = report
        .stranded
        .iter()
        .map(|s| (s.appointment.id.as_str(), s.reason))
        .collect();
    assert_eq!(
        got,
        vec![
            ("b-10", StrandReason::PractitionerRemoved),
            ("a-11", StrandReason::NoLongerOffered),
        ]
    );
    let a11 = &report.stranded[1];
    assert!(a11.rule.is_some(), "{a11:?}");
    assert!(a11.message.contains("dr-a") || !a11.message.is_empty());
    // Everything is kept.
    assert_eq!(e.appointment_count(), 4);
    assert_eq!(e.patient("ana").expect("ana"), before_patients);
    assert_eq!(e.config(), config_of(&cfg));
    // The new configuration is in force: 10:30 is gone, 09:30 still offered.
    let slots = search(&e, &on(monday()).practitioner("dr-a"), early());
    assert_eq!(hhmm(&slots), strs(&["09:30", "10:00"]));

    // Journaled: a copy from before catches up by applying; a restore reproduces it.
    let restored = Engine::restore(&e.snapshot()).expect("restore");
    assert_eq!(restored.snapshot(), e.snapshot());
    let replica = setup();
    let missing: Vec<_> = e
        .changes_since(replica.last_seq())
        .expect("changes")
        .into_iter()
        .collect();
    // `past` was added before the reconfiguration on `e` only; replay it on the replica.
    for c in &missing {
        replica.apply(c).expect("apply");
    }
    assert_eq!(replica.snapshot(), e.snapshot());
}

#[test]
fn an_invalid_configuration_is_refused_and_changes_nothing() {
    let e = setup();
    let before = e.snapshot();
    let mut cfg = two_practitioners();
    cfg["services"][0]["schedule_types"] = json!(["nope"]);
    let err = e
        .reconfigure(config_of(&cfg), early())
        .expect_err("invalid");
    assert_eq!(err.code(), ErrorCode::InvalidConfig);
    assert!(!err.diagnostics().is_empty());
    assert_eq!(e.snapshot(), before);
}

#[test]
fn closures_are_added_and_removed_by_id_releasing_holds_that_no_longer_fit() {
    let e = setup();
    let hold = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(10, 30))
                .practitioner("dr-b")
                .patient("ana"),
            early(),
        )
        .expect("hold");
    let off: Closure = serde_json::from_value(json!({
        "id": "dr-b-off", "practitioner": "dr-b", "date": "2027-02-01", "reason": "Conference"
    }))
    .expect("closure");
    let report = e.put_closure(off.clone(), early()).expect("closure");
    assert_eq!(report.released_holds, vec![hold.clone()]);
    assert_eq!(report.stranded.len(), 1);
    assert_eq!(report.stranded[0].appointment.id, "b-10");
    assert_eq!(report.stranded[0].rule, Some(7));
    assert!(search(&e, &on(monday()).practitioner("dr-b"), early()).is_empty());
    assert_eq!(
        e.get_hold(&hold.id).map(|_| ()).map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    // Replacing by id keeps one closure.
    e.put_closure(off, early()).expect("again");
    assert_eq!(e.config().closures.len(), 1);
    // Removing it brings the day back.
    e.remove_closure("dr-b-off", early()).expect("remove");
    assert!(!search(&e, &on(monday()).practitioner("dr-b"), early()).is_empty());
    let before = e.snapshot();
    assert_eq!(
        e.remove_closure("dr-b-off", early())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    let nameless: Closure = serde_json::from_value(json!({"date": "2027-02-01"})).expect("closure");
    assert_eq!(
        e.put_closure(nameless, early())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err(ErrorCode::InvalidInput)
    );
    let unknown: Closure =
        serde_json::from_value(json!({"id": "x", "practitioner": "ghost", "date": "2027-02-01"}))
            .expect("closure");
    assert_eq!(
        e.put_closure(unknown, early())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err(ErrorCode::InvalidConfig)
    );
    assert_eq!(e.snapshot(), before);
    // The journal replays every edit.
    let fresh = engine(&two_practitioners());
    for c in e.changes_since(0).expect("journal") {
        fresh.apply(&c).expect("apply");
    }
    assert_eq!(fresh.snapshot(), e.snapshot());
}

#[test]
fn a_planned_reconfiguration_changes_nothing_until_applied() {
    let e = setup();
    let before = e.snapshot();
    let mut cfg = two_practitioners();
    cfg["practitioners"] = json!([practitioner("dr-a", weekday_blocks("09:00", "10:30"))]);
    let planned = e
        .plan(|e| e.reconfigure(config_of(&cfg), early()))
        .expect("plan");
    assert_eq!(e.snapshot(), before);
    assert_eq!(planned.outcome.stranded.len(), 2);
    e.apply(&planned.change.expect("change")).expect("apply");
    let direct = setup();
    direct
        .reconfigure(config_of(&cfg), early())
        .expect("direct");
    assert_eq!(e.snapshot(), direct.snapshot());
}
