//! Durable before visible (docs/persistence.md): `plan` computes an operation's change
//! without applying it, `apply` makes it visible, and several engines ("processes")
//! sharing one journal store never over-book and end byte-identical.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AppointmentStatus, BookRequest, CancelRequest, Change, DecisionRequest, Engine, ErrorCode,
    InviteRequest, Patient,
};
use common::*;
use serde_json::json;

fn patient(id: &str) -> Patient {
    serde_json::from_value(json!({"id": id, "email": format!("{id}@example.test")}))
        .expect("patient")
}

fn group_config(capacity: u32) -> serde_json::Value {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat", "name": "Group", "allow_conflicts": true}]);
    cfg["services"][0]["portal_capacity"] = json!(capacity);
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(0));
    cfg
}

/// Plans `op` on `planner` (checking that planning changed nothing), applies the change,
/// and runs `op` directly on `direct`: both engines must then be byte-identical, and the
/// planned outcome must equal the direct one.
fn step<T: PartialEq + std::fmt::Debug>(
    planner: &Engine,
    direct: &Engine,
    op: impl Fn(&Engine) -> clinic_portal::Result<T>,
) -> T {
    let before = planner.snapshot();
    let planned = planner.plan(&op).expect("plan");
    assert_eq!(planner.snapshot(), before, "planning changed the engine");
    if let Some(change) = &planned.change {
        assert_eq!(change.seq, planner.last_seq() + 1);
        planner.apply(change).expect("apply the planned change");
    }
    let outcome = op(direct).expect("direct");
    assert_eq!(planned.outcome, outcome);
    assert_eq!(planner.snapshot(), direct.snapshot());
    outcome
}

#[test]
fn a_planned_change_applied_equals_the_operation_run_directly() {
    let cfg = group_config(2);
    let (planner, direct) = (engine(&cfg), engine(&cfg));
    let now = early();
    for id in ["ana", "ben"] {
        step(&planner, &direct, |e| e.upsert_patient(patient(id)));
    }
    // A staff batch that overlaps itself: the second one is a capacity override, decided
    // against the first while planning (and put back afterwards).
    step(&planner, &direct, |e| {
        e.add_appointments(vec![
            appt(
                "h1",
                "dr-a",
                mon_at(9, 0),
                mon_at(9, 30),
                AppointmentStatus::Booked,
            ),
            appt(
                "h2",
                "dr-a",
                mon_at(9, 0),
                mon_at(9, 30),
                AppointmentStatus::Booked,
            ),
            appt(
                "h3",
                "dr-a",
                mon_at(9, 0),
                mon_at(9, 30),
                AppointmentStatus::Booked,
            ),
        ])
    });
    assert!(
        planner
            .booking_details("h3")
            .expect("override")
            .capacity_override
    );
    let booking = step(&planner, &direct, |e| {
        e.book(
            &BookRequest::new("ana", "physio-30", mon_at(10, 0))
                .practitioner("dr-a")
                .idempotency_key("ana-10"),
            now,
        )
    });
    // A retry plans no change and returns the first outcome.
    let retry = planner
        .plan(|e| {
            e.book(
                &BookRequest::new("ana", "physio-30", mon_at(10, 0))
                    .practitioner("dr-a")
                    .idempotency_key("ana-10"),
                now,
            )
        })
        .expect("retry");
    assert_eq!(retry.change, None);
    assert_eq!(retry.outcome, booking);
    let id = booking.appointment.id.clone();
    step(&planner, &direct, |e| {
        e.accept(&DecisionRequest::new(&id, Some("See you")), now)
    });
    step(&planner, &direct, |e| {
        e.update_appointment(appt(
            "h2",
            "dr-a",
            mon_at(11, 0),
            mon_at(11, 30),
            AppointmentStatus::Booked,
        ))
    });
    step(&planner, &direct, |e| {
        e.cancel(&CancelRequest::by_patient(&id), now)
    });
    // Invitations carry a token that exists only in the outcome: plan on one engine,
    // apply on both (a token is random, so running it twice would differ).
    let planned = planner
        .plan(|e| e.invite(&InviteRequest::guardian("ben", "parent@example.test"), now))
        .expect("plan invite");
    let change = planned.change.expect("a change");
    planner.apply(&change).expect("apply");
    direct.apply(&change).expect("apply elsewhere");
    assert_eq!(planner.snapshot(), direct.snapshot());
    let drained = step(&planner, &direct, |e| Ok(e.drain_outbox()));
    assert!(!drained.is_empty());
}

