//! Constructors, reads, journal and the generic `execute` / `plan_operation`.

use std::ffi::c_char;

use cp_core::{
    AppointmentFilter, Change, Config, Engine, Invitation, Operation, Planned, SlotQuery,
};
use serde::Serialize;
use serde_json::Value;

use crate::wrapper::{
    cp_engine, cp_error, cp_status, date, ffi_call, ffi_call_static, ffi_infallible, give, instant,
    json, opt_text, out, out_string, text, to_json, Failure,
};

/// A string that is already the output (JSON made by the core, or HTML).
struct RawText(String);

/// JSON text the core produced.
struct RawJson(String);

/// The public fields of an invitation: the core's `Invitation` JSON carries the token
/// digest (for snapshots); it never leaves through the C API.
fn public_invitation(invitation: &Invitation) -> Result<Value, Failure> {
    let mut value = serde_json::to_value(invitation).map_err(|e| {
        Failure::new(
            cp_status::Internal,
            format!("the invitation does not serialise: {e}"),
        )
    })?;
    if let Some(map) = value.as_object_mut() {
        map.remove("token_digest");
    }
    Ok(value)
}

/// A planned change and its outcome as JSON.
fn planned(planned: Planned<Value>) -> Value {
    serde_json::json!({"change": planned.change, "outcome": planned.outcome})
}

/// Hands the rendered result of a read to `slot`.
fn emit<T: Render, E: Into<Failure>>(
    slot: &mut *mut c_char,
    result: Result<T, E>,
) -> Result<(), Failure> {
    let result = result.map_err(Into::into);
    let text = result?.render_text()?;
    give(slot, text);
    Ok(())
}

/// Rendering of each output kind.
trait Render {
    fn render_text(self) -> Result<String, Failure>;
}

impl Render for RawText {
    fn render_text(self) -> Result<String, Failure> {
        Ok(self.0)
    }
}

impl Render for RawJson {
    fn render_text(self) -> Result<String, Failure> {
        Ok(self.0)
    }
}

impl<T: Serialize> Render for T {
    fn render_text(self) -> Result<String, Failure> {
        to_json(&self)
    }
}

/// The current configuration (`Engine::config`) as `Config` JSON.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_config(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.config()))
    })
}

/// The configuration's load-time warnings (`Engine::warnings`): a JSON array of `Diagnostic`.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_warnings(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.warnings()))
    })
}

/// One patient (`Engine::patient`) as `Patient` JSON.
///
/// - `id`: patient id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_patient(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.patient(id))
    })
}

/// One appointment (`Engine::appointment`) as `Appointment` JSON.
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
pub unsafe extern "C" fn cp_engine_appointment(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.appointment(id))
    })
}

/// Searches the offered slots (`Engine::search`): `{"slots": [Slot…], "truncated": bool, "next_after": RFC 3339 or null}` (`Slots::to_page_json`). `cp_engine_search_slots` gives the same slots as structs.
///
/// - `query_json`: `SlotQuery` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input`, `not_found`, `not_authorized`, `portal_disabled`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_search(
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
        emit(
            slot,
            engine
                .search(&query, now)
                .map(|s| RawJson(s.to_page_json())),
        )
    })
}

