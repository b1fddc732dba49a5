//! The practice configuration: what the clinic systems call settings (docs/configuration.md).
//!
//! Every type deserializes from JSON with unknown fields rejected, so a misspelt setting is an
//! error instead of a silently ignored default. [`crate::validate`] checks the meaning.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// ---------------------------------------------------------------------------------------
// Bounds. Validation refuses a configuration beyond any of them with `invalid_config`,
// naming the JSON path (see docs/limits.md).
// ---------------------------------------------------------------------------------------

/// At most this many clinics.
pub const MAX_CLINICS: usize = 500;
/// At most this many schedule types.
pub const MAX_SCHEDULE_TYPES: usize = 1_000;
/// At most this many practitioner types.
pub const MAX_PRACTITIONER_TYPES: usize = 1_000;
/// At most this many practitioners.
pub const MAX_PRACTITIONERS: usize = 2_000;
/// At most this many availability records per practitioner.
pub const MAX_RECORDS_PER_PRACTITIONER: usize = 500;
/// At most this many blocks (and, separately, portal blocks) per availability record.
pub const MAX_BLOCKS_PER_RECORD: usize = 1_000;
/// At most this many services.
pub const MAX_SERVICES: usize = 2_000;
/// At most this many closures.
pub const MAX_CLOSURES: usize = 10_000;
/// At most this many referral types.
pub const MAX_REFERRAL_TYPES: usize = 1_000;
/// At most this many programs.
pub const MAX_PROGRAMS: usize = 1_000;
/// An id in the configuration has at most this many characters.
pub const MAX_CONFIG_ID_CHARS: usize = 200;
/// An RRULE has at most this many characters.
pub const MAX_RRULE_CHARS: usize = 1_000;
/// At most this many RRULEs in one configuration (availability records, closures and
/// programs together).
pub const MAX_RRULES: usize = 2_000;
/// An RRULE's COUNT is 1 to this.
pub const MAX_RRULE_COUNT: u32 = 1_000;
/// `services[].portal_capacity` is 1 to this.
pub const MAX_PORTAL_CAPACITY: u32 = 1_000;
/// `programs[].capacity` is 1 to this.
pub const MAX_PROGRAM_CAPACITY: u32 = 10_000;
/// Durations (`services[].duration_minutes`, `programs[].duration_minutes`,
/// `schedule_types[].default_duration_minutes`) are 1 to this many minutes (a day).
pub const MAX_DURATION_MINUTES: u32 = 1_440;
/// `services[].buffer_before_minutes` and `buffer_after_minutes` are at most this.
pub const MAX_BUFFER_MINUTES: u32 = 1_440;
/// `portal.scheduling.hold_minutes` and `waitlist_offer_minutes` are 1 to this (a day).
pub const MAX_HOLD_MINUTES: u32 = 1_440;
/// `portal.invitation_ttl_hours` is 1 to this (a year).
pub const MAX_INVITATION_TTL_HOURS: u32 = 8_760;
/// `portal.scheduling.max_days_ahead` is at most this (ten years).
pub const MAX_DAYS_AHEAD: u32 = 3_660;
/// `min_hours_before_booking`, `min_hours_before_cancel` and `late_cancel_fee_hours` are at
/// most this many hours ([`MAX_DAYS_AHEAD`] days).
pub const MAX_NOTICE_HOURS: u32 = MAX_DAYS_AHEAD * 24;
/// `max_future_bookings_per_patient` and `max_bookings_per_day` are 1 to this (leave
/// them out for no limit).
pub const MAX_BOOKING_LIMIT: u32 = 1_000;
/// The first date a configuration may name (records, closures, programs).
pub const FIRST_CONFIG_DATE: NaiveDate = crate::recurrence::FIRST_DATE;
/// The last date a configuration may name.
pub const LAST_CONFIG_DATE: NaiveDate = crate::recurrence::LAST_DATE;

