//! Hardening: persistence input is untrusted, counters are bounded, and no input panics.
//!
//! The first half holds regression tests, one per broken promise: host appointments
//! outside 1900–9999, counters that cannot advance, snapshots and changes the live API
//! could not have produced, `remove_patient` leaving holds and consents behind. The second
//! half is a property test that drives every public operation of [`Engine`] with arbitrary
//! values — dates over chrono's whole range, counters at 0 and at their maximum, arbitrary
//! strings — and checks after every step that a failure is a typed error that changed
//! nothing and a success leaves a snapshot that restores to itself; at the end the journal
//! replays onto the starting snapshot. 24 cases by default (`PROPTEST_CASES` overrides).
//!
//! The practice every test starts from is the fuzz harness's (fuzz/harness.rs).

include!("../../fuzz/harness.rs");

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use clinic_portal::journal::MAX_COUNTER;
use clinic_portal::{
    AcceptInvitation, Appointment, AppointmentFilter, AppointmentStatus, BookRequest,
    CancelRequest, Canceller, Change, DecisionRequest, Engine, Error, ErrorCode, HoldRequest,
    InviteRequest, NewAccount, Password, Patient, RegistrationRequest, Relationship,
    RescheduleRequest, SecretToken, SignupRequest, SlotQuery, Source,
};
use harness::{checked, monday_at, now0, round_trips, unchanged, world, world_engine};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

/// Runs an operation that must fail with `code` and change nothing.
fn refused<T: std::fmt::Debug>(
    e: &Engine,
    code: ErrorCode,
    what: &str,
    op: impl FnOnce(&Engine) -> clinic_portal::Result<T>,
) -> Error {
    let (before, seq) = (e.snapshot(), e.last_seq());
    let err = match op(e) {
        Ok(v) => panic!("{what}: expected {code}, got {v:?}"),
        Err(err) => err,
    };
    assert_eq!(err.code(), code, "{what}: {err}");
    assert!(
        e.snapshot() == before,
        "{what}: a refused operation changed the engine"
    );
    assert_eq!(e.last_seq(), seq, "{what}");
    err
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid instant")
}

fn host(id: &str, patient: Option<&str>, start: DateTime<Utc>, end: DateTime<Utc>) -> Appointment {
    Appointment {
        id: id.to_owned(),
        practitioner: "dr-a".to_owned(),
        clinic: Some("main".to_owned()),
        service: Some("physio-30".to_owned()),
        patient: patient.map(str::to_owned),
        start,
        end,
        status: AppointmentStatus::Booked,
        source: Source::Staff,
    }
}

fn world_value() -> Value {
    serde_json::from_str(world()).expect("world JSON")
}

/// The world's snapshot after `edit` must not restore: `code`, naming `needle`.
fn restore_refused(what: &str, code: ErrorCode, needle: &str, edit: impl FnOnce(&mut Value)) {
    let mut v = world_value();
    edit(&mut v);
    match Engine::restore(&v.to_string()) {
        Ok(_) => panic!("{what}: a snapshot the live API cannot produce was restored"),
        Err(err) => {
            assert_eq!(err.code(), code, "{what}: {err}");
            assert!(err.message().contains(needle), "{what}: {err}");
        }
    }
}

/// The next change of `e` with these deltas (JSON, as a host stores them).
fn change(e: &Engine, deltas: Value) -> Change {
    serde_json::from_value(json!({"seq": e.last_seq() + 1, "deltas": deltas})).expect("change")
}

/// The world's first entry of a snapshot list, as JSON.
fn first_of(list: &str) -> Value {
    world_value()[list][0].clone()
}

fn slots_at(e: &Engine, start: DateTime<Utc>) -> Option<u32> {
    let day = harness::date(2027, 2, 1);
    let q = SlotQuery::new("physio-30", day, day).practitioner("dr-a");
    e.search(&q, now0())
        .expect("search")
        .iter()
        .find(|s| s.start_unix() == start.timestamp())
        .map(|s| s.remaining_capacity())
}

// ---------------------------------------------------------------------------------------
// 1. Host appointments lie in the range every operation accepts.
// ---------------------------------------------------------------------------------------

#[test]
fn host_appointments_must_start_between_1900_and_9999() {
    let e = world_engine();
    let half = Duration::minutes(30);
    let max = DateTime::<Utc>::MAX_UTC;
    let min = DateTime::<Utc>::MIN_UTC;
    for (start, end) in [
        (min, min + half),
        (max - half, max),
        (utc(1899, 12, 31, 23, 30), utc(1900, 1, 1, 0, 0)),
        (
            utc(9999, 12, 31, 0, 0) + Duration::seconds(1),
            utc(9999, 12, 31, 1, 0),
        ),
    ] {
        let what = format!("appointment at {start}");
        let a = host("far", Some("p4"), start, end);
        refused(&e, ErrorCode::InvalidInput, &what, |e| {
            e.add_appointment(a.clone())
        });
        refused(&e, ErrorCode::InvalidInput, &what, |e| {
            e.add_appointments(vec![a.clone()])
        });
        let moved = Appointment {
            id: "host-1".to_owned(),
            ..a.clone()
        };
        refused(&e, ErrorCode::InvalidInput, &what, |e| {
            e.update_appointment(moved)
        });
        let c = change(&e, json!([{"op": "put_appointment", "appointment": a}]));
        refused(&e, ErrorCode::InvalidInput, &what, |e| e.apply(&c));
        restore_refused(&what, ErrorCode::InvalidInput, "outside the years", |v| {
            v["appointments"]
                .as_array_mut()
                .expect("list")
                .push(json!(a));
        });
    }
    // The bounds themselves are accepted, for a patient with a daily booking limit; the
    // report and the patient's next booking (which looks at their days) still answer.
    let first = host(
        "first",
        Some("p4"),
        utc(1900, 1, 1, 0, 0),
        utc(1900, 1, 1, 0, 30),
    );
    let last = host(
        "last",
        Some("p4"),
        utc(9999, 12, 31, 0, 0),
        utc(9999, 12, 31, 0, 30),
    );
    e.add_appointments(vec![first, last])
        .expect("the range's ends");
    let all = AppointmentFilter {
        source: Some(Source::Staff),
        ..AppointmentFilter::new(NaiveDate::MIN, NaiveDate::MAX)
    };
    let ids: Vec<String> = e
        .report_portal_appointments(&all)
        .expect("report")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["first", "host-1", "last"]);
    let r = BookRequest::new("p4", "physio-30", monday_at(10, 30))
        .practitioner("dr-a")
        .consent();
    e.book(&r, now0()).expect("book with max_bookings_per_day");
    round_trips(&e, "appointments at the range's ends");
}

// ---------------------------------------------------------------------------------------
// 2. Counters.
// ---------------------------------------------------------------------------------------

#[test]
fn changes_since_any_seq_answers_without_overflow() {
    let e = world_engine();
    for seq in [u64::MAX, u64::MAX - 1, MAX_COUNTER] {
        assert_eq!(e.changes_since(seq).expect("nothing after it"), []);
    }
    assert_eq!(
        e.changes_since(0).map_err(|e| e.code()),
        Err(ErrorCode::InvalidInput)
    );
}

#[test]
fn a_snapshot_whose_counters_cannot_advance_is_refused() {
    for field in ["seq", "next_id", "next_notification"] {
        for value in [u64::MAX, MAX_COUNTER + 1] {
            restore_refused(field, ErrorCode::InvalidInput, field, |v| {
                v[field] = json!(value);
            });
        }
    }
    restore_refused("outbox id", ErrorCode::InvalidInput, "notification", |v| {
        v["outbox"][0]["id"] = json!(u64::MAX);
        v["next_notification"] = json!(MAX_COUNTER);
    });
    restore_refused(
        "outbox id 0",
        ErrorCode::InvalidInput,
        "notification 0",
        |v| {
            v["outbox"][0]["id"] = json!(0);
        },
    );
    restore_refused(
        "repeated outbox id",
        ErrorCode::InvalidInput,
        "notification",
        |v| {
            let n = v["outbox"][0].clone();
            v["outbox"].as_array_mut().expect("outbox").push(n);
        },
    );
    restore_refused(
        "next_notification below the outbox",
        ErrorCode::InvalidInput,
        "next_notification",
        |v| v["next_notification"] = json!(3),
    );
}

/// An engine restored from the world with one counter at its maximum.
fn at_max(field: &str) -> Engine {
    let mut v = world_value();
    v[field] = json!(MAX_COUNTER);
    Engine::restore(&v.to_string()).expect("a counter at its maximum restores")
}

