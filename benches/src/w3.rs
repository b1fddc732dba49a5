//! W3 — bookings.
//!
//! - **Sequential**: portal bookings into W2 ([`crate::w2`]), each one validated by the
//!   engine against every rule. [`sequential_requests`] picks, from one named-practitioner
//!   search per practitioner over W2's 90-day window, starts that do not overlap each other
//!   (the service's buffer after included), then takes them round-robin over the
//!   practitioners; every request has its own patient ([`patient_id`]), so patient limits
//!   and patient overlaps never refuse. Booked in order into a fresh engine with those
//!   patients ([`engine_with_patients`]), every request succeeds.
//! - **Contended**: 8 threads booking into the same 50 slots of a service with portal
//!   capacity 2 in an `allow_conflicts` schedule type ([`contended_engine`],
//!   [`run_contended`]): exactly 100 bookings succeed, every refusal is `capacity_full` or
//!   `slot_unavailable`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinic_portal::{BookRequest, Engine, ErrorCode, Patient, SlotQuery};

use crate::w2;

/// Bookings in the sequential case.
pub const SEQUENTIAL_BOOKINGS: usize = 10_000;
/// Threads in the contended case.
pub const THREADS: usize = 8;
/// Slots in the contended case.
pub const CONTENDED_SLOTS: usize = 50;
/// Portal capacity of the contended service.
pub const CONTENDED_CAPACITY: usize = 2;
/// The contended service.
pub const CONTENDED_SERVICE: &str = "class-30";

/// The id of the `i`-th W3 patient.
pub fn patient_id(i: usize) -> String {
    format!("w3-pat-{i}")
}

/// A patient with only an id (every other field takes its default).
pub fn patient(id: &str) -> Patient {
    serde_json::from_value(serde_json::json!({ "id": id }))
        .unwrap_or_else(|e| panic!("patient JSON: {e}"))
}

/// Adds patients [`patient_id`]`(0 .. n)` to `engine`.
pub fn add_patients(engine: &Engine, n: usize) {
    for i in 0..n {
        engine
            .upsert_patient(patient(&patient_id(i)))
            .unwrap_or_else(|e| panic!("patient {i}: {e}"));
    }
}

/// The W2 engine with `patients` W3 patients.
pub fn engine_with_patients(patients: usize) -> Engine {
    let engine = w2::engine();
    add_patients(&engine, patients);
    engine
}

/// The service W3 books with practitioner `h`: one of the services `h` offers, rotating
/// with `h` so that every duration, buffer and schedule type of W2 is booked.
pub fn service_for(h: usize) -> &'static w2::ServiceSpec {
    let offered = w2::services_of(h);
    let id = offered[h % offered.len()];
    w2::SERVICES
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("service {id}"))
}

/// Non-overlapping offered starts of practitioner `h` for [`service_for`]`(h)` in W2's
/// window, earliest first, at most `max`: a start is taken when it begins at or after the
/// end of the previous one plus the service's buffer after.
pub fn free_starts(engine: &Engine, h: usize, max: usize) -> Vec<DateTime<Utc>> {
    let spec = service_for(h);
    let q =
        SlotQuery::new(spec.id, w2::first_date(), w2::last_date()).practitioner(format!("p{h}"));
    let slots = engine
        .search(&q, w2::now())
        .unwrap_or_else(|e| panic!("search p{h}: {e}"));
    let span = i64::from(spec.minutes + spec.buffer_after) * 60;
    let mut out = Vec::new();
    let mut free_from = i64::MIN;
    for slot in slots.iter() {
        if out.len() == max {
            break;
        }
        if slot.start_unix() >= free_from {
            out.push(slot.start().with_timezone(&Utc));
            free_from = slot.start_unix() + span;
        }
    }
    out
}

/// `n` portal booking requests into W2 (named practitioner, distinct patients
/// `patient_id(0 .. n)`), taken round-robin over the practitioners from their
/// [`free_starts`]. Booked in order into [`engine_with_patients`]`(n)`, every one succeeds.
/// Panics if W2 does not have `n` such starts.
pub fn sequential_requests(engine: &Engine, n: usize) -> Vec<BookRequest> {
    let per = n.div_ceil(w2::PRACTITIONERS);
    // A little more than an even share, for practitioners with fewer free starts.
    let starts: Vec<Vec<DateTime<Utc>>> = (0..w2::PRACTITIONERS)
        .map(|h| free_starts(engine, h, per * 2 + 4))
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut round = 0;
    while out.len() < n {
        let before = out.len();
        for (h, list) in starts.iter().enumerate() {
            if out.len() == n {
                break;
            }
            if let Some(&start) = list.get(round) {
                let i = out.len();
                out.push(
                    BookRequest::new(patient_id(i), service_for(h).id, start)
                        .practitioner(format!("p{h}")),
                );
            }
        }
        assert!(
            out.len() > before,
            "W2 has only {} non-overlapping starts",
            out.len()
        );
        round += 1;
    }
    out
}

