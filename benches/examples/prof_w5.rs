//! W5 for a profiler: restores one practice from its snapshot many times, or loads
//! practices and prints the resident set size:
//! `cargo run --release -p clinic-portal-benches --example prof_w5 -- [restores]` or
//! `... --example prof_w5 -- rss [practices]`.
use clinic_portal::Engine;
use clinic_portal_benches::{heap, w4::rss_bytes, w5};

fn mib(bytes: Option<u64>) -> f64 {
    bytes.unwrap_or(0) as f64 / 1_048_576.0
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("rss") {
        let n: usize = args
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(w5::PRACTICES);
        let hash = w5::password_hash();
        let before = rss_bytes();
        let mut engines = w5::load(n, &hash);
        let loaded = rss_bytes();
        for slot in engines.iter_mut().step_by(2) {
            *slot = None;
        }
        let dropped = rss_bytes();
        heap::trim();
        let trimmed = rss_bytes();
        println!(
            "{n} practices: {:.1} MiB before, {:.1} MiB loaded ({:.2} MiB per practice), \
             {:.1} MiB after dropping every other, {:.1} MiB after malloc_trim",
            mib(before),
            mib(loaded),
            (mib(loaded) - mib(before)) / n.max(1) as f64,
            mib(dropped),
            mib(trimmed)
        );
        return;
    }
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let snapshot = w5::snapshot(1, &w5::password_hash());
    let t = std::time::Instant::now();
    for _ in 0..n {
        let engine = Engine::restore(&snapshot).unwrap_or_else(|e| panic!("restore: {e}"));
        assert_eq!(engine.appointment_count(), w5::APPOINTMENTS);
    }
    println!("cold start: {:?} per restore", t.elapsed() / n.max(1));
}
