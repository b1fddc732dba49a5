//! W1a in a loop for a profiler or callgrind, three ways: `rust` (Engine::search), `typed`
//! (cp_engine_search_slots) or `json` (cp_engine_search), the given number of rounds.
//! Instruction counts per query do not depend on the machine's load (benches/README.md):
//!
//! ```sh
//! cargo build --profile bench -p clinic-portal-ffi --example prof_w1a
//! ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o 'Collected : [0-9]*'; }
//! ir target/release/examples/prof_w1a typed 1; ir target/release/examples/prof_w1a typed 101
//! ```

use std::ffi::{c_char, CString};
use std::hint::black_box;
use std::ptr;

use clinic_portal::{
    cp_engine_add_appointments, cp_engine_free, cp_engine_from_json, cp_engine_search,
    cp_engine_search_slots, cp_slots, cp_slots_free, cp_status, cp_string_free,
};
use clinic_portal_benches::w1;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "typed".to_owned());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(100);
    let now = w1::now();
    let query = w1::query_w1a();
    let c = |s: String| CString::new(s).unwrap_or_else(|e| panic!("{e}"));
    let query_json = c(serde_json::to_string(&query).unwrap_or_default());
    let config = c(w1::config_json());
    let appointments = c(serde_json::to_string(&w1::appointments()).unwrap_or_default());
    let rust = w1::engine();
    let mut engine = ptr::null_mut();
    // SAFETY: valid strings and out-pointers; every answer is freed at once.
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
        let mut total = 0usize;
        for _ in 0..rounds {
            total += match mode.as_str() {
                "rust" => rust.search(black_box(&query), now).map_or(0, |s| s.len()),
                "typed" => {
                    let mut slots: *mut cp_slots = ptr::null_mut();
                    let status = cp_engine_search_slots(
                        engine,
                        query_json.as_ptr(),
                        now.timestamp(),
                        &mut slots,
                        ptr::null_mut(),
                    );
                    assert_eq!(status, cp_status::Ok);
                    let len = (*slots).len;
                    cp_slots_free(slots);
                    len
                }
                "json" => {
                    let mut out: *mut c_char = ptr::null_mut();
                    let status = cp_engine_search(
                        engine,
                        query_json.as_ptr(),
                        now.timestamp(),
                        &mut out,
                        ptr::null_mut(),
                    );
                    assert_eq!(status, cp_status::Ok);
                    cp_string_free(out);
                    w1::W1A_SLOTS
                }
                other => panic!("unknown mode `{other}`: rust, typed or json"),
            };
        }
        assert_eq!(total, rounds * w1::W1A_SLOTS);
        cp_engine_free(engine);
    }
}
