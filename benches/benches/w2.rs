//! W2 (benches/README.md): 200 practitioners, 3 clinics in 2 zones, 100,000 appointments.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::time::Duration;

use clinic_portal::{Appointment, Engine};
use clinic_portal_benches::w2;

fn bench_queries(c: &mut Criterion) {
    let engine = w2::engine();
    let now = w2::now();
    let (short, long) = (w2::query_14_days(), w2::query_90_days());
    let mut group = c.benchmark_group("W2");
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("14-day query", |b| {
        b.iter(|| black_box(engine.search(black_box(&short), now).map(|s| s.len())))
    });
    group.bench_function("90-day query", |b| {
        b.iter(|| black_box(engine.search(black_box(&long), now).map(|s| s.len())))
    });
    group.finish();
}

/// Building an engine; dropping it is left out of the time (`iter_with_large_drop`,
/// `iter_batched`).
fn bench_build(c: &mut Criterion) {
    let config = w2::config_json();
    let appointments = w2::appointments();
    let appointments_json = w2::appointments_json();
    let mut group = c.benchmark_group("W2 build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(12));
    group.bench_function("config from JSON", |b| {
        b.iter_with_large_drop(|| Engine::from_json(black_box(&config)).expect("W2 config"))
    });
    group.bench_function("add 100k appointments", |b| {
        b.iter_batched(
            || {
                (
                    Engine::from_json(&config).expect("W2 config"),
                    appointments.clone(),
                )
            },
            |(engine, appointments)| {
                engine.add_appointments(appointments).expect("adds");
                engine
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("config + 100k appointments from JSON", |b| {
        b.iter_with_large_drop(|| {
            let engine = Engine::from_json(black_box(&config)).expect("W2 config");
            let parsed: Vec<Appointment> =
                serde_json::from_str(black_box(&appointments_json)).expect("appointments JSON");
            engine.add_appointments(parsed).expect("adds");
            engine
        })
    });
    group.finish();
}

criterion_group!(benches, bench_queries, bench_build);
criterion_main!(benches);