/// The whole configuration of one practice (organisation).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Portal-wide settings.
    #[serde(default)]
    pub portal: PortalSettings,
    /// The practice's locations.
    #[serde(default)]
    pub clinics: Vec<Clinic>,
    /// Schedule types: the link between practitioners' time and services.
    #[serde(default)]
    pub schedule_types: Vec<ScheduleType>,
    /// Practitioner types (physiotherapist, RMT…), used by services.
    #[serde(default)]
    pub practitioner_types: Vec<PractitionerType>,
    /// Practitioners and their availability.
    #[serde(default)]
    pub practitioners: Vec<Practitioner>,
    /// Products & services that may be booked.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Clinic closures (stat holidays…) and practitioner time off.
    #[serde(default)]
    pub closures: Vec<Closure>,
    /// How patients heard of the clinic.
    #[serde(default)]
    pub referral_types: Vec<ReferralType>,
    /// Group programs (classes) patients register for.
    #[serde(default)]
    pub programs: Vec<Program>,
}

impl Config {
    /// Parses a configuration from JSON. Unknown fields are rejected.
    pub fn from_json(json: &str) -> crate::Result<Config> {
        serde_json::from_str(json).map_err(|e| {
            crate::Error::new(
                crate::ErrorCode::InvalidConfig,
                format!("configuration JSON does not parse: {e}"),
            )
        })
    }

    /// The configuration as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Portal-wide settings (Portal Settings pages of the clinic systems).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PortalSettings {
    /// "Allow patients to book appointments online". Default: `true`.
    pub enabled: bool,
    /// "Allow Public Signup".
    pub allow_public_signup: bool,
    /// Hours a portal invitation stays valid (default 72).
    pub invitation_ttl_hours: u32,
    /// The portal's login page, used by widgets and notifications.
    pub login_url: Option<String>,
    /// The practice's domain name for calendar event ids (iCalendar `UID`s are
    /// `<appointment id>@<domain>`, see [`crate::ical`]); absent: the host of `login_url`,
    /// else `clinic-portal.invalid`. Keep it fixed: calendars match events by `UID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_domain: Option<String>,
    /// Booking policies.
    pub scheduling: SchedulingSettings,
    /// Scheduling consent.
    pub consent: ConsentSettings,
    /// Messages shown on portal pages.
    pub messages: PortalMessages,
    /// Embeddable widgets.
    pub widgets: Widgets,
    /// Who hears about what.
    pub notifications: NotificationSettings,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            enabled: true,
            allow_public_signup: false,
            invitation_ttl_hours: 72,
            login_url: None,
            calendar_domain: None,
            scheduling: SchedulingSettings::default(),
            consent: ConsentSettings::default(),
            messages: PortalMessages::default(),
            widgets: Widgets::default(),
            notifications: NotificationSettings::default(),
        }
    }
}

/// Which part of a working block is bookable online (rule 6 (portal blocks)).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SlotMode {
    /// The whole availability block is bookable online.
    #[default]
    Standard,
    /// Only the portal blocks ("Slot Availability = Yes") are bookable online.
    PortalBlocks,
}

/// What a working day with standard blocks but no portal blocks offers in
/// `portal_blocks` mode (rule 6 (portal blocks)).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EmptyPortalDay {
    /// Nothing online that day (default).
    #[default]
    Closed,
    /// The whole day is bookable, as one clinic system documents.
    Standard,
}