#[test]
fn at_the_largest_seq_every_change_is_refused_and_changes_nothing() {
    let e = at_max("seq");
    let p: Patient = serde_json::from_value(json!({"id": "p9"})).expect("patient");
    refused(&e, ErrorCode::LimitReached, "upsert", |e| {
        e.upsert_patient(p)
    });
    // The staff path applies as it goes: it must refuse before the appointment occupies.
    let free = slots_at(&e, monday_at(10, 30));
    let a = host("late", None, monday_at(10, 30), monday_at(11, 0));
    refused(&e, ErrorCode::LimitReached, "add", |e| {
        e.add_appointment(a.clone())
    });
    refused(&e, ErrorCode::LimitReached, "add many", |e| {
        e.add_appointments(vec![a.clone()])
    });
    refused(&e, ErrorCode::LimitReached, "update", |e| {
        e.update_appointment(Appointment {
            id: "host-1".to_owned(),
            ..a.clone()
        })
    });
    assert_eq!(slots_at(&e, monday_at(10, 30)), free);
    let r = BookRequest::new("p4", "physio-30", monday_at(10, 30)).consent();
    refused(&e, ErrorCode::LimitReached, "book", |e| e.book(&r, now0()));
    // Nothing can follow it.
    let c: Change = serde_json::from_value(json!({"seq": u64::MAX, "deltas": []})).expect("change");
    refused(&e, ErrorCode::StaleSequence, "apply", |e| e.apply(&c));
    // Reads still answer, and drains hand out nothing rather than lose notifications.
    assert_eq!(e.outbox().len(), 1);
    assert!(e.drain_outbox().is_empty());
    assert_eq!(e.outbox().len(), 1);
    assert_eq!(e.purge_expired_holds(now0() + Duration::days(1)), 0);
}

#[test]
fn generated_ids_and_notification_ids_stop_at_the_largest_counter() {
    let e = at_max("next_id");
    let r = HoldRequest::new("physio-30", monday_at(10, 30)).practitioner("dr-a");
    refused(&e, ErrorCode::InvalidInput, "generated hold id", |e| {
        e.hold(&r, now0())
    });
    let mut named = r.clone();
    named.id = Some("mine".to_owned());
    e.hold(&named, now0())
        .expect("a caller's id needs no counter");

    let e = at_max("next_notification");
    refused(&e, ErrorCode::InvalidInput, "notification id", |e| {
        e.intake_form_completed("p1", "intake", now0())
    });
}

#[test]
fn a_change_whose_counters_cannot_advance_is_refused() {
    let e = world_engine();
    let c: Change = serde_json::from_value(json!({"seq": u64::MAX, "deltas": []})).expect("change");
    refused(&e, ErrorCode::StaleSequence, "seq", |e| e.apply(&c));
    for deltas in [
        json!([{"op": "next_id", "next_id": u64::MAX}]),
        json!([{"op": "next_id", "next_id": MAX_COUNTER + 1}]),
        json!([{"op": "notify", "notification":
            {"id": u64::MAX, "kind": "signup", "recipients": [], "data": {"patient": {"id": "p"}, "account": "a", "referral_type": null}}}]),
        json!([{"op": "notify", "notification":
            {"id": MAX_COUNTER, "kind": "signup", "recipients": [], "data": {"patient": {"id": "p"}, "account": "a", "referral_type": null}}}]),
    ] {
        let c = change(&e, deltas.clone());
        refused(&e, ErrorCode::InvalidInput, &deltas.to_string(), |e| {
            e.apply(&c)
        });
    }
}

#[test]
fn a_notification_must_be_above_the_ids_issued() {
    let e = world_engine();
    let queued = e.outbox()[0].clone();
    assert_eq!(queued.id, 11);
    let notify = |id: u64| {
        json!({"op": "notify", "notification":
        {"id": id, "kind": "signup", "recipients": ["x@x.test"], "data": {"patient": {"id": "p"}, "account": "a", "referral_type": null}}})
    };
    // Already queued: it would overwrite the host's undelivered notification.
    let c = change(&e, json!([notify(11)]));
    refused(&e, ErrorCode::InvalidInput, "queued id", |e| e.apply(&c));
    assert_eq!(e.outbox(), std::slice::from_ref(&queued));
    // Issued and drained, or never valid: the host would deliver an id twice.
    for id in [1, 0] {
        let c = change(&e, json!([notify(id)]));
        refused(&e, ErrorCode::InvalidInput, "issued id", |e| e.apply(&c));
    }
    // Twice in one change.
    let c = change(&e, json!([notify(12), notify(12)]));
    refused(&e, ErrorCode::InvalidInput, "repeated id", |e| e.apply(&c));
    // The next id is fine, and the engine numbers after it.
    e.apply(&change(&e, json!([notify(12)]))).expect("next id");
    let id = e
        .intake_form_completed("p1", "intake", now0())
        .expect("intake")
        .expect("notified");
    assert_eq!(id, 13);
    round_trips(&e, "notifications");
}

// ---------------------------------------------------------------------------------------
// 3. Restore and apply refuse what the live API could not have produced.
// ---------------------------------------------------------------------------------------

#[test]
fn the_world_and_its_journal_restore_and_replay_exactly() {
    // The positive control for everything below: what the live API makes, restores.
    let e = world_engine();
    let r = Engine::restore(world()).expect("world");
    assert_eq!(r.snapshot(), world());
    let seq = e.last_seq();
    e.book(
        &BookRequest::new("p4", "physio-30", monday_at(10, 30)).consent(),
        now0(),
    )
    .expect("book");
    e.remove_patient("p6")
        .map(|_| ())
        .expect_err("p6 has an active self link");
    e.revoke_link("acct-3", "p6", now0()).expect("revoke");
    e.remove_patient("p6").expect("remove");
    for c in e.changes_since(seq).expect("changes") {
        r.apply(&c).expect("replay");
    }
    assert_eq!(r.snapshot(), e.snapshot());
    round_trips(&e, "the world's journal");
}

/// A change to a snapshot document.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn restore_refuses_references_to_missing_entities() {
    let nf = ErrorCode::NotFound;
    let edits: Vec<(&str, &str, Edit)> = vec![
        (
            "appointment patient",
            "ghost",
            Box::new(|v| v["appointments"][0]["patient"] = json!("ghost")),
        ),
        // An appointment naming a practitioner, service or clinic the configuration does
        // not have is what a reconfiguration leaves behind (kept, occupying nothing), so a
        // snapshot may hold one: core/tests/reconfigure.rs restores such a snapshot.
        (
            "hold patient",
            "ghost",
            Box::new(|v| v["holds"][0]["patient"] = json!("ghost")),
        ),
        (
            "hold service",
            "ghost",
            Box::new(|v| v["holds"][0]["service"] = json!("ghost")),
        ),
        (
            "hold clinic",
            "ghost",
            Box::new(|v| v["holds"][0]["clinic"] = json!("ghost")),
        ),
        (
            "booking",
            "ghost",
            Box::new(|v| {
                let mut b = v["bookings"][0].clone();
                b["appointment"] = json!("ghost");
                v["bookings"].as_array_mut().expect("list").push(b);
            }),
        ),
        (
            "consent",
            "ghost",
            Box::new(|v| {
                let c = v["consents"]["p1"].clone();
                v["consents"]["ghost"] = c;
            }),
        ),
        (
            "registration patient",
            "ghost",
            Box::new(|v| v["registrations"][0]["patient"] = json!("ghost")),
        ),
        // A registration naming a program the configuration no longer has is what a
        // reconfiguration leaves behind, so a snapshot may hold one.
        (
            "link account",
            "ghost",
            Box::new(|v| v["account_links"][0]["account"] = json!("ghost")),
        ),
        (
            "link patient",
            "ghost",
            Box::new(|v| v["account_links"][0]["patient"] = json!("ghost")),
        ),
        (
            "invitation patient",
            "ghost",
            Box::new(|v| v["invitations"][0]["patient"] = json!("ghost")),
        ),
        (
            "invitation acceptor",
            "ghost",
            Box::new(|v| {
                v["invitations"][0]["accepted_at"] = json!(now0());
                v["invitations"][0]["accepted_by"] = json!("ghost");
            }),
        ),
        (
            "reset",
            "ghost",
            Box::new(|v| v["password_resets"][0]["account"] = json!("ghost")),
        ),
        (
            "signup",
            "ghost",
            Box::new(|v| v["signups"][0]["account"] = json!("ghost")),
        ),
        // A patient's allowed practitioner that the configuration no longer has is what
        // a reconfiguration leaves behind (the host edits the patient), so a snapshot may
        // hold one.
    ];
    for (what, needle, edit) in edits {
        restore_refused(what, nf, needle, edit);
    }
}

