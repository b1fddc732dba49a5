//! The waitlist (docs/waitlist.md): joining and its refusals, offers of freed starts in
//! first-come order under every availability rule and patient limit, confirmation by an
//! ordinary booking, declines and expiries passing the start on, the staff side, and
//! persistence (snapshot, plan/apply). Every failing call leaves the engine unchanged.

mod common;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::config::{WallTime, Weekday};
use clinic_portal::{
    BookRequest, CancelRequest, DecisionRequest, Engine, ErrorCode, NewAccount, NotificationKind,
    Operation, Patient, Relationship, RescheduleRequest, WaitlistFilter, WaitlistRequest,
};
use common::*;
use serde_json::{json, Value};

fn patient(id: &str) -> Patient {
    serde_json::from_value(json!({"id": id, "first_name": id, "email": format!("{id}@x.test")}))
        .expect("patient")
}

/// Two practitioners (`dr-a`, `dr-b`, Mon–Fri 09:00–12:00 in Toronto), auto-accept on,
/// patients `p1`…`p5`.
fn config() -> Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr-b", weekday_blocks("09:00", "12:00")),
    ]);
    set_scheduling(&mut cfg, "auto_accept", json!(true));
    cfg
}

fn setup(cfg: &Value) -> Engine {
    let e = engine(cfg);
    for p in ["p1", "p2", "p3", "p4", "p5"] {
        e.upsert_patient(patient(p)).expect("patient");
    }
    e
}

fn now() -> DateTime<Utc> {
    early()
}

/// `patient` waits for physio-30 in the week of 2027-02-01.
fn week(patient: &str) -> WaitlistRequest {
    WaitlistRequest::new(patient, "physio-30", monday(), date(2027, 2, 5))
}

fn book(e: &Engine, patient: &str, practitioner: &str, h: u32, m: u32) -> String {
    let r = BookRequest::new(patient, "physio-30", mon_at(h, m)).practitioner(practitioner);
    e.book(&r, now()).expect("book").appointment.id
}

fn fails<T: std::fmt::Debug>(
    e: &Engine,
    code: ErrorCode,
    op: impl FnOnce(&Engine) -> clinic_portal::Result<T>,
) -> String {
    let before = e.snapshot();
    let seq = e.last_seq();
    let err = op(e).expect_err("operation should fail");
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(
        e.snapshot(),
        before,
        "a failed call changed the engine: {err}"
    );
    assert_eq!(e.last_seq(), seq);
    err.message().to_owned()
}

/// The entry's offer start and hold, if it has an offer out.
fn offer(e: &Engine, id: &str) -> Option<(DateTime<Utc>, String)> {
    e.waitlist(&WaitlistFilter::default())
        .into_iter()
        .find(|x| x.id == id)
        .and_then(|x| x.offer)
        .map(|o| (o.start, o.hold))
}

#[test]
fn a_cancellation_is_offered_to_the_first_waiting_patient_who_books_it() {
    let e = setup(&config());
    let appt = book(&e, "p1", "dr-a", 9, 0);
    let w2 = e
        .join_waitlist(&week("p2").practitioner("dr-a"), now())
        .expect("join");
    let w3 = e
        .join_waitlist(&week("p3").practitioner("dr-a"), now())
        .expect("join");
    assert!(
        offer(&e, &w2.id).is_none(),
        "joining offers nothing by itself"
    );
    e.drain_outbox();
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    let (start, hold) = offer(&e, &w2.id).expect("p2 is offered the start");
    assert_eq!(start, mon_at(9, 0));
    assert!(offer(&e, &w3.id).is_none());
    let h = e.get_hold(&hold).expect("hold");
    assert_eq!(h.patient.as_deref(), Some("p2"));
    assert_eq!(
        h.expires_at,
        now() + Duration::minutes(120),
        "default offer time"
    );
    let notes = e.drain_outbox();
    let offer_note = notes
        .iter()
        .find(|n| n.kind == NotificationKind::WaitlistOffer)
        .expect("waitlist_offer queued");
    assert_eq!(offer_note.recipients, vec!["p2@x.test".to_owned()]);
    // An ordinary booking from the hold confirms it; the entry is fulfilled.
    let booked = e
        .book(
            &BookRequest::from_hold("p2", &hold),
            now() + Duration::minutes(5),
        )
        .expect("book from the offer");
    assert_eq!(booked.appointment.start, mon_at(9, 0));
    assert!(e
        .waitlist(&WaitlistFilter::default())
        .iter()
        .all(|x| x.id != w2.id));
    let report = e.waitlist_report();
    assert_eq!((report.offered, report.accepted), (1, 1));
}

