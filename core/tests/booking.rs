//! The booking lifecycle (docs/booking.md): holds, book, accept/decline, cancel, reschedule,
//! policies, idempotency, the outbox, programs and reports; and every failing case
//! (docs/errors.md) leaves the engine byte-for-byte unchanged.

mod common;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AppointmentStatus, BookRequest, CancelRequest, DecisionRequest, Engine, ErrorCode, HoldRequest,
    NotificationKind, Patient, RegistrationRequest, RescheduleRequest, Source,
};
use common::*;
use serde_json::{json, Value};

fn patient(id: &str, email: &str) -> Patient {
    serde_json::from_value(json!({
        "id": id, "first_name": id, "email": email,
        "default_insurance": format!("ins-{id}"), "referral_type": "google"
    }))
    .expect("patient")
}

/// The base practice with two practitioners (`dr-a`, `dr-b`, both Mon–Fri 09:00–12:00),
/// e-mail addresses, a referral type, a program, and patients `p1`…`p3`.
fn config() -> Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr-b", weekday_blocks("09:00", "12:00")),
    ]);
    cfg["practitioners"][0]["email"] = json!("a@clinic.test");
    cfg["practitioners"][1]["email"] = json!("b@clinic.test");
    cfg["referral_types"] = json!([{"id": "google", "name": "Google"}, {"id": "friend"}]);
    cfg["programs"] = json!([{
        "id": "pilates", "name": "Pilates", "clinic": "main", "start_date": "2027-02-01",
        "start_time": "18:00", "duration_minutes": 60, "capacity": 2,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO"
    }]);
    cfg["portal"] = json!({"notifications": {"clinic_email": "front@clinic.test"}});
    cfg
}

fn with_patients(cfg: &Value) -> Engine {
    let e = engine(cfg);
    for (id, email) in [
        ("p1", "p1@x.test"),
        ("p2", "p2@x.test"),
        ("p3", "p3@x.test"),
    ] {
        e.upsert_patient(patient(id, email)).expect("patient");
    }
    e
}

fn setting(cfg: &mut Value, key: &str, value: Value) {
    set_scheduling(cfg, key, value);
}

/// Runs a failing operation and checks its code and that nothing changed.
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
        "a failed operation changed the engine: {err}"
    );
    assert_eq!(e.last_seq(), seq);
    err.message().to_owned()
}

fn book_at(patient: &str, practitioner: &str, h: u32, m: u32) -> BookRequest {
    BookRequest::new(patient, "physio-30", mon_at(h, m)).practitioner(practitioner)
}

fn kinds(e: &Engine) -> Vec<NotificationKind> {
    e.outbox().into_iter().map(|n| n.kind).collect()
}

#[test]
fn hold_occupies_until_it_expires_then_converts_into_a_pending_booking() {
    let e = with_patients(&config());
    let now = early();
    let q = on(monday()).practitioner("dr-a");
    let hold = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(9, 0))
                .practitioner("dr-a")
                .patient("p1"),
            now,
        )
        .expect("hold");
    assert_eq!(hold.expires_at, now + Duration::minutes(10));
    assert!(!hhmm(&search(&e, &q, now)).contains(&"09:00".to_owned()));
    // Someone else cannot book the held start…
    let msg = fails(&e, ErrorCode::CapacityFull, |e| {
        e.book(&book_at("p2", "dr-a", 9, 0), now)
    });
    assert!(msg.contains("rule 10"), "{msg}");
    // …until the hold expires by itself.
    let later = now + Duration::minutes(10);
    assert!(hhmm(&search(&e, &q, later)).contains(&"09:00".to_owned()));
    assert_eq!(rule_of(&e, &q, mon_at(9, 0), later), None);
    fails(&e, ErrorCode::HoldExpired, |e| {
        e.book(&BookRequest::from_hold("p1", &hold.id), later)
    });
    // A live hold converts: pending (auto_accept is off), and it holds its slot.
    let hold = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(9, 0))
                .practitioner("dr-a")
                .patient("p1"),
            later,
        )
        .expect("second hold");
    let booked = e
        .book(&BookRequest::from_hold("p1", &hold.id), later)
        .expect("book from hold");
    assert_eq!(booked.appointment.status, AppointmentStatus::Pending);
    assert_eq!(booked.appointment.source, Source::Portal);
    assert_eq!(booked.appointment.practitioner, "dr-a");
    assert_eq!(booked.details.hold.as_deref(), Some(hold.id.as_str()));
    assert_eq!(
        e.get_hold(&hold.id).map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    assert!(!hhmm(&search(&e, &q, later)).contains(&"09:00".to_owned()));
    // Staff accept with a note; accepting again is not a transition.
    let accepted = e
        .accept(
            &DecisionRequest::new(&booked.appointment.id, Some("See you!")),
            later,
        )
        .expect("accept");
    assert_eq!(accepted.appointment.status, AppointmentStatus::Booked);
    assert_eq!(accepted.details.staff_note.as_deref(), Some("See you!"));
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.accept(&DecisionRequest::new(&booked.appointment.id, None), later)
    });
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.decline(&DecisionRequest::new(&booked.appointment.id, None), later)
    });
    let out = e.drain_outbox();
    let k: Vec<_> = out.iter().map(|n| n.kind).collect();
    assert_eq!(
        k,
        vec![NotificationKind::PendingRequest, NotificationKind::Accepted]
    );
    assert_eq!(out[0].recipients, vec!["a@clinic.test"]);
    assert_eq!(out[1].recipients, vec!["p1@x.test"]);
    assert_eq!(out[1].data.to_json()["note"], json!("See you!"));
    assert_eq!(out[1].id, out[0].id + 1);
    assert!(e.drain_outbox().is_empty(), "nothing is returned twice");
}

