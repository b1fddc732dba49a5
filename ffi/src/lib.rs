//! # clinic-portal C ABI
//!
//! The stable C interface of the clinic-portal engine: `include/clinic_portal.h` is generated
//! from this crate by cbindgen (and committed), and C programs link `-lclinic_portal` (the
//! shared or the static library this crate builds). docs/c.md is the user guide.
//!
//! Conventions (the header repeats them):
//!
//! - An engine is an opaque `cp_engine *`, made by [`cp_engine_from_json`] or
//!   [`cp_engine_restore`] and freed by [`cp_engine_free`] (NULL-safe).
//! - Every fallible call returns a [`cp_status`]: `CP_STATUS_OK` (0) or the stable number
//!   of an error code of docs/errors.md. Its last parameter is an optional
//!   `cp_error **error`: when non-NULL it receives NULL on success and, on failure, a
//!   [`cp_error`] with the code and message (free it with [`cp_error_free`]). There is no
//!   global or thread-local error state.
//! - Input strings are NUL-terminated UTF-8 of at most [`CP_MAX_INPUT_BYTES`] bytes,
//!   borrowed for the call only. Complex values are JSON in exactly the shapes of the
//!   core's serde types (the JSON Schemas in `schema/`). Instants are Unix seconds (UTC).
//! - Output strings are owned by the caller and freed with [`cp_string_free`].
//! - Every entry point runs inside one wrapper ([`ffi_call`] / [`ffi_call_static`] /
//!   [`ffi_infallible`]) that catches panics, rejects NULL, non-UTF-8 and oversized
//!   input with `CP_STATUS_INVALID_INPUT`, and poisons an engine whose call panicked: every
//!   later call on it returns `CP_STATUS_INTERNAL`. The test `tests/wrapper.rs` fails when
//!   an exported function does not go through it.
#![deny(missing_docs)]
#![allow(non_camel_case_types)]

mod api;
mod interchange;
mod ops;
mod slots;
mod waitlist;
mod wrapper;

pub use api::*;
pub use interchange::*;
pub use ops::*;
pub use slots::*;
pub use waitlist::*;
pub use wrapper::{
    cp_abi_version, cp_engine, cp_error, cp_error_code, cp_error_diagnostics_json, cp_error_free,
    cp_error_message, cp_status, cp_status_name, cp_string_free, cp_version, CP_ABI_VERSION,
    CP_MAX_INPUT_BYTES,
};

/// The names of [`cp_status`] constants, in numbering order, with their numbers (for the
/// parity tests: every core error code has a status of the same name and number).
pub fn status_table() -> Vec<(&'static str, u32)> {
    wrapper::STATUSES
        .iter()
        .map(|s| (s.name(), *s as u32))
        .collect()
}
