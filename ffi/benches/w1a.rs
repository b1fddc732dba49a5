//! W1a (one practitioner's slots over 60 days, benches/README.md) three ways: the Rust API,
//! the C ABI's typed slot array (`cp_engine_search_slots`) and its JSON form
//! (`cp_engine_search`), calling the exported functions as a C program would.
//!
//! Run: `cargo bench -p clinic-portal-ffi --bench w1a`.

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::ptr;

use clinic_portal::{
    cp_engine, cp_engine_add_appointments, cp_engine_free, cp_engine_from_json, cp_engine_search,
    cp_engine_search_slots, cp_slots, cp_slots_free, cp_status, cp_string_free,
};
use clinic_portal_benches::w1;
use criterion::{criterion_group, criterion_main, Criterion};

fn c_string(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The W1 engine built through the C ABI.
fn c_engine() -> *mut cp_engine {
    let config = c_string(&w1::config_json());
    let appointments = c_string(&serde_json::to_string(&w1::appointments()).unwrap_or_default());
    let mut engine = ptr::null_mut();
    // SAFETY: valid strings and out-pointers.
    unsafe {
        assert_eq!(
            cp_engine_from_json(config.as_ptr(), &mut engine, ptr::null_mut()),
            cp_status::Ok
        );
        assert_eq!(
            cp_engine_add_appointments(
                engine,
                appointments.as_ptr(),
                ptr::null_mut(),
                ptr::null_mut()
            ),
            cp_status::Ok
        );
    }
    engine
}

fn bench_w1a(c: &mut Criterion) {
    let rust = w1::engine();
    let now = w1::now();
    let query = w1::query_w1a();
    let engine = c_engine();
    let query_json = c_string(&serde_json::to_string(&query).unwrap_or_default());
    let now_unix = now.timestamp();

    // The three paths agree.
    let expected = rust.search(&query, now).map(|s| s.len()).unwrap_or(0);
    assert_eq!(expected, w1::W1A_SLOTS);
    let mut slots: *mut cp_slots = ptr::null_mut();
    // SAFETY: valid engine, string and out-pointer; the answer is freed below.
    unsafe {
        assert_eq!(
            cp_engine_search_slots(
                engine,
                query_json.as_ptr(),
                now_unix,
                &mut slots,
                ptr::null_mut()
            ),
            cp_status::Ok
        );
        assert_eq!((*slots).len, expected);
        cp_slots_free(slots);
    }

    let mut group = c.benchmark_group("W1a via the C ABI");
    group.bench_function("Rust API (Engine::search)", |b| {
        b.iter(|| black_box(rust.search(black_box(&query), now).map(|s| s.len())))
    });
    group.bench_function("C typed slots (cp_engine_search_slots)", |b| {
        b.iter(|| {
            let mut slots: *mut cp_slots = ptr::null_mut();
            // SAFETY: as above.
            unsafe {
                let status = cp_engine_search_slots(
                    engine,
                    black_box(query_json.as_ptr()),
                    now_unix,
                    &mut slots,
                    ptr::null_mut(),
                );
                let len = (*slots).len;
                cp_slots_free(slots);
                black_box((status, len))
            }
        })
    });
    group.bench_function("C JSON (cp_engine_search)", |b| {
        b.iter(|| {
            let mut out: *mut c_char = ptr::null_mut();
            // SAFETY: as above; the string is freed at once.
            unsafe {
                let status = cp_engine_search(
                    engine,
                    black_box(query_json.as_ptr()),
                    now_unix,
                    &mut out,
                    ptr::null_mut(),
                );
                cp_string_free(out);
                black_box(status)
            }
        })
    });
    group.finish();
    // SAFETY: made above, not used after.
    unsafe { cp_engine_free(engine) };
}

criterion_group!(benches, bench_w1a);
criterion_main!(benches);
