//! W1 (benches/README.md): one clinic, 50 practitioners, 60 days.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use clinic_portal_benches::w1;

fn bench_w1(c: &mut Criterion) {
    let engine = w1::engine();
    let now = w1::now();
    let (a, b, cs) = (w1::query_w1a(), w1::query_w1b(), w1::queries_w1c());
    let mut group = c.benchmark_group("W1");
    group.bench_function("W1a p0 alone", |bench| {
        bench.iter(|| black_box(engine.search(black_box(&a), now).map(|s| s.len())))
    });
    group.bench_function("W1b no preference over 50", |bench| {
        bench.iter(|| black_box(engine.search(black_box(&b), now).map(|s| s.len())))
    });
    group.bench_function("W1c 50 single queries", |bench| {
        bench.iter(|| {
            let total: usize = cs
                .iter()
                .map(|q| engine.search(q, now).map_or(0, |s| s.len()))
                .sum();
            black_box(total)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_w1);
criterion_main!(benches);
