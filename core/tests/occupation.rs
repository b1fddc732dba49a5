//! One definition of what a patient occupies: holds, pending and booked appointments count
//! alike toward overlap and every patient limit; an account holds a bounded number of live
//! holds; patient notifications reach guardians and carers.

mod common;

use clinic_portal::booking::MAX_LIVE_HOLDS_PER_ACTOR;
use clinic_portal::{
    BookRequest, DecisionRequest, Engine, ErrorCode, HoldRequest, NewAccount, NotificationKind,
    Patient, Relationship,
};
use common::*;
use serde_json::json;

fn setup(scheduling: &[(&str, serde_json::Value)]) -> Engine {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "17:00")),
        practitioner("dr-b", weekday_blocks("09:00", "17:00")),
    ]);
    for (k, v) in scheduling {
        set_scheduling(&mut cfg, k, v.clone());
    }
    let e = engine(&cfg);
    for (id, email) in [
        ("mum", Some("mum@example.test")),
        ("kid", None),
        ("other", None),
    ] {
        let p: Patient = serde_json::from_value(
            json!({"id": id, "first_name": id.to_uppercase(), "email": email}),
        )
        .expect("patient");
        e.upsert_patient(p).expect("patient");
    }
    e
}

fn refused<T: std::fmt::Debug>(
    e: &Engine,
    code: ErrorCode,
    op: impl FnOnce(&Engine) -> clinic_portal::Result<T>,
) {
    let before = e.snapshot();
    let err = op(e).expect_err("should be refused");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(e.snapshot(), before, "a refusal changed the engine");
}

#[test]
fn holds_count_toward_every_patient_limit() {
    let e = setup(&[
        ("max_future_bookings_per_patient", json!(1)),
        ("auto_accept", json!(true)),
    ]);
    let hold = HoldRequest::new("physio-30", mon_at(9, 0))
        .practitioner("dr-a")
        .patient("kid");
    e.hold(&hold, early()).expect("hold");
    // A second hold or a booking at another time: the hold already uses the one place.
    refused(&e, ErrorCode::LimitReached, |e| {
        e.hold(
            &HoldRequest::new("physio-30", mon_at(11, 0))
                .practitioner("dr-b")
                .patient("kid"),
            early(),
        )
    });
    refused(&e, ErrorCode::LimitReached, |e| {
        e.book(
            &BookRequest::new("kid", "physio-30", mon_at(11, 0)).practitioner("dr-b"),
            early(),
        )
    });

    let e = setup(&[("max_bookings_per_day", json!(1))]);
    e.hold(&hold, early()).expect("hold");
    refused(&e, ErrorCode::LimitReached, |e| {
        e.book(
            &BookRequest::new("kid", "physio-30", mon_at(14, 0)).practitioner("dr-b"),
            early(),
        )
    });
    // Overlap with one's own hold, at another practitioner, is patient_busy — for holds too.
    let e = setup(&[]);
    e.hold(&hold, early()).expect("hold");
    refused(&e, ErrorCode::PatientBusy, |e| {
        e.hold(
            &HoldRequest::new("physio-30", mon_at(9, 0))
                .practitioner("dr-b")
                .patient("kid"),
            early(),
        )
    });
    refused(&e, ErrorCode::PatientBusy, |e| {
        e.book(
            &BookRequest::new("kid", "physio-30", mon_at(9, 0)).practitioner("dr-b"),
            early(),
        )
    });
}

#[test]
fn an_account_holds_a_bounded_number_of_live_holds() {
    let e = setup(&[]);
    let parent = e
        .create_account(
            &NewAccount::new("mum@example.test", "a long passphrase")
                .linked("mum", Relationship::Own),
            early(),
        )
        .expect("account");
    e.link_account(&parent.id, "kid", Relationship::Guardian, early())
        .expect("guardian link");
    for i in 0..MAX_LIVE_HOLDS_PER_ACTOR {
        let who = if i % 2 == 0 { "mum" } else { "kid" };
        e.hold(
            &HoldRequest::new(
                "physio-30",
                mon_at(9, 0) + chrono::Duration::hours(i as i64),
            )
            .practitioner("dr-a")
            .patient(who)
            .actor(&parent.id),
            early(),
        )
        .expect("within the limit");
    }
    refused(&e, ErrorCode::LimitReached, |e| {
        e.hold(
            &HoldRequest::new("physio-30", mon_at(16, 0))
                .practitioner("dr-b")
                .patient("kid")
                .actor(&parent.id),
            early(),
        )
    });
    // Once they expire, the account may hold again.
    let later = early() + chrono::Duration::hours(1);
    e.hold(
        &HoldRequest::new("physio-30", mon_at(16, 0))
            .practitioner("dr-b")
            .patient("kid")
            .actor(&parent.id),
        later,
    )
    .expect("after expiry");
    // Staff (no actor) are not limited by this bound.
    for i in 0..MAX_LIVE_HOLDS_PER_ACTOR + 1 {
        e.hold(
            &HoldRequest::new(
                "physio-30",
                mon_at(9, 0) + chrono::Duration::hours(i as i64),
            )
            .practitioner("dr-b"),
            later,
        )
        .expect("staff hold");
    }
}

#[test]
fn a_staff_hold_for_no_patient_cannot_be_converted_by_an_account() {
    let e = setup(&[]);
    let parent = e
        .create_account(
            &NewAccount::new("mum@example.test", "a long passphrase")
                .linked("mum", Relationship::Own),
            early(),
        )
        .expect("account");
    let hold = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(9, 0)).practitioner("dr-a"),
            early(),
        )
        .expect("staff hold");
    refused(&e, ErrorCode::NotAuthorized, |e| {
        e.book(
            &BookRequest::from_hold("mum", &hold.id).actor(&parent.id),
            early(),
        )
    });
    // Staff may.
    e.book(&BookRequest::from_hold("mum", &hold.id), early())
        .expect("staff converts");
}

#[test]
fn patient_notifications_reach_guardians_and_say_for_whom() {
    let e = setup(&[]);
    let parent = e
        .create_account(
            &NewAccount::new("mum@example.test", "a long passphrase")
                .linked("mum", Relationship::Own),
            early(),
        )
        .expect("account");
    e.link_account(&parent.id, "kid", Relationship::Guardian, early())
        .expect("guardian link");
    // A carer without an e-mail username cannot be written to; an unrelated patient's
    // guardian hears nothing.
    e.create_account(
        &NewAccount::new("other@example.test", "another passphrase")
            .linked("other", Relationship::Guardian),
        early(),
    )
    .expect("other account");
    let booking = e
        .book(
            &BookRequest::new("kid", "physio-30", mon_at(9, 0)).practitioner("dr-a"),
            early(),
        )
        .expect("book");
    e.drain_outbox();
    e.decline(
        &DecisionRequest::new(&booking.appointment.id, Some("Fully booked that day")),
        early(),
    )
    .expect("decline");
    let out = e.drain_outbox();
    let declined: Vec<_> = out
        .iter()
        .filter(|n| n.kind == NotificationKind::Declined)
        .collect();
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0].recipients, vec!["mum@example.test".to_owned()]);
    let clinic_portal::NotificationData::Decision(notice) = &declined[0].data else {
        panic!(
            "a declined notification carries a decision: {:?}",
            declined[0].data
        );
    };
    let about = notice.for_patient.as_ref().expect("names the child");
    assert_eq!(
        (about.id.as_str(), about.first_name.as_str()),
        ("kid", "KID")
    );
    assert_eq!(notice.note.as_deref(), Some("Fully booked that day"));
}