/// Why a start is or is not offered (`Engine::explain`) as `Explanation` JSON (`offered`, `rule`, `entity`, `message`, `practitioners`: without a practitioner in
/// the query, only the verdict the answer comes from).
///
/// - `query_json`: `SlotQuery` JSON (UTF-8 JSON, borrowed for the call).
/// - `start`: the start asked about, Unix seconds.
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input`, `not_found`, `not_authorized`, `portal_disabled`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_explain(
    engine: *const cp_engine,
    query_json: *const c_char,
    start: i64,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { explain(engine, query_json, start, now, out_json, false) }
    })
}

/// Why a start is or is not offered, with a verdict for every candidate practitioner
/// (`Engine::explain_all`) as `Explanation` JSON; the answer is that of `cp_engine_explain`.
///
/// - `query_json`: `SlotQuery` JSON (UTF-8 JSON, borrowed for the call).
/// - `start`: the start asked about, Unix seconds.
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: as `cp_engine_explain`.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_explain_all(
    engine: *const cp_engine,
    query_json: *const c_char,
    start: i64,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        unsafe { explain(engine, query_json, start, now, out_json, true) }
    })
}

/// The body of the two explains: `every` selects `Engine::explain_all`.
///
/// # Safety
/// `query_json` and `out_json` as documented on [`cp_engine_explain`].
unsafe fn explain(
    engine: &Engine,
    query_json: *const c_char,
    start: i64,
    now: i64,
    out_json: *mut *mut c_char,
    every: bool,
) -> Result<(), Failure> {
    // SAFETY: the caller's contract.
    let slot = unsafe { out_string(out_json, "out_json") }?;
    let query: SlotQuery = unsafe { json(query_json, "query_json") }?;
    let start = instant(start, "start")?;
    let now = instant(now, "now")?;
    if every {
        emit(slot, engine.explain_all(&query, start, now))
    } else {
        emit(slot, engine.explain(&query, start, now))
    }
}

/// Why a service is or is not bookable online (`Engine::service_report`) as `ServiceReport` JSON.
///
/// - `service`: service id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_service_report(
    engine: *const cp_engine,
    service: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let service = unsafe { text(service, "service") }?;
        emit(slot, engine.service_report(service))
    })
}

/// The HTML snippet of the "Book online" button (`Engine::book_button_html`); `*out_json` receives HTML, not JSON.
///
/// - `booking_url`: the portal's booking URL, or NULL for the configured one (UTF-8, borrowed for the call, NULL allowed).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input`, `portal_disabled`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_book_button_html(
    engine: *const cp_engine,
    booking_url: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let booking_url = unsafe { opt_text(booking_url, "booking_url") }?;
        emit(slot, engine.book_button_html(booking_url).map(RawText))
    })
}

/// One account (`Engine::account`): `{"id", "username", "created_at"}`, never its password hash.
///
/// - `id`: account id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_account(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.account(id))
    })
}

/// The account with this username (`Engine::account_by_username`), without its hash.
///
/// - `username`: a username (normalised before the look-up) (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_account_by_username(
    engine: *const cp_engine,
    username: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let username = unsafe { text(username, "username") }?;
        emit(slot, engine.account_by_username(username))
    })
}

/// Every account (`Engine::accounts`), a JSON array, without hashes.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_accounts(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.accounts()))
    })
}

/// The appointments of every patient the account is actively linked to (`Engine::appointments_for_account`), a JSON array of `Appointment`.
///
/// - `account`: account id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_appointments_for_account(
    engine: *const cp_engine,
    account: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let account = unsafe { text(account, "account") }?;
        emit(slot, engine.appointments_for_account(account))
    })
}

/// The portal details of a booking (`Engine::booking_details`) as `BookingDetails` JSON, or `null` when the appointment has none.
///
/// - `appointment`: appointment id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_booking_details(
    engine: *const cp_engine,
    appointment: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let appointment = unsafe { text(appointment, "appointment") }?;
        emit(slot, Ok::<_, Failure>(engine.booking_details(appointment)))
    })
}

/// One hold (`Engine::get_hold`) as `Hold` JSON.
///
/// - `id`: hold id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_get_hold(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.get_hold(id))
    })
}

/// One invitation (`Engine::invitation`): its public fields, never its token digest.
///
/// - `id`: invitation id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_invitation(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(
            slot,
            engine
                .invitation(id)
                .map_err(Failure::from)
                .and_then(|i| public_invitation(&i)),
        )
    })
}

/// The invitations of a patient (`Engine::invitations_of`), a JSON array of their public fields.
///
/// - `patient`: patient id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_invitations_of(
    engine: *const cp_engine,
    patient: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        emit(
            slot,
            engine
                .invitations_of(patient)
                .iter()
                .map(public_invitation)
                .collect::<Result<Vec<_>, _>>(),
        )
    })
}

/// An account's links (`Engine::links_of_account`), a JSON array of `AccountLink`.
///
/// - `account`: account id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_links_of_account(
    engine: *const cp_engine,
    account: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let account = unsafe { text(account, "account") }?;
        emit(slot, Ok::<_, Failure>(engine.links_of_account(account)))
    })
}