#[test]
fn decline_frees_the_slot_and_tells_the_patient() {
    let e = with_patients(&config());
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let d = e
        .decline(
            &DecisionRequest::new(&b.appointment.id, Some("Fully booked")),
            early(),
        )
        .expect("decline");
    assert_eq!(d.appointment.status, AppointmentStatus::Declined);
    e.book(&book_at("p2", "dr-a", 9, 0), early())
        .expect("the slot is free again");
    let declined = e
        .outbox()
        .into_iter()
        .find(|n| n.kind == NotificationKind::Declined)
        .expect("declined notification");
    assert_eq!(declined.recipients, vec!["p1@x.test"]);
    assert_eq!(declined.data.to_json()["note"], json!("Fully booked"));
    assert_eq!(
        declined.data.to_json()["start_local"],
        json!("2027-02-01T09:00:00-05:00"),
        "templates get the clinic's wall time"
    );
}

#[test]
fn no_preference_picks_fewest_that_day_then_configuration_order() {
    let e = with_patients(&config());
    let first = e
        .book(&BookRequest::new("p1", "physio-30", mon_at(9, 0)), early())
        .expect("no preference");
    assert_eq!(
        first.appointment.practitioner, "dr-a",
        "tie: configuration order"
    );
    let second = e
        .book(&BookRequest::new("p2", "physio-30", mon_at(10, 0)), early())
        .expect("no preference");
    assert_eq!(
        second.appointment.practitioner, "dr-b",
        "dr-a has one that day"
    );
    let third = e
        .book(&BookRequest::new("p3", "physio-30", mon_at(11, 0)), early())
        .expect("no preference");
    assert_eq!(third.appointment.practitioner, "dr-a", "tie again");

    let mut cfg = config();
    setting(&mut cfg, "allow_no_preference", json!(false));
    let e = with_patients(&cfg);
    let msg = fails(&e, ErrorCode::SlotUnavailable, |e| {
        e.book(&BookRequest::new("p1", "physio-30", mon_at(9, 0)), early())
    });
    assert!(msg.contains("rule 12"), "{msg}");
}

#[test]
fn auto_accept_books_at_once_and_notifies_clinic_and_practitioner() {
    let mut cfg = config();
    setting(&mut cfg, "auto_accept", json!(true));
    setting(&mut cfg, "apply_default_insurance", json!(true));
    cfg["portal"]["notifications"]["booked_to_practitioner"] = json!(true);
    let e = with_patients(&cfg);
    let b = e
        .book(&book_at("p1", "dr-b", 9, 30), early())
        .expect("book");
    assert_eq!(b.appointment.status, AppointmentStatus::Booked);
    assert_eq!(b.details.insurance.as_deref(), Some("ins-p1"));
    assert_eq!(b.appointment.id, "bk-1", "generated id");
    let out = e.outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, NotificationKind::BookedInPortal);
    assert_eq!(
        out[0].recipients,
        vec!["front@clinic.test", "b@clinic.test"]
    );
    // Without apply_default_insurance nothing is copied; pending goes to the pending address.
    let mut cfg = config();
    setting(
        &mut cfg,
        "pending_notify_email",
        json!("pending@clinic.test"),
    );
    let e = with_patients(&cfg);
    let b = e
        .book(&book_at("p1", "dr-b", 9, 30), early())
        .expect("book");
    assert_eq!(b.details.insurance, None);
    assert_eq!(e.outbox()[0].recipients, vec!["pending@clinic.test"]);
}