/// Booking policies (docs/configuration.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulingSettings {
    /// Standard blocks or portal blocks. Default: `standard`.
    pub slot_mode: SlotMode,
    /// Policy for working days without portal blocks. Default: `closed`.
    pub empty_portal_day: EmptyPortalDay,
    /// "Auto Accept Portal Appointments": confirmed without staff action.
    pub auto_accept: bool,
    /// Where pending requests are announced.
    pub pending_notify_email: Option<String>,
    /// "Hours Prior to book".
    pub min_hours_before_booking: u32,
    /// "How far into the future can appointments be booked", in days. Default: `90`.
    pub max_days_ahead: u32,
    /// "Minimum hours prior to cancel or reschedule". Default: `24`.
    pub min_hours_before_cancel: u32,
    /// "Allow patient to cancel or reschedule online". Default: `true`.
    pub allow_patient_cancel: bool,
    /// Late-cancel fee window in hours before the start, if the clinic charges one.
    pub late_cancel_fee_hours: Option<u32>,
    /// "Round the booking availabilities": starts on wall-clock multiples of this many
    /// minutes (a divisor of 1440). Absent: starts step by the service duration.
    pub start_interval_minutes: Option<u32>,
    /// The "No Preference" provider choice. Default: `true`.
    pub allow_no_preference: bool,
    /// Copy the patient's default insurance onto portal bookings.
    pub apply_default_insurance: bool,
    /// How long a hold keeps its start, in minutes. Default: `10`.
    pub hold_minutes: u32,
    /// How long a waitlist offer keeps its start for the patient, in minutes (never past
    /// the booking cut-off, docs/waitlist.md). Default: `120`.
    pub waitlist_offer_minutes: u32,
    /// At most this many future occupying appointments per patient.
    pub max_future_bookings_per_patient: Option<u32>,
    /// At most this many occupying appointments per patient per local day.
    pub max_bookings_per_day: Option<u32>,
}

impl Default for SchedulingSettings {
    fn default() -> Self {
        SchedulingSettings {
            slot_mode: SlotMode::Standard,
            empty_portal_day: EmptyPortalDay::Closed,
            auto_accept: false,
            pending_notify_email: None,
            min_hours_before_booking: 0,
            max_days_ahead: 90,
            min_hours_before_cancel: 24,
            allow_patient_cancel: true,
            late_cancel_fee_hours: None,
            start_interval_minutes: None,
            allow_no_preference: true,
            apply_default_insurance: false,
            hold_minutes: 10,
            waitlist_offer_minutes: 120,
            max_future_bookings_per_patient: None,
            max_bookings_per_day: None,
        }
    }
}

/// Scheduling consent shown before booking.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentSettings {
    /// Show the consent step.
    pub enabled: bool,
    /// Booking is refused without consent.
    pub required: bool,
    /// Ask on every booking instead of once per patient.
    pub every_time: bool,
    /// The consent text.
    pub text: String,
    /// Version label of the text, recorded with each consent.
    pub version: Option<String>,
    /// A document (URL) the patient can read.
    pub document_url: Option<String>,
}

/// Messages on portal pages, rendered by the host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PortalMessages {
    /// Shown on the booking page.
    pub booking: Option<String>,
    /// Shown on the login page.
    pub login_page: Option<String>,
    /// Shown on the secure home page.
    pub secure_home: Option<String>,
    /// Shown after a booking.
    pub thank_you: Option<String>,
}

/// Embeddable widgets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Widgets {
    /// The "Book an appointment" button.
    pub book_button: crate::widget::BookButton,
}

/// Who the engine notifies (through the host's outbox) about portal events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationSettings {
    /// The clinic's own address for portal notifications.
    pub clinic_email: Option<String>,
    /// E-mail the clinic when a patient books in the portal. Default: `true`.
    pub booked_to_clinic: bool,
    /// E-mail the practitioner when a patient books in the portal.
    pub booked_to_practitioner: bool,
    /// E-mail the clinic about new portal signups.
    pub signup_to_clinic: bool,
    /// E-mail the clinic when an intake form is completed.
    pub intake_form_to_clinic: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            clinic_email: None,
            booked_to_clinic: true,
            booked_to_practitioner: false,
            signup_to_clinic: false,
            intake_form_to_clinic: false,
        }
    }
}

