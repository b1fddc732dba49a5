//! W4 (benches/README.md): snapshot and restore of an engine holding 1,000,000 appointments
//! (and its resident set size per appointment), and the replay of 100,000 journal changes.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use std::time::Duration;

use clinic_portal::Engine;
use clinic_portal_benches::w4;

fn bench_state(c: &mut Criterion) {
    // First, before anything else large is allocated: the RSS around loading.
    let (engine, report) = w4::measure_large_engine(w4::LARGE_APPOINTMENTS);
    assert_eq!(engine.appointment_count(), w4::LARGE_APPOINTMENTS);
    match report {
        Some(r) => eprintln!(
            "W4 RSS: {:.1} MiB before loading, {:.1} MiB after {} appointments: \
             {:.0} bytes per appointment",
            r.before as f64 / 1_048_576.0,
            r.after as f64 / 1_048_576.0,
            r.appointments,
            r.bytes_per_appointment()
        ),
        None => eprintln!("W4 RSS: /proc/self/statm is not readable here"),
    }
    let snapshot = engine.snapshot();
    eprintln!(
        "W4 snapshot of {} appointments: {:.1} MiB of JSON",
        w4::LARGE_APPOINTMENTS,
        snapshot.len() as f64 / 1_048_576.0
    );
    {
        let restored = Engine::restore(&snapshot).expect("restore");
        assert_eq!(restored.appointment_count(), w4::LARGE_APPOINTMENTS);
        assert!(
            restored.snapshot() == snapshot,
            "restore round trip differs"
        );
    }

    let mut group = c.benchmark_group("W4 1M appointments");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("snapshot", |b| b.iter_with_large_drop(|| engine.snapshot()));
    group.bench_function("restore", |b| {
        b.iter_with_large_drop(|| Engine::restore(&snapshot).expect("restore"))
    });
    group.finish();
    drop(snapshot);
    drop(engine);

    let work = w4::journal_workload(
        w4::JOURNAL_BOOKINGS,
        w4::JOURNAL_CHANGES - 2 * w4::JOURNAL_BOOKINGS,
    );
    assert_eq!(work.changes.len(), w4::JOURNAL_CHANGES);
    assert!(
        w4::replay(&work.start, &work.changes).snapshot() == work.end,
        "replay differs"
    );
    let mut group = c.benchmark_group("W4 journal");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("replay 100,000 changes onto W2", |b| {
        b.iter_batched(
            || Engine::restore(&work.start).expect("restore"),
            |engine| {
                w4::apply_all(&engine, &work.changes);
                engine
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_state);
criterion_main!(benches);
