//! Data the host owns and loads into the engine: patients and appointments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A patient as the host knows them. Patients are data, not configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// Host id.
    pub id: String,
    /// Given name.
    #[serde(default)]
    pub first_name: String,
    /// Family name.
    #[serde(default)]
    pub last_name: String,
    /// Birth date.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// E-mail on file.
    #[serde(default)]
    pub email: Option<String>,
    /// "Portal Access › Available Practitioners": when non-empty, the only practitioners this
    /// patient may book online (DESIGN §4 rule 3).
    #[serde(default)]
    pub allowed_practitioners: Vec<String>,
    /// The patient's default insurance, copied onto bookings when the clinic asks for it.
    #[serde(default)]
    pub default_insurance: Option<String>,
    /// How the patient heard of the clinic.
    #[serde(default)]
    pub referral_type: Option<String>,
}

/// Appointment statuses (DESIGN §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Requested in the portal, waiting for staff; holds its slot.
    Pending,
    /// Confirmed.
    Booked,
    /// Declined by staff.
    Declined,
    /// Cancelled by the patient or staff.
    Cancelled,
}

impl AppointmentStatus {
    /// Whether an appointment in this status takes capacity (DESIGN §4 rule 10).
    pub fn occupies(self) -> bool {
        matches!(self, AppointmentStatus::Pending | AppointmentStatus::Booked)
    }
}

/// Who created an appointment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Created by staff in the host system.
    #[default]
    Staff,
    /// Booked through the patient portal.
    Portal,
}

/// An appointment. Host-owned appointments (any source, any status) are imported with
/// [`crate::Engine::add_appointment`]; occupying ones reduce capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    /// Host id.
    pub id: String,
    /// The practitioner whose time it takes.
    pub practitioner: String,
    /// Where it takes place.
    #[serde(default)]
    pub clinic: Option<String>,
    /// The service booked; its buffers extend what the appointment occupies.
    #[serde(default)]
    pub service: Option<String>,
    /// The patient.
    #[serde(default)]
    pub patient: Option<String>,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant (after `start`).
    pub end: DateTime<Utc>,
    /// Status.
    pub status: AppointmentStatus,
    /// Who created it.
    #[serde(default)]
    pub source: Source,
}
