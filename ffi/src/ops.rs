//! The mutating engine operations, one C function each. Each builds the core's
//! [`Operation`] from its arguments and runs it with `Engine::execute`, so that the outcome
//! JSON is exactly the one documented in the core's `operation` module (accounts without
//! hashes, invitations without token digests, issued tokens shown once).

use std::ffi::c_char;

use cp_core::{Engine, Operation};
use serde_json::{Map, Value};

use crate::wrapper::{
    cp_engine, cp_error, cp_status, ffi_call, give, instant, json, opt_text, text, to_json, Outcome,
};

/// Runs the operation `op` with `args` at `now` (`None`: an operation without `now`) and
/// hands its outcome JSON to `out_json` when that is not NULL.
///
/// # Safety
/// `out_json` is NULL or valid for writes.
pub(crate) unsafe fn execute(
    engine: &Engine,
    op: &str,
    args: Vec<(&str, Value)>,
    now: Option<i64>,
    out_json: *mut *mut c_char,
) -> Outcome {
    // SAFETY: the caller's contract.
    let slot = unsafe { out_json.as_mut() };
    let now = instant(now.unwrap_or(0), "now")?;
    let mut map = Map::new();
    map.insert("op".to_owned(), Value::String(op.to_owned()));
    for (name, value) in args {
        map.insert(name.to_owned(), value);
    }
    let operation = Operation::from_json(&to_json(&map)?)?;
    let outcome = engine.execute(&operation, now)?;
    if let Some(slot) = slot {
        *slot = std::ptr::null_mut();
        give(slot, to_json(&outcome)?);
    }
    Ok(())
}

/// Adds or replaces a patient (`Engine::upsert_patient`). Outcome: `null`.
///
/// - `patient_json`: `Patient` JSON (UTF-8 JSON, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_upsert_patient(
    engine: *const cp_engine,
    patient_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let patient = unsafe { json::<Value>(patient_json, "patient_json") }?;
        unsafe {
            execute(
                engine,
                "upsert_patient",
                vec![("patient", patient)],
                None,
                out_json,
            )
        }
    })
}

/// Removes a patient (`Engine::remove_patient`). Outcome: the removed `Patient`.
///
/// - `id`: patient id (UTF-8 string, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_remove_patient(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe { execute(engine, "remove_patient", vec![("id", id)], None, out_json) }
    })
}

/// Imports one appointment of the host's schedule (`Engine::add_appointment`). Outcome: `null`.
///
/// - `appointment_json`: `Appointment` JSON (UTF-8 JSON, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_add_appointment(
    engine: *const cp_engine,
    appointment_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let appointment = unsafe { json::<Value>(appointment_json, "appointment_json") }?;
        unsafe {
            execute(
                engine,
                "add_appointment",
                vec![("appointment", appointment)],
                None,
                out_json,
            )
        }
    })
}

/// Imports a batch of appointments, all or none (`Engine::add_appointments`). Outcome: `null`.
///
/// - `appointments_json`: JSON array of `Appointment` (UTF-8 JSON, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_add_appointments(
    engine: *const cp_engine,
    appointments_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let appointments = unsafe { json::<Value>(appointments_json, "appointments_json") }?;
        unsafe {
            execute(
                engine,
                "add_appointments",
                vec![("appointments", appointments)],
                None,
                out_json,
            )
        }
    })
}

/// Replaces an imported appointment (`Engine::update_appointment`). Outcome: `null`.
///
/// - `appointment_json`: `Appointment` JSON (UTF-8 JSON, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_update_appointment(
    engine: *const cp_engine,
    appointment_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let appointment = unsafe { json::<Value>(appointment_json, "appointment_json") }?;
        unsafe {
            execute(
                engine,
                "update_appointment",
                vec![("appointment", appointment)],
                None,
                out_json,
            )
        }
    })
}

/// Removes an appointment (`Engine::remove_appointment`). Outcome: the removed `Appointment`.
///
/// - `id`: appointment id (UTF-8 string, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_remove_appointment(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe {
            execute(
                engine,
                "remove_appointment",
                vec![("id", id)],
                None,
                out_json,
            )
        }
    })
}