/// Books `requests` in order; returns how many succeeded (panics on the first refusal when
/// `strict`).
pub fn book_all(engine: &Engine, requests: &[BookRequest], strict: bool) -> usize {
    let now = w2::now();
    let mut ok = 0;
    for r in requests {
        match engine.book(r, now) {
            Ok(_) => ok += 1,
            Err(e) if strict => panic!("{r:?}: {e}"),
            Err(_) => {}
        }
    }
    ok
}

// ---------------------------------------------------------------------------------------
// Contended.
// ---------------------------------------------------------------------------------------

/// First local date of the contended week (a Monday).
pub fn contended_first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default()
}

/// `now` for the contended case: a week before.
pub fn contended_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 2, 22, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The contended configuration: one Toronto clinic, one practitioner working Mon–Fri
/// 09:00–14:00 in the `group` schedule type (`allow_conflicts`), a 30-minute service of
/// portal capacity 2 on a 30-minute grid — 10 starts a day, 50 in the week from
/// [`contended_first_date`].
pub fn contended_config_json() -> String {
    let blocks: Vec<serde_json::Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| {
            serde_json::json!({"weekday": d, "start": "09:00", "end": "14:00",
                               "schedule_type": "group"})
        })
        .collect();
    serde_json::json!({
        "portal": {"scheduling": {
            "start_interval_minutes": 30,
            "min_hours_before_booking": 2,
            "max_days_ahead": 60,
            "allow_no_preference": true
        }},
        "clinics": [{"id": "toronto", "name": "Toronto", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "group", "name": "Group", "allow_conflicts": true}],
        "practitioners": [{"id": "kin-1", "schedule_types": ["group"],
                           "availability": [{"start_date": "2027-01-01", "blocks": blocks}]}],
        "services": [{"id": CONTENDED_SERVICE, "name": "Class 30", "duration_minutes": 30,
                      "portal_capacity": CONTENDED_CAPACITY, "schedule_types": ["group"]}]
    })
    .to_string()
}

/// The patient of thread `t` for slot `s`.
pub fn contended_patient(t: usize, s: usize) -> String {
    format!("c{t}-{s}")
}

/// A fresh contended engine with a patient per (thread, slot), and its 50 starts.
pub fn contended_engine() -> (Engine, Vec<DateTime<Utc>>) {
    let engine = Engine::from_json(&contended_config_json())
        .unwrap_or_else(|e| panic!("contended config: {e}"));
    for t in 0..THREADS {
        for s in 0..CONTENDED_SLOTS {
            engine
                .upsert_patient(patient(&contended_patient(t, s)))
                .unwrap_or_else(|e| panic!("patient: {e}"));
        }
    }
    let first = contended_first_date();
    let q = SlotQuery::new(CONTENDED_SERVICE, first, first + Duration::days(6));
    let starts: Vec<DateTime<Utc>> = engine
        .search(&q, contended_now())
        .unwrap_or_else(|e| panic!("contended search: {e}"))
        .iter()
        .map(|s| s.start().with_timezone(&Utc))
        .collect();
    assert_eq!(starts.len(), CONTENDED_SLOTS, "contended slots");
    (engine, starts)
}

/// What the threads of [`run_contended`] got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContendedOutcome {
    /// Bookings that succeeded.
    pub successes: usize,
    /// Refusals, by error code name (`capacity_full`, …).
    pub refusals: BTreeMap<String, usize>,
}

impl ContendedOutcome {
    /// Refusals with a code other than `capacity_full` or `slot_unavailable`.
    pub fn unexpected_refusals(&self) -> usize {
        self.refusals
            .iter()
            .filter(|(code, _)| {
                code.as_str() != ErrorCode::CapacityFull.as_str()
                    && code.as_str() != ErrorCode::SlotUnavailable.as_str()
            })
            .map(|(_, n)| n)
            .sum()
    }
}

/// [`THREADS`] threads, each booking every one of `starts` for its own patients (thread `t`
/// starts at slot `6 t` and wraps around, so that the threads meet on every slot).
pub fn run_contended(engine: &Engine, starts: &[DateTime<Utc>]) -> ContendedOutcome {
    let now = contended_now();
    let per_thread: Vec<ContendedOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                scope.spawn(move || {
                    let mut out = ContendedOutcome::default();
                    for k in 0..starts.len() {
                        let s = (k + 6 * t) % starts.len();
                        let r =
                            BookRequest::new(contended_patient(t, s), CONTENDED_SERVICE, starts[s])
                                .practitioner("kin-1");
                        match engine.book(&r, now) {
                            Ok(_) => out.successes += 1,
                            Err(e) => {
                                *out.refusals
                                    .entry(e.code().as_str().to_owned())
                                    .or_default() += 1;
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("booking thread panicked"))
            })
            .collect()
    });
    let mut total = ContendedOutcome::default();
    for o in per_thread {
        total.successes += o.successes;
        for (code, n) in o.refusals {
            *total.refusals.entry(code).or_default() += n;
        }
    }
    total
}
