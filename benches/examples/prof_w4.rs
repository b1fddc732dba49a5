//! Runs one W4 operation, for a profiler:
//! `cargo run --release -p clinic-portal-benches --example prof_w4 -- snapshot|restore|replay|rss [n]`.
use clinic_portal::Engine;
use clinic_portal_benches::w4;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "snapshot".to_owned());
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(w4::LARGE_APPOINTMENTS);
    match case.as_str() {
        "rss" => {
            let (engine, report) = w4::measure_large_engine(n);
            let r = report.expect("RSS");
            println!(
                "{} appointments: {:.1} MiB → {:.1} MiB, {:.0} bytes per appointment",
                engine.appointment_count(),
                r.before as f64 / 1_048_576.0,
                r.after as f64 / 1_048_576.0,
                r.bytes_per_appointment()
            );
        }
        "snapshot" | "restore" => {
            let engine = w4::large_engine(n);
            let t = std::time::Instant::now();
            let snapshot = engine.snapshot();
            println!("snapshot: {:?}, {} bytes", t.elapsed(), snapshot.len());
            if case == "restore" {
                drop(engine);
                for _ in 0..3 {
                    let t = std::time::Instant::now();
                    let restored = Engine::restore(&snapshot).expect("restore");
                    println!("restore: {:?}", t.elapsed());
                    drop(restored);
                }
            } else {
                for _ in 0..3 {
                    let t = std::time::Instant::now();
                    let s = engine.snapshot();
                    println!("snapshot: {:?}, {} bytes", t.elapsed(), s.len());
                }
            }
        }
        _ => {
            let work = w4::journal_workload(
                w4::JOURNAL_BOOKINGS,
                w4::JOURNAL_CHANGES - 2 * w4::JOURNAL_BOOKINGS,
            );
            for _ in 0..5 {
                let engine = Engine::restore(&work.start).expect("restore");
                let t = std::time::Instant::now();
                w4::apply_all(&engine, &work.changes);
                println!("replay: {:?}", t.elapsed());
            }
        }
    }
}
