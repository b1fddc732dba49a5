//! The one wrapper every exported function runs in, the status codes, the error object and
//! the argument helpers.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use cp_core::{Engine, Error, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The ABI version: bumped only by an incompatible change of the C interface (functions or
/// structs changed or removed). Additions keep it. `cp_abi_version()` returns the version
/// of the library actually loaded; compare it with this macro.
pub const CP_ABI_VERSION: u32 = 1;

/// The largest input string any function accepts, in bytes (32 MiB, without the NUL): a
/// longer string is refused with `CP_STATUS_INVALID_INPUT` before it is parsed. It leaves
/// room for the snapshot of a large practice.
pub const CP_MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// The status every fallible function returns: `CP_STATUS_OK` (0), or one of the stable
/// error codes of docs/errors.md with its stable number. Append-only: a status, once
/// released, keeps its name and number forever.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum cp_status {
    /// Success.
    Ok = 0,
    /// The configuration is invalid (`cp_error_diagnostics_json` lists every problem).
    InvalidConfig = 1,
    /// An argument is malformed or out of range: also a NULL pointer, a string that is not
    /// UTF-8, JSON that does not parse into the expected type, an oversized string.
    InvalidInput = 2,
    /// A referenced entity does not exist.
    NotFound = 3,
    /// The actor has no active link to the patient.
    NotAuthorized = 4,
    /// Online booking is switched off for the practice or clinic.
    PortalDisabled = 5,
    /// The requested start is not offered online (see `cp_engine_explain`).
    SlotUnavailable = 6,
    /// The start is outside the lead time or the booking horizon.
    OutsideBookingWindow = 7,
    /// Too late to cancel or reschedule online.
    CancelWindowClosed = 8,
    /// The clinic requires scheduling consent.
    ConsentRequired = 9,
    /// The booking is not in a status that allows this step.
    InvalidTransition = 10,
    /// Every place at that time is taken.
    CapacityFull = 11,
    /// The hold expired before it was used.
    HoldExpired = 12,
    /// The patient already has an overlapping appointment.
    PatientBusy = 13,
    /// A per-patient booking limit is reached.
    LimitReached = 14,
    /// An entity with that id already exists.
    DuplicateId = 15,
    /// The e-mail address or username is already used by another account.
    EmailInUse = 16,
    /// The invitation token is unknown, used or revoked.
    InvitationInvalid = 17,
    /// The invitation token has expired.
    InvitationExpired = 18,
    /// The username or password is wrong.
    CredentialsInvalid = 19,
    /// Public signup is switched off.
    SignupDisabled = 20,
    /// A bug in clinic-portal (a caught panic: the engine is then poisoned), please report it.
    Internal = 21,
    /// An idempotency key was used again with different arguments.
    IdempotencyConflict = 22,
    /// A change's sequence number is not the next one: catch up and plan again.
    StaleSequence = 23,
}

/// Every status, in numbering order.
pub(crate) const STATUSES: &[cp_status] = &[
    cp_status::Ok,
    cp_status::InvalidConfig,
    cp_status::InvalidInput,
    cp_status::NotFound,
    cp_status::NotAuthorized,
    cp_status::PortalDisabled,
    cp_status::SlotUnavailable,
    cp_status::OutsideBookingWindow,
    cp_status::CancelWindowClosed,
    cp_status::ConsentRequired,
    cp_status::InvalidTransition,
    cp_status::CapacityFull,
    cp_status::HoldExpired,
    cp_status::PatientBusy,
    cp_status::LimitReached,
    cp_status::DuplicateId,
    cp_status::EmailInUse,
    cp_status::InvitationInvalid,
    cp_status::InvitationExpired,
    cp_status::CredentialsInvalid,
    cp_status::SignupDisabled,
    cp_status::Internal,
    cp_status::IdempotencyConflict,
    cp_status::StaleSequence,
];

impl cp_status {
    /// The stable name: `"ok"`, or the core code's name (`"slot_unavailable"`).
    pub(crate) fn name(self) -> &'static str {
        match ErrorCode::from_number(self as u32) {
            Some(code) => code.as_str(),
            None => "ok",
        }
    }

    fn from_code(code: ErrorCode) -> cp_status {
        STATUSES
            .iter()
            .copied()
            .find(|s| *s as u32 == code.number())
            .unwrap_or(cp_status::Internal)
    }
}

/// An error: its status, message and (for `CP_STATUS_INVALID_CONFIG`) diagnostics. Owned
/// by the caller once returned; free it with `cp_error_free`. Immutable, so it may be read
/// from any thread.
pub struct cp_error {
    status: cp_status,
    message: CString,
    diagnostics: CString,
}

