//! Concurrency (docs/persistence.md, threads): eight threads race to book, hold, convert,
//! cancel and reschedule within the same three slots. Capacity is never exceeded — checked
//! after every change by replaying the journal — every refusal has the code its cause
//! calls for, and the final state equals a serial replay of the journal.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use clinic_portal::{
    AppointmentFilter, AppointmentStatus, BookRequest, CancelRequest, Engine, ErrorCode,
    HoldRequest, RescheduleRequest,
};
use common::*;
use serde_json::json;

const THREADS: usize = 8;
const OPS: usize = 150;
const SLOTS: i64 = 3;
const CAPACITY: usize = 2;
const PATIENTS: usize = 12;

fn slot_start(slot: i64) -> DateTime<Utc> {
    mon_at(9, 0) + Duration::minutes(30 * slot)
}

/// A small deterministic generator, one per thread.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn occupying_per_slot(e: &Engine) -> BTreeMap<DateTime<Utc>, usize> {
    let mut filter = AppointmentFilter::new(monday(), monday());
    filter.statuses = vec![AppointmentStatus::Pending, AppointmentStatus::Booked];
    let mut per = BTreeMap::new();
    for a in e.report_portal_appointments(&filter).expect("report") {
        *per.entry(a.start).or_default() += 1;
    }
    per
}

#[test]
fn racing_threads_never_exceed_capacity_and_the_journal_replays() {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat", "name": "Group", "allow_conflicts": true}]);
    cfg["services"][0]["portal_capacity"] = json!(CAPACITY);
    set_scheduling(&mut cfg, "min_hours_before_cancel", json!(0));
    set_scheduling(&mut cfg, "auto_accept", json!(true));
    let e = engine(&cfg);
    let start = e.snapshot();
    for p in 0..PATIENTS {
        e.upsert_patient(serde_json::from_value(json!({"id": format!("p{p}")})).expect("p"))
            .expect("patient");
    }
    let refusals: Mutex<BTreeMap<(&'static str, ErrorCode), usize>> = Mutex::new(BTreeMap::new());
    let successes: Mutex<BTreeMap<&'static str, usize>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let e = &e;
            let refusals = &refusals;
            let successes = &successes;
            scope.spawn(move || {
                let mut rng = Lcg(t as u64 + 1);
                let mut now = early();
                let mut mine: Vec<String> = Vec::new();
                let mut holds: Vec<(String, String)> = Vec::new();
                for _ in 0..OPS {
                    now += Duration::seconds(rng.next(90) as i64);
                    let patient = format!("p{}", rng.next(PATIENTS as u64));
                    // One start in four is off the grid (10:40): never offered (rule 9).
                    let off_grid = rng.next(4) == 0;
                    let slot = rng.next(SLOTS as u64) as i64;
                    let at = if off_grid {
                        mon_at(10, 40)
                    } else {
                        slot_start(slot)
                    };
                    let (op, result): (&'static str, Result<Option<String>, clinic_portal::Error>) =
                        match rng.next(5) {
                            0 | 1 => (
                                "book",
                                e.book(
                                    &BookRequest::new(&patient, "physio-30", at)
                                        .practitioner("dr-a"),
                                    now,
                                )
                                .map(|b| Some(b.appointment.id)),
                            ),
                            2 => match holds.pop() {
                                Some((hold, holder)) => (
                                    "book_hold",
                                    e.book(&BookRequest::from_hold(&holder, &hold), now)
                                        .map(|b| Some(b.appointment.id)),
                                ),
                                None => (
                                    "hold",
                                    e.hold(
                                        &HoldRequest::new("physio-30", at)
                                            .practitioner("dr-a")
                                            .patient(&patient),
                                        now,
                                    )
                                    .map(|h| {
                                        holds.push((h.id, patient.clone()));
                                        None
                                    }),
                                ),
                            },
                            3 => match mine.pop() {
                                Some(id) => (
                                    "cancel",
                                    e.cancel(&CancelRequest::by_patient(&id), now).map(|_| None),
                                ),
                                None => continue,
                            },
                            _ => match mine.last() {
                                Some(id) => (
                                    "reschedule",
                                    e.reschedule(&RescheduleRequest::new(id, at), now)
                                        .map(|_| None),
                                ),
                                None => continue,
                            },
                        };
                    match result {
                        Ok(id) => {
                            assert!(!off_grid || !matches!(op, "book" | "hold" | "reschedule"));
                            *successes.lock().expect("lock").entry(op).or_default() += 1;
                            mine.extend(id);
                        }
                        Err(err) if off_grid && matches!(op, "book" | "hold" | "reschedule") => {
                            assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{op}: {err}");
                            assert!(err.message().contains("rule 9"), "{err}");
                        }
                        Err(err) => {
                            let allowed: &[ErrorCode] = match op {
                                "book" | "reschedule" => {
                                    &[ErrorCode::CapacityFull, ErrorCode::PatientBusy]
                                }
                                "hold" => &[ErrorCode::CapacityFull, ErrorCode::PatientBusy],
                                "book_hold" => &[
                                    ErrorCode::HoldExpired,
                                    ErrorCode::CapacityFull,
                                    ErrorCode::PatientBusy,
                                ],
                                _ => &[],
                            };
                            assert!(allowed.contains(&err.code()), "{op}: {err}");
                            if err.code() == ErrorCode::CapacityFull {
                                assert!(err.message().contains("rule 10"), "{err}");
                            }
                            *refusals
                                .lock()
                                .expect("lock")
                                .entry((op, err.code()))
                                .or_default() += 1;
                        }
                    }
                }
            });
        }
    });
    let refusals = refusals.into_inner().expect("refusals");
    let successes = successes.into_inner().expect("successes");
    for op in ["book", "hold", "book_hold", "cancel", "reschedule"] {
        assert!(
            successes.get(op).copied().unwrap_or(0) > 0,
            "no {op} succeeded: {successes:?}"
        );
    }
    assert!(
        refusals.keys().any(|(_, c)| *c == ErrorCode::CapacityFull)
            && refusals.keys().any(|(_, c)| *c == ErrorCode::PatientBusy),
        "the race hit full slots and busy patients: {refusals:?}"
    );
    // Replay the journal serially; capacity holds after every single change.
    let replica = Engine::restore(&start).expect("restore");
    for change in e.changes_since(0).expect("journal") {
        replica.apply(&change).expect("apply");
        for (at, n) in occupying_per_slot(&replica) {
            assert!(n <= CAPACITY, "change {}: {n} at {at}", change.seq);
        }
    }
    assert_eq!(replica.snapshot(), e.snapshot());
}
