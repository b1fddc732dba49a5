//! The outbox: notifications the host delivers (docs/booking.md, notifications).
//!
//! Operations that should tell someone about a portal event put a [`Notification`] here,
//! as part of the same atomic change; [`crate::Engine::drain_outbox`] hands them to the
//! host and removes them. Each notification has a stable, sequential id, is journaled like
//! any other change, and is returned by exactly one drain.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::Relationship;
use crate::booking::{BookingDetails, Canceller};
use crate::credentials::SecretToken;
use crate::model::{Appointment, Patient};
use crate::practice::{Ix, Practice};
use crate::program::Registration;

/// What a notification is about; the host picks its template from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A portal request waits for staff (`auto_accept` off): to `pending_notify_email`,
    /// else the practitioner.
    PendingRequest,
    /// A patient booked in the portal and it was confirmed at once: to the clinic and/or
    /// the practitioner per `portal.notifications`.
    BookedInPortal,
    /// Staff accepted a pending request: to the patient, with the staff note.
    Accepted,
    /// Staff declined a pending request: to the patient, with the staff note.
    Declined,
    /// An appointment was cancelled: to the patient and the clinic.
    Cancelled,
    /// An appointment moved: to the patient and the clinic.
    Rescheduled,
    /// A patient registered for a program session: to the patient and the clinic.
    ProgramRegistration,
    /// A patient completed an intake form: to the clinic (`intake_form_to_clinic`).
    IntakeFormCompleted,
    /// A portal invitation (docs/accounts.md): to the invited address, with the link token in
    /// [`Notification::token`].
    Invitation,
    /// A password-reset link (docs/accounts.md): to the account's stored address only, with the
    /// token in [`Notification::token`].
    PasswordReset,
    /// A new public signup waits for review: to the clinic (`signup_to_clinic`).
    Signup,
    /// A freed start is held for a waitlisted patient (docs/waitlist.md): to the patient
    /// and their guardians and carers.
    WaitlistOffer,
}

impl NotificationKind {
    /// The stable snake_case name, e.g. `"pending_request"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::PendingRequest => "pending_request",
            NotificationKind::BookedInPortal => "booked_in_portal",
            NotificationKind::Accepted => "accepted",
            NotificationKind::Declined => "declined",
            NotificationKind::Cancelled => "cancelled",
            NotificationKind::Rescheduled => "rescheduled",
            NotificationKind::ProgramRegistration => "program_registration",
            NotificationKind::IntakeFormCompleted => "intake_form_completed",
            NotificationKind::Invitation => "invitation",
            NotificationKind::PasswordReset => "password_reset",
            NotificationKind::Signup => "signup",
            NotificationKind::WaitlistOffer => "waitlist_offer",
        }
    }
}

/// A message for the host to deliver.
///
/// As JSON: `{"id", "kind", "recipients", "data"}`, where `data` is the payload of the
/// kind (see [`NotificationData`]); a `kind` and a `data` that do not belong together are
/// refused when a notification is read back (snapshot, journal).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Notification {
    /// Stable, sequential id (1, 2, 3…), never reused.
    pub id: u64,
    /// What it is about.
    pub kind: NotificationKind,
    /// E-mail addresses, deduplicated, in a stable order.
    pub recipients: Vec<String>,
    /// Everything a template needs, typed per kind.
    pub data: NotificationData,
    /// The one-time link token of an invitation or password reset (docs/accounts.md). It lives
    /// only in memory: it is never serialised, so a snapshot or a stored journal never
    /// holds it (a notification restored from one has `None`; resend the invitation), and
    /// its `Debug` is redacted.
    #[serde(skip)]
    pub token: Option<SecretToken>,
}