#[test]
fn restore_refuses_broken_entities_and_repeated_ids() {
    let bad = ErrorCode::InvalidInput;
    let dup = ErrorCode::DuplicateId;
    restore_refused("empty appointment id", bad, "non-empty id", |v| {
        v["appointments"][0]["id"] = json!(" ");
    });
    restore_refused("appointment ends first", bad, "ends before", |v| {
        v["appointments"][0]["end"] = v["appointments"][0]["start"].clone();
    });
    restore_refused("hold ends first", bad, "ends before", |v| {
        v["holds"][0]["end"] = json!("2027-02-01T10:00:00Z");
    });
    restore_refused("hold expires first", bad, "expires", |v| {
        v["holds"][0]["expires_at"] = json!("2027-01-01T00:00:00Z");
    });
    restore_refused("hold id of an appointment", dup, "bk-p1", |v| {
        v["holds"][0]["id"] = json!("bk-p1");
    });
    restore_refused("empty patient id", bad, "non-empty id", |v| {
        v["patients"][0]["id"] = json!("");
    });
    restore_refused("patient twice", dup, "p1", |v| {
        let p = v["patients"][0].clone();
        v["patients"].as_array_mut().expect("list").push(p);
    });
    restore_refused("account twice", dup, "acct-1", |v| {
        let a = v["accounts"][0].clone();
        v["accounts"].as_array_mut().expect("list").push(a);
    });
    restore_refused("invitation address", bad, "normalised", |v| {
        v["invitations"][0]["email"] = json!("Grandma@X.test");
    });
    restore_refused("invitation digest", bad, "digest", |v| {
        v["invitations"][0]["token_digest"] = json!("not hex");
    });
    restore_refused(
        "registration cancelled without a time",
        bad,
        "cancellation",
        |v| {
            v["registrations"][0]["status"] = json!("cancelled");
        },
    );
    restore_refused("revoked without a time", bad, "revocation", |v| {
        v["account_links"][0]["active"] = json!(false);
    });
}

#[test]
fn restore_refuses_a_taken_username_a_look_alike_and_a_second_self_link() {
    let account = |id: &str, username: &str| {
        let mut a = first_of("accounts");
        a["id"] = json!(id);
        a["username"] = json!(username);
        a
    };
    let in_use = ErrorCode::EmailInUse;
    restore_refused("taken username", in_use, "ann@x.test", |v| {
        let a = account("acct-9", "ann@x.test");
        v["accounts"].as_array_mut().expect("list").push(a);
    });
    // Cyrillic `су` looks like Latin `cy` (Unicode TR #39 confusables).
    restore_refused("look-alike", in_use, "already used", |v| {
        let a = account("acct-9", "\u{441}\u{443}@x.test");
        v["accounts"].as_array_mut().expect("list").push(a);
    });
    restore_refused(
        "not normalised",
        ErrorCode::InvalidInput,
        "normal form",
        |v| {
            let a = account("acct-9", "Kim@X.test");
            v["accounts"].as_array_mut().expect("list").push(a);
        },
    );
    let self_link = |account: &str, patient: &str| {
        json!({"account": account, "patient": patient, "relationship": "self", "active": true,
               "created_at": now0()})
    };
    restore_refused(
        "second self account",
        ErrorCode::InvalidInput,
        "self account",
        |v| {
            let a = account("acct-9", "kim@x.test");
            v["accounts"].as_array_mut().expect("list").push(a);
            let l = self_link("acct-9", "p1");
            v["account_links"].as_array_mut().expect("list").push(l);
        },
    );
    restore_refused(
        "self for two patients",
        ErrorCode::InvalidInput,
        "self account",
        |v| {
            let l = self_link("acct-1", "p4");
            v["account_links"].as_array_mut().expect("list").push(l);
        },
    );
}

#[test]
fn apply_refuses_what_the_live_api_could_not_have_made_and_changes_nothing() {
    let e = world_engine();
    let a = |edit: &dyn Fn(&mut Value)| {
        let mut a = json!(host("x", Some("p4"), monday_at(10, 30), monday_at(11, 0)));
        edit(&mut a);
        json!([{"op": "put_appointment", "appointment": a}])
    };
    let mut hold = first_of("holds");
    hold["id"] = json!("h9");
    let mut account = first_of("accounts");
    account["id"] = json!("acct-9");
    let link = |account: &str, patient: &str, rel: &str| {
        json!([{"op": "put_link", "link": {"account": account, "patient": patient,
            "relationship": rel, "active": true, "created_at": now0()}}])
    };
    let cases: Vec<(&str, ErrorCode, Value)> = vec![
        (
            "unknown patient",
            ErrorCode::NotFound,
            a(&|a| a["patient"] = json!("ghost")),
        ),
        (
            "unknown clinic",
            ErrorCode::NotFound,
            a(&|a| a["clinic"] = json!("ghost")),
        ),
        (
            "unknown service",
            ErrorCode::NotFound,
            a(&|a| a["service"] = json!("ghost")),
        ),
        (
            "empty id",
            ErrorCode::InvalidInput,
            a(&|a| a["id"] = json!("")),
        ),
        (
            "hold's id",
            ErrorCode::DuplicateId,
            a(&|a| a["id"] = json!("hold-p3")),
        ),
        (
            "too long",
            ErrorCode::InvalidInput,
            a(&|a| a["end"] = json!("2027-03-15T00:00:00Z")),
        ),
        ("hold ends first", ErrorCode::InvalidInput, {
            let mut h = hold.clone();
            h["end"] = json!("2027-01-01T00:00:00Z");
            json!([{"op": "put_hold", "hold": h}])
        }),
        ("hold patient", ErrorCode::NotFound, {
            let mut h = hold.clone();
            h["patient"] = json!("ghost");
            json!([{"op": "put_hold", "hold": h}])
        }),
        (
            "taken username",
            ErrorCode::EmailInUse,
            json!([{"op": "put_account", "account": account}]),
        ),
        (
            "link from nobody",
            ErrorCode::NotFound,
            link("ghost", "p1", "guardian"),
        ),
        (
            "link to nobody",
            ErrorCode::NotFound,
            link("acct-1", "ghost", "guardian"),
        ),
        (
            "second self",
            ErrorCode::InvalidInput,
            link("acct-2", "p1", "self"),
        ),
        (
            "booking of nothing",
            ErrorCode::NotFound,
            json!([{"op": "put_booking", "booking": {"appointment": "ghost"}}]),
        ),
        (
            "consent of nobody",
            ErrorCode::NotFound,
            json!([{"op": "put_consent", "patient": "ghost", "consent": {"accepted_at": now0()}}]),
        ),
        (
            "patient with appointments",
            ErrorCode::InvalidInput,
            json!([{"op": "remove_patient", "id": "p1"}]),
        ),
        (
            "patient with a hold",
            ErrorCode::InvalidInput,
            json!([{"op": "remove_appointment", "id": "bk-p3"}, {"op": "remove_patient", "id": "p3"}]),
        ),
        (
            "unknown patient removed",
            ErrorCode::NotFound,
            json!([{"op": "remove_patient", "id": "ghost"}]),
        ),
        (
            "unknown appointment removed",
            ErrorCode::NotFound,
            json!([{"op": "remove_appointment", "id": "ghost"}]),
        ),
        (
            "unknown hold removed",
            ErrorCode::NotFound,
            json!([{"op": "remove_hold", "id": "ghost"}]),
        ),
        (
            "unknown link removed",
            ErrorCode::NotFound,
            json!([{"op": "remove_link", "account": "acct-1", "patient": "p4"}]),
        ),
        (
            "drained beyond the issued",
            ErrorCode::InvalidInput,
            json!([{"op": "drained", "through": 999}]),
        ),
        ("next_id backwards", ErrorCode::InvalidInput, {
            json!([{"op": "next_id", "next_id": 5}, {"op": "next_id", "next_id": 4}])
        }),
        (
            "empty idempotency key",
            ErrorCode::InvalidInput,
            json!([{"op": "put_idempotency",
            "key": "", "entry": world_value()["idempotency"]["k1"].clone()}]),
        ),
        ("registration of nobody", ErrorCode::NotFound, {
            let mut r = first_of("registrations");
            r["patient"] = json!("ghost");
            json!([{"op": "put_registration", "registration": r}])
        }),
        ("invitation for nobody", ErrorCode::NotFound, {
            let mut i = first_of("invitations");
            i["patient"] = json!("ghost");
            json!([{"op": "put_invitation", "invitation": i}])
        }),
        ("signup of nobody", ErrorCode::NotFound, {
            let mut s = first_of("signups");
            s["account"] = json!("ghost");
            json!([{"op": "put_signup", "signup": s}])
        }),
    ];
    for (what, code, deltas) in cases {
        let c = change(&e, deltas);
        refused(&e, code, what, |e| e.apply(&c));
    }
    assert_eq!(e.snapshot(), world());
}