#[test]
fn consent_is_required_once_per_patient_or_every_time() {
    let mut cfg = config();
    cfg["portal"]["consent"] = json!({"enabled": true, "required": true, "version": "v2"});
    let e = with_patients(&cfg);
    let msg = fails(&e, ErrorCode::ConsentRequired, |e| {
        e.book(&book_at("p1", "dr-a", 9, 0), early())
    });
    assert!(msg.contains("v2"), "{msg}");
    let b = e
        .book(&book_at("p1", "dr-a", 9, 0).consent(), early())
        .expect("with consent");
    let c = b.details.consent.expect("consent recorded");
    assert_eq!((c.version.as_deref(), c.accepted_at), (Some("v2"), early()));
    e.book(&book_at("p1", "dr-a", 10, 0), early())
        .expect("consent is given once per patient");

    cfg["portal"]["consent"]["every_time"] = json!(true);
    let e = with_patients(&cfg);
    e.book(&book_at("p1", "dr-a", 9, 0).consent(), early())
        .expect("with consent");
    fails(&e, ErrorCode::ConsentRequired, |e| {
        e.book(&book_at("p1", "dr-a", 10, 0), early())
    });
}

#[test]
fn patient_busy_and_limits() {
    let mut cfg = config();
    setting(&mut cfg, "max_future_bookings_per_patient", json!(2));
    setting(&mut cfg, "max_bookings_per_day", json!(1));
    let e = with_patients(&cfg);
    e.book(&book_at("p1", "dr-a", 9, 0), early())
        .expect("first");
    // Overlapping with another practitioner: the patient is busy.
    let msg = fails(&e, ErrorCode::PatientBusy, |e| {
        e.book(&book_at("p1", "dr-b", 9, 0), early())
    });
    assert!(msg.contains("p1"), "{msg}");
    // Also against a staff appointment the host imported.
    let mut a = appt(
        "staff-1",
        "dr-b",
        mon_at(11, 0),
        mon_at(11, 30),
        AppointmentStatus::Booked,
    );
    a.patient = Some("p2".into());
    e.add_appointment(a).expect("import");
    fails(&e, ErrorCode::PatientBusy, |e| {
        e.book(&book_at("p2", "dr-a", 11, 0), early())
    });
    // One per day.
    fails(&e, ErrorCode::LimitReached, |e| {
        e.book(&book_at("p1", "dr-a", 11, 0), early())
    });
    // Two in the future.
    let tuesday = mon_at(9, 0) + Duration::days(1);
    e.book(
        &BookRequest::new("p1", "physio-30", tuesday).practitioner("dr-a"),
        early(),
    )
    .expect("second, next day");
    let msg = fails(&e, ErrorCode::LimitReached, |e| {
        e.book(
            &BookRequest::new("p1", "physio-30", tuesday + Duration::days(1)).practitioner("dr-a"),
            early(),
        )
    });
    assert!(msg.contains("max_future_bookings_per_patient"), "{msg}");
}