#[test]
fn a_decline_passes_the_start_to_the_next_entry_and_never_back() {
    let e = setup(&config());
    let appt = book(&e, "p1", "dr-a", 9, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    let w3 = e.join_waitlist(&week("p3"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    assert!(offer(&e, &w2.id).is_some());
    let after = e
        .decline_waitlist_offer(&w2.id, None, now())
        .expect("decline");
    assert!(after.offer.is_none());
    assert_eq!(after.passed.len(), 1);
    assert_eq!(offer(&e, &w3.id).map(|o| o.0), Some(mon_at(9, 0)));
    e.decline_waitlist_offer(&w3.id, None, now())
        .expect("decline");
    // Nobody is left who has not passed on it.
    assert!(offer(&e, &w2.id).is_none() && offer(&e, &w3.id).is_none());
    let r = e.waitlist_report();
    assert_eq!((r.offered, r.declined, r.accepted), (2, 2, 0));
    // Declining without an offer out is a bad transition.
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.decline_waitlist_offer(&w2.id, None, now())
    });
}

#[test]
fn expired_offers_pass_on_with_the_same_result_whenever_processed() {
    let build = || {
        let e = setup(&config());
        let appt = book(&e, "p1", "dr-a", 9, 0);
        for p in ["p2", "p3", "p4"] {
            e.join_waitlist(&week(p), now()).expect("join");
        }
        e.cancel(&CancelRequest::by_patient(&appt), now())
            .expect("cancel");
        e
    };
    let a = build();
    let b = build();
    // a: processed often; b: once, much later.
    for m in [60, 121, 200, 241, 300, 361, 500] {
        a.process_waitlist(now() + Duration::minutes(m))
            .expect("process");
    }
    let done = b
        .process_waitlist(now() + Duration::minutes(500))
        .expect("process");
    assert_eq!(done.offers_expired, 3);
    assert_eq!(done.offers_made, 2);
    assert_eq!(
        a.waitlist(&WaitlistFilter::default()),
        b.waitlist(&WaitlistFilter::default())
    );
    assert_eq!(a.waitlist_report(), b.waitlist_report());
    let r = b.waitlist_report();
    assert_eq!((r.offered, r.expired), (3, 3));
    // Each later offer started when the one before expired.
    let entries = b.waitlist(&WaitlistFilter::default());
    assert!(entries
        .iter()
        .all(|x| x.offer.is_none() && x.passed.len() == 1));
    // Nothing left to do: no change journaled.
    let seq = b.last_seq();
    b.process_waitlist(now() + Duration::minutes(501))
        .expect("process");
    assert_eq!(b.last_seq(), seq);
}

#[test]
fn booking_an_expired_offer_is_refused_and_changes_nothing() {
    let e = setup(&config());
    let appt = book(&e, "p1", "dr-a", 9, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    let (_, hold) = offer(&e, &w2.id).expect("offer");
    let late = now() + Duration::minutes(121);
    fails(&e, ErrorCode::HoldExpired, |e| {
        e.book(&BookRequest::from_hold("p2", &hold), late)
    });
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.decline_waitlist_offer(&w2.id, None, late)
    });
}

