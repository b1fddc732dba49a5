//! Errors: one type, a stable [`ErrorCode`], and a message that names the entity and the rule
//! (docs/errors.md).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::Diagnostic;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $num:literal => $name:literal, )+) => {
        /// The stable, append-only error codes of docs/errors.md.
        ///
        /// The numbers are part of the C ABI (`cp_status`): a code, once released, keeps its
        /// name and its number forever. `0` is reserved for success in the C ABI.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        #[repr(u32)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant = $num, )+
        }

        impl ErrorCode {
            /// Every code, in numbering order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code's stable name, e.g. `"slot_unavailable"`.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)+ }
            }

            /// The code's stable number (never 0).
            pub const fn number(self) -> u32 {
                self as u32
            }

            /// The code with this stable number, if any.
            pub fn from_number(number: u32) -> Option<ErrorCode> {
                match number { $($num => Some(ErrorCode::$variant),)+ _ => None }
            }

            /// The code with this stable name, if any.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                match name { $($name => Some(ErrorCode::$variant),)+ _ => None }
            }
        }
    };
}

error_codes! {
    /// The configuration is invalid; the error lists every problem.
    InvalidConfig = 1 => "invalid_config",
    /// An argument is malformed or out of range.
    InvalidInput = 2 => "invalid_input",
    /// A referenced entity does not exist.
    NotFound = 3 => "not_found",
    /// The actor has no active link to the patient.
    NotAuthorized = 4 => "not_authorized",
    /// Online booking is switched off for the practice or clinic.
    PortalDisabled = 5 => "portal_disabled",
    /// The requested start is not offered online (see `explain`).
    SlotUnavailable = 6 => "slot_unavailable",
    /// The start is outside the lead time or the booking horizon.
    OutsideBookingWindow = 7 => "outside_booking_window",
    /// Too late to cancel or reschedule online.
    CancelWindowClosed = 8 => "cancel_window_closed",
    /// The clinic requires scheduling consent.
    ConsentRequired = 9 => "consent_required",
    /// The booking is not in a status that allows this step.
    InvalidTransition = 10 => "invalid_transition",
    /// Every place at that time is taken.
    CapacityFull = 11 => "capacity_full",
    /// The hold expired before it was used.
    HoldExpired = 12 => "hold_expired",
    /// The patient already has an overlapping appointment.
    PatientBusy = 13 => "patient_busy",
    /// A per-patient booking limit is reached.
    LimitReached = 14 => "limit_reached",
    /// An entity with that id already exists.
    DuplicateId = 15 => "duplicate_id",
    /// The e-mail address or username is already used by another account.
    EmailInUse = 16 => "email_in_use",
    /// The invitation token is unknown, used or revoked.
    InvitationInvalid = 17 => "invitation_invalid",
    /// The invitation token has expired.
    InvitationExpired = 18 => "invitation_expired",
    /// The username or password is wrong.
    CredentialsInvalid = 19 => "credentials_invalid",
    /// Public signup is switched off.
    SignupDisabled = 20 => "signup_disabled",
    /// A bug in clinic-portal: please report it.
    Internal = 21 => "internal",
    /// An idempotency key was used again with different arguments (or another operation).
    IdempotencyConflict = 22 => "idempotency_conflict",
    /// A change's sequence number is not the next one: the engine moved on since it was
    /// planned (or changes are missing). Catch up and plan again.
    StaleSequence = 23 => "stale_sequence",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one error type of the engine.
///
/// Match on [`Error::code`]; show [`Error::message`] to staff. For `invalid_config`,
/// [`Error::diagnostics`] lists every problem with its JSON path.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    code: ErrorCode,
    message: String,
    diagnostics: Vec<Diagnostic>,
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("diagnostics", &self.diagnostics.len())
            .finish()
    }
}

impl Error {
    /// An error with a code and a message naming the entity and the rule.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            diagnostics: Vec::new(),
        }
    }

    /// An `invalid_config` error carrying every diagnostic (errors and warnings).
    pub fn invalid_config(diagnostics: Vec<Diagnostic>) -> Error {
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        let mut message = format!("configuration has {} error(s)", errors.len());
        for d in errors.iter().take(5) {
            message.push_str("; ");
            message.push_str(&d.to_string());
        }
        if errors.len() > 5 {
            message.push_str("; …");
        }
        Error {
            code: ErrorCode::InvalidConfig,
            message,
            diagnostics,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human message: names the entity and the rule.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Configuration diagnostics (only for `invalid_config`).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorCode::InvalidInput, message)
    }

    pub(crate) fn not_found(kind: &str, id: &str) -> Error {
        Error::new(ErrorCode::NotFound, format!("{kind} `{id}` does not exist"))
    }
}

/// The result type of every engine operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
