//! Health-IT interchange (docs/interchange.md): FHIR R4 resources and iCalendar exports
//! as text the core produced, and the import of FHIR appointments (through `execute`, so
//! that it is journaled and planned like every change).

use std::ffi::c_char;

use cp_core::SlotQuery;
use serde_json::Value;

use crate::ops::execute;
use crate::wrapper::{
    cp_engine, cp_error, cp_status, date, ffi_call, give, instant, json, opt_text, out_string,
    text, Failure,
};

/// Hands a core text result (FHIR JSON, iCalendar) to `slot`.
fn emit(slot: &mut *mut c_char, result: cp_core::Result<String>) -> Result<(), Failure> {
    give(slot, result?);
    Ok(())
}

/// Every practitioner's schedule at each clinic (`Engine::fhir_schedules`): a FHIR `searchset` `Bundle` of `Schedule`s.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_schedules(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, engine.fhir_schedules())
    })
}

/// Offered slots as FHIR (`Engine::fhir_slots`): a `searchset` `Bundle` of `free`, `busy-tentative` (holds) and `busy` `Slot`s.
///
/// - `query_json`: `SlotQuery` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: the search's errors (`not_found`, `not_authorized`…); `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_slots(
    engine: *const cp_engine,
    query_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let query: SlotQuery = unsafe { json(query_json, "query_json") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.fhir_slots(&query, now))
    })
}

/// One appointment as a FHIR `Appointment` (`Engine::fhir_appointment`).
///
/// - `id`: appointment id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_appointment(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.fhir_appointment(id))
    })
}

/// A patient as a FHIR `Patient` with its merge links (`Engine::fhir_patient`).
///
/// - `id`: patient id, or the id of a merged patient (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_patient(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.fhir_patient(id))
    })
}

/// A patient's guardians and carers (`Engine::fhir_related_persons`): a `searchset` `Bundle` of `RelatedPerson`s.
///
/// - `patient`: patient id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_related_persons(
    engine: *const cp_engine,
    patient: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        emit(slot, engine.fhir_related_persons(patient))
    })
}

/// The scheduling `$find` operation (`Engine::fhir_find`): a FHIR `Parameters` resource in, a `searchset` `Bundle` of `proposed` `Appointment`s out.
///
/// - `parameters_json`: FHIR `Parameters` JSON (UTF-8, borrowed for the call).
/// - `actor`: the portal account asking, or NULL for the staff side (UTF-8, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: the search's errors (`not_found`, `not_authorized`…); `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_fhir_find(
    engine: *const cp_engine,
    parameters_json: *const c_char,
    actor: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let parameters = unsafe { text(parameters_json, "parameters_json") }?;
        let actor = unsafe { opt_text(actor, "actor") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.fhir_find(parameters, actor, now))
    })
}

/// One appointment as an iCalendar `VCALENDAR` (`Engine::ical_appointment`).
///
/// - `id`: appointment id (UTF-8, borrowed for the call).
/// - `actor`: the portal account asking, or NULL for the staff side (UTF-8, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`, `not_authorized`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_ical_appointment(
    engine: *const cp_engine,
    id: *const c_char,
    actor: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        let actor = unsafe { opt_text(actor, "actor") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.ical_appointment(id, actor, now))
    })
}

/// A patient's appointments as an iCalendar `VCALENDAR` (`Engine::ical_patient`).
///
/// - `patient`: patient id (UTF-8, borrowed for the call).
/// - `actor`: the portal account asking, or NULL for the staff side (UTF-8, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`, `not_authorized`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_ical_patient(
    engine: *const cp_engine,
    patient: *const c_char,
    actor: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        let actor = unsafe { opt_text(actor, "actor") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.ical_patient(patient, actor, now))
    })
}

/// A practitioner's appointments on a local date as an iCalendar `VCALENDAR` (`Engine::ical_practitioner_day`).
///
/// - `practitioner`: practitioner id (UTF-8, borrowed for the call).
/// - `day`: the local date, `YYYY-MM-DD` (UTF-8, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_ical_practitioner_day(
    engine: *const cp_engine,
    practitioner: *const c_char,
    day: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let practitioner = unsafe { text(practitioner, "practitioner") }?;
        let day = unsafe { date(day, "day") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.ical_practitioner_day(practitioner, day, now))
    })
}

/// Imports a host appointment from a FHIR `Appointment` (`Engine::import_fhir_appointment`). Outcome: the `Appointment` added.
///
/// - `resource_json`: FHIR `Appointment` JSON (UTF-8, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input` naming the path of what does not map (or for a NULL, non-UTF-8
/// or oversized argument), `not_found`, `duplicate_id`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_import_fhir_appointment(
    engine: *const cp_engine,
    resource_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let resource = Value::from(unsafe { text(resource_json, "resource_json") }?);
        unsafe {
            execute(
                engine,
                "import_fhir_appointment",
                vec![("resource", resource)],
                None,
                out_json,
            )
        }
    })
}