#[test]
fn availability_refusals_map_to_their_codes_and_change_nothing() {
    let e = with_patients(&config());
    // Rule 5: outside the working blocks.
    let msg = fails(&e, ErrorCode::SlotUnavailable, |e| {
        e.book(&book_at("p1", "dr-a", 13, 0), early())
    });
    assert!(msg.contains("rule 5"), "{msg}");
    // Rule 9: off the grid.
    let msg = fails(&e, ErrorCode::SlotUnavailable, |e| {
        e.book(&book_at("p1", "dr-a", 9, 10), early())
    });
    assert!(msg.contains("rule 9"), "{msg}");
    // Rule 8: in the past / beyond the horizon.
    let msg = fails(&e, ErrorCode::OutsideBookingWindow, |e| {
        e.book(&book_at("p1", "dr-a", 9, 0), mon_at(9, 30))
    });
    assert!(msg.contains("rule 8"), "{msg}");
    fails(&e, ErrorCode::OutsideBookingWindow, |e| {
        e.hold(
            &HoldRequest::new("physio-30", mon_at(9, 0) + Duration::days(120)).practitioner("dr-a"),
            early(),
        )
    });
    // Rule 10: the place is taken.
    e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    fails(&e, ErrorCode::CapacityFull, |e| {
        e.book(&book_at("p2", "dr-a", 9, 0), early())
    });
    // Input errors.
    fails(&e, ErrorCode::NotFound, |e| {
        e.book(&book_at("nobody", "dr-a", 10, 0), early())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.book(&book_at("p2", "dr-z", 10, 0), early())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.book(&BookRequest::from_hold("p2", "no-such-hold"), early())
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.book(
            &BookRequest {
                patient: "p2".into(),
                ..BookRequest::default()
            },
            early(),
        )
    });
    fails(&e, ErrorCode::DuplicateId, |e| {
        let mut r = book_at("p2", "dr-a", 10, 0);
        r.id = Some("bk-1".into());
        e.book(&r, early())
    });
    // Rule 1: the portal is off.
    let mut cfg = config();
    cfg["portal"]["enabled"] = json!(false);
    let e = with_patients(&cfg);
    let msg = fails(&e, ErrorCode::PortalDisabled, |e| {
        e.book(&book_at("p1", "dr-a", 9, 0), early())
    });
    assert!(msg.contains("rule 1"), "{msg}");
    fails(&e, ErrorCode::PortalDisabled, |e| {
        e.hold(&HoldRequest::new("physio-30", mon_at(9, 0)), early())
    });
}

#[test]
fn hold_for_another_patient_or_other_start_is_refused() {
    let e = with_patients(&config());
    let h = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(9, 0)).patient("p1"),
            early(),
        )
        .expect("hold");
    assert_eq!(h.practitioner, "dr-a");
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.book(&BookRequest::from_hold("p2", &h.id), early())
    });
    fails(&e, ErrorCode::InvalidInput, |e| {
        let mut r = BookRequest::from_hold("p1", &h.id);
        r.start = Some(mon_at(10, 0));
        e.book(&r, early())
    });
    // The patient cannot hold two overlapping starts.
    fails(&e, ErrorCode::PatientBusy, |e| {
        e.hold(
            &HoldRequest::new("physio-30", mon_at(9, 0)).patient("p1"),
            early(),
        )
    });
    assert_eq!(e.purge_expired_holds(early()), 0);
    assert_eq!(e.purge_expired_holds(early() + Duration::hours(1)), 1);
}

#[test]
fn patient_cancel_window_and_late_fee() {
    let mut cfg = config();
    setting(&mut cfg, "late_cancel_fee_hours", json!(48));
    let e = with_patients(&cfg);
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let id = b.appointment.id.clone();
    // Within 24 hours: closed, and the message says why.
    let msg = fails(&e, ErrorCode::CancelWindowClosed, |e| {
        e.cancel(
            &CancelRequest::by_patient(&id),
            mon_at(9, 0) - Duration::hours(23),
        )
    });
    assert!(msg.contains("min_hours_before_cancel"), "{msg}");
    // Staff need a reason, and may cancel any time.
    fails(&e, ErrorCode::InvalidInput, |e| {
        e.cancel(&CancelRequest::by_staff(&id, " "), mon_at(8, 0))
    });
    // 30 hours before: allowed, inside the 48-hour fee window.
    let c = e
        .cancel(
            &CancelRequest::by_patient(&id),
            mon_at(9, 0) - Duration::hours(30),
        )
        .expect("cancel");
    assert!(c.late_cancel_fee);
    assert_eq!(c.appointment.status, AppointmentStatus::Cancelled);
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.cancel(&CancelRequest::by_staff(&id, "again"), early())
    });
    // 50 hours before: no fee.
    let b = e
        .book(&book_at("p1", "dr-a", 9, 0), early())
        .expect("rebook");
    let c = e
        .cancel(
            &CancelRequest::by_patient(&b.appointment.id),
            mon_at(9, 0) - Duration::hours(50),
        )
        .expect("cancel");
    assert!(!c.late_cancel_fee);
    // Staff at the last minute.
    let b = e.book(&book_at("p2", "dr-a", 9, 0), early()).expect("book");
    let c = e
        .cancel(
            &CancelRequest::by_staff(&b.appointment.id, "practitioner ill"),
            mon_at(8, 59),
        )
        .expect("staff cancel");
    assert!(!c.late_cancel_fee);
    let d = e.booking_details(&b.appointment.id).expect("details");
    assert_eq!(d.cancel_reason.as_deref(), Some("practitioner ill"));
    // Online cancellation switched off.
    let mut cfg = config();
    setting(&mut cfg, "allow_patient_cancel", json!(false));
    let e = with_patients(&cfg);
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    fails(&e, ErrorCode::CancelWindowClosed, |e| {
        e.cancel(&CancelRequest::by_patient(&b.appointment.id), early())
    });
}