/// A location of the practice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// IANA time zone, e.g. `America/Toronto`.
    pub time_zone: String,
    /// "Book in Portal". Default: `true`.
    #[serde(default = "yes")]
    pub book_in_portal: bool,
    /// The clinic's e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address, for display.
    #[serde(default)]
    pub address: Option<String>,
}

/// A schedule type (code, name, clinic, default duration, conflicts, telehealth, colours).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleType {
    /// Host id; practitioners, services and blocks refer to it.
    pub id: String,
    /// Short code shown on the schedule.
    #[serde(default)]
    pub code: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The clinic this schedule type books into; absent: any clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// Default appointment length in minutes.
    #[serde(default)]
    pub default_duration_minutes: Option<u32>,
    /// "Allowed conflicts": several bookings may share a time, up to the service's
    /// `portal_capacity`.
    #[serde(default)]
    pub allow_conflicts: bool,
    /// Telehealth (video) time.
    #[serde(default)]
    pub telehealth: bool,
    /// Background colour on the schedule (`#rrggbb`).
    #[serde(default)]
    pub colour: Option<String>,
    /// Text colour on the schedule (`#rrggbb`).
    #[serde(default)]
    pub text_colour: Option<String>,
}

/// A practitioner type (physiotherapist, massage therapist…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PractitionerType {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
}

/// A practitioner (provider).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Practitioner {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// E-mail for practitioner notifications.
    #[serde(default)]
    pub email: Option<String>,
    /// "Can be booked in the Portal". Default: `true`.
    #[serde(default = "yes")]
    pub bookable_in_portal: bool,
    /// The practitioner's types.
    #[serde(default)]
    pub practitioner_types: Vec<String>,
    /// Schedule types assigned to the practitioner.
    #[serde(default)]
    pub schedule_types: Vec<String>,
    /// Availability records; they must not overlap in time.
    #[serde(default)]
    pub availability: Vec<AvailabilityRecord>,
}

/// An availability record: a date range and weekly blocks (rule 5 (availability records)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRecord {
    /// Host id of the record, used in messages.
    #[serde(default)]
    pub id: Option<String>,
    /// First date the record applies (clinic-local).
    pub start_date: NaiveDate,
    /// Last date the record applies, inclusive; absent: open-ended.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// An RRULE (`FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE`) choosing the dates the record applies
    /// on, anchored at `start_date`. It chooses dates only: times come from the blocks.
    #[serde(default)]
    pub recurrence: Option<String>,
    /// Weekly working blocks.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Weekly portal blocks ("Customize Portal Availability"); must lie inside `blocks`.
    #[serde(default)]
    pub portal_blocks: Vec<Block>,
}

/// A weekly block of wall-clock time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Day of the week.
    pub weekday: Weekday,
    /// Local wall-clock start.
    pub start: WallTime,
    /// Local wall-clock end (`24:00` allowed).
    pub end: WallTime,
    /// The schedule type of this time.
    pub schedule_type: String,
    /// The clinic, when the schedule type is for any clinic.
    #[serde(default)]
    pub clinic: Option<String>,
}

/// A bookable product or service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// "Book from the Portal". Default: `true`.
    #[serde(default = "yes")]
    pub book_from_portal: bool,
    /// "Service Duration" in minutes.
    pub duration_minutes: u32,
    /// "Portal Conflicts": bookings that may share a time in an allow-conflicts schedule
    /// type. Default: `1`.
    #[serde(default = "one")]
    pub portal_capacity: u32,
    /// Only practitioners of this type offer the service.
    #[serde(default)]
    pub practitioner_type: Option<String>,
    /// "Apply to Schedule Types".
    #[serde(default)]
    pub schedule_types: Vec<String>,
    /// Time kept free before each booking, in minutes.
    #[serde(default)]
    pub buffer_before_minutes: u32,
    /// Time kept free after each booking, in minutes.
    #[serde(default)]
    pub buffer_after_minutes: u32,
    /// Price in minor units (cents), for display.
    #[serde(default)]
    pub price_cents: Option<u64>,
}