/// A patient's links (`Engine::links_of_patient`), a JSON array of `AccountLink`.
///
/// - `patient`: patient id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_links_of_patient(
    engine: *const cp_engine,
    patient: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        emit(slot, Ok::<_, Failure>(engine.links_of_patient(patient)))
    })
}

/// The ids of the patients an account is actively linked to (`Engine::patients_of_account`), a JSON array of strings.
///
/// - `account`: account id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_patients_of_account(
    engine: *const cp_engine,
    account: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let account = unsafe { text(account, "account") }?;
        emit(slot, Ok::<_, Failure>(engine.patients_of_account(account)))
    })
}

/// The waiting notifications, left in the outbox (`Engine::outbox`), a JSON array of `Notification` (without tokens).
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_outbox(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.outbox()))
    })
}

/// The pending portal requests staff must decide (`Engine::pending_queue`), a JSON array of `PendingItem`.
///
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input` (bad `now`); `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_pending_queue(
    engine: *const cp_engine,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let now = instant(now, "now")?;
        emit(slot, Ok::<_, Failure>(engine.pending_queue(now)))
    })
}

/// A program's sessions between two dates (`Engine::program_sessions`), a JSON array of `ProgramSession`.
///
/// - `program`: program id (UTF-8, borrowed for the call).
/// - `from`: first local date, `YYYY-MM-DD` (borrowed for the call).
/// - `to`: last local date, `YYYY-MM-DD` (borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `not_found`, `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_program_sessions(
    engine: *const cp_engine,
    program: *const c_char,
    from: *const c_char,
    to: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let program = unsafe { text(program, "program") }?;
        let from = unsafe { date(from, "from") }?;
        let to = unsafe { date(to, "to") }?;
        emit(slot, engine.program_sessions(program, from, to))
    })
}

/// One program registration (`Engine::registration`) as `Registration` JSON.
///
/// - `id`: registration id (UTF-8, borrowed for the call).
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
pub unsafe extern "C" fn cp_engine_registration(
    engine: *const cp_engine,
    id: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let id = unsafe { text(id, "id") }?;
        emit(slot, engine.registration(id))
    })
}

/// The merge record of a patient merged into another (`Engine::replaced_by`) as `MergeRecord` JSON, or `null`.
///
/// - `patient`: patient id (UTF-8, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_replaced_by(
    engine: *const cp_engine,
    patient: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        emit(slot, Ok::<_, Failure>(engine.replaced_by(patient)))
    })
}

/// Likely duplicates of a patient (`Engine::find_duplicates`), a JSON array of `DuplicateCandidate`.
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
pub unsafe extern "C" fn cp_engine_find_duplicates(
    engine: *const cp_engine,
    patient: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let patient = unsafe { text(patient, "patient") }?;
        emit(slot, engine.find_duplicates(patient))
    })
}

/// The Portal Appointments report (`Engine::report_portal_appointments`), a JSON array of `Appointment`.
///
/// - `filter_json`: `AppointmentFilter` JSON (UTF-8 JSON, borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_report_portal_appointments(
    engine: *const cp_engine,
    filter_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let filter: AppointmentFilter = unsafe { json(filter_json, "filter_json") }?;
        emit(slot, engine.report_portal_appointments(&filter))
    })
}

/// The programs report (`Engine::report_programs`), a JSON array of `ProgramSession`.
///
/// - `from`: first local date, `YYYY-MM-DD` (borrowed for the call).
/// - `to`: last local date, `YYYY-MM-DD` (borrowed for the call).
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_report_programs(
    engine: *const cp_engine,
    from: *const c_char,
    to: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let from = unsafe { date(from, "from") }?;
        let to = unsafe { date(to, "to") }?;
        emit(slot, engine.report_programs(from, to))
    })
}

/// The referrals report (`Engine::report_referrals`), a JSON array of `ReferralCount`.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_report_referrals(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.report_referrals()))
    })
}

/// The signups awaiting review, oldest first (`Engine::review_queue`), a JSON array of `Signup`.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_review_queue(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.review_queue()))
    })
}

/// The referral types offered at signup (`Engine::signup_referral_types`), a JSON array of `ReferralType`.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_signup_referral_types(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(engine.signup_referral_types()))
    })
}

