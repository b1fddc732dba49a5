//! Data the host owns and loads into the engine: patients and appointments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A patient as the host knows them. Patients are data, not configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// patient may book online (rule 3 (practitioner online)).
    #[serde(default)]
    pub allowed_practitioners: Vec<String>,
    /// The patient's default insurance, copied onto bookings when the clinic asks for it.
    #[serde(default)]
    pub default_insurance: Option<String>,
    /// How the patient heard of the clinic.
    #[serde(default)]
    pub referral_type: Option<String>,
}

/// Appointment statuses (docs/booking.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Whether an appointment in this status takes capacity (rule 10 (capacity)).
    pub fn occupies(self) -> bool {
        matches!(self, AppointmentStatus::Pending | AppointmentStatus::Booked)
    }
}

/// Who created an appointment.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

impl Patient {
    /// A patient with this host id and nothing else known yet.
    ///
    /// ```
    /// let p = clinic_portal::Patient::new("pat-1").name("Ana", "Lima").email("ana@example.test");
    /// assert_eq!(p.email.as_deref(), Some("ana@example.test"));
    /// ```
    pub fn new(id: impl Into<String>) -> Patient {
        Patient {
            id: id.into(),
            first_name: String::new(),
            last_name: String::new(),
            birth_date: None,
            email: None,
            allowed_practitioners: Vec::new(),
            default_insurance: None,
            referral_type: None,
        }
    }

    /// With this given and family name.
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> Patient {
        self.first_name = first.into();
        self.last_name = last.into();
        self
    }

    /// With this e-mail on file.
    pub fn email(mut self, email: impl Into<String>) -> Patient {
        self.email = Some(email.into());
        self
    }

    /// With this birth date.
    pub fn birth_date(mut self, date: NaiveDate) -> Patient {
        self.birth_date = Some(date);
        self
    }

    /// Only these practitioners may be booked online for the patient (rule 3).
    pub fn allowed_practitioners<S: Into<String>>(
        mut self,
        ids: impl IntoIterator<Item = S>,
    ) -> Patient {
        self.allowed_practitioners = ids.into_iter().map(Into::into).collect();
        self
    }

    /// With this default insurance (copied onto bookings when the clinic asks for it).
    pub fn default_insurance(mut self, insurance: impl Into<String>) -> Patient {
        self.default_insurance = Some(insurance.into());
        self
    }

    /// With this referral type.
    pub fn referral_type(mut self, id: impl Into<String>) -> Patient {
        self.referral_type = Some(id.into());
        self
    }
}

impl Appointment {
    /// A booked staff appointment of `practitioner` over `[start, end)`; the builders add
    /// the rest. `start` and `end` may be UTC instants or instants with an offset.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinic_portal::{Appointment, AppointmentStatus};
    ///
    /// let start = Utc.with_ymd_and_hms(2027, 3, 9, 14, 0, 0).unwrap();
    /// let a = Appointment::new("appt-1", "christine", start, start + chrono::Duration::minutes(30))
    ///     .clinic("toronto")
    ///     .service("followup-30")
    ///     .patient("ana")
    ///     .status(AppointmentStatus::Pending);
    /// assert!(a.status.occupies());
    /// ```
    pub fn new(
        id: impl Into<String>,
        practitioner: impl Into<String>,
        start: impl Into<DateTime<Utc>>,
        end: impl Into<DateTime<Utc>>,
    ) -> Appointment {
        Appointment {
            id: id.into(),
            practitioner: practitioner.into(),
            clinic: None,
            service: None,
            patient: None,
            start: start.into(),
            end: end.into(),
            status: AppointmentStatus::Booked,
            source: Source::Staff,
        }
    }

    /// At this clinic.
    pub fn clinic(mut self, id: impl Into<String>) -> Appointment {
        self.clinic = Some(id.into());
        self
    }

    /// For this service (its buffers extend what the appointment occupies).
    pub fn service(mut self, id: impl Into<String>) -> Appointment {
        self.service = Some(id.into());
        self
    }

    /// For this patient.
    pub fn patient(mut self, id: impl Into<String>) -> Appointment {
        self.patient = Some(id.into());
        self
    }

    /// In this status.
    pub fn status(mut self, status: AppointmentStatus) -> Appointment {
        self.status = status;
        self
    }

    /// Created by this side.
    pub fn source(mut self, source: Source) -> Appointment {
        self.source = source;
        self
    }
}
