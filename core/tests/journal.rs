//! A stateful model test of the booking lifecycle (docs/booking.md) and the journal (docs/persistence.md):
//! random operation sequences run against the engine and a simple model; after every step
//! they agree, and at the end replaying the journal onto the starting snapshot gives a
//! byte-identical snapshot.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    Appointment, AppointmentStatus, BookRequest, CancelRequest, DecisionRequest, Engine, ErrorCode,
    HoldRequest, RescheduleRequest,
};
use common::*;
use proptest::prelude::*;
use serde_json::json;

const SLOTS: usize = 6;
const PATIENTS: usize = 4;
const CAPACITY: usize = 2;

#[derive(Clone, Debug)]
enum Op {
    Book {
        patient: usize,
        slot: usize,
        key: Option<u8>,
    },
    Hold {
        patient: usize,
        slot: usize,
    },
    BookHold {
        hold: usize,
    },
    Accept {
        appt: usize,
    },
    Decline {
        appt: usize,
    },
    CancelPatient {
        appt: usize,
    },
    CancelStaff {
        appt: usize,
    },
    Reschedule {
        appt: usize,
        slot: usize,
    },
    AddHost {
        slot: usize,
    },
    Remove {
        appt: usize,
    },
    Advance {
        minutes: i64,
    },
    Drain,
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATIENTS;
    let s = 0..SLOTS;
    prop_oneof![
        4 => (p.clone(), s.clone(), proptest::option::of(0u8..3))
            .prop_map(|(patient, slot, key)| Op::Book { patient, slot, key }),
        3 => (p, s.clone()).prop_map(|(patient, slot)| Op::Hold { patient, slot }),
        2 => (0usize..8).prop_map(|hold| Op::BookHold { hold }),
        2 => (0usize..8).prop_map(|appt| Op::Accept { appt }),
        1 => (0usize..8).prop_map(|appt| Op::Decline { appt }),
        2 => (0usize..8).prop_map(|appt| Op::CancelPatient { appt }),
        1 => (0usize..8).prop_map(|appt| Op::CancelStaff { appt }),
        2 => (0usize..8, s.clone()).prop_map(|(appt, slot)| Op::Reschedule { appt, slot }),
        1 => s.prop_map(|slot| Op::AddHost { slot }),
        1 => (0usize..8).prop_map(|appt| Op::Remove { appt }),
        2 => (1i64..8).prop_map(|minutes| Op::Advance { minutes }),
        1 => Just(Op::Drain),
    ]
}

fn slot_start(slot: usize) -> DateTime<Utc> {
    mon_at(9, 0) + Duration::minutes(30 * slot as i64)
}

#[derive(Clone, Debug, PartialEq)]
struct MAppt {
    patient: Option<usize>,
    slot: usize,
    status: AppointmentStatus,
}

#[derive(Clone, Debug)]
struct MHold {
    patient: usize,
    slot: usize,
    expires: DateTime<Utc>,
}

#[derive(Debug)]
struct Model {
    now: DateTime<Utc>,
    appts: BTreeMap<String, MAppt>,
    holds: BTreeMap<String, MHold>,
    keys: BTreeMap<u8, ((usize, usize), String)>,
    outbox: usize,
    hosts: usize,
}

impl Model {
    fn taken(&self, slot: usize, skip_appt: Option<&str>, skip_hold: Option<&str>) -> usize {
        self.appts
            .iter()
            .filter(|(id, a)| {
                a.slot == slot && a.status.occupies() && Some(id.as_str()) != skip_appt
            })
            .count()
            + self
                .holds
                .iter()
                .filter(|(id, h)| {
                    h.slot == slot && self.now < h.expires && Some(id.as_str()) != skip_hold
                })
                .count()
    }

    fn busy(
        &self,
        patient: usize,
        slot: usize,
        skip_appt: Option<&str>,
        skip_hold: Option<&str>,
    ) -> bool {
        self.appts.iter().any(|(id, a)| {
            a.patient == Some(patient)
                && a.slot == slot
                && a.status.occupies()
                && Some(id.as_str()) != skip_appt
        }) || self.holds.iter().any(|(id, h)| {
            h.patient == patient
                && h.slot == slot
                && self.now < h.expires
                && Some(id.as_str()) != skip_hold
        })
    }

