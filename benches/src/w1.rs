//! W1 — one clinic, one service, 60 days (the reference workload).
//!
//! America/Toronto; practitioners `p0`…`p49` work Mon–Fri 09:00–17:00; a 30-minute service
//! on a 15-minute grid; local dates 2027-02-01 to 2027-04-01 (across the 2027-03-14
//! daylight-saving switch); 200 existing appointments per practitioner from a mulberry32
//! generator seeded with `1000 + h`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinic_portal::{Appointment, AppointmentStatus, Engine, SlotQuery, Source};

/// Number of practitioners.
pub const PRACTITIONERS: usize = 50;
/// Appointments per practitioner.
pub const APPOINTMENTS_EACH: usize = 200;
/// W1a: slots of `p0` alone.
pub const W1A_SLOTS: usize = 930;
/// W1b: distinct starts with no preference over all practitioners.
pub const W1B_STARTS: usize = 1_364;
/// W1c: slots of 50 single-practitioner queries, in total.
pub const W1C_SLOTS: usize = 46_838;

/// The mulberry32 pseudo-random generator (32-bit arithmetic).
#[derive(Clone, Debug)]
pub struct Mulberry32(u32);

impl Mulberry32 {
    /// Seeded generator.
    pub fn new(seed: u32) -> Mulberry32 {
        Mulberry32(seed)
    }

    /// The next number in `[0, 1)`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6D2B_79F5);
        let s = self.0;
        let mut t = (s ^ (s >> 15)).wrapping_mul(s | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }
}

/// The instant of the wall time `minute` minutes after the start of `date` in `tz` (the
/// earlier instant in a fold). The generators only make daytime starts, which never fall in
/// a daylight-saving gap; one that did would be a bug of the generator, so it panics.
pub fn wall_instant(tz: chrono_tz::Tz, date: NaiveDate, minute: i64) -> DateTime<Utc> {
    let wall = date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute);
    tz.from_local_datetime(&wall)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("{wall} does not exist in {tz}"))
}

/// First local date of the window.
pub fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 2, 1).unwrap_or_default()
}

/// Last local date of the window.
pub fn last_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 4, 1).unwrap_or_default()
}

/// `now` for every W1 query: 2026-11-22T00:00:00Z.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The W1 configuration as JSON.
pub fn config_json() -> String {
    config_json_with(PRACTITIONERS, 400)
}

/// W1's configuration with `practitioners` practitioners (`p0`, `p1`, …) and the given
/// booking horizon; the scaling benches grow it.
pub fn config_json_with(practitioners: usize, max_days_ahead: u32) -> String {
    let practitioners: Vec<serde_json::Value> = (0..practitioners)
        .map(|h| {
            let blocks: Vec<serde_json::Value> = ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| {
                    serde_json::json!({"weekday": d, "start": "09:00", "end": "17:00", "schedule_type": "treatment"})
                })
                .collect();
            serde_json::json!({
                "id": format!("p{h}"),
                "name": format!("Practitioner {h}"),
                "schedule_types": ["treatment"],
                "availability": [{"start_date": "2020-01-01", "blocks": blocks}]
            })
        })
        .collect();
    serde_json::json!({
        "portal": {"scheduling": {
            "start_interval_minutes": 15,
            "min_hours_before_booking": 2,
            "max_days_ahead": max_days_ahead,
            "allow_no_preference": true
        }},
        "clinics": [{"id": "toronto", "name": "Toronto", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "treatment", "name": "Treatment"}],
        "practitioners": practitioners,
        "services": [{"id": "treat-30", "name": "Treatment 30", "duration_minutes": 30,
                      "schedule_types": ["treatment"]}]
    })
    .to_string()
}

/// The 200 appointments of practitioner `h`, in generation order.
pub fn appointments_of(h: usize) -> Vec<Appointment> {
    let tz = chrono_tz_toronto();
    let mut r = Mulberry32::new(1000 + h as u32);
    (0..APPOINTMENTS_EACH)
        .map(|i| {
            let day = (r.next() * 60.0).floor() as i64;
            let start_minute = 480 + 15 * (r.next() * 40.0).floor() as i64;
            let duration = 15 * (1 + (r.next() * 6.0).floor() as i64);
            let wall = (first_date() + Duration::days(day))
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                + Duration::minutes(start_minute);
            let start = tz(wall);
            Appointment {
                id: format!("b-{h}-{i}"),
                practitioner: format!("p{h}"),
                clinic: Some("toronto".to_owned()),
                service: None,
                patient: None,
                start,
                end: start + Duration::minutes(duration),
                status: AppointmentStatus::Booked,
                source: Source::Staff,
            }
        })
        .collect()
}

/// Resolves a Toronto wall time (W1's 08:00–18:00 never falls in a gap; a fold would take
/// the earlier instant).
fn chrono_tz_toronto() -> impl Fn(chrono::NaiveDateTime) -> DateTime<Utc> {
    |wall| {
        chrono_tz::America::Toronto
            .from_local_datetime(&wall)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| panic!("{wall} does not exist in America/Toronto"))
    }
}

/// Every W1 appointment (10,000).
pub fn appointments() -> Vec<Appointment> {
    (0..PRACTITIONERS).flat_map(appointments_of).collect()
}

/// A warm engine with the W1 configuration and appointments.
pub fn engine() -> Engine {
    let engine = Engine::from_json(&config_json()).unwrap_or_else(|e| panic!("W1 config: {e}"));
    engine
        .add_appointments(appointments())
        .unwrap_or_else(|e| panic!("W1 appointments: {e}"));
    engine
}

/// W1a: `p0` alone.
pub fn query_w1a() -> SlotQuery {
    SlotQuery::new("treat-30", first_date(), last_date()).practitioner("p0")
}

/// W1b: no preference.
pub fn query_w1b() -> SlotQuery {
    SlotQuery::new("treat-30", first_date(), last_date())
}

/// W1c: one query per practitioner.
pub fn queries_w1c() -> Vec<SlotQuery> {
    (0..PRACTITIONERS)
        .map(|h| {
            SlotQuery::new("treat-30", first_date(), last_date()).practitioner(format!("p{h}"))
        })
        .collect()
}