#[test]
fn preferences_choose_the_entry_first_come_first_served() {
    let e = setup(&config());
    let appt = book(&e, "p1", "dr-a", 9, 0);
    // Earlier entries that do not match the freed start (Monday 09:00 with dr-a).
    let other_doc = e
        .join_waitlist(&week("p2").practitioner("dr-b"), now())
        .expect("join");
    let tuesday = e
        .join_waitlist(&week("p3").weekdays([Weekday::Tue]), now())
        .expect("join");
    let afternoon = e
        .join_waitlist(
            &week("p4").times(WallTime::hm(10, 0).unwrap(), WallTime::hm(12, 0).unwrap()),
            now(),
        )
        .expect("join");
    let later = e
        .join_waitlist(
            &WaitlistRequest::new("p5", "physio-30", date(2027, 2, 2), date(2027, 2, 5)),
            now(),
        )
        .expect("join");
    let fits = e
        .join_waitlist(
            &WaitlistRequest::new("p5", "physio-30", monday(), monday()).clinic("main"),
            now() + Duration::seconds(1),
        )
        .expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    for id in [&other_doc.id, &tuesday.id, &afternoon.id, &later.id] {
        assert!(offer(&e, id).is_none(), "{id} does not match");
    }
    assert!(offer(&e, &fits.id).is_some());
    // The list is in first-come order.
    let ids: Vec<String> = e
        .waitlist(&WaitlistFilter::default())
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(
        ids,
        vec![
            other_doc.id,
            tuesday.id,
            afternoon.id,
            later.id,
            fits.id.clone()
        ]
    );
    let offered = e.waitlist(&WaitlistFilter {
        offered: Some(true),
        ..WaitlistFilter::default()
    });
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].id, fits.id);
    let p5 = e.waitlist(&WaitlistFilter {
        patient: Some("p5".into()),
        ..WaitlistFilter::default()
    });
    assert_eq!(p5.len(), 2);
}