/// A failure inside the wrapper, before it becomes a `cp_error`.
pub(crate) struct Failure {
    status: cp_status,
    message: String,
    diagnostics: String,
}

impl Failure {
    pub(crate) fn new(status: cp_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            diagnostics: "[]".to_owned(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Failure {
        Failure::new(cp_status::InvalidInput, message)
    }

    fn internal(message: impl Into<String>) -> Failure {
        Failure::new(cp_status::Internal, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure {
            status: cp_status::from_code(e.code()),
            message: e.message().to_owned(),
            diagnostics: serde_json::to_string(e.diagnostics()).unwrap_or_else(|_| "[]".into()),
        }
    }
}

/// What the closure of an entry point returns.
pub(crate) type Outcome = Result<(), Failure>;

/// An engine as C sees it: the core engine and whether a call on it panicked.
pub struct cp_engine {
    pub(crate) engine: Engine,
    poisoned: AtomicBool,
}

impl cp_engine {
    pub(crate) fn new(engine: Engine) -> cp_engine {
        cp_engine {
            engine,
            poisoned: AtomicBool::new(false),
        }
    }
}

fn cstring(text: String) -> CString {
    CString::new(text).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|b| *b != 0);
        CString::new(bytes).unwrap_or_default()
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    format!("internal error (please report it): {what}")
}

/// Runs `body`, catching panics, and reports its outcome as a status and, when `error` is
/// not NULL, a `cp_error`.
fn guard(error: *mut *mut cp_error, body: impl FnOnce() -> Outcome) -> cp_status {
    // SAFETY: the caller passes NULL or a valid `cp_error **` (documented in the header).
    if let Some(slot) = unsafe { error.as_mut() } {
        *slot = ptr::null_mut();
    }
    let outcome = catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Failure::internal(panic_message(payload.as_ref()))));
    match outcome {
        Ok(()) => cp_status::Ok,
        Err(failure) => {
            let status = failure.status;
            // SAFETY: as above.
            if let Some(slot) = unsafe { error.as_mut() } {
                *slot = Box::into_raw(Box::new(cp_error {
                    status,
                    message: cstring(failure.message),
                    diagnostics: cstring(failure.diagnostics),
                }));
            }
            status
        }
    }
}

/// The wrapper of every entry point that takes an engine: NULL check, poison check, panic
/// catching (a panic poisons the engine), status and error reporting.
pub(crate) fn ffi_call(
    error: *mut *mut cp_error,
    engine: *const cp_engine,
    body: impl FnOnce(&Engine) -> Outcome,
) -> cp_status {
    guard(error, || {
        // SAFETY: NULL or an engine made by this library and not yet freed (documented).
        let handle =
            unsafe { engine.as_ref() }.ok_or_else(|| Failure::invalid("`engine` is NULL"))?;
        if handle.poisoned.load(Ordering::Acquire) {
            return Err(Failure::internal(
                "the engine is poisoned: an earlier call on it panicked; free it and restore \
                 a new one from the host's stored snapshot and journal",
            ));
        }
        match catch_unwind(AssertUnwindSafe(|| body(&handle.engine))) {
            Ok(outcome) => outcome,
            Err(payload) => {
                handle.poisoned.store(true, Ordering::Release);
                Err(Failure::internal(panic_message(payload.as_ref())))
            }
        }
    })
}

/// The wrapper of every fallible entry point that takes no engine (constructors,
/// validation).
pub(crate) fn ffi_call_static(
    error: *mut *mut cp_error,
    body: impl FnOnce() -> Outcome,
) -> cp_status {
    guard(error, body)
}

/// The wrapper of the infallible entry points (accessors, free functions): catches panics
/// and returns `fallback` instead.
pub(crate) fn ffi_infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

/// A borrowed input string: NULL, non-UTF-8 and oversized strings are `invalid_input`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::invalid(format!("`{name}` is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    if bytes.len() > CP_MAX_INPUT_BYTES {
        return Err(Failure::invalid(format!(
            "`{name}` is {} bytes long; the limit is {CP_MAX_INPUT_BYTES} bytes (CP_MAX_INPUT_BYTES)",
            bytes.len()
        )));
    }
    std::str::from_utf8(bytes).map_err(|e| Failure::invalid(format!("`{name}` is not UTF-8: {e}")))
}

/// An optional input string: NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn opt_text<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(ptr, name) }.map(Some)
    }
}

/// A JSON input of type `T`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn json<T: DeserializeOwned>(
    ptr: *const c_char,
    name: &str,
) -> Result<T, Failure> {
    // SAFETY: forwarded contract.
    let raw = unsafe { text(ptr, name) }?;
    serde_json::from_str(raw).map_err(|e| Failure::invalid(format!("`{name}` does not parse: {e}")))
}

