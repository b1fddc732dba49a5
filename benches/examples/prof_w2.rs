//! Runs one W2 operation many times, for a profiler:
//! `cargo run --release -p clinic-portal-benches --example prof_w2 -- 14|90|build|build-json|explain|explain-refused [iterations]`.
use clinic_portal_benches::w2;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "14".to_owned());
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let now = w2::now();
    let t = std::time::Instant::now();
    let mut total = 0;
    match case.as_str() {
        "build" => {
            let (config, appointments) = (w2::config_json(), w2::appointments());
            let t = std::time::Instant::now();
            for _ in 0..n {
                let engine = clinic_portal::Engine::from_json(&config).expect("W2 config");
                engine
                    .add_appointments(appointments.clone())
                    .expect("W2 appointments");
                total += engine.appointment_count();
            }
            println!("build: {:?} per engine", t.elapsed() / n);
        }
        "build-json" => {
            let (config, appointments) = (w2::config_json(), w2::appointments_json());
            let t = std::time::Instant::now();
            for _ in 0..n {
                let engine = clinic_portal::Engine::from_json(&config).expect("W2 config");
                let parsed: Vec<clinic_portal::Appointment> =
                    serde_json::from_str(&appointments).expect("appointments JSON");
                engine.add_appointments(parsed).expect("W2 appointments");
                total += engine.appointment_count();
            }
            println!("build from JSON: {:?} per engine", t.elapsed() / n);
        }
        "explain" | "explain-refused" => {
            let engine = w2::engine();
            let q = w2::query_14_days();
            let start = if case == "explain" {
                w2::offered_start()
            } else {
                w2::refused_start()
            };
            let t = std::time::Instant::now();
            for _ in 0..n {
                total += usize::from(engine.explain(&q, start, now).expect("explain").offered);
            }
            println!("{case}: {:?} per call", t.elapsed() / n);
        }
        days => {
            let engine = w2::engine();
            let q = w2::query_days(days.parse().unwrap_or(14));
            let t = std::time::Instant::now();
            for _ in 0..n {
                total += engine.search(&q, now).map_or(0, |s| s.len());
            }
            println!("{days} days: {:?} per query", t.elapsed() / n);
        }
    }
    println!("{total} in all, {:?} with setup", t.elapsed());
}
