//! W1-like data of any size, to show how the cost of a search grows (the scaling series of
//! benches/README.md).
//!
//! America/Toronto; practitioners `p0`… work Mon–Fri 09:00–17:00; a 30-minute service on a
//! 15-minute grid; queries are "no preference" over every practitioner from 2027-02-01.
//! Appointments follow W1's pattern (mulberry32, a random day, a start between 08:00 and
//! 17:45, 15–90 minutes) with their own seeds, either inside a span of days from 2027-02-01
//! or in the three years before it (history the query must not scan).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinic_portal::{Appointment, AppointmentStatus, Engine, SlotQuery, Source};

use crate::w1::{wall_instant, Mulberry32};

/// First local date of every query and of the "inside" appointments.
pub fn first_date() -> NaiveDate {
    crate::w1::first_date()
}

/// `now`, as W1.
pub fn now() -> DateTime<Utc> {
    crate::w1::now()
}

/// The configuration with `practitioners` practitioners, W1's otherwise (a horizon of 1000
/// days so that no window is cut).
pub fn config_json(practitioners: usize) -> String {
    crate::w1::config_json_with(practitioners, 1000)
}

/// `each` appointments per practitioner for `practitioners` practitioners, on local dates
/// `first_day .. first_day + span_days` counted from 2027-02-01 (negative: before it).
/// `tag` keeps ids and seeds of different sets apart.
pub fn appointments(
    practitioners: usize,
    each: usize,
    first_day: i64,
    span_days: i64,
    tag: u32,
) -> Vec<Appointment> {
    let tz = chrono_tz::America::Toronto;
    (0..practitioners)
        .flat_map(|h| {
            let mut r = Mulberry32::new(tag.wrapping_mul(1_000_003).wrapping_add(h as u32));
            (0..each).map(move |i| {
                let day = first_day + (r.next() * span_days as f64).floor() as i64;
                let start_minute = 480 + 15 * (r.next() * 40.0).floor() as i64;
                let duration = 15 * (1 + (r.next() * 6.0).floor() as i64);
                let start = wall_instant(tz, first_date() + Duration::days(day), start_minute);
                Appointment {
                    id: format!("s{tag}-{h}-{i}"),
                    practitioner: format!("p{h}"),
                    clinic: None,
                    service: None,
                    patient: None,
                    start,
                    end: start + Duration::minutes(duration),
                    status: AppointmentStatus::Booked,
                    source: Source::Staff,
                }
            })
        })
        .collect()
}

/// An engine with `practitioners` practitioners and these appointments.
pub fn engine(practitioners: usize, appointments: Vec<Appointment>) -> Engine {
    let engine = Engine::from_json(&config_json(practitioners))
        .unwrap_or_else(|e| panic!("scaling config: {e}"));
    engine
        .add_appointments(appointments)
        .unwrap_or_else(|e| panic!("scaling appointments: {e}"));
    engine
}

/// W1's density: 200 appointments per practitioner per 60 days, over `span_days` from
/// 2027-02-01.
pub fn w1_density(practitioners: usize, span_days: i64) -> Vec<Appointment> {
    appointments(
        practitioners,
        (200 * span_days / 60) as usize,
        0,
        span_days,
        1,
    )
}

/// No preference over every practitioner, `days` local dates from 2027-02-01.
pub fn query(days: i64) -> SlotQuery {
    SlotQuery::new(
        "treat-30",
        first_date(),
        first_date() + Duration::days(days - 1),
    )
}

/// The engine of the "stored appointments" series: 50 practitioners, W1's 10,000
/// appointments' density inside the first 60 days, and `total - 10,000` more either in the
/// three years before 2027-02-01 (`inside == false`: history the query must not scan) or
/// inside the same 60 days (`inside == true`: the window gets busier).
pub fn stored_engine(total: usize, inside: bool) -> Engine {
    let base = w1_density(50, 60);
    let extra_each = total.saturating_sub(base.len()) / 50;
    let extra = if inside {
        appointments(50, extra_each, 0, 60, 2)
    } else {
        appointments(50, extra_each, -3 * 365, 3 * 365, 3)
    };
    engine(50, base.into_iter().chain(extra).collect())
}