/// The payload of a [`Notification`], one shape per group of kinds. As JSON it is the
/// payload object itself (no tag: the notification's `kind` says which it is). Each
/// payload is boxed so that a queued notification stays small.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum NotificationData {
    /// `pending_request` and `booked_in_portal`.
    Booking(Box<BookingNotice>),
    /// `accepted` and `declined`.
    Decision(Box<DecisionNotice>),
    /// `cancelled`.
    Cancellation(Box<CancellationNotice>),
    /// `rescheduled`.
    Reschedule(Box<RescheduleNotice>),
    /// `program_registration`.
    ProgramRegistration(Box<ProgramRegistrationNotice>),
    /// `intake_form_completed`.
    IntakeForm(Box<IntakeFormNotice>),
    /// `invitation`.
    Invitation(Box<InvitationNotice>),
    /// `password_reset`.
    PasswordReset(Box<PasswordResetNotice>),
    /// `signup`.
    Signup(Box<SignupNotice>),
    /// `waitlist_offer`.
    WaitlistOffer(Box<crate::waitlist::WaitlistOfferNotice>),
}

impl NotificationData {
    /// Whether this payload is the one notifications of `kind` carry.
    pub fn fits(&self, kind: NotificationKind) -> bool {
        use NotificationKind as K;
        matches!(
            (self, kind),
            (
                NotificationData::Booking(_),
                K::PendingRequest | K::BookedInPortal
            ) | (NotificationData::Decision(_), K::Accepted | K::Declined)
                | (NotificationData::Cancellation(_), K::Cancelled)
                | (NotificationData::Reschedule(_), K::Rescheduled)
                | (
                    NotificationData::ProgramRegistration(_),
                    K::ProgramRegistration
                )
                | (NotificationData::IntakeForm(_), K::IntakeFormCompleted)
                | (NotificationData::Invitation(_), K::Invitation)
                | (NotificationData::PasswordReset(_), K::PasswordReset)
                | (NotificationData::Signup(_), K::Signup)
                | (NotificationData::WaitlistOffer(_), K::WaitlistOffer)
        )
    }

    /// The payload as a JSON value (what `data` holds in the notification's JSON).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn from_json(kind: NotificationKind, data: serde_json::Value) -> serde_json::Result<Self> {
        use serde_json::from_value as v;
        use NotificationKind as K;
        Ok(match kind {
            K::PendingRequest | K::BookedInPortal => NotificationData::Booking(v(data)?),
            K::Accepted | K::Declined => NotificationData::Decision(v(data)?),
            K::Cancelled => NotificationData::Cancellation(v(data)?),
            K::Rescheduled => NotificationData::Reschedule(v(data)?),
            K::ProgramRegistration => NotificationData::ProgramRegistration(v(data)?),
            K::IntakeFormCompleted => NotificationData::IntakeForm(v(data)?),
            K::Invitation => NotificationData::Invitation(v(data)?),
            K::PasswordReset => NotificationData::PasswordReset(v(data)?),
            K::Signup => NotificationData::Signup(v(data)?),
            K::WaitlistOffer => NotificationData::WaitlistOffer(v(data)?),
        })
    }
}

impl<'de> Deserialize<'de> for Notification {
    /// Reads the payload by the notification's `kind`, so that every field is typed and
    /// unknown fields are refused.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Notification, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            id: u64,
            kind: NotificationKind,
            recipients: Vec<String>,
            data: serde_json::Value,
        }
        let raw = Raw::deserialize(d)?;
        let data = NotificationData::from_json(raw.kind, raw.data).map_err(|e| {
            serde::de::Error::custom(format!(
                "notification {}: data of a {} notification: {e}",
                raw.id,
                raw.kind.as_str()
            ))
        })?;
        Ok(Notification {
            id: raw.id,
            kind: raw.kind,
            recipients: raw.recipients,
            data,
            token: None,
        })
    }
}

/// Whom a patient notification is about, so that a parent's or carer's e-mail can name
/// the child or the person cared for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientName {
    /// Patient id.
    pub id: String,
    /// First name on file.
    pub first_name: String,
    /// Last name on file.
    pub last_name: String,
}