/// The whole state as snapshot JSON (`Engine::snapshot`, docs/persistence.md), for `cp_engine_restore`. It holds password hashes: store it like a password table.
///
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_snapshot(
    engine: *const cp_engine,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, Ok::<_, Failure>(RawText(engine.snapshot())))
    })
}

/// The journal after `seq` (`Engine::changes_since`), a JSON array of `Change`.
///
/// - `seq`: a sequence number.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `invalid_input` (compacted past `seq`); `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_changes_since(
    engine: *const cp_engine,
    seq: u64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        emit(slot, engine.changes_since(seq))
    })
}

/// Runs any mutating operation given as JSON (`Engine::execute`); outcome as documented in the core's `operation` module. Same as the named function of that operation.
///
/// - `operation_json`: `Operation` JSON: `{"op": name, parameters…}` (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: those of the operation; `invalid_input` for JSON that is not an operation; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_execute(
    engine: *const cp_engine,
    operation_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let operation: Operation = unsafe { json(operation_json, "operation_json") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.execute(&operation, now))
    })
}

/// Plans an operation without applying it (`Engine::plan_operation`, docs/persistence.md): `{"change": Change or null, "outcome": …}`. Store the change, then `cp_engine_apply` it.
///
/// - `operation_json`: `Operation` JSON (UTF-8 JSON, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_json`: receives the result, owned by the caller and freed with `cp_string_free`;
///   NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: those of the operation; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_json`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_plan_operation(
    engine: *const cp_engine,
    operation_json: *const c_char,
    now: i64,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let operation: Operation = unsafe { json(operation_json, "operation_json") }?;
        let now = instant(now, "now")?;
        emit(slot, engine.plan_operation(&operation, now).map(planned))
    })
}

/// How many appointments the engine holds (`Engine::appointment_count`).
///
/// - `out_value`: receives the number (`size_t`).
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_value`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_appointment_count(
    engine: *const cp_engine,
    out_value: *mut usize,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_value, "out_value") }?;
        *slot = engine.appointment_count();
        Ok(())
    })
}

/// The sequence number of the last change (`Engine::last_seq`), 0 before any.
///
/// - `out_value`: receives the number (`uint64_t`).
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_value`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_last_seq(
    engine: *const cp_engine,
    out_value: *mut u64,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_value, "out_value") }?;
        *slot = engine.last_seq();
        Ok(())
    })
}

/// Drops the journal up to `seq` (`Engine::compact_journal`); `*out` receives how many changes were dropped.
///
/// - `seq`: changes up to this sequence number are dropped.
/// - `out_value`: receives the number (`size_t`).
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: none besides the wrapper's; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_value`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_compact_journal(
    engine: *const cp_engine,
    seq: u64,
    out_value: *mut usize,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_value, "out_value") }?;
        *slot = engine.compact_journal(seq);
        Ok(())
    })
}

/// Applies a stored change (`Engine::apply`, docs/persistence.md); `*out` receives its sequence number.
///
/// - `change_json`: `Change` JSON as planned or stored (UTF-8 JSON, borrowed for the call).
/// - `out_value`: receives the number (`uint64_t`).
///
/// Ownership: nothing passed in is retained. Lifetime: the engine must outlive the call.
/// Thread-safety: the engine may be shared by threads; reads run concurrently, writes are
/// serialised inside it.
/// Errors: `stale_sequence`, `invalid_input`, `not_found`; `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument
/// or a NULL `out_value`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_apply(
    engine: *const cp_engine,
    change_json: *const c_char,
    out_value: *mut u64,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_value, "out_value") }?;
        let change: Change = unsafe { json(change_json, "change_json") }?;
        *slot = engine.apply(&change)?;
        Ok(())
    })
}

