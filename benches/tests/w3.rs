//! W3 measures what it claims: the sequential requests are all bookable in order into W2,
//! and the contended run gives exactly the capacity of its slots.

use clinic_portal::{AppointmentStatus, ErrorCode};
use clinic_portal_benches::{w2, w3};

#[test]
fn a_thousand_sequential_bookings_all_succeed() {
    let n = 1_000;
    let engine = w3::engine_with_patients(n);
    let requests = w3::sequential_requests(&engine, n);
    assert_eq!(requests.len(), n);
    // Every practitioner is booked, with every kind of service.
    let practitioners: std::collections::BTreeSet<_> = requests
        .iter()
        .filter_map(|r| r.practitioner.clone())
        .collect();
    assert_eq!(practitioners.len(), w2::PRACTITIONERS);
    let before = engine.appointment_count();
    let now = w2::now();
    for r in &requests {
        let b = engine.book(r, now).unwrap_or_else(|e| panic!("{r:?}: {e}"));
        assert_eq!(b.appointment.status, AppointmentStatus::Pending);
        assert_eq!(b.appointment.start, r.start.unwrap_or_default());
    }
    assert_eq!(engine.appointment_count(), before + n);
    // The same requests again are all refused: every start is now taken.
    assert_eq!(w3::book_all(&engine, &requests[..50], false), 0);
}

#[test]
fn the_full_sequential_workload_has_ten_thousand_requests() {
    let engine = w2::engine();
    let requests = w3::sequential_requests(&engine, w3::SEQUENTIAL_BOOKINGS);
    assert_eq!(requests.len(), w3::SEQUENTIAL_BOOKINGS);
    let patients: std::collections::BTreeSet<_> = requests.iter().map(|r| &r.patient).collect();
    assert_eq!(patients.len(), w3::SEQUENTIAL_BOOKINGS);
}

#[test]
fn contended_gives_exactly_one_hundred_successes() {
    for round in 0..3 {
        let (engine, starts) = w3::contended_engine();
        assert_eq!(starts.len(), w3::CONTENDED_SLOTS);
        let outcome = w3::run_contended(&engine, &starts);
        if round == 0 {
            eprintln!("contended: {outcome:?}");
        }
        assert_eq!(
            outcome.successes,
            w3::CONTENDED_SLOTS * w3::CONTENDED_CAPACITY,
            "{outcome:?}"
        );
        assert_eq!(outcome.unexpected_refusals(), 0, "{outcome:?}");
        let refused: usize = outcome.refusals.values().sum();
        assert_eq!(
            refused + outcome.successes,
            w3::THREADS * w3::CONTENDED_SLOTS
        );
        assert!(outcome
            .refusals
            .contains_key(ErrorCode::CapacityFull.as_str()));
        // Every slot is full: the search offers nothing any more.
        let first = w3::contended_first_date();
        let q = clinic_portal::SlotQuery::new(
            w3::CONTENDED_SERVICE,
            first,
            first + chrono::Duration::days(6),
        );
        let left = engine.search(&q, w3::contended_now()).expect("search");
        assert!(left.is_empty(), "{} slots left", left.len());
    }
}