#[test]
fn a_change_applies_whole_or_not_at_all() {
    let e = world_engine();
    let twin = world_engine();
    let free = slots_at(&e, monday_at(10, 15));
    // Each delta sees the ones before it: the new patient's appointment is fine…
    let good = json!([
        {"op": "put_patient", "patient": {"id": "p9"}},
        {"op": "put_appointment", "appointment": host("x", Some("p9"), monday_at(10, 15), monday_at(10, 45))},
        {"op": "notify", "notification": {"id": 12, "kind": "signup", "recipients": [], "data": {"patient": {"id": "p"}, "account": "a", "referral_type": null}}},
        {"op": "next_id", "next_id": 40},
        {"op": "drained", "through": 11},
        {"op": "remove_hold", "id": "hold-p3"},
        {"op": "put_account", "account": {
            "id": "acct-9", "username": "kim@x.test",
            "password_hash": first_of("accounts")["password_hash"].clone(),
            "created_at": now0()}},
        {"op": "remove_link", "account": "acct-2", "patient": "p4"},
    ]);
    // …but with one bad delta at the end, none of them is kept: the index, the outbox,
    // the counters and the usernames are as before.
    let mut bad = good.clone();
    bad.as_array_mut()
        .expect("list")
        .push(json!({"op": "put_link", "link": {
        "account": "nobody", "patient": "p9", "relationship": "self", "active": true,
        "created_at": now0()}}));
    let c = change(&e, bad);
    refused(&e, ErrorCode::NotFound, "bad last delta", |e| e.apply(&c));
    assert_eq!(slots_at(&e, monday_at(10, 15)), free);
    assert_eq!(e.outbox().len(), 1);
    assert!(e.get_hold("hold-p3").is_ok());
    assert!(e.account("acct-9").is_err());
    // The engine behaves exactly like one that never saw the change: the same booking
    // gets the same id, the username is free again, the id counter was not advanced.
    let mut made = Vec::new();
    for x in [&e, &twin] {
        let b = x
            .book(
                &BookRequest::new("p4", "physio-30", monday_at(10, 15)).consent(),
                now0(),
            )
            .expect("book");
        let a = x
            .create_account(&NewAccount::new("kim@x.test", "a long passphrase"), now0())
            .expect("the username is free again");
        made.push((b.appointment.id, a.id));
    }
    assert_eq!(made[0], made[1]);
    assert_eq!(
        slots_at(&e, monday_at(10, 15)),
        slots_at(&twin, monday_at(10, 15))
    );
    assert_eq!(e.outbox(), twin.outbox());
    // And the good change applies whole.
    let e = world_engine();
    e.apply(&change(&e, good)).expect("good change");
    assert_eq!(slots_at(&e, monday_at(10, 15)), free.map(|n| n - 1));
    let ids: Vec<u64> = e.outbox().iter().map(|n| n.id).collect();
    assert_eq!(ids, [12], "11 drained, 12 queued");
    assert!(e.get_hold("hold-p3").is_err());
    assert_eq!(
        e.account_by_username("kim@x.test").expect("kim").id,
        "acct-9"
    );
    round_trips(&e, "a good change");
}

#[test]
fn a_removed_patient_leaves_nothing_for_a_new_patient_with_the_same_id() {
    let e = world_engine();
    let now = now0();
    let p8: Patient =
        serde_json::from_value(json!({"id": "p8", "email": "p8@x.test"})).expect("patient");
    e.upsert_patient(p8.clone()).expect("p8");
    // A consent (given with a booking the host then removed), a live hold, a revoked link.
    let b = e
        .book(
            &BookRequest::new("p8", "physio-30", monday_at(10, 15)).consent(),
            now,
        )
        .expect("book");
    e.remove_appointment(&b.appointment.id).expect("remove");
    let free = slots_at(&e, monday_at(10, 15));
    let h = e
        .hold(
            &HoldRequest::new("physio-30", monday_at(10, 15))
                .practitioner("dr-a")
                .patient("p8"),
            now,
        )
        .expect("hold");
    assert_eq!(slots_at(&e, monday_at(10, 15)), free.map(|n| n - 1));
    e.link_account("acct-1", "p8", Relationship::Guardian, now)
        .expect("link");
    e.revoke_link("acct-1", "p8", now).expect("revoke");
    e.remove_patient("p8").expect("remove");
    assert_eq!(
        e.get_hold(&h.id).map_err(|e| e.code()),
        Err(ErrorCode::NotFound)
    );
    assert_eq!(slots_at(&e, monday_at(10, 15)), free);
    assert!(e.links_of_patient("p8").is_empty());
    // A new patient with the same id inherits neither the hold nor the consent.
    e.upsert_patient(p8).expect("a new p8");
    let again = BookRequest::new("p8", "physio-30", monday_at(10, 15)).practitioner("dr-a");
    refused(&e, ErrorCode::ConsentRequired, "inherited consent", |e| {
        e.book(&again, now)
    });
    refused(&e, ErrorCode::NotFound, "inherited hold", |e| {
        e.book(&BookRequest::from_hold("p8", &h.id).consent(), now)
    });
    round_trips(&e, "removing a patient");
}

#[test]
fn a_patient_with_program_registrations_is_not_removed() {
    let e = world_engine();
    let now = now0();
    e.upsert_patient(serde_json::from_value(json!({"id": "p8"})).expect("patient"))
        .expect("p8");
    let reg = e
        .register_program(
            &RegistrationRequest::new("pilates", "p8", harness::date(2027, 2, 8)),
            now,
        )
        .expect("register");
    refused(&e, ErrorCode::InvalidInput, "registered", |e| {
        e.remove_patient("p8")
    });
    e.cancel_program_registration(&reg.id, None, now)
        .expect("cancel");
    refused(&e, ErrorCode::InvalidInput, "cancelled registration", |e| {
        e.remove_patient("p8")
    });
}

// ---------------------------------------------------------------------------------------
// 4. No input panics: every public operation with arbitrary values.
// ---------------------------------------------------------------------------------------

type Dt = DateTime<Utc>;

const SERVICES: &[&str] = &["physio-30", "massage-60"];
const PRACTITIONERS: &[&str] = &["dr-a", "dr-b"];
const CLINICS: &[&str] = &["main", "isle"];
const PATIENTS: &[&str] = &[
    "p1", "p2", "p3", "p4", "p6", "p1", "p3", "p4", "p5", "p8", "pat-1",
];
const APPOINTMENTS: &[&str] = &["bk-p1", "bk-p2", "bk-p3", "host-1", "bk-1", "bk-2", "bk-3"];
const HOLDS: &[&str] = &["hold-p3", "hold-anon", "hold-1", "hold-2"];
const ACCOUNTS: &[&str] = &["acct-1", "acct-2", "acct-3", "acct-1", "acct-4"];
const INVITATIONS: &[&str] = &["inv-1", "inv-2", "inv-1", "inv-3"];
const REGISTRATIONS: &[&str] = &["reg-1", "reg-2", "reg-3"];
const PROGRAMS: &[&str] = &["pilates"];
const REFERRALS: &[&str] = &["web", "friend"];
const KEYS: &[&str] = &["k1", "k2", "k3"];

const NAMES: &[&str] = &[
    "ann@x.test",
    "ANN@X.test",
    "cy@x.test",
    "eve@x.test",
    "di@x.test",
    "new@x.test",
    "grandma@x.test",
    "front-desk",
    "acct-1",
    "\u{10b}y@x.test",
    "\u{212a}im@x.test",
    "a\u{200b}nn@x.test",
    "\u{430}nn@x.test",
    "ann@x.test.",
    "ann@x\u{ad}.test",
    "\u{202e}tset.x@nna",
];

/// Any text: ids of every kind, usernames, unicode, long strings.
fn text() -> BoxedStrategy<String> {
    let all: Vec<&'static str> = [
        SERVICES,
        PRACTITIONERS,
        CLINICS,
        PATIENTS,
        APPOINTMENTS,
        HOLDS,
        ACCOUNTS,
        INVITATIONS,
        REGISTRATIONS,
        PROGRAMS,
        REFERRALS,
        KEYS,
    ]
    .concat();
    prop_oneof![
        4 => proptest::sample::select(all).prop_map(str::to_owned),
        2 => proptest::sample::select(NAMES).prop_map(str::to_owned),
        2 => "\\PC{0,12}",
        1 => ".{0,12}",
        1 => proptest::sample::select(&["", " ", "\u{200b}", "javascript:alert(1)", "<b>\"&'"][..])
            .prop_map(str::to_owned),
        1 => (1usize..400).prop_map(|n| "x".repeat(n)),
    ]
    .boxed()
}

/// Mostly one of `known`, sometimes any text.
fn one_of(known: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        6 => proptest::sample::select(known).prop_map(str::to_owned),
        1 => text(),
    ]
    .boxed()
}

