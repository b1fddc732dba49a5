//! Restores one W5 practice from its snapshot many times, for a profiler:
//! `cargo run --release -p clinic-portal-benches --example prof_w5 -- [restores]`.
use clinic_portal::Engine;
use clinic_portal_benches::w5;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let snapshot = w5::snapshot(1, &w5::password_hash());
    let t = std::time::Instant::now();
    for _ in 0..n {
        let engine = Engine::restore(&snapshot).unwrap_or_else(|e| panic!("restore: {e}"));
        assert_eq!(engine.appointment_count(), w5::APPOINTMENTS);
    }
    println!("cold start: {:?} per restore", t.elapsed() / n.max(1));
}
