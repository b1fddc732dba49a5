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
    #[serde(
        serialize_with = "instant::serialize",
        deserialize_with = "instant::deserialize"
    )]
    pub start: DateTime<Utc>,
    /// End instant (after `start`).
    #[serde(
        serialize_with = "instant::serialize",
        deserialize_with = "instant::deserialize"
    )]
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

/// Reading and writing RFC 3339 instants in JSON exactly as chrono's serde support does,
/// with a shortcut for the form the engine writes itself (`YYYY-MM-DDTHH:MM:SS` then `Z`
/// or `±HH:MM`), which is most of what a snapshot holds.
pub(crate) mod instant {
    use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};
    use serde::de::{self, Deserializer, Visitor};
    use serde::{Serialize, Serializer};

    /// Serialises a `DateTime<Utc>` like chrono's own `Serialize`
    /// (`2027-03-14T06:30:00Z`), writing whole seconds of the years 0–9999 directly
    /// instead of through chrono's formatter.
    pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        match whole_second_text(t) {
            Some(buf) => match std::str::from_utf8(&buf) {
                Ok(text) => s.serialize_str(text),
                Err(_) => t.serialize(s),
            },
            None => t.serialize(s),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, or `None` for a fraction of a second or a year outside
    /// 0–9999 (chrono writes those).
    pub(crate) fn whole_second_text(t: &DateTime<Utc>) -> Option<[u8; 20]> {
        let n = t.naive_utc();
        let year = u32::try_from(n.year()).ok().filter(|y| *y <= 9999)?;
        if t.timestamp_subsec_nanos() != 0 {
            return None;
        }
        let mut buf = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, n.month());
        put(8, 2, n.day());
        put(11, 2, n.hour());
        put(14, 2, n.minute());
        put(17, 2, n.second());
        Some(buf)
    }

    /// Deserialises a `DateTime<Utc>` like chrono's own `Deserialize`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_str(InstantVisitor)
    }

    struct InstantVisitor;

    impl Visitor<'_> for InstantVisitor {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 formatted date and time string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            parse(value).map_err(E::custom)
        }
    }

    /// [`fast`], or chrono's relaxed RFC 3339 parser (the one its serde support uses).
    pub(crate) fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        match fast(text) {
            Some(t) => Ok(t),
            None => text
                .parse::<DateTime<FixedOffset>>()
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// The strict `YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)` form, or `None` for anything else
    /// (including leap seconds and fractions), which then takes chrono's parser.
    pub(crate) fn fast(text: &str) -> Option<DateTime<Utc>> {
        let b = text.as_bytes();
        if !(b.len() == 20 || b.len() == 25) {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let offset_seconds = match (b.len(), b[19]) {
            (20, b'Z') => 0,
            (25, sign @ (b'+' | b'-')) if b[22] == b':' => {
                let (h, m) = (num(20..22)?, num(23..25)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let s = i32::try_from(h * 3600 + m * 60).ok()?;
                if sign == b'-' {
                    -s
                } else {
                    s
                }
            }
            _ => return None,
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        let date = NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
        let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if s > 59 {
            return None;
        }
        let local = date.and_hms_opt(h, m, s)?;
        let offset = FixedOffset::east_opt(offset_seconds)?;
        local
            .and_local_timezone(offset)
            .single()
            .map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod instant_tests {
    use super::instant::{fast, parse};
    use chrono::{DateTime, FixedOffset, Utc};

    fn chrono(text: &str) -> Option<DateTime<Utc>> {
        text.parse::<DateTime<FixedOffset>>()
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn the_engine_form_takes_the_shortcut_and_agrees_with_chrono() {
        for text in [
            "2027-02-01T09:00:00-05:00",
            "2027-03-14T07:00:00Z",
            "2000-02-29T23:59:59+14:00",
            "1970-01-01T00:00:00+00:00",
        ] {
            assert_eq!(fast(text), chrono(text), "{text}");
            assert!(fast(text).is_some(), "{text}");
        }
        for text in [
            "2027-02-30T09:00:00Z",
            "2027-02-01 09:00:00Z",
            "2016-12-31T23:59:60Z",
            "2027-02-01T09:00:00.5Z",
            "2027-02-01t09:00:00z",
        ] {
            assert!(fast(text).is_none(), "{text}");
            assert_eq!(parse(text).ok(), chrono(text), "{text}");
        }
    }

    #[test]
    fn writing_agrees_with_chrono() {
        #[derive(serde::Serialize)]
        struct Ours(#[serde(serialize_with = "super::instant::serialize")] DateTime<Utc>);
        for secs in [
            -62_167_219_200, // 0000-01-01
            -2_208_988_800,
            0,
            1_803_000_000,
            253_402_214_400, // 9999-12-31
            253_402_300_800, // 10000-01-01: chrono's own form
        ] {
            for nanos in [0, 5_000_000, 123_456_789] {
                let t = DateTime::from_timestamp(secs, nanos).unwrap();
                assert_eq!(
                    serde_json::to_string(&Ours(t)).unwrap(),
                    serde_json::to_string(&t).unwrap(),
                    "{secs} {nanos}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn writing_whole_seconds_agrees_with_chrono(secs in -62_167_219_200i64..253_402_300_799) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let ours = super::instant::whole_second_text(&t).unwrap();
            proptest::prop_assert_eq!(
                format!("\"{}\"", std::str::from_utf8(&ours).unwrap()),
                serde_json::to_string(&t).unwrap()
            );
        }

        #[test]
        fn shortcut_and_chrono_agree(
            text in "[0-9]{4}-[0-1][0-9]-[0-3][0-9][T t][0-2][0-9]:[0-6][0-9]:[0-6][0-9](Z|z|[+-][0-2][0-9]:[0-6][0-9]|\\.[0-9]{1,3}Z)"
        ) {
            if let Some(t) = fast(&text) {
                proptest::prop_assert_eq!(Some(t), chrono(&text));
            }
            proptest::prop_assert_eq!(parse(&text).ok(), chrono(&text));
        }
    }
}