#[test]
fn reschedule_is_one_atomic_step() {
    let e = with_patients(&config());
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let id = b.appointment.id.clone();
    e.book(&book_at("p2", "dr-a", 10, 0), early())
        .expect("other");
    // To a taken start: nothing changes.
    fails(&e, ErrorCode::CapacityFull, |e| {
        e.reschedule(&RescheduleRequest::new(&id, mon_at(10, 0)), early())
    });
    // Too late for the old time.
    fails(&e, ErrorCode::CancelWindowClosed, |e| {
        e.reschedule(&RescheduleRequest::new(&id, mon_at(11, 0)), mon_at(8, 0))
    });
    // To its own overlapping time: it does not collide with itself.
    let r = e
        .reschedule(&RescheduleRequest::new(&id, mon_at(9, 30)), early())
        .expect("move by 30 minutes");
    assert_eq!(r.before.start, mon_at(9, 0));
    assert_eq!(r.after.appointment.id, id);
    assert_eq!(r.after.appointment.start, mon_at(9, 30));
    assert_eq!(r.after.details.rescheduled_from, Some(mon_at(9, 0)));
    let q = on(monday()).practitioner("dr-a");
    let free = hhmm(&search(&e, &q, early()));
    assert!(free.contains(&"09:00".to_owned()) && !free.contains(&"09:30".to_owned()));
    assert_eq!(kinds(&e).last(), Some(&NotificationKind::Rescheduled));
}

#[test]
fn idempotent_retries_return_the_first_outcome() {
    let e = with_patients(&config());
    let r = book_at("p1", "dr-a", 9, 0).idempotency_key("k1");
    let first = e.book(&r, early()).expect("book");
    let seq = e.last_seq();
    let again = e.book(&r, early() + Duration::minutes(1)).expect("retry");
    assert_eq!(first, again);
    assert_eq!(e.appointment_count(), 1);
    assert_eq!(e.last_seq(), seq, "a retry changes nothing");
    fails(&e, ErrorCode::IdempotencyConflict, |e| {
        e.book(&book_at("p1", "dr-a", 10, 0).idempotency_key("k1"), early())
    });
    let c = CancelRequest::by_patient(&first.appointment.id).idempotency_key("k2");
    let c1 = e.cancel(&c, early()).expect("cancel");
    assert_eq!(e.cancel(&c, early()).expect("retry"), c1);
    fails(&e, ErrorCode::IdempotencyConflict, |e| {
        e.cancel(
            &CancelRequest::by_patient(&first.appointment.id).idempotency_key("k1"),
            early(),
        )
    });
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let m = RescheduleRequest::new(&b.appointment.id, mon_at(11, 0)).idempotency_key("k3");
    let m1 = e.reschedule(&m, early()).expect("move");
    assert_eq!(e.reschedule(&m, early()).expect("retry"), m1);
}

#[test]
fn programs_fill_up_and_report_their_occupancy() {
    let e = with_patients(&config());
    let monday = monday();
    let r1 = e
        .register_program(&RegistrationRequest::new("pilates", "p1", monday), early())
        .expect("p1");
    e.register_program(&RegistrationRequest::new("pilates", "p2", monday), early())
        .expect("p2");
    let msg = fails(&e, ErrorCode::CapacityFull, |e| {
        e.register_program(&RegistrationRequest::new("pilates", "p3", monday), early())
    });
    assert!(msg.contains("2 of 2"), "{msg}");
    fails(&e, ErrorCode::DuplicateId, |e| {
        e.register_program(&RegistrationRequest::new("pilates", "p1", monday), early())
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.register_program(
            &RegistrationRequest::new("pilates", "p3", date(2027, 2, 2)),
            early(),
        )
    });
    fails(&e, ErrorCode::NotFound, |e| {
        e.register_program(&RegistrationRequest::new("yoga", "p3", monday), early())
    });
    fails(&e, ErrorCode::OutsideBookingWindow, |e| {
        e.register_program(
            &RegistrationRequest::new("pilates", "p3", monday),
            mon_at(18, 0),
        )
    });
    e.cancel_program_registration(&r1.id, None, early())
        .expect("cancel");
    fails(&e, ErrorCode::InvalidTransition, |e| {
        e.cancel_program_registration(&r1.id, None, early())
    });
    e.register_program(&RegistrationRequest::new("pilates", "p3", monday), early())
        .expect("a place is free again");
    let sessions = e
        .report_programs(monday, monday + Duration::days(7))
        .expect("report");
    let seen: Vec<(String, u32, u32)> = sessions
        .iter()
        .map(|s| (s.date.to_string(), s.registered, s.capacity))
        .collect();
    assert_eq!(
        seen,
        vec![("2027-02-01".into(), 2, 2), ("2027-02-08".into(), 0, 2)]
    );
    assert_eq!(sessions[0].start, mon_at(18, 0));
    assert!(kinds(&e).contains(&NotificationKind::ProgramRegistration));
}