fn maybe(s: BoxedStrategy<String>) -> BoxedStrategy<Option<String>> {
    proptest::option::weighted(0.4, s).boxed()
}

/// The id a caller gives a new entity: mostly none (generated), sometimes a new one or a
/// taken one.
fn new_id(taken: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
    proptest::option::weighted(0.2, prop_oneof![1 => "new-[0-9]", 1 => one_of(taken)]).boxed()
}

/// The portal account acting, sometimes.
fn actor() -> BoxedStrategy<Option<String>> {
    proptest::option::weighted(0.25, one_of(ACCOUNTS)).boxed()
}

fn opt_text() -> BoxedStrategy<Option<String>> {
    maybe(text())
}

fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(&["short", "", "\u{200b}"][..]).prop_map(str::to_owned),
        2 => proptest::sample::select(
            &["correct horse 1", "correct horse 2", "a long passphrase"][..]
        ).prop_map(str::to_owned),
        1 => "\\PC{0,20}",
        1 => (1020usize..1030).prop_map(|n| "p".repeat(n)),
    ]
}

fn instant() -> impl Strategy<Value = Dt> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    let near = monday_at(9, 0).timestamp();
    prop_oneof![
        6 => (-8i64 * 86_400..40 * 86_400).prop_map(move |s| {
            // On the quarter hour mostly: the grid of the practice.
            ts(near + s - s.rem_euclid(900))
        }),
        2 => (-8i64 * 86_400..40 * 86_400).prop_map(move |s| ts(near + s)),
        1 => (0u32..1_000_000_000).prop_map(move |n| {
            DateTime::from_timestamp(near, n).unwrap_or_else(now0)
        }),
        1 => proptest::sample::select(vec![
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            utc(1900, 1, 1, 0, 0),
            utc(1899, 12, 31, 23, 59),
            utc(9999, 12, 31, 0, 0),
            utc(9999, 12, 31, 23, 59),
            utc(9998, 12, 28, 23, 0),
            DateTime::UNIX_EPOCH,
        ]),
        1 => (min..=max).prop_map(ts),
        1 => (0i64..400 * 86_400).prop_map(move |s| ts(max - s)),
        1 => (0i64..400 * 86_400).prop_map(move |s| ts(min + s)),
        1 => (-400i64 * 86_400..400 * 86_400)
            .prop_map(|s| ts(utc(9999, 12, 31, 0, 0).timestamp() + s)),
    ]
}

/// A start the practice offers, mostly: weekdays of February 2027, 09:00–11:45 Toronto,
/// on the quarter hour.
fn start() -> impl Strategy<Value = Dt> {
    prop_oneof![
        4 => (0i64..14, 0i64..12).prop_map(|(d, q)| {
            monday_at(9, 0) + Duration::days(d) + Duration::minutes(15 * q)
        }),
        1 => instant(),
    ]
}

/// A program session date, mostly: the Mondays of 2027 from February on.
fn session_day() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        4 => (0i64..20).prop_map(|w| harness::date(2027, 2, 1) + Duration::weeks(w)),
        1 => day(),
    ]
}

fn ts(s: i64) -> Dt {
    DateTime::from_timestamp(s, 0).unwrap_or_else(now0)
}

fn now() -> impl Strategy<Value = Dt> {
    prop_oneof![
        8 => (-3i64 * 86_400..9 * 86_400).prop_map(|s| ts(now0().timestamp() + s)),
        1 => instant(),
    ]
}

fn day() -> impl Strategy<Value = NaiveDate> {
    let lo = NaiveDate::MIN.num_days_from_ce();
    let hi = NaiveDate::MAX.num_days_from_ce();
    prop_oneof![
        6 => (-10i64..60).prop_map(|d| harness::date(2027, 2, 1) + Duration::days(d)),
        1 => proptest::sample::select(vec![
            NaiveDate::MIN,
            NaiveDate::MAX,
            harness::date(1900, 1, 1),
            harness::date(9999, 12, 31),
            harness::date(9998, 12, 28),
        ]),
        1 => (lo..=hi).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or_default()),
        1 => (0i64..400).prop_map(|d| NaiveDate::MAX - Duration::days(d)),
        1 => (0i64..400).prop_map(|d| NaiveDate::MIN + Duration::days(d)),
        1 => (-400i64..400).prop_map(|d| harness::date(9999, 12, 31) + Duration::days(d)),
    ]
}

fn counter() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..40,
        1 => proptest::sample::select(vec![
            0,
            1,
            MAX_COUNTER - 1,
            MAX_COUNTER,
            MAX_COUNTER + 1,
            u64::MAX - 1,
            u64::MAX,
        ]),
        1 => any::<u64>(),
    ]
}

fn status() -> impl Strategy<Value = AppointmentStatus> {
    proptest::sample::select(vec![
        AppointmentStatus::Pending,
        AppointmentStatus::Booked,
        AppointmentStatus::Declined,
        AppointmentStatus::Cancelled,
    ])
}

fn relationship() -> impl Strategy<Value = Relationship> {
    proptest::sample::select(vec![
        Relationship::Own,
        Relationship::Guardian,
        Relationship::Carer,
    ])
}

fn appointment() -> impl Strategy<Value = Appointment> {
    (
        one_of(APPOINTMENTS),
        one_of(PRACTITIONERS),
        maybe(one_of(CLINICS)),
        maybe(one_of(SERVICES)),
        maybe(one_of(PATIENTS)),
        instant(),
        prop_oneof![4 => (1i64..240).prop_map(|m| m * 15), 1 => any::<i64>()],
        status(),
        any::<bool>(),
    )
        .prop_map(
            |(id, practitioner, clinic, service, patient, start, minutes, status, portal)| {
                let end = start
                    .checked_add_signed(Duration::minutes(minutes.clamp(-1 << 40, 1 << 40)))
                    .unwrap_or(start);
                Appointment {
                    id,
                    practitioner,
                    clinic,
                    service,
                    patient,
                    start,
                    end,
                    status,
                    source: if portal {
                        Source::Portal
                    } else {
                        Source::Staff
                    },
                }
            },
        )
}

fn patient() -> impl Strategy<Value = Patient> {
    (
        one_of(PATIENTS),
        text(),
        text(),
        proptest::option::of(day()),
        opt_text(),
        proptest::collection::vec(one_of(PRACTITIONERS), 0..2),
        maybe(one_of(REFERRALS)),
    )
        .prop_map(|(id, first, last, birth, email, allowed, referral)| {
            serde_json::from_value(json!({
                "id": id, "first_name": first, "last_name": last, "birth_date": birth,
                "email": email, "allowed_practitioners": allowed, "referral_type": referral
            }))
            .expect("patient JSON")
        })
}

/// How a query's dates relate.
#[derive(Clone, Copy, Debug)]
enum Span {
    /// `to` is `from` plus this many days.
    Days(i64),
    /// `to` is drawn on its own.
    Any,
    /// The last days chrono has: `to` is the largest date, `from` this many days before.
    ToEnd(i64),
    /// The first days chrono has.
    FromStart(i64),
}

fn query() -> impl Strategy<Value = SlotQuery> {
    (
        one_of(SERVICES),
        maybe(one_of(PRACTITIONERS)),
        maybe(one_of(CLINICS)),
        day(),
        prop_oneof![
            8 => (0i64..14).prop_map(Span::Days),
            2 => Just(Span::Any),
            1 => (0i64..30).prop_map(Span::ToEnd),
            1 => (0i64..30).prop_map(Span::FromStart),
        ],
        day(),
        any::<bool>(),
        maybe(one_of(PATIENTS)),
        actor(),
    )
        .prop_map(
            |(service, practitioner, clinic, from, span, to, telehealth, patient, actor)| {
                let (from, to) = match span {
                    Span::Days(d) => (
                        from,
                        from.checked_add_signed(Duration::days(d)).unwrap_or(to),
                    ),
                    Span::Any => (from, to),
                    Span::ToEnd(d) => (NaiveDate::MAX - Duration::days(d), NaiveDate::MAX),
                    Span::FromStart(d) => (NaiveDate::MIN, NaiveDate::MIN + Duration::days(d)),
                };
                SlotQuery {
                    service,
                    practitioner,
                    clinic,
                    from,
                    to,
                    telehealth,
                    patient,
                    actor,
                    limit: None,
                    after: None,
                }
            },
        )
}

/// A token: one issued during the case (by index), or any text.
#[derive(Clone, Debug)]
enum Token {
    Issued(proptest::sample::Index),
    Text(String),
}

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![
        3 => any::<proptest::sample::Index>().prop_map(Token::Issued),
        1 => text().prop_map(Token::Text),
    ]
}