/// Builds an engine from configuration JSON (`Engine::from_json`; the C form of
/// `Engine::new` too).
///
/// - `config_json`: the configuration (UTF-8 JSON, borrowed for the call).
/// - `out_engine`: receives the new engine, owned by the caller and freed with
///   `cp_engine_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine lives until
/// `cp_engine_free`. Thread-safety: safe from any thread; the new engine may be shared by
/// threads.
/// Errors: `invalid_config` (see `cp_error_diagnostics_json`); `invalid_input` for a NULL,
/// non-UTF-8 or oversized argument or a NULL `out_engine`.
///
/// # Safety
/// Every pointer is NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_from_json(
    config_json: *const c_char,
    out_engine: *mut *mut cp_engine,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call_static(error, || {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_engine, "out_engine") }?;
        *slot = std::ptr::null_mut();
        let config = unsafe { text(config_json, "config_json") }?;
        let engine = Engine::from_json(config)?;
        *slot = Box::into_raw(Box::new(cp_engine::new(engine)));
        Ok(())
    })
}

/// Rebuilds an engine from a snapshot (`Engine::restore`, docs/persistence.md); replay the
/// journal after it with `cp_engine_apply`.
///
/// - `snapshot_json`: what `cp_engine_snapshot` gave (UTF-8 JSON, borrowed for the call).
/// - `out_engine`: receives the new engine, owned by the caller and freed with
///   `cp_engine_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: the engine lives until
/// `cp_engine_free`. Thread-safety: safe from any thread.
/// Errors: `invalid_input` (not a snapshot, failed integrity checks), `invalid_config` (its
/// configuration no longer validates); `invalid_input` for a NULL, non-UTF-8 or oversized
/// argument or a NULL `out_engine`.
///
/// # Safety
/// Every pointer is NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_restore(
    snapshot_json: *const c_char,
    out_engine: *mut *mut cp_engine,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call_static(error, || {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_engine, "out_engine") }?;
        *slot = std::ptr::null_mut();
        let snapshot = unsafe { text(snapshot_json, "snapshot_json") }?;
        let engine = Engine::restore(snapshot)?;
        *slot = Box::into_raw(Box::new(cp_engine::new(engine)));
        Ok(())
    })
}

/// Validates a configuration given as a `Config` value (`Engine::validate`): a JSON array
/// of every `Diagnostic` (errors and warnings). JSON that is not a `Config` at all is
/// `invalid_input` here; `cp_engine_validate_json` reports it as diagnostics instead.
///
/// - `config_json`: the configuration (UTF-8 JSON, borrowed for the call).
/// - `out_json`: receives the diagnostics, owned by the caller and freed with
///   `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: n/a. Thread-safety: safe from any
/// thread.
/// Errors: `invalid_input` for JSON that is not a `Config`, a NULL, non-UTF-8 or oversized
/// argument or a NULL `out_json`.
///
/// # Safety
/// Every pointer is NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_validate(
    config_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call_static(error, || {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let config: Config = unsafe { json(config_json, "config_json") }?;
        emit(slot, Ok::<_, Failure>(Engine::validate(&config)))
    })
}

/// Validates configuration JSON (`Engine::validate_json`): a JSON array of every
/// `Diagnostic`, parse errors included.
///
/// - `config_json`: the configuration (UTF-8 JSON, borrowed for the call).
/// - `out_json`: receives the diagnostics, owned by the caller and freed with
///   `cp_string_free`; NULL on failure.
///
/// Ownership: nothing passed in is retained. Lifetime: n/a. Thread-safety: safe from any
/// thread.
/// Errors: `invalid_config` when the JSON does not parse; `invalid_input` for a NULL,
/// non-UTF-8 or oversized argument or a NULL `out_json`.
///
/// # Safety
/// Every pointer is NULL or valid as documented.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_validate_json(
    config_json: *const c_char,
    out_json: *mut *mut c_char,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call_static(error, || {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out_string(out_json, "out_json") }?;
        let config = unsafe { text(config_json, "config_json") }?;
        emit(slot, Engine::validate_json(config))
    })
}

/// Frees an engine. NULL is allowed and does nothing.
///
/// Ownership: takes ownership of `engine`.
/// Lifetime: `engine` is invalid after the call; no other thread may be using it.
/// Thread-safety: call once, after every other call on the engine has returned.
/// Errors: none.
///
/// # Safety
/// `engine` is NULL or an unfreed engine from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_free(engine: *mut cp_engine) {
    ffi_infallible((), || {
        if !engine.is_null() {
            // SAFETY: made by `Box::into_raw` in a constructor (the caller's contract).
            drop(unsafe { Box::from_raw(engine) });
        }
    })
}
