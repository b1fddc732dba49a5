//! W5 (benches/README.md): 1,000 practices in one process — resident memory with all of
//! them loaded, cold start of one practice from its snapshot, a slot query on a warm
//! practice among them, and the memory given back when half are dropped.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use std::time::{Duration, Instant};

use clinic_portal::Engine;
use clinic_portal_benches::{heap, w4::rss_bytes, w5};

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn bench_tenants(c: &mut Criterion) {
    let hash = w5::password_hash();
    let before = rss_bytes();
    let started = Instant::now();
    let mut engines = w5::load(w5::PRACTICES, &hash);
    let loaded = rss_bytes();
    eprintln!(
        "W5: {} practices generated and started from their snapshots in {:.1} s",
        w5::PRACTICES,
        started.elapsed().as_secs_f64()
    );
    if let (Some(before), Some(loaded)) = (before, loaded) {
        eprintln!(
            "W5 RSS: {:.1} MiB before, {:.1} MiB with {} practices loaded ({:.2} MiB per practice)",
            mib(before),
            mib(loaded),
            w5::PRACTICES,
            mib(loaded.saturating_sub(before)) / w5::PRACTICES as f64
        );
    }

    let snapshot = w5::snapshot(1, &hash);
    eprintln!(
        "W5 snapshot of one practice: {:.2} MiB of JSON",
        mib(snapshot.len() as u64)
    );
    let warm = engines[w5::PRACTICES / 2 + 1]
        .as_ref()
        .expect("a loaded practice");
    let query = w5::query();
    assert!(!warm.search(&query, w5::now()).expect("search").is_empty());

    let mut group = c.benchmark_group("W5 1,000 practices");
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("warm query (p0, 60 days)", |b| {
        b.iter(|| warm.search(&query, w5::now()).expect("search"))
    });
    group.sample_size(20);
    group.bench_function("cold start of one practice from its snapshot", |b| {
        b.iter_batched(
            || (),
            |()| Engine::restore(&snapshot).expect("restore"),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    for slot in engines.iter_mut().step_by(2) {
        *slot = None;
    }
    let after_drop = rss_bytes();
    heap::trim();
    let after_trim = rss_bytes();
    if let (Some(loaded), Some(after_drop), Some(after_trim)) = (loaded, after_drop, after_trim) {
        eprintln!(
            "W5 RSS after dropping every other practice: {:.1} MiB ({:.0} % of the loaded RSS), \
             {:.1} MiB ({:.0} %) once malloc_trim returned the freed pages",
            mib(after_drop),
            100.0 * after_drop as f64 / loaded as f64,
            mib(after_trim),
            100.0 * after_trim as f64 / loaded as f64
        );
    }
    drop(engines);
}

criterion_group!(benches, bench_tenants);
criterion_main!(benches);
