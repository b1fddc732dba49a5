//! `explain` on W2 for a profiler: `cargo run --release -p clinic-portal-benches --example
//! prof_explain -- offered|refused [rounds] [named]` (no preference unless `named`).
use clinic_portal_benches::w2;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "offered".to_owned());
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let named = args.next().as_deref() == Some("named");
    let engine = w2::engine();
    let now = w2::now();
    let mut query = w2::query_14_days();
    if named {
        query = query.practitioner("p0");
    }
    let start = match case.as_str() {
        "refused" => w2::refused_start(),
        _ => w2::offered_start(),
    };
    let t = std::time::Instant::now();
    let mut offered = 0;
    for _ in 0..rounds {
        let e = engine.explain(&query, start, now).expect("explain");
        offered += usize::from(e.offered);
    }
    println!(
        "{case}: {offered} of {rounds} offered, {:?} per explain",
        t.elapsed() / rounds.max(1)
    );
}