/// A JSON value to put somewhere a snapshot or change has one.
fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => text().prop_map(Value::from),
        2 => counter().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(|f| json!(f)),
        1 => instant().prop_map(|t| json!(t)),
        1 => day().prop_map(|d| json!(d)),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(json!([])),
        1 => Just(json!({})),
        1 => proptest::sample::select(vec![
            "-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
            "1899-12-31T23:59:59Z", "2027-02-01T14:00:00.999999999Z", "+262142-12-31",
        ]).prop_map(Value::from),
    ]
}

/// Where in a JSON document to change what.
#[derive(Clone, Debug)]
struct Mutation {
    at: proptest::sample::Index,
    value: Value,
    remove: bool,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (
        any::<proptest::sample::Index>(),
        json_value(),
        proptest::bool::weighted(0.15),
    )
        .prop_map(|(at, value, remove)| Mutation { at, value, remove })
}

/// Every path into a JSON document (the root excluded).
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(Value::from(k.as_str()));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Value::from(i));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn mutate(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = &all[m.at.index(all.len())];
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut node = &mut *doc;
    for p in parents {
        node = match p {
            Value::String(k) => &mut node[k.as_str()],
            _ => &mut node[p.as_u64().unwrap_or(0) as usize],
        };
    }
    match (node, last) {
        (Value::Object(o), Value::String(k)) if m.remove => {
            o.remove(k);
        }
        (Value::Array(a), Value::Number(i)) if m.remove => {
            a.remove(i.as_u64().unwrap_or(0) as usize);
        }
        (node, Value::String(k)) => node[k.as_str()] = m.value.clone(),
        (node, i) => node[i.as_u64().unwrap_or(0) as usize] = m.value.clone(),
    }
}

/// Which change `apply` gets.
#[derive(Clone, Debug)]
enum ChangeChoice {
    /// A change of this case's journal again, as the next one.
    Replay(proptest::sample::Index),
    /// A change of this case's journal with another sequence number.
    Seq(proptest::sample::Index, u64),
    /// A change of this case's journal, one value changed, as the next one.
    Mutated(proptest::sample::Index, Mutation),
    /// A change from the fuzz corpus, as the next one.
    Corpus(proptest::sample::Index, Option<Mutation>),
}

fn change_choice() -> impl Strategy<Value = ChangeChoice> {
    use proptest::sample::Index;
    prop_oneof![
        2 => any::<Index>().prop_map(ChangeChoice::Replay),
        1 => (any::<Index>(), counter()).prop_map(|(i, s)| ChangeChoice::Seq(i, s)),
        3 => (any::<Index>(), mutation()).prop_map(|(i, m)| ChangeChoice::Mutated(i, m)),
        2 => (any::<Index>(), proptest::option::of(mutation()))
            .prop_map(|(i, m)| ChangeChoice::Corpus(i, m)),
    ]
}

#[derive(Clone, Debug)]
enum Op {
    Search(SlotQuery, Dt),
    Explain(SlotQuery, Dt, Dt),
    ServiceReport(String),
    BookButton(Option<String>),
    Hold(HoldRequest, Dt),
    ReleaseHold(String, Option<String>),
    PurgeHolds(Dt),
    Book(BookRequest, Dt),
    Decide(bool, DecisionRequest, Dt),
    Cancel(CancelRequest, Dt),
    Reschedule(RescheduleRequest, Dt),
    Intake(String, String, Dt),
    Drain,
    Register(RegistrationRequest, Dt),
    CancelRegistration(String, Option<String>, Dt),
    ProgramSessions(String, NaiveDate, NaiveDate),
    AddAppointment(Appointment),
    AddAppointments(Vec<Appointment>),
    UpdateAppointment(Appointment),
    RemoveAppointment(String),
    UpsertPatient(Patient),
    RemovePatient(String),
    Lookups(String),
    CreateAccount(NewAccount, Dt),
    Login(String, String, Dt),
    ChangePassword(String, String, String, Dt),
    LinkAccount(String, String, Relationship, Dt),
    RevokeLink(String, String, Dt),
    RequestReset(String, Dt),
    ResetPassword(Token, String, Dt),
    Invite(InviteRequest, Dt),
    Resend(String, Dt),
    DeleteInvitation(String),
    Accept(Token, Option<String>, Option<String>, Option<String>, Dt),
    BulkInvite(Dt),
    Signup(SignupRequest, Dt),
    MarkReviewed(String, Dt),
    Duplicates(String),
    Merge(String, String, Dt),
    Report(AppointmentFilter),
    PendingQueue(Dt),
    ReportPrograms(NaiveDate, NaiveDate),
    ChangesSince(u64),
    Compact(u64),
    Apply(ChangeChoice),
    Restore(Vec<Mutation>),
}

