//! Runs W3's sequential bookings many times, for a profiler:
//! `cargo run --release -p clinic-portal-benches --example prof_w3 -- [rounds] [bookings]`.
use clinic_portal_benches::{w2, w3};

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(w3::SEQUENTIAL_BOOKINGS);
    let requests = w3::sequential_requests(&w2::engine(), n);
    let mut booking = std::time::Duration::ZERO;
    for _ in 0..rounds {
        let engine = w3::engine_with_patients(n);
        let t = std::time::Instant::now();
        assert_eq!(w3::book_all(&engine, &requests, true), n);
        booking += t.elapsed();
    }
    println!(
        "{n} bookings: {:?} per round, {:?} per booking",
        booking / rounds,
        booking / rounds / n as u32
    );
}
