//! W3's `explain` for one (query, start), on W2.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

use clinic_portal_benches::w2;

fn bench_explain(c: &mut Criterion) {
    let engine = w2::engine();
    let now = w2::now();
    let any = w2::query_14_days();
    let named = w2::query_14_days().practitioner("p0");
    let (offered, refused) = (w2::offered_start(), w2::refused_start());
    for (q, start, want) in [
        (&any, offered, true),
        (&any, refused, false),
        (&named, offered, true),
        (&named, refused, false),
    ] {
        let e = engine.explain(q, start, now).expect("explain");
        assert_eq!(e.offered, want, "{}", e.message);
    }
    let mut group = c.benchmark_group("explain W2");
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("no preference, offered", |b| {
        b.iter(|| {
            black_box(
                engine
                    .explain(black_box(&any), offered, now)
                    .map(|e| e.offered),
            )
        })
    });
    group.bench_function("no preference, refused (closure)", |b| {
        b.iter(|| {
            black_box(
                engine
                    .explain(black_box(&any), refused, now)
                    .map(|e| e.offered),
            )
        })
    });
    group.bench_function("p0, offered", |b| {
        b.iter(|| {
            black_box(
                engine
                    .explain(black_box(&named), offered, now)
                    .map(|e| e.offered),
            )
        })
    });
    group.bench_function("p0, refused (closure)", |b| {
        b.iter(|| {
            black_box(
                engine
                    .explain(black_box(&named), refused, now)
                    .map(|e| e.offered),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_explain);
criterion_main!(benches);