fn op() -> impl Strategy<Value = Op> {
    let hold = (
        one_of(SERVICES),
        maybe(one_of(PRACTITIONERS)),
        maybe(one_of(CLINICS)),
        maybe(one_of(PATIENTS)),
        start(),
        proptest::bool::weighted(0.1),
        actor(),
        new_id(HOLDS),
    )
        .prop_map(
            |(service, practitioner, clinic, patient, start, telehealth, actor, id)| HoldRequest {
                id,
                patient,
                service,
                practitioner,
                clinic,
                start,
                telehealth,
                actor,
            },
        );
    let book = (
        (
            one_of(PATIENTS),
            proptest::option::weighted(0.9, one_of(SERVICES)),
            maybe(one_of(PRACTITIONERS)),
            maybe(one_of(CLINICS)),
            proptest::option::weighted(0.8, start()),
        ),
        (
            proptest::bool::weighted(0.1),
            proptest::option::weighted(0.3, one_of(HOLDS)),
            proptest::bool::weighted(0.8),
            opt_text(),
            proptest::option::weighted(0.15, one_of(KEYS)),
            actor(),
            new_id(APPOINTMENTS),
        ),
    )
        .prop_map(
            |(
                (patient, service, practitioner, clinic, start),
                (telehealth, hold, consent, notes, key, actor, id),
            )| {
                BookRequest {
                    id,
                    patient,
                    service,
                    practitioner,
                    clinic,
                    start,
                    telehealth,
                    hold,
                    consent_given: consent,
                    notes,
                    idempotency_key: key,
                    actor,
                }
            },
        );
    let cancel = (
        one_of(APPOINTMENTS),
        any::<bool>(),
        opt_text(),
        proptest::option::weighted(0.15, one_of(KEYS)),
        actor(),
    )
        .prop_map(|(appointment, staff, reason, key, actor)| CancelRequest {
            appointment,
            by: if staff {
                Canceller::Staff
            } else {
                Canceller::Patient
            },
            reason,
            idempotency_key: key,
            actor,
        });
    let reschedule = (
        one_of(APPOINTMENTS),
        start(),
        maybe(one_of(PRACTITIONERS)),
        maybe(one_of(CLINICS)),
        proptest::option::weighted(0.15, one_of(KEYS)),
        actor(),
    )
        .prop_map(
            |(appointment, start, practitioner, clinic, key, actor)| RescheduleRequest {
                appointment,
                start,
                practitioner,
                clinic,
                idempotency_key: key,
                actor,
            },
        );
    let register = (
        new_id(REGISTRATIONS),
        one_of(PROGRAMS),
        one_of(PATIENTS),
        session_day(),
        actor(),
    )
        .prop_map(
            |(id, program, patient, session_date, actor)| RegistrationRequest {
                id,
                program,
                patient,
                session_date,
                actor,
            },
        );
    let account = (
        new_id(ACCOUNTS),
        one_of(NAMES),
        password(),
        maybe(one_of(PATIENTS)),
        relationship(),
    )
        .prop_map(|(id, username, pw, patient, relationship)| NewAccount {
            id,
            username,
            password: Password::new(pw),
            patient,
            relationship,
        });
    let invite = (
        new_id(INVITATIONS),
        one_of(PATIENTS),
        relationship(),
        maybe(one_of(NAMES)),
    )
        .prop_map(|(id, patient, relationship, email)| InviteRequest {
            id,
            patient,
            relationship,
            email,
        });
    let signup = (
        (one_of(NAMES), password(), text(), text()),
        (
            proptest::option::of(day()),
            maybe(one_of(REFERRALS)),
            new_id(PATIENTS),
            new_id(ACCOUNTS),
        ),
    )
        .prop_map(
            |((email, pw, first, last), (birth, referral, patient_id, account_id))| SignupRequest {
                email,
                password: Password::new(pw),
                first_name: first,
                last_name: last,
                birth_date: birth,
                referral_type: referral,
                patient_id,
                account_id,
            },
        );
    let filter = (
        day(),
        day(),
        proptest::collection::vec(status(), 0..2),
        maybe(one_of(CLINICS)),
        maybe(one_of(PRACTITIONERS)),
        any::<Option<bool>>(),
    )
        .prop_map(
            |(from, to, statuses, clinic, practitioner, portal)| AppointmentFilter {
                from,
                to,
                statuses,
                clinic,
                practitioner,
                source: portal.map(|p| if p { Source::Portal } else { Source::Staff }),
            },
        );
    prop_oneof![
        4 => (query(), now()).prop_map(|(q, n)| Op::Search(q, n)),
        3 => (query(), instant(), now()).prop_map(|(q, s, n)| Op::Explain(q, s, n)),
        1 => one_of(SERVICES).prop_map(Op::ServiceReport),
        1 => opt_text().prop_map(Op::BookButton),
        4 => (hold, now()).prop_map(|(r, n)| Op::Hold(r, n)),
        1 => (one_of(HOLDS), maybe(one_of(ACCOUNTS))).prop_map(|(id, a)| Op::ReleaseHold(id, a)),
        1 => instant().prop_map(Op::PurgeHolds),
        5 => (book, now()).prop_map(|(r, n)| Op::Book(r, n)),
        2 => (any::<bool>(), one_of(APPOINTMENTS), opt_text(), now())
            .prop_map(|(a, id, note, n)| Op::Decide(a, DecisionRequest { appointment: id, note }, n)),
        2 => (cancel, now()).prop_map(|(r, n)| Op::Cancel(r, n)),
        2 => (reschedule, now()).prop_map(|(r, n)| Op::Reschedule(r, n)),
        1 => (one_of(PATIENTS), text(), now()).prop_map(|(p, f, n)| Op::Intake(p, f, n)),
        1 => Just(Op::Drain),
        2 => (register, now()).prop_map(|(r, n)| Op::Register(r, n)),
        1 => (one_of(REGISTRATIONS), maybe(one_of(ACCOUNTS)), now())
            .prop_map(|(id, a, n)| Op::CancelRegistration(id, a, n)),
        1 => (one_of(PROGRAMS), day(), day()).prop_map(|(p, f, t)| Op::ProgramSessions(p, f, t)),
        3 => appointment().prop_map(Op::AddAppointment),
        1 => proptest::collection::vec(appointment(), 0..4).prop_map(Op::AddAppointments),
        2 => appointment().prop_map(|mut a| {
            if a.id.len() % 2 == 0 { a.id = "host-1".to_owned(); }
            Op::UpdateAppointment(a)
        }),
        1 => one_of(APPOINTMENTS).prop_map(Op::RemoveAppointment),
        2 => patient().prop_map(Op::UpsertPatient),
        1 => one_of(PATIENTS).prop_map(Op::RemovePatient),
        1 => text().prop_map(Op::Lookups),
        1 => (account, now()).prop_map(|(r, n)| Op::CreateAccount(r, n)),
        1 => (one_of(NAMES), password(), now()).prop_map(|(u, p, n)| Op::Login(u, p, n)),
        1 => (one_of(ACCOUNTS), password(), password(), now()).prop_map(|(a, c, w, n)| Op::ChangePassword(a, c, w, n)),
        1 => (one_of(ACCOUNTS), one_of(PATIENTS), relationship(), now()).prop_map(|(a, p, r, n)| Op::LinkAccount(a, p, r, n)),
        1 => (one_of(ACCOUNTS), one_of(PATIENTS), now()).prop_map(|(a, p, n)| Op::RevokeLink(a, p, n)),
        1 => (one_of(NAMES), now()).prop_map(|(u, n)| Op::RequestReset(u, n)),
        1 => (token(), password(), now()).prop_map(|(t, p, n)| Op::ResetPassword(t, p, n)),
        2 => (invite, now()).prop_map(|(r, n)| Op::Invite(r, n)),
        1 => (one_of(INVITATIONS), now()).prop_map(|(id, n)| Op::Resend(id, n)),
        1 => one_of(INVITATIONS).prop_map(Op::DeleteInvitation),
        1 => (token(), proptest::option::of(password()), maybe(one_of(ACCOUNTS)), maybe(one_of(ACCOUNTS)), now())
            .prop_map(|(t, p, a, id, n)| Op::Accept(t, p, a, id, n)),
        1 => now().prop_map(Op::BulkInvite),
        1 => (signup, now()).prop_map(|(r, n)| Op::Signup(r, n)),
        1 => (one_of(PATIENTS), now()).prop_map(|(id, n)| Op::MarkReviewed(id, n)),
        1 => one_of(PATIENTS).prop_map(Op::Duplicates),
        1 => (one_of(PATIENTS), one_of(PATIENTS), now()).prop_map(|(k, m, n)| Op::Merge(k, m, n)),
        1 => filter.prop_map(Op::Report),
        1 => instant().prop_map(Op::PendingQueue),
        1 => (day(), day()).prop_map(|(f, t)| Op::ReportPrograms(f, t)),
        1 => counter().prop_map(Op::ChangesSince),
        1 => counter().prop_map(Op::Compact),
        4 => change_choice().prop_map(Op::Apply),
        2 => proptest::collection::vec(mutation(), 1..3).prop_map(Op::Restore),
    ]
}

/// The changes of the fuzz corpus (fuzz/corpus/apply), without their `seq`.
fn corpus_changes() -> &'static [Value] {
    static CHANGES: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    CHANGES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/apply");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("fuzz/corpus/apply")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
            .collect()
    })
}

/// One case: the operations run in order on the practice, each checked; then the journal
/// replays onto the starting snapshot.
struct Case {
    e: Engine,
    /// Every change made, as collected after each step (compaction drops the engine's copy).
    journal: Vec<Change>,
    /// Tokens handed out (invitations, resets).
    tokens: Vec<SecretToken>,
}

impl Case {
    fn token(&self, t: &Token) -> SecretToken {
        match t {
            Token::Issued(i) if !self.tokens.is_empty() => {
                self.tokens[i.index(self.tokens.len())].clone()
            }
            Token::Issued(_) => SecretToken::new("none issued"),
            Token::Text(s) => SecretToken::new(s.clone()),
        }
    }

    fn journaled(&self, i: &proptest::sample::Index) -> Option<Value> {
        (!self.journal.is_empty())
            .then(|| serde_json::to_value(&self.journal[i.index(self.journal.len())]).ok())
            .flatten()
    }

    fn change(&self, choice: &ChangeChoice) -> Option<Change> {
        let next = self.e.last_seq().saturating_add(1);
        let (mut v, m, seq) = match choice {
            ChangeChoice::Replay(i) => (self.journaled(i)?, None, next),
            ChangeChoice::Seq(i, s) => (self.journaled(i)?, None, *s),
            ChangeChoice::Mutated(i, m) => (self.journaled(i)?, Some(m), next),
            ChangeChoice::Corpus(i, m) => {
                let all = corpus_changes();
                (all[i.index(all.len())].clone(), m.as_ref(), next)
            }
        };
        v["seq"] = json!(seq);
        if let Some(m) = m {
            mutate(&mut v, m);
        }
        serde_json::from_value(v).ok()
    }

