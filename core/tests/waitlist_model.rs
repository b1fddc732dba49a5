//! The waitlist against a model (docs/waitlist.md): random cancellations, declines,
//! confirmations and the passing of time. After every step no two live offers hold the same
//! start, every live offer is one its patient could book (a planned booking from its hold
//! succeeds), an offer made by a cancellation or a decline went to the first entry in
//! first-come order that had no offer out and had not passed on that start, and the
//! journal replays to the same state. Eight threads racing to cancel, confirm, decline and
//! process leave a state equal to the serial replay of the journal.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    BookRequest, CancelRequest, Engine, ErrorCode, WaitlistEntry, WaitlistFilter, WaitlistRequest,
};
use common::*;
use proptest::prelude::*;
use serde_json::json;

const STARTS: usize = 6;
const WAITERS: usize = 5;

/// One practitioner, Monday 09:00–12:00 (six 30-minute starts), auto-accept; bookers
/// `b0`…`b5` hold every start, waiters `w0`…`w4` wait for the week, in that order.
fn setup() -> (Engine, Vec<String>, Vec<String>) {
    let mut cfg = base();
    cfg["practitioners"] = json!([practitioner(
        "dr-a",
        vec![block("mon", "09:00", "12:00", "treat")]
    )]);
    set_scheduling(&mut cfg, "auto_accept", json!(true));
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(0));
    let e = engine(&cfg);
    let mut booked = Vec::new();
    for i in 0..STARTS {
        let id = format!("b{i}");
        e.upsert_patient(serde_json::from_value(json!({"id": id})).unwrap())
            .unwrap();
        let start = mon_at(9, 0) + Duration::minutes(30 * i as i64);
        let r = BookRequest::new(&id, "physio-30", start).practitioner("dr-a");
        booked.push(e.book(&r, early()).unwrap().appointment.id);
    }
    let mut entries = Vec::new();
    for i in 0..WAITERS {
        let id = format!("w{i}");
        e.upsert_patient(serde_json::from_value(json!({"id": id})).unwrap())
            .unwrap();
        let r = WaitlistRequest::new(&id, "physio-30", monday(), monday());
        entries.push(e.join_waitlist(&r, early()).unwrap().id);
    }
    (e, booked, entries)
}

#[derive(Clone, Debug)]
enum Step {
    Cancel(usize),
    Decline(usize),
    Confirm(usize),
    Advance(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..STARTS).prop_map(Step::Cancel),
        (0..WAITERS).prop_map(Step::Decline),
        (0..WAITERS).prop_map(Step::Confirm),
        (1i64..200).prop_map(Step::Advance),
    ]
}

fn entries(e: &Engine) -> Vec<WaitlistEntry> {
    e.waitlist(&WaitlistFilter::default())
}