/// Holds a start for a while (`Engine::hold`, docs/booking.md). Outcome: the `Hold`.
///
/// - `request_json`: `HoldRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `not_authorized`, `portal_disabled`, `slot_unavailable`, `outside_booking_window`, `capacity_full`, `patient_busy`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_hold(
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
                "hold",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Releases a hold (`Engine::release_hold`). Outcome: the released `Hold`.
///
/// - `request_json`: `ReleaseHoldRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_release_hold(
    engine: *const cp_engine,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let request = unsafe { json::<Value>(request_json, "request_json") }?;
        unsafe {
            execute(
                engine,
                "release_hold",
                vec![("request", request)],
                None,
                out_json,
            )
        }
    })
}

/// Removes the holds expired at `now` (`Engine::purge_expired_holds`). Outcome: how many (a JSON number).
///
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input` (bad `now`); `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_purge_expired_holds(
    engine: *const cp_engine,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { execute(engine, "purge_expired_holds", vec![], Some(now), out_json) }
    })
}

/// Books a start or a hold (`Engine::book`). Outcome: the `Booking` (`{"appointment", "details"}`).
///
/// - `request_json`: `BookRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: every booking code: `invalid_input`, `not_found`, `not_authorized`, `portal_disabled`, `slot_unavailable`, `outside_booking_window`, `consent_required`, `capacity_full`, `hold_expired`, `patient_busy`, `limit_reached`, `duplicate_id`, `idempotency_conflict`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_book(
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
                "book",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Accepts a pending portal request (`Engine::accept`). Outcome: the `Booking`.
///
/// - `request_json`: `DecisionRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_transition`, `capacity_full`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_accept(
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
                "accept",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Declines a pending portal request (`Engine::decline`). Outcome: the `Booking`.
///
/// - `request_json`: `DecisionRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_transition`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_decline(
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
                "decline",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Cancels an appointment (`Engine::cancel`). Outcome: the `CancelOutcome`.
///
/// - `request_json`: `CancelRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`, `cancel_window_closed`, `invalid_transition`, `idempotency_conflict`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_cancel(
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
                "cancel",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Moves an appointment to another start (`Engine::reschedule`). Outcome: the `RescheduleOutcome` (`{"before", "after"}`).
///
/// - `request_json`: `RescheduleRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: the codes of `cp_engine_book` and `cp_engine_cancel`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_reschedule(
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
                "reschedule",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Records that a patient completed an intake form (`Engine::intake_form_completed`). Outcome: the notification id, or `null`.