    fn step(&mut self, op: &Op) {
        let e = &self.e;
        let before = e.snapshot();
        let what = format!("{op:?}");
        let what = what.as_str();
        let b = before.as_str();
        match op {
            Op::Search(q, now) => {
                if let Some(slots) = unchanged(e, b, what, e.search(q, *now)) {
                    let _ = slots.to_json();
                    if let Some(first) = slots.get(0) {
                        let start = first.start().with_timezone(&Utc);
                        let x = unchanged(e, b, what, e.explain(q, start, *now));
                        assert!(
                            x.as_ref().is_some_and(|x| x.offered),
                            "{what}: search offers {start}, explain says {x:?}"
                        );
                    }
                }
            }
            Op::Explain(q, start, now) => {
                unchanged(e, b, what, e.explain(q, *start, *now));
            }
            Op::ServiceReport(s) => {
                unchanged(e, b, what, e.service_report(s));
            }
            Op::BookButton(url) => {
                unchanged(e, b, what, e.book_button_html(url.as_deref()));
            }
            Op::Hold(r, now) => {
                checked(e, b, what, e.hold(r, *now));
            }
            Op::ReleaseHold(id, actor) => {
                let mut request = clinic_portal::ReleaseHoldRequest::new(id.as_str());
                request.actor = actor.clone();
                checked(e, b, what, e.release_hold(&request));
            }
            Op::PurgeHolds(now) => {
                checked(e, b, what, Ok(e.purge_expired_holds(*now)));
            }
            Op::Book(r, now) => {
                checked(e, b, what, e.book(r, *now));
            }
            Op::Decide(accept, r, now) => {
                let got = if *accept {
                    e.accept(r, *now)
                } else {
                    e.decline(r, *now)
                };
                checked(e, b, what, got);
            }
            Op::Cancel(r, now) => {
                checked(e, b, what, e.cancel(r, *now));
            }
            Op::Reschedule(r, now) => {
                checked(e, b, what, e.reschedule(r, *now));
            }
            Op::Intake(p, form, now) => {
                checked(e, b, what, e.intake_form_completed(p, form, *now));
            }
            Op::Drain => {
                let out = e.drain_outbox();
                self.tokens
                    .extend(out.iter().filter_map(|n| n.token.clone()));
                checked(e, b, what, Ok(out));
            }
            Op::Register(r, now) => {
                checked(e, b, what, e.register_program(r, *now));
            }
            Op::CancelRegistration(id, actor, now) => {
                checked(
                    e,
                    b,
                    what,
                    e.cancel_program_registration(id, actor.as_deref(), *now),
                );
            }
            Op::ProgramSessions(p, from, to) => {
                unchanged(e, b, what, e.program_sessions(p, *from, *to));
            }
            Op::AddAppointment(a) => {
                checked(e, b, what, e.add_appointment(a.clone()));
            }
            Op::AddAppointments(list) => {
                checked(e, b, what, e.add_appointments(list.clone()));
            }
            Op::UpdateAppointment(a) => {
                checked(e, b, what, e.update_appointment(a.clone()));
            }
            Op::RemoveAppointment(id) => {
                checked(e, b, what, e.remove_appointment(id));
            }
            Op::UpsertPatient(p) => {
                checked(e, b, what, e.upsert_patient(p.clone()));
            }
            Op::RemovePatient(id) => {
                checked(e, b, what, e.remove_patient(id));
            }
            Op::Lookups(id) => {
                let _ = e.patient(id);
                let _ = e.appointment(id);
                let _ = e.get_hold(id);
                let _ = e.account(id);
                let _ = e.account_by_username(id);
                let _ = e.invitation(id);
                let _ = e.registration(id);
                let _ = e.booking_details(id);
                let _ = e.replaced_by(id);
                let _ = e.links_of_account(id);
                let _ = e.links_of_patient(id);
                let _ = e.patients_of_account(id);
                let _ = e.invitations_of(id);
                let _ = e.appointments_for_account(id);
                let _ = (
                    e.appointment_count(),
                    e.accounts(),
                    e.outbox(),
                    e.review_queue(),
                );
                let _ = (
                    e.signup_referral_types(),
                    e.report_referrals(),
                    e.warnings(),
                );
                unchanged(e, b, what, Ok(()));
            }
            Op::CreateAccount(r, now) => {
                checked(e, b, what, e.create_account(r, *now));
            }
            Op::Login(u, p, now) => {
                checked(e, b, what, e.login(u, &Password::new(p.clone()), *now));
            }
            Op::ChangePassword(a, current, new, now) => {
                let (c, n) = (Password::new(current.clone()), Password::new(new.clone()));
                checked(e, b, what, e.change_password(a, &c, &n, *now));
            }
            Op::LinkAccount(a, p, r, now) => {
                checked(e, b, what, e.link_account(a, p, *r, *now));
            }
            Op::RevokeLink(a, p, now) => {
                checked(e, b, what, e.revoke_link(a, p, *now));
            }
            Op::RequestReset(u, now) => {
                checked(e, b, what, e.request_password_reset(u, *now));
            }
            Op::ResetPassword(t, p, now) => {
                let token = self.token(t);
                checked(
                    e,
                    b,
                    what,
                    e.reset_password(&token, &Password::new(p.clone()), *now),
                );
            }
            Op::Invite(r, now) => {
                if let Some(i) = checked(e, b, what, e.invite(r, *now)) {
                    self.tokens.push(i.token);
                }
            }
            Op::Resend(id, now) => {
                if let Some(i) = checked(e, b, what, e.resend_invitation(id, *now)) {
                    self.tokens.push(i.token);
                }
            }
            Op::DeleteInvitation(id) => {
                checked(e, b, what, e.delete_invitation(id));
            }
            Op::Accept(t, password, account, id, now) => {
                let r = AcceptInvitation {
                    token: self.token(t),
                    password: password.clone().map(Password::new),
                    authenticated_account: account.clone(),
                    account_id: id.clone(),
                };
                checked(e, b, what, e.accept_invitation(&r, *now));
            }
            Op::BulkInvite(now) => {
                if let Some(r) = checked(e, b, what, e.bulk_invite(*now)) {
                    self.tokens.extend(r.invited.into_iter().map(|i| i.token));
                }
            }
            Op::Signup(r, now) => {
                checked(e, b, what, e.signup(r, *now));
            }
            Op::MarkReviewed(id, now) => {
                checked(e, b, what, e.mark_signup_reviewed(id, *now));
            }
            Op::Duplicates(p) => {
                unchanged(e, b, what, e.find_duplicates(p));
            }
            Op::Merge(keep, merge, now) => {
                checked(e, b, what, e.merge_patients(keep, merge, *now));
            }
            Op::Report(f) => {
                unchanged(e, b, what, e.report_portal_appointments(f));
            }
            Op::PendingQueue(now) => {
                let _ = e.pending_queue(*now);
                unchanged(e, b, what, Ok(()));
            }
            Op::ReportPrograms(from, to) => {
                unchanged(e, b, what, e.report_programs(*from, *to));
            }
            Op::ChangesSince(seq) => {
                unchanged(e, b, what, e.changes_since(*seq));
            }
            Op::Compact(seq) => {
                let _ = e.compact_journal(*seq);
                assert!(e.snapshot() == before, "compacting changed the snapshot");
            }
            Op::Apply(choice) => {
                if let Some(c) = self.change(choice) {
                    checked(e, b, what, e.apply(&c));
                }
            }
            Op::Restore(mutations) => {
                let mut doc: Value = serde_json::from_str(&before).expect("snapshot JSON");
                for m in mutations {
                    mutate(&mut doc, m);
                }
                if let Ok(r) = Engine::restore(&doc.to_string()) {
                    // Whatever restore accepts, the operations handle.
                    round_trips(&r, what);
                    harness::exercise(&r, now0());
                }
                assert!(e.snapshot() == before, "restore changed another engine");
            }
        }
        // Collect what the step journaled (before a later compaction drops it).
        let last = self.journal.last().map_or(self.start_seq(), |c| c.seq);
        let new = e
            .changes_since(last)
            .unwrap_or_else(|err| panic!("{what}: the journal lost changes: {err}"));
        self.journal.extend(new);
    }

    fn start_seq(&self) -> u64 {
        harness::world_engine().last_seq()
    }
}

fn run(ops: Vec<Op>) {
    let mut case = Case {
        e: world_engine(),
        journal: Vec::new(),
        tokens: Vec::new(),
    };
    for op in &ops {
        case.step(op);
    }
    // Replaying the journal onto the starting snapshot reproduces the state exactly.
    let replica = world_engine();
    for c in &case.journal {
        replica
            .apply(c)
            .unwrap_or_else(|err| panic!("replaying change {}: {err}", c.seq));
    }
    assert!(
        replica.snapshot() == case.e.snapshot(),
        "the journal does not replay"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_operation_panics_and_a_failure_changes_nothing(
        ops in proptest::collection::vec(op(), 1..40)
    ) {
        run(ops);
    }
}

#[test]
fn a_notification_payload_must_belong_to_its_kind() {
    let e = world_engine();
    let signup = json!({"patient": {"id": "p"}, "account": "a", "referral_type": null});
    // From JSON, the payload is read by the kind: a signup payload is no acceptance.
    let bad = json!({"seq": e.last_seq() + 1, "deltas": [{"op": "notify", "notification":
        {"id": 12, "kind": "accepted", "recipients": [], "data": signup}}]});
    let err = serde_json::from_value::<Change>(bad).expect_err("refused when read");
    assert!(err.to_string().contains("accepted"), "{err}");
    // Built in Rust, the same mismatch is refused by apply and changes nothing.
    let mut c = change(
        &e,
        json!([{"op": "notify", "notification":
            {"id": 12, "kind": "signup", "recipients": [], "data": signup}}]),
    );
    if let clinic_portal::Delta::Notify { notification } = &mut c.deltas[0] {
        notification.kind = clinic_portal::NotificationKind::Accepted;
    }
    refused(&e, ErrorCode::InvalidInput, "payload", |e| e.apply(&c));
}

#[test]
fn queued_notifications_round_trip_as_typed_data() {
    let e = world_engine();
    let snapshot: Value = serde_json::from_str(&e.snapshot()).expect("snapshot");
    for n in e.outbox() {
        assert!(n.data.fits(n.kind), "{n:?}");
        let back: clinic_portal::Notification =
            serde_json::from_value(serde_json::to_value(&n).expect("json")).expect("reads back");
        assert_eq!(back, n);
    }
    assert!(snapshot["outbox"].is_array());
}