#[test]
fn a_failed_plan_changes_nothing_and_a_stale_change_is_refused() {
    let e = engine(&group_config(1));
    e.upsert_patient(patient("ana")).expect("patient");
    e.upsert_patient(patient("ben")).expect("patient");
    let before = e.snapshot();
    let err = e
        .plan(|e| {
            e.book(
                &BookRequest::new("ghost", "physio-30", mon_at(9, 0)).practitioner("dr-a"),
                early(),
            )
        })
        .expect_err("unknown patient");
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert_eq!(e.snapshot(), before);

    // Two plans against the same state: the first applied wins, the second is stale.
    let book = |p: &str| BookRequest::new(p, "physio-30", mon_at(9, 0)).practitioner("dr-a");
    let first = e.plan(|e| e.book(&book("ana"), early())).expect("plan");
    let second = e.plan(|e| e.book(&book("ben"), early())).expect("plan");
    let first = first.change.expect("change");
    let second = second.change.expect("change");
    assert_eq!(first.seq, second.seq);
    e.apply(&first).expect("first");
    let after = e.snapshot();
    let err = e.apply(&second).expect_err("stale");
    assert_eq!(err.code(), ErrorCode::StaleSequence, "{err}");
    assert_eq!(e.snapshot(), after);
    // Planned again, it sees the slot taken.
    let err = e.plan(|e| e.book(&book("ben"), early())).expect_err("full");
    assert_eq!(err.code(), ErrorCode::CapacityFull);
    // A change from the future (a gap) is refused too.
    let mut gap = first.clone();
    gap.seq += 5;
    assert_eq!(
        e.apply(&gap).map_err(|e| e.code()),
        Err(ErrorCode::StaleSequence)
    );
    // One plan cannot hold two operations, nor nest.
    let err = e
        .plan(|e| {
            e.upsert_patient(patient("cy"))?;
            e.upsert_patient(patient("dee"))
        })
        .expect_err("two changes");
    assert_eq!(err.code(), ErrorCode::Internal);
    let err = e
        .plan(|e| e.plan(|e| e.upsert_patient(patient("cy"))).map(|_| ()))
        .expect_err("nested");
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(e.snapshot(), after);
}

/// The host's journal table: changes keyed by sequence number, appended only at the next
/// number (the unique `(practice, seq)` key of a real database).
struct Store(Mutex<Vec<Change>>);

impl Store {
    /// Appends `change` if its number is the next one; `false` on a key conflict.
    fn append(&self, change: &Change) -> bool {
        let mut changes = self.0.lock().expect("store");
        if change.seq == changes.len() as u64 + 1 {
            changes.push(change.clone());
            true
        } else {
            false
        }
    }

    fn since(&self, seq: u64) -> Vec<Change> {
        self.0.lock().expect("store")[seq as usize..].to_vec()
    }
}

fn catch_up(e: &Engine, store: &Store) {
    for change in store.since(e.last_seq()) {
        e.apply(&change).expect("catch up");
    }
}

const PROCESSES: usize = 4;
const SLOTS: i64 = 6;
const CAPACITY: usize = 2;
const ATTEMPTS: usize = 30;

#[test]
fn processes_sharing_one_journal_never_over_book_and_converge() {
    let seed = engine(&group_config(CAPACITY as u32));
    let patients: Vec<String> = (0..PROCESSES * ATTEMPTS).map(|i| format!("p{i}")).collect();
    for p in &patients {
        seed.upsert_patient(patient(p)).expect("patient");
    }
    let snapshot = seed.snapshot();
    let store = Store(Mutex::new(Vec::new()));
    let engines: Vec<Engine> = (0..PROCESSES)
        .map(|_| Engine::restore(&snapshot).expect("restore"))
        .collect();
    let base_seq = seed.last_seq();
    // The store continues the seed's numbering.
    store
        .0
        .lock()
        .expect("store")
        .extend(seed.changes_since(0).expect("journal"));
    assert_eq!(store.since(0).len() as u64, base_seq);

    let acknowledged: Mutex<Vec<(String, DateTime<Utc>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for (t, e) in engines.iter().enumerate() {
            let (store, acknowledged, patients) = (&store, &acknowledged, &patients);
            scope.spawn(move || {
                for i in 0..ATTEMPTS {
                    let who = &patients[t * ATTEMPTS + i];
                    let at = mon_at(9, 0) + Duration::minutes(30 * ((t + i) as i64 % SLOTS));
                    let request = BookRequest::new(who, "physio-30", at).practitioner("dr-a");
                    loop {
                        let planned = match e.plan(|e| e.book(&request, early())) {
                            Ok(p) => p,
                            Err(err) => {
                                assert_eq!(err.code(), ErrorCode::CapacityFull, "{err}");
                                break;
                            }
                        };
                        let change = planned.change.expect("a booking changes something");
                        if !store.append(&change) {
                            catch_up(e, store);
                            continue;
                        }
                        // Stored: now it may be shown. Nothing else applies to this
                        // engine in between (each process applies only from the store).
                        e.apply(&change).expect("apply own change");
                        acknowledged
                            .lock()
                            .expect("acks")
                            .push((planned.outcome.appointment.id, at));
                        break;
                    }
                }
            });
        }
    });
    for e in &engines {
        catch_up(e, &store);
    }
    let first = engines[0].snapshot();
    for e in &engines[1..] {
        assert_eq!(e.snapshot(), first, "engines diverged");
    }
    let acknowledged = acknowledged.into_inner().expect("acks");
    let mut per_slot: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for (id, at) in &acknowledged {
        for e in &engines {
            assert_eq!(e.appointment(id).expect("acknowledged booking").start, *at);
        }
        *per_slot.entry(*at).or_default() += 1;
    }
    // Every slot filled to capacity, never beyond.
    assert_eq!(per_slot.len(), SLOTS as usize);
    assert!(per_slot.values().all(|&n| n == CAPACITY), "{per_slot:?}");
    assert_eq!(acknowledged.len(), SLOTS as usize * CAPACITY);
    assert_eq!(engines[0].appointment_count(), acknowledged.len());
}