#[test]
fn reports_filter_queue_and_count() {
    let mut cfg = config();
    setting(&mut cfg, "auto_accept", json!(false));
    let e = with_patients(&cfg);
    let t0 = early();
    let a = e.book(&book_at("p1", "dr-a", 9, 0), t0).expect("a");
    let b = e
        .book(&book_at("p2", "dr-b", 9, 0), t0 + Duration::minutes(5))
        .expect("b");
    e.accept(&DecisionRequest::new(&a.appointment.id, None), t0)
        .expect("accept");
    let c = e
        .book(&book_at("p3", "dr-a", 10, 0), t0 + Duration::minutes(2))
        .expect("c");
    e.add_appointment(appt(
        "host",
        "dr-a",
        mon_at(11, 0),
        mon_at(11, 30),
        AppointmentStatus::Pending,
    ))
    .expect("host pending");
    let queue = e.pending_queue(t0 + Duration::minutes(60));
    let ids: Vec<&str> = queue.iter().map(|p| p.appointment.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![c.appointment.id.as_str(), b.appointment.id.as_str(), "host"]
    );
    assert_eq!(queue[0].age_minutes, Some(58));
    assert_eq!(queue[2].age_minutes, None);

    let mut filter = clinic_portal::AppointmentFilter::new(monday(), monday());
    assert_eq!(e.report_portal_appointments(&filter).expect("all").len(), 3);
    filter.statuses = vec![AppointmentStatus::Booked];
    let booked = e.report_portal_appointments(&filter).expect("booked");
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].id, a.appointment.id);
    filter.statuses.clear();
    filter.practitioner = Some("dr-b".into());
    assert_eq!(
        e.report_portal_appointments(&filter).expect("dr-b").len(),
        1
    );
    filter.practitioner = None;
    filter.source = Some(Source::Staff);
    assert_eq!(
        e.report_portal_appointments(&filter).expect("staff").len(),
        1
    );
    filter.from = monday() + Duration::days(1);
    filter.to = monday() + Duration::days(1);
    assert!(e
        .report_portal_appointments(&filter)
        .expect("none")
        .is_empty());

    e.upsert_patient(
        serde_json::from_value(json!({"id": "p4", "referral_type": "friend"})).expect("p4"),
    )
    .expect("p4");
    e.upsert_patient(serde_json::from_value(json!({"id": "p5"})).expect("p5"))
        .expect("p5");
    let counts: Vec<(Option<String>, usize)> = e
        .report_referrals()
        .into_iter()
        .map(|r| (r.referral_type, r.patients))
        .collect();
    assert_eq!(
        counts,
        vec![
            (Some("google".into()), 3),
            (Some("friend".into()), 1),
            (None, 1)
        ]
    );
}

#[test]
fn intake_form_notifies_only_when_configured() {
    let e = with_patients(&config());
    assert_eq!(e.intake_form_completed("p1", "covid", early()), Ok(None));
    assert!(e.outbox().is_empty());
    let mut cfg = config();
    cfg["portal"]["notifications"]["intake_form_to_clinic"] = json!(true);
    let e = with_patients(&cfg);
    let id = e
        .intake_form_completed("p1", "covid", early())
        .expect("ok")
        .expect("notified");
    let out = e.drain_outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, id);
    assert_eq!(out[0].recipients, vec!["front@clinic.test"]);
    fails(&e, ErrorCode::NotFound, |e| {
        e.intake_form_completed("nobody", "covid", early())
    });
}