/// An instant given as Unix seconds.
pub(crate) fn instant(seconds: i64, name: &str) -> Result<DateTime<Utc>, Failure> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| {
        Failure::invalid(format!(
            "`{name}` ({seconds}) is not a representable instant"
        ))
    })
}

/// A date given as `YYYY-MM-DD`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn date(ptr: *const c_char, name: &str) -> Result<NaiveDate, Failure> {
    // SAFETY: forwarded contract.
    let raw = unsafe { text(ptr, name) }?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| Failure::invalid(format!("`{name}` is not a YYYY-MM-DD date: {e}")))
}

/// A required out-parameter: NULL is `invalid_input`. Checked before the operation runs,
/// so that a bad call changes nothing.
///
/// # Safety
/// `ptr` is NULL or valid for writes.
pub(crate) unsafe fn out<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::invalid(format!("`{name}` is NULL")))
}

/// A required string out-parameter, set to NULL until the call succeeds.
///
/// # Safety
/// As [`out`].
pub(crate) unsafe fn out_string<'a>(
    ptr: *mut *mut c_char,
    name: &str,
) -> Result<&'a mut *mut c_char, Failure> {
    // SAFETY: forwarded contract.
    let slot = unsafe { out(ptr, name) }?;
    *slot = ptr::null_mut();
    Ok(slot)
}

/// Hands a string to the caller (freed with `cp_string_free`).
pub(crate) fn give(slot: &mut *mut c_char, text: String) {
    *slot = cstring(text).into_raw();
}

/// Serialises a value to JSON.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value)
        .map_err(|e| Failure::internal(format!("the outcome does not serialise: {e}")))
}

// ---------------------------------------------------------------------------------------
// Exported: versions, strings, errors
// ---------------------------------------------------------------------------------------

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library's version, e.g. `"0.1.0"`.
///
/// Ownership: the string is static and owned by the library; do not free it.
/// Lifetime: valid as long as the library is loaded.
/// Thread-safety: safe from any thread.
/// Errors: none.
#[no_mangle]
pub extern "C" fn cp_version() -> *const c_char {
    ffi_infallible(ptr::null(), || VERSION.as_ptr())
}

/// The ABI version of the loaded library; equal to `CP_ABI_VERSION` when the header and the
/// library match.
///
/// Ownership: none (a number). Lifetime: n/a. Thread-safety: safe from any thread.
/// Errors: none.
#[no_mangle]
pub extern "C" fn cp_abi_version() -> u32 {
    ffi_infallible(CP_ABI_VERSION, || CP_ABI_VERSION)
}

/// Frees a string returned by this library. NULL is allowed and does nothing.
///
/// Ownership: takes ownership of `text`, which must come from this library's output
/// parameters and not be freed twice. Never pass strings from `cp_version` or
/// `cp_error_message` (they are not yours).
/// Lifetime: `text` is invalid after the call.
/// Thread-safety: safe from any thread.
/// Errors: none.
///
/// # Safety
/// `text` is NULL or an unfreed string returned by this library.
#[no_mangle]
pub unsafe extern "C" fn cp_string_free(text: *mut c_char) {
    ffi_infallible((), || {
        if !text.is_null() {
            // SAFETY: made by `CString::into_raw` in this library (the caller's contract).
            drop(unsafe { CString::from_raw(text) });
        }
    })
}

/// The status of an error. `error` NULL gives `CP_STATUS_OK`.
///
/// Ownership: `error` stays the caller's. Lifetime: n/a.
/// Thread-safety: safe from any thread (errors are immutable).
/// Errors: none.
///
/// # Safety
/// `error` is NULL or an unfreed error from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_error_code(error: *const cp_error) -> cp_status {
    ffi_infallible(cp_status::Internal, || {
        // SAFETY: the caller's contract.
        unsafe { error.as_ref() }.map_or(cp_status::Ok, |e| e.status)
    })
}

/// The error's message: a UTF-8 sentence that names the entity and the rule (show it, log
/// it, do not parse it). `error` NULL gives an empty string.
///
/// Ownership: the string belongs to `error`; do not free it.
/// Lifetime: valid until `cp_error_free(error)`.
/// Thread-safety: safe from any thread.
/// Errors: none.
///
/// # Safety
/// `error` is NULL or an unfreed error from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_error_message(error: *const cp_error) -> *const c_char {
    ffi_infallible(c"".as_ptr(), || {
        // SAFETY: the caller's contract.
        unsafe { error.as_ref() }.map_or(c"".as_ptr(), |e| e.message.as_ptr())
    })
}