/// A closure: clinic closure, stat holiday or practitioner time off (rule 7 (closures)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// Host id.
    #[serde(default)]
    pub id: Option<String>,
    /// Why (shown by `explain`).
    #[serde(default)]
    pub reason: Option<String>,
    /// Closes this clinic. With neither `clinic` nor `practitioner`: every clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// Time off for this practitioner, at every clinic.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// A single date.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// First date of a range (inclusive), or the anchor of `recurrence`.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Last date of a range (inclusive); with `recurrence`, the last date it applies.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// An RRULE choosing dates, e.g. `FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1` (Canada Day).
    #[serde(default)]
    pub recurrence: Option<String>,
    /// Local start of a partial-day closure; absent: from the start of the day.
    #[serde(default)]
    pub start_time: Option<WallTime>,
    /// Local end of a partial-day closure; absent: to the end of the day.
    #[serde(default)]
    pub end_time: Option<WallTime>,
}

/// "Referral Types": how a patient heard of the clinic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralType {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Offered on the portal signup form.
    #[serde(default)]
    pub show_at_signup: bool,
}

/// A group program (class) with sessions patients register for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Host id.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Where the sessions take place.
    pub clinic: String,
    /// Who leads them.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Local date of the first session.
    pub start_date: NaiveDate,
    /// Local wall-clock start of each session.
    pub start_time: WallTime,
    /// Length of a session in minutes.
    pub duration_minutes: u32,
    /// Places per session.
    pub capacity: u32,
    /// An RRULE choosing the session dates, anchored at `start_date`; absent: one session.
    #[serde(default)]
    pub recurrence: Option<String>,
    /// Patients may register online. Default: `true`.
    #[serde(default = "yes")]
    pub book_from_portal: bool,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

/// Day of the week, written `mon` … `sun` (or in full).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Weekday {
    #[serde(alias = "monday")]
    Mon,
    #[serde(alias = "tuesday")]
    Tue,
    #[serde(alias = "wednesday")]
    Wed,
    #[serde(alias = "thursday")]
    Thu,
    #[serde(alias = "friday")]
    Fri,
    #[serde(alias = "saturday")]
    Sat,
    #[serde(alias = "sunday")]
    Sun,
}

impl Weekday {
    /// 0 = Monday … 6 = Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The weekday of a date.
    pub fn of(date: NaiveDate) -> Weekday {
        use chrono::Datelike;
        Weekday::ALL[date.weekday().num_days_from_monday() as usize]
    }

    /// Monday to Sunday.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// `mon` … `sun`.
    pub fn as_str(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.index()]
    }
}

/// A local wall-clock time of day with minute precision, `00:00` to `24:00`, written `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WallTime(u16);

impl WallTime {
    /// From minutes after midnight (0…=1440).
    pub fn from_minutes(minutes: u32) -> Option<WallTime> {
        (minutes <= 1440).then_some(WallTime(minutes as u16))
    }

    /// From hours and minutes; `24:00` is the end of the day.
    pub fn hm(hour: u32, minute: u32) -> Option<WallTime> {
        if minute < 60 && (hour < 24 || (hour == 24 && minute == 0)) {
            Some(WallTime((hour * 60 + minute) as u16))
        } else {
            None
        }
    }

    /// Minutes after midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for WallTime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a wall time HH:MM between 00:00 and 24:00");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        // Exactly two ASCII digits each: `+9:+0` or ` 9:00` is not a wall time.
        let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(bad());
        }
        let h: u32 = h.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        WallTime::hm(h, m).ok_or_else(bad)
    }
}

impl Serialize for WallTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WallTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for WallTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WallTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A clinic wall time, exactly `HH:MM` in ASCII digits, `00:00` to `24:00`.",
            "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
        })
    }
}