///
/// - `patient`: patient id (UTF-8 string, borrowed for the call).
/// - `form`: the form's name (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_intake_form_completed(
    engine: *const cp_engine,
    patient: *const c_char,
    form: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let patient = Value::from(unsafe { text(patient, "patient") }?);
        let form = Value::from(unsafe { text(form, "form") }?);
        unsafe {
            execute(
                engine,
                "intake_form_completed",
                vec![("patient", patient), ("form", form)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Takes every waiting notification out of the outbox (`Engine::drain_outbox`). Outcome: a JSON array of `Notification`, each with a `"token"` string when it carries a link token.
///
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_drain_outbox(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { execute(engine, "drain_outbox", vec![], None, out_json) }
    })
}

/// Registers a patient for a program session (`Engine::register_program`). Outcome: the `Registration`.
///
/// - `request_json`: `RegistrationRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`, `portal_disabled`, `slot_unavailable`, `outside_booking_window`, `capacity_full`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_register_program(
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
                "register_program",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Cancels a program registration (`Engine::cancel_program_registration`). Outcome: the `Registration`.
///
/// - `id`: registration id (UTF-8 string, borrowed for the call).
/// - `actor`: the portal account acting, or NULL for the staff side (UTF-8 string, borrowed for the call, NULL allowed).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `not_authorized`, `invalid_transition`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_cancel_program_registration(
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
                "cancel_program_registration",
                vec![("id", id), ("actor", actor)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Creates a portal account (`Engine::create_account`). Outcome: the account `{"id", "username", "created_at"}` (never its hash).
///
/// - `request_json`: `NewAccount` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`, `not_found`, `email_in_use`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_create_account(
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
                "create_account",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Checks a username and password (`Engine::login`). Outcome: the account.
///
/// - `username`: the username (UTF-8 string, borrowed for the call).
/// - `password`: the password (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `credentials_invalid` (whatever the cause), `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_login(
    engine: *const cp_engine,
    username: *const c_char,
    password: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let username = Value::from(unsafe { text(username, "username") }?);
        let password = Value::from(unsafe { text(password, "password") }?);
        unsafe {
            execute(
                engine,
                "login",
                vec![("username", username), ("password", password)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Changes an account's password (`Engine::change_password`). Outcome: the account.
///
/// - `account`: account id (UTF-8 string, borrowed for the call).
/// - `current`: the current password (UTF-8 string, borrowed for the call).
/// - `new_password`: the new password (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `credentials_invalid`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_change_password(
    engine: *const cp_engine,
    account: *const c_char,
    current: *const c_char,
    new_password: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let account = Value::from(unsafe { text(account, "account") }?);
        let current = Value::from(unsafe { text(current, "current") }?);
        let new = Value::from(unsafe { text(new_password, "new_password") }?);
        unsafe {
            execute(
                engine,
                "change_password",
                vec![("account", account), ("current", current), ("new", new)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Links an account to a patient (`Engine::link_account`). Outcome: the `AccountLink`.
///
/// - `account`: account id (UTF-8 string, borrowed for the call).
/// - `patient`: patient id (UTF-8 string, borrowed for the call).
/// - `relationship`: `self`, `guardian` or `carer` (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_link_account(
    engine: *const cp_engine,
    account: *const c_char,
    patient: *const c_char,
    relationship: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let account = Value::from(unsafe { text(account, "account") }?);
        let patient = Value::from(unsafe { text(patient, "patient") }?);
        let relationship = Value::from(unsafe { text(relationship, "relationship") }?);
        unsafe {
            execute(
                engine,
                "link_account",
                vec![
                    ("account", account),
                    ("patient", patient),
                    ("relationship", relationship),
                ],
                Some(now),
                out_json,
            )
        }
    })
}

/// Confirms a link a merge moved (`Engine::confirm_link`). Outcome: the `AccountLink`.
///
/// - `account`: account id (UTF-8 string, borrowed for the call).
/// - `patient`: patient id (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_transition`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_confirm_link(
    engine: *const cp_engine,
    account: *const c_char,
    patient: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let account = Value::from(unsafe { text(account, "account") }?);
        let patient = Value::from(unsafe { text(patient, "patient") }?);
        unsafe {
            execute(
                engine,
                "confirm_link",
                vec![("account", account), ("patient", patient)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Revokes an account's link to a patient (`Engine::revoke_link`). Outcome: the `AccountLink`.
///
/// - `account`: account id (UTF-8 string, borrowed for the call).
/// - `patient`: patient id (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_revoke_link(
    engine: *const cp_engine,
    account: *const c_char,
    patient: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let account = Value::from(unsafe { text(account, "account") }?);
        let patient = Value::from(unsafe { text(patient, "patient") }?);
        unsafe {
            execute(
                engine,
                "revoke_link",
                vec![("account", account), ("patient", patient)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Starts a password reset (`Engine::request_password_reset`): a notification with a token goes to the outbox when the account exists. Outcome: `null` either way.
///
/// - `username`: the username (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_request_password_reset(
    engine: *const cp_engine,
    username: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let username = Value::from(unsafe { text(username, "username") }?);
        unsafe {
            execute(
                engine,
                "request_password_reset",
                vec![("username", username)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Sets a new password with a reset token (`Engine::reset_password`). Outcome: the account.
///
/// - `token`: the token from the reset link (UTF-8 string, borrowed for the call).
/// - `new_password`: the new password (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invitation_invalid`, `invitation_expired`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_reset_password(
    engine: *const cp_engine,
    token: *const c_char,
    new_password: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let token = Value::from(unsafe { text(token, "token") }?);
        let new = Value::from(unsafe { text(new_password, "new_password") }?);
        unsafe {
            execute(
                engine,
                "reset_password",
                vec![("token", token), ("new", new)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Invites a patient or guardian to the portal (`Engine::invite`). Outcome: `{"invitation", "token", "notification"}` (the token is shown only here).
///
/// - `request_json`: `InviteRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_input`, `duplicate_id`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_invite(
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
                "invite",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Resends an invitation with a new token (`Engine::resend_invitation`). Outcome: as `cp_engine_invite`.
///
/// - `id`: invitation id (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_transition`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_resend_invitation(
    engine: *const cp_engine,
    id: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe {
            execute(
                engine,
                "resend_invitation",
                vec![("id", id)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Deletes an invitation (`Engine::delete_invitation`). Outcome: the invitation's public fields.
///
/// - `id`: invitation id (UTF-8 string, borrowed for the call).
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_delete_invitation(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe {
            execute(
                engine,
                "delete_invitation",
                vec![("id", id)],
                None,
                out_json,
            )
        }
    })
}

/// Accepts an invitation (`Engine::accept_invitation`). Outcome: the account.
///
/// - `request_json`: `AcceptInvitation` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invitation_invalid`, `invitation_expired`, `email_in_use`, `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_accept_invitation(
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
                "accept_invitation",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Invites every patient who has an e-mail and no account (`Engine::bulk_invite`). Outcome: `{"invited": [issued invitations], "skipped": {patient: reason}}`.
///
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `internal` (random source); `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_bulk_invite(
    engine: *const cp_engine,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { execute(engine, "bulk_invite", vec![], Some(now), out_json) }
    })
}

/// Public signup (`Engine::signup`). Outcome: `{"account", "patient", "signup"}`.
///
/// - `request_json`: `SignupRequest` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `signup_disabled`, `email_in_use`, `not_found`, `duplicate_id`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_signup(
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
                "signup",
                vec![("request", request)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Marks a signup reviewed (`Engine::mark_signup_reviewed`). Outcome: the `Signup`.
///
/// - `id`: signup id (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_mark_signup_reviewed(
    engine: *const cp_engine,
    id: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe {
            execute(
                engine,
                "mark_signup_reviewed",
                vec![("id", id)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Merges two patient records (`Engine::merge_patients`). Outcome: the `MergeOutcome`.
///
/// - `keep`: the patient kept (UTF-8 string, borrowed for the call).
/// - `merge`: the patient folded into it (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_merge_patients(
    engine: *const cp_engine,
    keep: *const c_char,
    merge: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let keep = Value::from(unsafe { text(keep, "keep") }?);
        let merge = Value::from(unsafe { text(merge, "merge") }?);
        unsafe {
            execute(
                engine,
                "merge_patients",
                vec![("keep", keep), ("merge", merge)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Replaces the configuration (`Engine::reconfigure`). Outcome: the `Reconfiguration` report.
///
/// - `config_json`: the new configuration JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_config`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_reconfigure(
    engine: *const cp_engine,
    config_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let config = unsafe { json::<Value>(config_json, "config_json") }?;
        unsafe {
            execute(
                engine,
                "reconfigure",
                vec![("config", config)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Adds or replaces one closure (`Engine::put_closure`). Outcome: the `Reconfiguration` report.
///
/// - `closure_json`: `Closure` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `invalid_config`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_put_closure(
    engine: *const cp_engine,
    closure_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let closure = unsafe { json::<Value>(closure_json, "closure_json") }?;
        unsafe {
            execute(
                engine,
                "put_closure",
                vec![("closure", closure)],
                Some(now),
                out_json,
            )
        }
    })
}

/// Removes one closure (`Engine::remove_closure`). Outcome: the `Reconfiguration` report.
///
/// - `id`: closure id (UTF-8 string, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: NULL (outcome discarded) or receives the outcome JSON, owned by the
///   caller and freed with `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; concurrent calls are serialised
/// inside it. A failed call changes nothing.
/// Errors: `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed
/// argument; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_remove_closure(
    engine: *const cp_engine,
    id: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let id = Value::from(unsafe { text(id, "id") }?);
        unsafe {
            execute(
                engine,
                "remove_closure",
                vec![("id", id)],
                Some(now),
                out_json,
            )
        }
    })
}
