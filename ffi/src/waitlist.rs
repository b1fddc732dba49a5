//! The waitlist (docs/waitlist.md): join, leave, decline an offer, move expired offers on,
//! and the staff list and report. The mutating calls run the core's `Operation` like every
//! other operation (see `ops.rs`).

use std::ffi::c_char;

use cp_core::WaitlistFilter;
use serde_json::Value;

use crate::ops::execute;
use crate::wrapper::{
    cp_engine, cp_error, cp_status, ffi_call, give, json, opt_text, out_string, text, to_json,
};

/// Puts a patient on the waitlist (`Engine::join_waitlist`). Outcome: the `WaitlistEntry`.
///
/// - `request_json`: `WaitlistRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `not_authorized`, `duplicate_id`, `limit_reached`;
/// `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument; `internal` if
/// the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_join_waitlist(
    engine: *const cp_engine,
    request_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let request = unsafe { json::<Value>(request_json, "request_json") }?;
        unsafe {
            execute(
                engine,
                "join_waitlist",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Takes an entry off the waitlist (`Engine::leave_waitlist`); an offer out is withdrawn
/// and passes on. Outcome: the removed `WaitlistEntry`.
///
/// - `id`: entry id (UTF-8 string, borrowed for the call).
/// - `actor`: the portal account acting, or NULL for the staff side (UTF-8 string, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`; `invalid_input` for a NULL, non-UTF-8, oversized
/// or malformed argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_leave_waitlist(
    engine: *const cp_engine,
    id: *const c_char,
    actor: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        let actor = Value::from(unsafe { opt_text(actor, "actor") }?);
        unsafe {
            execute(
                engine,
                "leave_waitlist",
                vec![("id", id), ("actor", actor)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Declines the offer out for an entry (`Engine::decline_waitlist_offer`); the start
/// passes to the next matching entry. Outcome: the `WaitlistEntry`, waiting again.
///
/// - `id`: entry id (UTF-8 string, borrowed for the call).
/// - `actor`: the portal account acting, or NULL for the staff side (UTF-8 string, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`, `invalid_transition`; `invalid_input` for a NULL,
/// non-UTF-8, oversized or malformed argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_decline_waitlist_offer(
    engine: *const cp_engine,
    id: *const c_char,
    actor: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        let actor = Value::from(unsafe { opt_text(actor, "actor") }?);
        unsafe {
            execute(
                engine,
                "decline_waitlist_offer",
                vec![("id", id), ("actor", actor)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Moves the waitlist on to `now` (`Engine::process_waitlist`): expired offers pass on,
/// entries past their range leave. Outcome: the `WaitlistProcessed` counts.
///
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input` (bad `now`); `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_process_waitlist(
    engine: *const cp_engine,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { execute(engine, "process_waitlist", vec![], Some(now), out_json) }
    })
}

/// The waitlist entries matching a filter, in first-come order (`Engine::waitlist`), a
/// JSON array of `WaitlistEntry`.
///
/// - `filter_json`: `WaitlistFilter` JSON, `{}` for every entry (UTF-8 JSON, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument or a NULL
/// `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_waitlist(
    engine: *const cp_engine,
    filter_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let filter: WaitlistFilter = unsafe { json(filter_json, "filter_json") }?;
        give(slot, to_json(&engine.waitlist(&filter))?);
        Ok(())
    })
}

/// The counts of offers made, accepted, declined and expired (`Engine::waitlist_report`),
/// a `WaitlistReport` JSON object.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input` for a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_waitlist_report(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        give(slot, to_json(&engine.waitlist_report())?);
        Ok(())
    })
}