/// The error's configuration diagnostics as a JSON array of `Diagnostic` (non-empty only
/// for `CP_STATUS_INVALID_CONFIG`); `error` NULL gives `"[]"`.
///
/// Ownership: the string belongs to `error`; do not free it.
/// Lifetime: valid until `cp_error_free(error)`.
/// Thread-safety: safe from any thread.
/// Errors: none.
///
/// # Safety
/// `error` is NULL or an unfreed error from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_error_diagnostics_json(error: *const cp_error) -> *const c_char {
    ffi_infallible(c"[]".as_ptr(), || {
        // SAFETY: the caller's contract.
        unsafe { error.as_ref() }.map_or(c"[]".as_ptr(), |e| e.diagnostics.as_ptr())
    })
}

/// Frees an error. NULL is allowed and does nothing.
///
/// Ownership: takes ownership of `error`.
/// Lifetime: `error` and the strings read from it are invalid after the call.
/// Thread-safety: safe from any thread, once.
/// Errors: none.
///
/// # Safety
/// `error` is NULL or an unfreed error from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_error_free(error: *mut cp_error) {
    ffi_infallible((), || {
        if !error.is_null() {
            // SAFETY: made by `Box::into_raw` in `guard` (the caller's contract).
            drop(unsafe { Box::from_raw(error) });
        }
    })
}

/// The stable name of a status: `"ok"`, `"slot_unavailable"`…; `"unknown"` for a number
/// this library does not know.
///
/// Ownership: static string, do not free. Lifetime: while the library is loaded.
/// Thread-safety: safe from any thread.
/// Errors: none.
#[no_mangle]
pub extern "C" fn cp_status_name(status: u32) -> *const c_char {
    ffi_infallible(c"unknown".as_ptr(), || match status {
        0 => c"ok".as_ptr(),
        n => ErrorCode::from_number(n).map_or(c"unknown".as_ptr(), static_name),
    })
}

fn static_name(code: ErrorCode) -> *const c_char {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Vec<(ErrorCode, CString)>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        ErrorCode::ALL
            .iter()
            .map(|c| (*c, cstring(c.as_str().to_owned())))
            .collect()
    });
    names
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(c"unknown".as_ptr(), |(_, name)| name.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> cp_engine {
        let engine = Engine::from_json(r#"{"clinics": [{"id": "c", "time_zone": "UTC"}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        cp_engine::new(engine)
    }

    #[test]
    fn a_panic_is_internal_and_poisons_the_engine() {
        let handle = engine();
        let mut error: *mut cp_error = ptr::null_mut();
        let status = ffi_call(&mut error, &handle, |_| panic!("boom"));
        assert_eq!(status, cp_status::Internal);
        // SAFETY: `error` was just set by `guard`.
        let message = unsafe { CStr::from_ptr(cp_error_message(error)) }
            .to_string_lossy()
            .into_owned();
        assert!(message.contains("boom"), "{message}");
        // SAFETY: as above.
        unsafe { cp_error_free(error) };
        // Every later call, even a harmless one, is refused.
        let status = ffi_call(&mut error, &handle, |_| Ok(()));
        assert_eq!(status, cp_status::Internal);
        // SAFETY: as above.
        let message = unsafe { CStr::from_ptr(cp_error_message(error)) }
            .to_string_lossy()
            .into_owned();
        assert!(message.contains("poisoned"), "{message}");
        // SAFETY: as above.
        unsafe { cp_error_free(error) };
    }

    #[test]
    fn a_panic_without_an_engine_is_internal_and_a_null_error_is_fine() {
        assert_eq!(
            ffi_call_static(ptr::null_mut(), || panic!("boom")),
            cp_status::Internal
        );
        assert_eq!(ffi_infallible(7, || panic!("boom")), 7);
        assert_eq!(
            ffi_call(ptr::null_mut(), ptr::null(), |_| Ok(())),
            cp_status::InvalidInput
        );
    }

    #[test]
    fn oversized_and_non_utf8_strings_are_invalid_input() {
        let big = CString::new(vec![b'a'; CP_MAX_INPUT_BYTES + 1]).unwrap_or_default();
        // SAFETY: a valid NUL-terminated string.
        let e = unsafe { text(big.as_ptr(), "x") }.err().map(|f| f.status);
        assert_eq!(e, Some(cp_status::InvalidInput));
        let bad = CString::new(vec![0xff, 0xfe]).unwrap_or_default();
        // SAFETY: as above.
        let e = unsafe { text(bad.as_ptr(), "x") }.err().map(|f| f.status);
        assert_eq!(e, Some(cp_status::InvalidInput));
        let fits = CString::new(vec![b'a'; CP_MAX_INPUT_BYTES]).unwrap_or_default();
        // SAFETY: as above.
        assert!(unsafe { text(fits.as_ptr(), "x") }.is_ok());
    }
}