    /// The expected failure of placing `patient` at `slot`, if any (capacity first, then
    /// the patient's own bookings, as the engine checks them).
    fn refuse(
        &self,
        patient: Option<usize>,
        slot: usize,
        skip_appt: Option<&str>,
        skip_hold: Option<&str>,
    ) -> Option<ErrorCode> {
        if self.taken(slot, skip_appt, skip_hold) >= CAPACITY {
            return Some(ErrorCode::CapacityFull);
        }
        if patient.is_some_and(|p| self.busy(p, slot, skip_appt, skip_hold)) {
            return Some(ErrorCode::PatientBusy);
        }
        None
    }

    fn nth_appt(&self, i: usize) -> Option<String> {
        let n = self.appts.len();
        (n > 0)
            .then(|| self.appts.keys().nth(i % n).cloned())
            .flatten()
    }
}

fn config() -> serde_json::Value {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat", "name": "Group", "allow_conflicts": true}]);
    cfg["services"][0]["portal_capacity"] = json!(CAPACITY);
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(0));
    cfg
}

fn pid(p: usize) -> String {
    format!("p{p}")
}

fn expect<T: std::fmt::Debug>(
    got: clinic_portal::Result<T>,
    want: Option<ErrorCode>,
    what: &str,
) -> Option<T> {
    match (got, want) {
        (Ok(v), None) => Some(v),
        (Err(e), Some(code)) => {
            assert_eq!(e.code(), code, "{what}: {e}");
            None
        }
        (Ok(v), Some(code)) => panic!("{what}: expected {code}, got {v:?}"),
        (Err(e), None) => panic!("{what}: expected success, got {e}"),
    }
}

fn check_agrees(e: &Engine, m: &Model) {
    assert_eq!(e.appointment_count(), m.appts.len());
    for (id, a) in &m.appts {
        let got: Appointment = e.appointment(id).expect("appointment");
        assert_eq!(got.status, a.status, "{id}");
        assert_eq!(got.start, slot_start(a.slot), "{id}");
        assert_eq!(got.patient, a.patient.map(pid), "{id}");
    }
    assert_eq!(e.outbox().len(), m.outbox);
    // Capacity as search sees it at the model's `now`.
    let slots = search(e, &on(monday()).practitioner("dr-a"), m.now);
    for slot in 0..SLOTS {
        let taken = m.taken(slot, None, None);
        let offered = slots
            .iter()
            .find(|s| s.start_unix() == slot_start(slot).timestamp())
            .map(|s| s.remaining_capacity() as usize);
        let want = (taken < CAPACITY).then(|| CAPACITY - taken);
        assert_eq!(offered, want, "slot {slot}: {taken} taken");
    }
}

