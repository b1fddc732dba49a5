//! Runs one W1 case many times, for a profiler: `cargo run --release -p clinic-portal-benches --example prof_w1 -- a|b|c [iterations]`.
use clinic_portal_benches::w1;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "a".to_owned());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let engine = w1::engine();
    let now = w1::now();
    let queries = match case.as_str() {
        "a" => vec![w1::query_w1a()],
        "b" => vec![w1::query_w1b()],
        _ => w1::queries_w1c(),
    };
    let mut total = 0;
    let t = std::time::Instant::now();
    for _ in 0..n {
        for q in &queries {
            total += engine.search(q, now).map_or(0, |s| s.len());
        }
    }
    println!(
        "{case}: {} slots per round, {:?} per round",
        total / n,
        t.elapsed() / n as u32
    );
}