#[test]
fn snapshot_restores_exactly_and_refuses_newer_formats() {
    let e = with_patients(&config());
    e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    e.hold(&HoldRequest::new("physio-30", mon_at(10, 0)), early())
        .expect("hold");
    let snap = e.snapshot();
    let r = Engine::restore(&snap).expect("restore");
    assert_eq!(r.snapshot(), snap);
    // The restored engine sees the same occupancy, holds included.
    let q = on(monday()).practitioner("dr-a");
    assert_eq!(
        hhmm(&search(&r, &q, early())),
        hhmm(&search(&e, &q, early()))
    );
    let mut v: Value = serde_json::from_str(&snap).expect("json");
    v["format_version"] = json!(99);
    let err = Engine::restore(&v.to_string()).expect_err("newer");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message().contains("99"), "{err}");
    assert_eq!(
        Engine::restore("{}").map(|_| ()).map_err(|e| e.code()),
        Err(ErrorCode::InvalidInput)
    );
    // A journal gap is refused.
    let changes = e.changes_since(0).expect("journal");
    let fresh = engine(&config());
    let err = fresh.apply(&changes[1]).expect_err("gap");
    assert_eq!(err.code(), ErrorCode::StaleSequence);
    for c in &changes {
        fresh.apply(c).expect("replay");
    }
    assert_eq!(fresh.snapshot(), snap);
}

#[test]
fn telehealth_books_only_telehealth_time() {
    let mut cfg = config();
    cfg["schedule_types"] = json!([
        {"id": "treat", "name": "Treatment"},
        {"id": "video", "name": "Video", "telehealth": true}
    ]);
    cfg["practitioners"][0]["schedule_types"] = json!(["treat", "video"]);
    cfg["practitioners"][0]["availability"][0]["blocks"] = json!([
        block("mon", "09:00", "12:00", "treat"),
        block("mon", "13:00", "15:00", "video")
    ]);
    cfg["services"][0]["schedule_types"] = json!(["treat", "video"]);
    let e = with_patients(&cfg);
    let mut r = book_at("p1", "dr-a", 13, 0);
    let msg = fails(&e, ErrorCode::SlotUnavailable, |e| e.book(&r, early()));
    assert!(msg.contains("rule 4"), "{msg}");
    r.telehealth = true;
    let b = e.book(&r, early()).expect("telehealth");
    assert!(b.details.telehealth);
    r.start = Some(mon_at(9, 0));
    fails(&e, ErrorCode::SlotUnavailable, |e| e.book(&r, early()));
}

#[test]
fn extreme_instants_are_refused_without_panicking() {
    let e = with_patients(&config());
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        let r = BookRequest::new("p2", "physio-30", t).practitioner("dr-a");
        assert!(e.book(&r, early()).is_err());
        assert!(e.book(&book_at("p2", "dr-a", 10, 0), t).is_err());
        assert!(e
            .hold(&HoldRequest::new("physio-30", mon_at(10, 0)), t)
            .is_err());
        assert!(e.hold(&HoldRequest::new("physio-30", t), early()).is_err());
        assert!(e
            .reschedule(&RescheduleRequest::new(&b.appointment.id, t), early())
            .is_err());
        let _ = e.cancel(&CancelRequest::by_patient(&b.appointment.id), t);
        let _ = e.register_program(
            &RegistrationRequest::new("pilates", "p2", t.date_naive()),
            t,
        );
    }
}

#[test]
fn staff_may_exceed_capacity_and_the_engine_records_it() {
    let e = with_patients(&config());
    let staff = |id: &str, h: u32| {
        appt(
            id,
            "dr-a",
            mon_at(h, 0),
            mon_at(h, 30),
            AppointmentStatus::Booked,
        )
    };
    let mut first = staff("s1", 9);
    first.service = Some("physio-30".into());
    e.add_appointment(first.clone()).expect("first");
    assert_eq!(
        e.booking_details("s1"),
        None,
        "within capacity: nothing to record"
    );
    e.add_appointments(vec![staff("s2", 9), staff("s3", 10)])
        .expect("batch");
    assert!(e.booking_details("s2").expect("override").capacity_override);
    assert_eq!(e.booking_details("s3"), None);
    // Moving it to a free time clears the flag; a portal booking cannot take the time.
    e.update_appointment(staff("s2", 11)).expect("move");
    assert!(!e.booking_details("s2").expect("details").capacity_override);
    fails(&e, ErrorCode::CapacityFull, |e| {
        e.book(&book_at("p1", "dr-a", 11, 0), early())
    });
    // In an allow-conflicts schedule type the service's portal capacity is the limit.
    let mut cfg = config();
    cfg["schedule_types"][0]["allow_conflicts"] = json!(true);
    cfg["services"][0]["portal_capacity"] = json!(2);
    let e = with_patients(&cfg);
    for id in ["g1", "g2", "g3"] {
        let mut a = staff(id, 9);
        a.service = Some("physio-30".into());
        e.add_appointment(a).expect("group");
    }
    assert_eq!(e.booking_details("g2"), None);
    assert!(e.booking_details("g3").expect("override").capacity_override);
}

