//! The outbox: notifications the host delivers (docs/booking.md, notifications).
//!
//! Operations that should tell someone about a portal event put a [`Notification`] here,
//! as part of the same atomic change; [`crate::Engine::drain_outbox`] hands them to the
//! host and removes them. Each notification has a stable, sequential id, is journaled like
//! any other change, and is returned by exactly one drain.

use serde::{Deserialize, Serialize};

use crate::credentials::SecretToken;
use crate::practice::{Ix, Practice};

/// What a notification is about; the host picks its template from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
        }
    }
}

/// A message for the host to deliver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Stable, sequential id (1, 2, 3…), never reused.
    pub id: u64,
    /// What it is about.
    pub kind: NotificationKind,
    /// E-mail addresses, deduplicated, in a stable order.
    pub recipients: Vec<String>,
    /// Everything a template needs (appointment, patient, note…).
    pub data: serde_json::Value,
    /// The one-time link token of an invitation or password reset (docs/accounts.md). It lives
    /// only in memory: it is never serialised, so a snapshot or a stored journal never
    /// holds it (a notification restored from one has `None`; resend the invitation), and
    /// its `Debug` is redacted.
    #[serde(skip)]
    pub token: Option<SecretToken>,
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