fn run(ops: Vec<Op>) {
    let e = engine(&config());
    let start = e.snapshot();
    for p in 0..PATIENTS {
        e.upsert_patient(serde_json::from_value(json!({"id": pid(p)})).expect("patient"))
            .expect("patient");
    }
    let mut m = Model {
        now: early(),
        appts: BTreeMap::new(),
        holds: BTreeMap::new(),
        keys: BTreeMap::new(),
        outbox: 0,
        hosts: 0,
    };
    for op in ops {
        let now = m.now;
        let what = format!("{op:?}");
        match op {
            Op::Book { patient, slot, key } => {
                let mut r = BookRequest::new(pid(patient), "physio-30", slot_start(slot))
                    .practitioner("dr-a");
                if let Some(k) = key {
                    r = r.idempotency_key(format!("key-{k}"));
                }
                let replay = key.and_then(|k| m.keys.get(&k).cloned());
                match replay {
                    Some((args, id)) if args == (patient, slot) => {
                        let b = e.book(&r, now).expect("idempotent retry");
                        assert_eq!(b.appointment.id, id);
                    }
                    Some(_) => {
                        expect(e.book(&r, now), Some(ErrorCode::IdempotencyConflict), &what);
                    }
                    None => {
                        let want = m.refuse(Some(patient), slot, None, None);
                        if let Some(b) = expect(e.book(&r, now), want, &what) {
                            assert_eq!(b.appointment.status, AppointmentStatus::Pending);
                            m.appts.insert(
                                b.appointment.id.clone(),
                                MAppt {
                                    patient: Some(patient),
                                    slot,
                                    status: AppointmentStatus::Pending,
                                },
                            );
                            m.outbox += 1;
                            if let Some(k) = key {
                                m.keys.insert(k, ((patient, slot), b.appointment.id));
                            }
                        }
                    }
                }
            }
            Op::Hold { patient, slot } => {
                let r = HoldRequest::new("physio-30", slot_start(slot))
                    .practitioner("dr-a")
                    .patient(pid(patient));
                let want = m.refuse(Some(patient), slot, None, None);
                if let Some(h) = expect(e.hold(&r, now), want, &what) {
                    m.holds.insert(
                        h.id,
                        MHold {
                            patient,
                            slot,
                            expires: now + Duration::minutes(10),
                        },
                    );
                }
            }
            Op::BookHold { hold } => {
                let n = m.holds.len();
                let Some(id) = (n > 0)
                    .then(|| m.holds.keys().nth(hold % n).cloned())
                    .flatten()
                else {
                    continue;
                };
                let h = m.holds[&id].clone();
                let want = if now >= h.expires {
                    Some(ErrorCode::HoldExpired)
                } else {
                    m.refuse(Some(h.patient), h.slot, None, Some(&id))
                };
                if let Some(b) = expect(
                    e.book(&BookRequest::from_hold(pid(h.patient), &id), now),
                    want,
                    &what,
                ) {
                    m.holds.remove(&id);
                    m.appts.insert(
                        b.appointment.id,
                        MAppt {
                            patient: Some(h.patient),
                            slot: h.slot,
                            status: AppointmentStatus::Pending,
                        },
                    );
                    m.outbox += 1;
                }
            }
            Op::Accept { appt } | Op::Decline { appt } => {
                let Some(id) = m.nth_appt(appt) else { continue };
                let accept = matches!(op, Op::Accept { .. });
                let want = (m.appts[&id].status != AppointmentStatus::Pending)
                    .then_some(ErrorCode::InvalidTransition);
                let r = DecisionRequest::new(&id, Some("note"));
                let got = if accept {
                    e.accept(&r, now)
                } else {
                    e.decline(&r, now)
                };
                if expect(got, want, &what).is_some() {
                    m.appts.get_mut(&id).expect("appt").status = if accept {
                        AppointmentStatus::Booked
                    } else {
                        AppointmentStatus::Declined
                    };
                    m.outbox += 1;
                }
            }
            Op::CancelPatient { appt } | Op::CancelStaff { appt } => {
                let Some(id) = m.nth_appt(appt) else { continue };
                let r = if matches!(op, Op::CancelPatient { .. }) {
                    CancelRequest::by_patient(&id)
                } else {
                    CancelRequest::by_staff(&id, "staff")
                };
                let want =
                    (!m.appts[&id].status.occupies()).then_some(ErrorCode::InvalidTransition);
                if expect(e.cancel(&r, now), want, &what).is_some() {
                    m.appts.get_mut(&id).expect("appt").status = AppointmentStatus::Cancelled;
                    m.outbox += 1;
                }
            }
            Op::Reschedule { appt, slot } => {
                let Some(id) = m.nth_appt(appt) else { continue };
                let a = m.appts[&id].clone();
                let want = if !a.status.occupies() {
                    Some(ErrorCode::InvalidTransition)
                } else if a.patient.is_none() {
                    // Host appointments here have no service.
                    Some(ErrorCode::InvalidInput)
                } else {
                    m.refuse(a.patient, slot, Some(&id), None)
                };
                let r = RescheduleRequest::new(&id, slot_start(slot));
                if expect(e.reschedule(&r, now), want, &what).is_some() {
                    let a = m.appts.get_mut(&id).expect("appt");
                    a.slot = slot;
                    a.status = AppointmentStatus::Pending;
                    m.outbox += 1;
                }
            }
            Op::AddHost { slot } => {
                m.hosts += 1;
                let id = format!("host-{}", m.hosts);
                e.add_appointment(appt(
                    &id,
                    "dr-a",
                    slot_start(slot),
                    slot_start(slot) + Duration::minutes(30),
                    AppointmentStatus::Booked,
                ))
                .expect("host appointment");
                m.appts.insert(
                    id,
                    MAppt {
                        patient: None,
                        slot,
                        status: AppointmentStatus::Booked,
                    },
                );
            }
            Op::Remove { appt } => {
                let Some(id) = m.nth_appt(appt) else { continue };
                e.remove_appointment(&id).expect("remove");
                m.appts.remove(&id);
            }
            Op::Advance { minutes } => m.now += Duration::minutes(minutes),
            Op::Drain => {
                assert_eq!(e.drain_outbox().len(), m.outbox);
                m.outbox = 0;
            }
        }
        check_agrees(&e, &m);
    }
    // Replaying the journal onto the starting snapshot reproduces the state exactly.
    let end = e.snapshot();
    let replica = Engine::restore(&start).expect("restore start");
    for change in e.changes_since(0).expect("journal") {
        // Through JSON, as a host would store it.
        let json = serde_json::to_string(&change).expect("change to JSON");
        let stored: clinic_portal::Change = serde_json::from_str(&json).expect("change from JSON");
        assert_eq!(stored, change);
        replica.apply(&stored).expect("apply");
    }
    assert_eq!(replica.snapshot(), end);
    assert_eq!(Engine::restore(&end).expect("restore end").snapshot(), end);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_model_and_the_journal_replays(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops);
    }
}