#[test]
fn released_holds_free_their_start_and_foreign_changes_are_checked() {
    let e = with_patients(&config());
    let q = on(monday()).practitioner("dr-a");
    let h = e
        .hold(
            &HoldRequest::new("physio-30", mon_at(9, 0)).practitioner("dr-a"),
            early(),
        )
        .expect("hold");
    assert_eq!(rule_of(&e, &q, mon_at(9, 0), early()), Some(10));
    // A portal account cannot release a hold held for no patient.
    fails(&e, ErrorCode::NotAuthorized, |e| {
        e.release_hold(&clinic_portal::ReleaseHoldRequest::new(&h.id).actor("some-account"))
    });
    e.release_hold(&clinic_portal::ReleaseHoldRequest::new(&h.id))
        .expect("release");
    assert_eq!(rule_of(&e, &q, mon_at(9, 0), early()), None);
    fails(&e, ErrorCode::NotFound, |e| {
        e.release_hold(&clinic_portal::ReleaseHoldRequest::new(&h.id))
    });
    // A change naming a practitioner this configuration does not have is refused whole.
    let mut change = e.changes_since(e.last_seq() - 1).expect("last")[0].clone();
    change.seq = e.last_seq() + 1;
    change.deltas = vec![clinic_portal::Delta::PutAppointment {
        appointment: appt(
            "x",
            "dr-z",
            mon_at(9, 0),
            mon_at(9, 30),
            AppointmentStatus::Booked,
        ),
    }];
    fails(&e, ErrorCode::NotFound, |e| e.apply(&change));
}

#[test]
fn compacting_the_journal_keeps_the_outbox() {
    let e = with_patients(&config());
    e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let drained = e.drain_outbox();
    assert_eq!(drained.len(), 1);
    e.book(&book_at("p2", "dr-a", 9, 30), early())
        .expect("book");
    e.book(&book_at("p3", "dr-b", 9, 0), early()).expect("book");
    let (outbox, snap) = (e.outbox(), e.snapshot());
    assert_eq!(outbox.len(), 2);
    // Compacting part of the journal, then all of it, changes neither the outbox nor the
    // snapshot; a drain after it still returns each notification once.
    let seq = e.last_seq();
    assert!(e.compact_journal(seq - 1) > 0);
    assert_eq!(e.outbox(), outbox);
    assert_eq!(e.snapshot(), snap);
    assert_eq!(e.compact_journal(seq), 1);
    assert_eq!(e.outbox(), outbox);
    assert_eq!(e.snapshot(), snap);
    e.book(&book_at("p1", "dr-b", 10, 0), early())
        .expect("book");
    let out = e.drain_outbox();
    assert_eq!(out[..2], outbox[..]);
    assert_eq!(out.len(), 3);
    assert!(e.outbox().is_empty());
    // A restored engine has the same outbox.
    let r = Engine::restore(&snap).expect("restore");
    assert_eq!(r.outbox(), outbox);
    assert_eq!(r.snapshot(), snap);
}

#[test]
fn a_snapshot_repeating_an_appointment_id_is_refused() {
    // The live API never writes an id twice: a snapshot that does is not one of its own.
    let e = with_patients(&config());
    let b = e.book(&book_at("p1", "dr-a", 9, 0), early()).expect("book");
    let mut v: Value = serde_json::from_str(&e.snapshot()).expect("json");
    let mut later = v["appointments"][0].clone();
    later["start"] = json!(mon_at(10, 0).to_rfc3339());
    later["end"] = json!(mon_at(10, 30).to_rfc3339());
    v["appointments"].as_array_mut().expect("list").push(later);
    let err = Engine::restore(&v.to_string())
        .map(|_| ())
        .expect_err("repeated id");
    assert_eq!(err.code(), ErrorCode::DuplicateId, "{err}");
    assert!(err.message().contains(&b.appointment.id), "{err}");
}