/// The invariants every state keeps.
fn check_state(e: &Engine, now: DateTime<Utc>) -> Result<(), TestCaseError> {
    let list = entries(e);
    let mut held = BTreeSet::new();
    for entry in list.iter().filter(|x| x.has_live_offer(now)) {
        let o = entry.offer.as_ref().unwrap();
        prop_assert!(
            held.insert((o.practitioner.clone(), o.start)),
            "two live offers for {} at {}",
            o.practitioner,
            o.start
        );
        let hold = e.get_hold(&o.hold);
        prop_assert!(hold.is_ok(), "offer {} has no hold", o.hold);
        let holder = hold.unwrap().patient;
        prop_assert_eq!(holder.as_deref(), Some(entry.patient.as_str()));
        let planned = e.plan(|e| e.book(&BookRequest::from_hold(&entry.patient, &o.hold), now));
        prop_assert!(planned.is_ok(), "offer {o:?} cannot be booked: {planned:?}");
    }
    // List order is first-come order.
    let keys: Vec<_> = list.iter().map(|x| (x.created_at, x.seq)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    prop_assert_eq!(keys, sorted);
    Ok(())
}

/// New offers made at `now` by a cancellation or a decline went to the first eligible entry.
fn check_first_come(
    before: &BTreeMap<String, Option<String>>,
    after: &[WaitlistEntry],
) -> Result<(), TestCaseError> {
    for (i, entry) in after.iter().enumerate() {
        let Some(o) = &entry.offer else { continue };
        if before.get(&entry.id) == Some(&Some(o.hold.clone())) {
            continue; // not new
        }
        for earlier in &after[..i] {
            let passed = earlier
                .passed
                .iter()
                .any(|p| p.start == o.start && p.practitioner == o.practitioner);
            prop_assert!(
                earlier.offer.is_some() || passed,
                "{} was offered {} before {}, who came first",
                entry.id,
                o.start,
                earlier.id
            );
        }
    }
    Ok(())
}

fn run(steps: &[Step]) -> Result<(), TestCaseError> {
    let (e, booked, ids) = setup();
    let origin = Engine::restore(&e.snapshot()).unwrap();
    let from = e.last_seq();
    let mut now = early();
    for s in steps {
        let before: BTreeMap<String, Option<String>> = entries(&e)
            .into_iter()
            .map(|x| (x.id, x.offer.map(|o| o.hold)))
            .collect();
        let snapshot = e.snapshot();
        let mut by_freeing = false;
        let result: clinic_portal::Result<()> = match s {
            Step::Cancel(i) => {
                by_freeing = true;
                e.cancel(&CancelRequest::by_staff(&booked[*i], "model"), now)
                    .map(drop)
            }
            Step::Decline(w) => {
                by_freeing = true;
                e.decline_waitlist_offer(&ids[*w], None, now).map(drop)
            }
            Step::Confirm(w) => match entries(&e).into_iter().find(|x| x.id == ids[*w]) {
                Some(WaitlistEntry {
                    offer: Some(o),
                    patient,
                    ..
                }) => e
                    .book(&BookRequest::from_hold(&patient, &o.hold), now)
                    .map(drop),
                _ => Ok(()),
            },
            Step::Advance(m) => {
                now += Duration::minutes(*m);
                e.process_waitlist(now).map(drop)
            }
        };
        if let Err(err) = result {
            prop_assert!(
                matches!(
                    err.code(),
                    ErrorCode::NotFound
                        | ErrorCode::InvalidTransition
                        | ErrorCode::HoldExpired
                        | ErrorCode::OutsideBookingWindow
                ),
                "{s:?}: {err}"
            );
            prop_assert_eq!(e.snapshot(), snapshot, "a failed step changed the engine");
        } else if by_freeing {
            check_first_come(&before, &entries(&e))?;
        }
        check_state(&e, now)?;
    }
    for change in e.changes_since(from).unwrap() {
        origin.apply(&change).unwrap();
    }
    prop_assert_eq!(origin.snapshot(), e.snapshot());
    prop_assert_eq!(
        Engine::restore(&e.snapshot()).unwrap().snapshot(),
        e.snapshot()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_waitlist_keeps_its_invariants(steps in proptest::collection::vec(step(), 1..40)) {
        run(&steps)?;
    }
}

#[test]
fn racing_cancellations_and_confirmations_replay_serially() {
    let (e, booked, ids) = setup();
    let origin = Engine::restore(&e.snapshot()).unwrap();
    let from = e.last_seq();
    let now = early();
    std::thread::scope(|scope| {
        for t in 0..8usize {
            let (e, booked, ids) = (&e, &booked, &ids);
            scope.spawn(move || {
                for round in 0..40usize {
                    let k = (t * 7 + round * 3) % 10;
                    match k {
                        0..=2 => {
                            let _ = e.cancel(
                                &CancelRequest::by_staff(&booked[(t + round) % STARTS], "race"),
                                now,
                            );
                        }
                        3..=6 => {
                            for x in e.waitlist(&WaitlistFilter::default()) {
                                if let Some(o) = x.offer {
                                    let r = BookRequest::from_hold(&x.patient, &o.hold);
                                    if let Err(err) = e.book(&r, now) {
                                        assert!(
                                            matches!(
                                                err.code(),
                                                ErrorCode::NotFound | ErrorCode::PatientBusy
                                            ),
                                            "{err}"
                                        );
                                    }
                                }
                            }
                        }
                        7 | 8 => {
                            let _ =
                                e.decline_waitlist_offer(&ids[(t + round) % WAITERS], None, now);
                        }
                        _ => {
                            e.process_waitlist(now + Duration::minutes(round as i64))
                                .expect("process");
                        }
                    }
                }
            });
        }
    });
    // Every start holds at most one occupying appointment.
    let snapshot: serde_json::Value = serde_json::from_str(&e.snapshot()).unwrap();
    let mut per_start: BTreeMap<String, usize> = BTreeMap::new();
    for a in snapshot["appointments"].as_array().unwrap() {
        if a["status"] == "booked" || a["status"] == "pending" {
            *per_start.entry(a["start"].to_string()).or_default() += 1;
        }
    }
    assert!(
        e.waitlist_report().offered > 0,
        "no offer was made in the race"
    );
    // No two live offers hold the same start.
    let mut held = BTreeSet::new();
    for x in e.waitlist(&WaitlistFilter::default()) {
        if let Some(o) = x.offer.filter(|o| o.expires_at > now) {
            assert!(held.insert(o.start), "two offers for {}", o.start);
        }
    }
    assert!(per_start.values().all(|&n| n <= 1), "{per_start:?}");
    for change in e.changes_since(from).unwrap() {
        origin.apply(&change).unwrap();
    }
    assert_eq!(origin.snapshot(), e.snapshot());
}