#[test]
fn a_patient_who_could_not_book_the_start_is_skipped() {
    let mut cfg = config();
    set_scheduling(&mut cfg, "max_future_bookings_per_patient", json!(1));
    let e = setup(&cfg);
    let appt = book(&e, "p1", "dr-a", 9, 0);
    // p2 is at the limit already (and busy at 09:00 with dr-b).
    book(&e, "p2", "dr-b", 9, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    let w3 = e.join_waitlist(&week("p3"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    assert!(offer(&e, &w2.id).is_none());
    assert!(offer(&e, &w3.id).is_some());
}

#[test]
fn an_offer_never_outlives_the_booking_cut_off() {
    let mut cfg = config();
    set_scheduling(&mut cfg, "min_hours_before_booking", json!(2));
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(0));
    let e = setup(&cfg);
    let appt = book(&e, "p1", "dr-a", 11, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    // Freed at 08:00 on the day: booking closes at 09:00, before the 120-minute offer time.
    let at = mon_at(8, 0);
    e.cancel(&CancelRequest::by_patient(&appt), at)
        .expect("cancel");
    let (_, hold) = offer(&e, &w2.id).expect("offer");
    assert_eq!(e.get_hold(&hold).expect("hold").expires_at, mon_at(9, 0));
    // Freed after the cut-off: no offer.
    let e = setup(&cfg);
    let appt = book(&e, "p1", "dr-a", 11, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), mon_at(9, 30))
        .expect("cancel");
    assert!(offer(&e, &w2.id).is_none());
}

#[test]
fn the_offer_time_is_configured() {
    let mut cfg = config();
    set_scheduling(&mut cfg, "waitlist_offer_minutes", json!(30));
    let e = setup(&cfg);
    let appt = book(&e, "p1", "dr-a", 9, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    let (_, hold) = offer(&e, &w2.id).expect("offer");
    assert_eq!(
        e.get_hold(&hold).unwrap().expires_at,
        now() + Duration::minutes(30)
    );
    for bad in [0, 1441] {
        let mut cfg = config();
        set_scheduling(&mut cfg, "waitlist_offer_minutes", json!(bad));
        assert_eq!(config_error(&cfg).code(), ErrorCode::InvalidConfig);
    }
}

#[test]
fn staff_cancels_declines_and_reschedules_free_starts_too() {
    let e = setup(&config());
    let w = e.join_waitlist(&week("p5"), now()).expect("join");
    // A staff cancellation.
    let a = book(&e, "p1", "dr-a", 9, 0);
    e.cancel(&CancelRequest::by_staff(&a, "sick"), now())
        .expect("cancel");
    assert_eq!(offer(&e, &w.id).map(|o| o.0), Some(mon_at(9, 0)));
    e.decline_waitlist_offer(&w.id, None, now())
        .expect("decline");
    // A reschedule away from 10:00.
    let b = book(&e, "p2", "dr-a", 10, 0);
    e.reschedule(&RescheduleRequest::new(&b, mon_at(11, 0)), now())
        .expect("reschedule");
    assert_eq!(offer(&e, &w.id).map(|o| o.0), Some(mon_at(10, 0)));
    e.decline_waitlist_offer(&w.id, None, now())
        .expect("decline");
    // A declined pending request.
    let mut cfg = config();
    set_scheduling(&mut cfg, "auto_accept", json!(false));
    let e = setup(&cfg);
    let w = e.join_waitlist(&week("p5"), now()).expect("join");
    let c = book(&e, "p3", "dr-a", 9, 30);
    e.decline(&DecisionRequest::new(&c, None), now())
        .expect("decline");
    assert_eq!(offer(&e, &w.id).map(|o| o.0), Some(mon_at(9, 30)));
}

#[test]
fn join_refusals_change_nothing() {
    let e = setup(&config());
    e.join_waitlist(&week("p1").id("w1"), now()).expect("join");
    fails(&e, ErrorCode::NotFound, |e| {
        e.join_waitlist(&week("nobody"), now())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.join_waitlist(
            &WaitlistRequest::new("p2", "massage", monday(), monday()),
            now(),
        )
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.join_waitlist(&week("p2").practitioner("dr-z"), now())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.join_waitlist(&week("p2").clinic("elsewhere"), now())
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.join_waitlist(
            &WaitlistRequest::new("p2", "physio-30", monday(), date(2027, 1, 31)),
            now(),
        )
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.join_waitlist(
            &WaitlistRequest::new("p2", "physio-30", monday(), date(2028, 2, 2)),
            now(),
        )
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.join_waitlist(&week("p2"), utc(2027, 3, 1, 0, 0))
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        let w = WallTime::hm(10, 0).unwrap();
        e.join_waitlist(&week("p2").times(w, w), now())
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.join_waitlist(&week("p2").id(" "), now())
    });
    // The ends of the date range: refused, never a panic.
    for (from, to) in [
        (date(9999, 6, 1), date(9999, 12, 31)),
        (date(1899, 12, 31), date(1900, 1, 5)),
    ] {
        fails(&e, ErrorCode::InvalidInput, |e| {
            e.join_waitlist(&WaitlistRequest::new("p2", "physio-30", from, to), now())
        });
    }
    fails(&e, ErrorCode::DuplicateId, |e| {
        e.join_waitlist(&week("p2").id("w1"), now())
    });
    // The same wish twice (overlapping dates).
    fails(&e, ErrorCode::DuplicateId, |e| {
        e.join_waitlist(
            &WaitlistRequest::new("p1", "physio-30", date(2027, 2, 3), date(2027, 2, 9)),
            now(),
        )
    });
    // Per-patient limit.
    for d in 0..4 {
        let from = date(2027, 3, 1) + Duration::days(7 * d);
        e.join_waitlist(&WaitlistRequest::new("p1", "physio-30", from, from), now())
            .expect("join");
    }
    let msg = fails(&e, ErrorCode::LimitReached, |e| {
        e.join_waitlist(
            &WaitlistRequest::new("p1", "physio-30", date(2027, 5, 3), date(2027, 5, 3)),
            now(),
        )
    });
    assert!(msg.contains("docs/limits.md"), "{msg}");
    // Unknown entries.
    fails(&e, ErrorCode::NotFound, |e| {
        e.leave_waitlist("nope", None, now())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.decline_waitlist_offer("nope", None, now())
    });
}

#[test]
fn accounts_need_an_active_link() {
    let e = setup(&config());
    let mum = e
        .create_account(&NewAccount::new("mum@x.test", "password-1"), now())
        .expect("account");
    let stranger = e
        .create_account(&NewAccount::new("who@x.test", "password-2"), now())
        .expect("account");
    e.link_account(&mum.id, "p2", Relationship::Guardian, now())
        .expect("link");
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.join_waitlist(&week("p2").actor(&stranger.id), now())
    });
    let w = e
        .join_waitlist(&week("p2").actor(&mum.id), now())
        .expect("join");
    assert_eq!(w.actor.as_deref(), Some(mum.id.as_str()));
    // The offer goes to the patient and the guardian; the guardian books it.
    let appt = book(&e, "p1", "dr-a", 9, 0);
    e.drain_outbox();
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    let note = e
        .drain_outbox()
        .into_iter()
        .find(|n| n.kind == NotificationKind::WaitlistOffer)
        .expect("offer");
    assert_eq!(
        note.recipients,
        vec!["p2@x.test".to_owned(), "mum@x.test".to_owned()]
    );
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.decline_waitlist_offer(&w.id, Some(&stranger.id), now())
    });
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.leave_waitlist(&w.id, Some(&stranger.id), now())
    });
    let (_, hold) = offer(&e, &w.id).expect("offer");
    e.book(&BookRequest::from_hold("p2", &hold).actor(&mum.id), now())
        .expect("guardian books the offer");
}