/// A portal booking: `pending_request` (waits for staff) or `booked_in_portal`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingNotice {
    /// The appointment as booked.
    pub appointment: Appointment,
    /// Its start as RFC 3339 in the clinic's zone, e.g. `2027-03-10T09:15:00-05:00`.
    pub start_local: String,
    /// What the patient entered (consent, notes, insurance…).
    pub details: BookingDetails,
    /// The patient's e-mail on file, if any.
    pub patient_email: Option<String>,
}

/// Staff accepted or declined a pending request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionNotice {
    /// Whom it is about (`null` for an appointment without a known patient).
    pub for_patient: Option<PatientName>,
    /// The appointment after the decision.
    pub appointment: Appointment,
    /// Its start in the clinic's zone (RFC 3339).
    pub start_local: String,
    /// The staff note, if any.
    pub note: Option<String>,
}

/// An appointment was cancelled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationNotice {
    /// Whom it is about.
    pub for_patient: Option<PatientName>,
    /// The cancelled appointment.
    pub appointment: Appointment,
    /// Its start in the clinic's zone (RFC 3339).
    pub start_local: String,
    /// Who cancelled.
    pub by: Canceller,
    /// The reason given, if any.
    pub reason: Option<String>,
    /// Whether a late-cancel fee applies (`late_cancel_fee_hours`).
    pub late_cancel_fee: bool,
}

/// An appointment moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleNotice {
    /// Whom it is about.
    pub for_patient: Option<PatientName>,
    /// The appointment before the move.
    pub before: Appointment,
    /// The appointment after it.
    pub appointment: Appointment,
    /// The old start in the clinic's zone (RFC 3339).
    pub before_start_local: String,
    /// The new start in the clinic's zone (RFC 3339).
    pub start_local: String,
}

/// A patient registered for a program session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramRegistrationNotice {
    /// The registration.
    pub registration: Registration,
    /// The program's name.
    pub program_name: String,
}

/// The host reported a completed intake form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeFormNotice {
    /// Patient id.
    pub patient: String,
    /// The form's name or id, as the host gave it.
    pub form: String,
    /// When it was completed.
    pub completed_at: DateTime<Utc>,
}

/// An invitation was sent or resent; the link token is in [`Notification::token`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationNotice {
    /// Invitation id.
    pub invitation: String,
    /// The patient the invitation gives access to.
    pub patient: String,
    /// The relationship the accepted invitation creates.
    pub relationship: Relationship,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// `portal.login_url`, if configured.
    pub login_url: Option<String>,
}

/// A password-reset link; the token is in [`Notification::token`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetNotice {
    /// Account id.
    pub account: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// A public signup waits for review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupNotice {
    /// The new patient, as the form created them.
    pub patient: Patient,
    /// The new account's id.
    pub account: String,
    /// The referral type chosen on the form, if any.
    pub referral_type: Option<String>,
}

/// Builds the recipient list of one notification: addresses in the order added, each once,
/// empty and missing ones skipped.
#[derive(Debug, Default)]
pub(crate) struct Recipients(Vec<String>);

impl Recipients {
    pub(crate) fn add(&mut self, address: Option<&str>) -> &mut Self {
        if let Some(a) = address.map(str::trim).filter(|a| !a.is_empty()) {
            if !self.0.iter().any(|x| x == a) {
                self.0.push(a.to_owned());
            }
        }
        self
    }

    pub(crate) fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// The clinic's address for portal notifications: `notifications.clinic_email`, else the
/// clinic's own e-mail.
pub(crate) fn clinic_address(practice: &Practice, clinic: Option<Ix>) -> Option<&str> {
    practice
        .config
        .portal
        .notifications
        .clinic_email
        .as_deref()
        .or_else(|| {
            clinic
                .and_then(|c| practice.config.clinics.get(c))
                .and_then(|c| c.email.as_deref())
        })
}

/// The practitioner's e-mail address.
pub(crate) fn practitioner_address<'a>(practice: &'a Practice, id: &str) -> Option<&'a str> {
    practice
        .config
        .practitioners
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| p.email.as_deref())
}
