//! How the cost of a search grows: practitioners, days and stored appointments doubled in
//! turn (benches/README.md, scaling), on W1-like data.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

use clinic_portal::{Engine, SlotQuery};
use clinic_portal_benches::scaling;

fn run(engine: &Engine, q: &SlotQuery) -> usize {
    engine.search(q, scaling::now()).map_or(0, |s| s.len())
}

fn bench_scaling(c: &mut Criterion) {
    let now = scaling::now();
    let mut group = c.benchmark_group("scaling/practitioners (30 days)");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    for p in [25, 50, 100, 200] {
        let engine = scaling::engine(p, scaling::w1_density(p, 60));
        let q = scaling::query(30);
        group.throughput(Throughput::Elements(p as u64 * 30));
        group.bench_with_input(BenchmarkId::from_parameter(p), &q, |b, q| {
            b.iter(|| black_box(engine.search(black_box(q), now).map(|s| s.len())))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("scaling/days (50 practitioners)");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    let engine = scaling::engine(50, scaling::w1_density(50, 120));
    for days in [15, 30, 60, 120] {
        let q = scaling::query(days);
        group.throughput(Throughput::Elements(50 * days as u64));
        group.bench_with_input(BenchmarkId::from_parameter(days), &q, |b, q| {
            b.iter(|| black_box(engine.search(black_box(q), now).map(|s| s.len())))
        });
    }
    group.finish();

    for (name, inside) in [
        ("scaling/stored, extra before window", false),
        ("scaling/stored, all inside window", true),
    ] {
        let mut group = c.benchmark_group(name);
        group.measurement_time(Duration::from_secs(2));
        group.warm_up_time(Duration::from_millis(500));
        let q = scaling::query(30);
        for total in [10_000, 20_000, 40_000, 80_000, 160_000] {
            let engine = scaling::stored_engine(total, inside);
            assert_eq!(engine.appointment_count(), total);
            black_box(run(&engine, &q));
            group.bench_with_input(BenchmarkId::from_parameter(total), &q, |b, q| {
                b.iter(|| black_box(engine.search(black_box(q), now).map(|s| s.len())))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_scaling);
criterion_main!(benches);