#[test]
fn leaving_with_an_offer_out_passes_it_on() {
    let e = setup(&config());
    let appt = book(&e, "p1", "dr-a", 9, 0);
    let w2 = e.join_waitlist(&week("p2"), now()).expect("join");
    let w3 = e.join_waitlist(&week("p3"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    let (_, hold) = offer(&e, &w2.id).expect("offer");
    e.leave_waitlist(&w2.id, None, now()).expect("staff remove");
    assert!(e.get_hold(&hold).is_err(), "the offer's hold is released");
    assert!(offer(&e, &w3.id).is_some());
}

#[test]
fn entries_expire_at_the_end_of_their_range() {
    let e = setup(&config());
    let w = e.join_waitlist(&week("p2"), now()).expect("join");
    let done = e.process_waitlist(utc(2027, 2, 5, 12, 0)).expect("process");
    assert_eq!(done.entries_expired, 0);
    // The end of Friday in Toronto is 05:00 UTC on Saturday.
    let done = e.process_waitlist(utc(2027, 2, 6, 5, 0)).expect("process");
    assert_eq!(done.entries_expired, 1);
    assert!(e
        .waitlist(&WaitlistFilter::default())
        .iter()
        .all(|x| x.id != w.id));
}

#[test]
fn snapshots_and_planned_changes_carry_the_waitlist() {
    let e = setup(&config());
    let replica = Engine::restore(&e.snapshot()).expect("restore");
    let from = e.last_seq();
    let appt = book(&e, "p1", "dr-a", 9, 0);
    e.join_waitlist(&week("p2"), now()).expect("join");
    e.join_waitlist(&week("p3"), now()).expect("join");
    e.cancel(&CancelRequest::by_patient(&appt), now())
        .expect("cancel");
    e.process_waitlist(now() + Duration::minutes(130))
        .expect("process");
    let restored = Engine::restore(&e.snapshot()).expect("restore");
    assert_eq!(restored.snapshot(), e.snapshot());
    assert_eq!(
        restored.waitlist(&WaitlistFilter::default()),
        e.waitlist(&WaitlistFilter::default())
    );
    assert_eq!(restored.waitlist_report(), e.waitlist_report());
    for change in e.changes_since(from).expect("changes") {
        replica.apply(&change).expect("apply");
    }
    assert_eq!(replica.snapshot(), e.snapshot());
    // Planned operations change nothing until applied.
    let op = Operation::from_json(r#"{"op": "leave_waitlist", "id": "nope"}"#).expect("op");
    assert_eq!(
        e.plan_operation(&op, now()).unwrap_err().code(),
        ErrorCode::NotFound
    );
    let id = e.waitlist(&WaitlistFilter::default())[0].id.clone();
    let op =
        Operation::from_json(&format!(r#"{{"op": "leave_waitlist", "id": "{id}"}}"#)).expect("op");
    let before = e.snapshot();
    let planned = e.plan_operation(&op, now()).expect("plan");
    assert_eq!(e.snapshot(), before);
    e.apply(&planned.change.expect("a change")).expect("apply");
    assert!(e
        .waitlist(&WaitlistFilter::default())
        .iter()
        .all(|x| x.id != id));
}

#[test]
fn removing_or_merging_a_patient_takes_their_entries_along() {
    let e = setup(&config());
    e.join_waitlist(&week("p4"), now()).expect("join");
    e.remove_patient("p4").expect("remove");
    assert!(e.waitlist(&WaitlistFilter::default()).is_empty());
    e.join_waitlist(&week("p5"), now()).expect("join");
    e.merge_patients("p3", "p5", now()).expect("merge");
    let left = e.waitlist(&WaitlistFilter::default());
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].patient, "p3");
    Engine::restore(&e.snapshot()).expect("restore");
}
