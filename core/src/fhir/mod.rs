//! HL7 FHIR R4 (4.0.1) interchange (docs/interchange.md): the engine's schedules, slots,
//! appointments, patients, family links and errors as FHIR JSON, the scheduling `$find`
//! operation as a thin mapping over [`Engine::search`](crate::Engine::search), and the import of host
//! appointments from FHIR `Appointment` resources.
//!
//! The mapping is lossless for what the engine keeps: a portal request is `pending`, a
//! confirmed booking `booked`, a declined request `cancelled` with the practitioner
//! participant `declined`, a cancelled one `cancelled`; a live hold is a `busy-tentative`
//! slot; a guardian or carer is a `RelatedPerson`; a merge leaves `replaced-by` /
//! `replaces` links. Our ids travel as identifiers under the `urn:clinic-portal:` systems
//! below (and as resource ids when they are valid FHIR ids), so nothing depends on id
//! syntax.

mod export;
mod import;
pub mod resources;

pub use import::FindRequest;

use crate::{Error, ErrorCode};

use resources::{CodeableConcept, Coding, Issue, OperationOutcome};

/// Identifier system of appointment ids.
pub const SYSTEM_APPOINTMENT: &str = "urn:clinic-portal:appointment";
/// Identifier system of practitioner ids.
pub const SYSTEM_PRACTITIONER: &str = "urn:clinic-portal:practitioner";
/// Identifier system of clinic (FHIR `Location`) ids.
pub const SYSTEM_CLINIC: &str = "urn:clinic-portal:clinic";
/// Identifier system of patient ids.
pub const SYSTEM_PATIENT: &str = "urn:clinic-portal:patient";
/// Identifier system of portal account ids (FHIR `RelatedPerson`).
pub const SYSTEM_ACCOUNT: &str = "urn:clinic-portal:account";
/// Identifier system of schedules (`<practitioner>/<clinic>`).
pub const SYSTEM_SCHEDULE: &str = "urn:clinic-portal:schedule";
/// Code system of service ids (`serviceType`).
pub const SYSTEM_SERVICE: &str = "urn:clinic-portal:service";
/// Code system of appointment sources (`meta.tag`: `staff`, `portal`).
pub const SYSTEM_SOURCE: &str = "urn:clinic-portal:source";
/// Code system of family relationships (`guardian`, `carer`).
pub const SYSTEM_RELATIONSHIP: &str = "urn:clinic-portal:relationship";
/// Code system of our error codes (`OperationOutcome.issue.details`).
pub const SYSTEM_ERROR: &str = "urn:clinic-portal:error";

/// The largest FHIR resource the engine reads (an imported `Appointment`, a `$find`
/// `Parameters`), in bytes of JSON (docs/limits.md).
pub const MAX_FHIR_RESOURCE_BYTES: usize = 64 * 1024;
/// The most participants an imported `Appointment` may list (docs/limits.md).
pub const MAX_FHIR_PARTICIPANTS: usize = 32;
/// The most proposed appointments one `$find` answers; more matching starts are left out
/// (narrow the dates) (docs/limits.md).
pub const MAX_FIND_PROPOSALS: u32 = 1_000;

/// The FHIR `IssueType` code for one of our error codes.
pub fn issue_type(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidConfig | ErrorCode::InvalidInput => "invalid",
        ErrorCode::NotFound => "not-found",
        ErrorCode::NotAuthorized => "forbidden",
        ErrorCode::PortalDisabled | ErrorCode::SignupDisabled => "not-supported",
        ErrorCode::SlotUnavailable
        | ErrorCode::OutsideBookingWindow
        | ErrorCode::CancelWindowClosed
        | ErrorCode::ConsentRequired
        | ErrorCode::InvalidTransition
        | ErrorCode::LimitReached => "business-rule",
        ErrorCode::CapacityFull
        | ErrorCode::PatientBusy
        | ErrorCode::IdempotencyConflict
        | ErrorCode::StaleSequence => "conflict",
        ErrorCode::HoldExpired | ErrorCode::InvitationExpired => "expired",
        ErrorCode::DuplicateId | ErrorCode::EmailInUse => "duplicate",
        ErrorCode::InvitationInvalid => "security",
        ErrorCode::CredentialsInvalid => "login",
        ErrorCode::Internal => "exception",
    }
}

/// The `OperationOutcome` of an error: one `error` issue whose `code` is the FHIR issue
/// type of [`issue_type`] and whose `details` keep our code (system [`SYSTEM_ERROR`]) and
/// the message.
///
/// ```
/// use clinic_portal::{fhir, Error, ErrorCode};
///
/// let outcome = fhir::operation_outcome(&Error::new(ErrorCode::CapacityFull, "full"));
/// assert_eq!(outcome.issue[0].code, "conflict");
/// assert_eq!(outcome.issue[0].details.coding[0].code, "capacity_full");
/// ```
pub fn operation_outcome(error: &Error) -> OperationOutcome {
    OperationOutcome {
        resource_type: "OperationOutcome".into(),
        issue: vec![Issue {
            severity: "error".into(),
            code: issue_type(error.code()).into(),
            details: CodeableConcept {
                coding: vec![Coding {
                    system: SYSTEM_ERROR.into(),
                    code: error.code().as_str().into(),
                    display: None,
                }],
                text: Some(error.message().into()),
            },
            diagnostics: error.message().into(),
        }],
    }
}

/// [`operation_outcome`] as JSON, for an error given by its stable code name and message
/// (how the bindings hold an error): `invalid_input` when `code` is not one of ours.
pub fn operation_outcome_json(code: &str, message: &str) -> crate::Result<String> {
    let code = ErrorCode::from_name(code)
        .ok_or_else(|| Error::invalid_input(format!("`{code}` is not an error code")))?;
    to_json(&operation_outcome(&Error::new(code, message)))
}

/// A resource as JSON text.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> crate::Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("FHIR JSON: {e}")))
}

/// `id` as a FHIR resource id (`[A-Za-z0-9\-\.]{1,64}`), when it is one.
pub(crate) fn fhir_id(id: &str) -> Option<String> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then(|| id.to_owned())
}
