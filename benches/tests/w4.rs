//! W4 measures what it claims: snapshot → restore is byte-identical, and replaying the
//! journal onto a restore of the starting snapshot reproduces the final state exactly.

use clinic_portal::Engine;
use clinic_portal_benches::{w2, w4};

#[test]
fn snapshot_restore_round_trip_is_byte_identical() {
    let engine = w4::large_engine(20_000);
    assert_eq!(engine.appointment_count(), 20_000);
    let snapshot = engine.snapshot();
    let restored = Engine::restore(&snapshot).expect("restore");
    assert_eq!(restored.appointment_count(), 20_000);
    assert_eq!(restored.snapshot(), snapshot);
}

#[test]
fn replaying_five_thousand_changes_reproduces_the_snapshot() {
    // W2's configuration without its 100,000 appointments keeps the test fast in debug
    // builds; the bench starts from the whole of W2.
    let start = Engine::from_json(&w2::config_json())
        .expect("W2 config")
        .snapshot();
    let work = w4::journal_workload_from(start, 500, 4_000);
    assert_eq!(work.changes.len(), 5_000);
    assert_ne!(work.start, work.end);
    let replayed = w4::replay(&work.start, &work.changes);
    assert!(replayed.snapshot() == work.end, "replayed snapshot differs");
    // Applying the first change again is refused (a repeat).
    assert!(replayed.apply(&work.changes[0]).is_err());
}

#[test]
fn resident_set_size_is_readable_on_linux() {
    if cfg!(target_os = "linux") {
        let rss = w4::rss_bytes().expect("statm");
        assert!(rss > 0);
        assert!(w4::page_size() >= 4096);
        let (engine, report) = w4::measure_large_engine(10_000);
        assert_eq!(engine.appointment_count(), 10_000);
        let report = report.expect("RSS");
        assert!(report.after >= report.before, "{report:?}");
    }
}