#[test]
fn journal_sequence_is_gap_free_and_covers_host_mutations() {
    let e = engine(&config());
    e.upsert_patient(serde_json::from_value(json!({"id": "p0"})).expect("p"))
        .expect("p");
    e.add_appointment(appt(
        "h1",
        "dr-a",
        slot_start(0),
        slot_start(1),
        AppointmentStatus::Booked,
    ))
    .expect("add");
    e.update_appointment(appt(
        "h1",
        "dr-a",
        slot_start(1),
        slot_start(2),
        AppointmentStatus::Booked,
    ))
    .expect("update");
    e.remove_appointment("h1").expect("remove");
    e.remove_patient("p0").expect("remove patient");
    let seqs: Vec<u64> = e
        .changes_since(0)
        .expect("all")
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(e.changes_since(3).expect("tail").len(), 2);
    assert_eq!(e.last_seq(), 5);
    // Failed host mutations add nothing.
    assert!(e.remove_appointment("h1").is_err());
    assert_eq!(e.last_seq(), 5);
    // A restored engine continues the sequence and refuses older history.
    let r = Engine::restore(&e.snapshot()).expect("restore");
    assert_eq!(r.last_seq(), 5);
    assert_eq!(
        r.changes_since(0).map_err(|e| e.code()),
        Err(ErrorCode::InvalidInput)
    );
    assert!(r.changes_since(5).expect("none yet").is_empty());
}

#[test]
fn the_sample_practice_snapshots_and_restores_exactly() {
    #[derive(serde::Deserialize)]
    struct Data {
        patients: Vec<clinic_portal::Patient>,
        appointments: Vec<Appointment>,
    }
    let e = Engine::from_json(include_str!("../../examples/data/sample-practice.json"))
        .expect("sample practice");
    let data: Data =
        serde_json::from_str(include_str!("../../examples/data/sample-data.json")).expect("data");
    for p in data.patients {
        e.upsert_patient(p).expect("patient");
    }
    e.add_appointments(data.appointments).expect("appointments");
    let snap = e.snapshot();
    let r = Engine::restore(&snap).expect("restore");
    assert_eq!(r.snapshot(), snap);
    assert_eq!(r.config(), e.config());
    assert_eq!(r.warnings(), e.warnings());
    // Compacting drops what the host stored; later changes keep their numbers.
    assert_eq!(e.compact_journal(e.last_seq()), e.last_seq() as usize);
    assert!(e.changes_since(e.last_seq()).expect("none").is_empty());
    assert_eq!(
        e.changes_since(0).map_err(|e| e.code()),
        Err(ErrorCode::InvalidInput)
    );
}
