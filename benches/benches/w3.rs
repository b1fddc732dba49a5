//! W3 (benches/README.md): bookings. Sequential — 10,000 portal bookings into W2, each
//! validated against every rule; contended — 8 threads booking into the same 50 slots of
//! capacity 2 (exactly 100 succeed).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use std::time::Duration;

use clinic_portal_benches::{w2, w3};

fn bench_sequential(c: &mut Criterion) {
    let n = w3::SEQUENTIAL_BOOKINGS;
    let requests = w3::sequential_requests(&w2::engine(), n);
    // Every request succeeds, in order, on a fresh engine.
    assert_eq!(
        w3::book_all(&w3::engine_with_patients(n), &requests, true),
        n
    );
    let mut group = c.benchmark_group("W3 sequential");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("10,000 portal bookings into W2", |b| {
        b.iter_batched(
            || w3::engine_with_patients(n),
            |engine| {
                assert_eq!(w3::book_all(&engine, &requests, false), n);
                engine
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench_contended(c: &mut Criterion) {
    let want = w3::CONTENDED_SLOTS * w3::CONTENDED_CAPACITY;
    let mut group = c.benchmark_group("W3 contended");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    // Booking attempts per run: 8 threads × 50 slots.
    group.throughput(Throughput::Elements(
        (w3::THREADS * w3::CONTENDED_SLOTS) as u64,
    ));
    group.bench_function("8 threads, 50 slots of capacity 2", |b| {
        b.iter_batched(
            w3::contended_engine,
            |(engine, starts)| {
                let outcome = w3::run_contended(&engine, &starts);
                assert_eq!(outcome.successes, want, "{outcome:?}");
                assert_eq!(outcome.unexpected_refusals(), 0, "{outcome:?}");
                engine
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_sequential, bench_contended);
criterion_main!(benches);
