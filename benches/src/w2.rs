//! W2 — a large multi-clinic practice.
//!
//! 200 practitioners across 3 clinics in 2 time zones (`toronto-east` and `toronto-west` in
//! America/Toronto, `vancouver` in America/Vancouver), 12 services of 15–90 minutes with
//! portal capacities 1–4 (capacity counts in the two `allow_conflicts` schedule types),
//! portal blocks on half the practitioners, RRULE closures (stat holidays, a fortnightly
//! staff meeting, practitioner time off), a 90-day horizon and 100,000 existing
//! appointments. Everything is generated here from fixed seeds (mulberry32, as W1), so the
//! workload needs nothing outside the repository.
//!
//! # Portal blocks on half the practitioners
//!
//! `slot_mode` is practice-wide. W2 uses `slot_mode = "portal_blocks"` with
//! `empty_portal_day = "standard"`: the even-numbered practitioners have portal blocks on
//! every working day (only those are bookable online), the odd-numbered ones have none, so
//! each of their working days is bookable in full (rule 6 (portal blocks)). The engine warns about
//! every such (record, weekday); those warnings are expected and are the only ones.
//!
//! # Window
//!
//! Local dates 2027-09-01 to 2027-11-29 (90 days, across the 2027-11-07 end of daylight
//! saving time in both zones); `now` = 2027-08-31T13:00:00Z with `max_days_ahead = 90`, so
//! the horizon ends exactly after 2027-11-29, and `min_hours_before_booking = 24`, which cuts
//! the Toronto morning of 2027-09-01 before 09:00. Labour Day (2027-09-06), Thanksgiving
//! (2027-10-11) and, in Vancouver, 2027-09-30 and 2027-11-11 are closed.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use clinic_portal::{Appointment, AppointmentStatus, Engine, SlotQuery, Source};
use serde_json::{json, Value};

use crate::w1::Mulberry32;

/// Number of practitioners.
pub const PRACTITIONERS: usize = 200;
/// Existing appointments per practitioner.
pub const APPOINTMENTS_EACH: usize = 500;
/// Existing appointments in all (100,000).
pub const APPOINTMENTS: usize = PRACTITIONERS * APPOINTMENTS_EACH;
/// Days in the horizon and in the long query.
pub const HORIZON_DAYS: i64 = 90;
/// Days in the short query.
pub const SHORT_DAYS: i64 = 14;
/// The queried service.
pub const QUERY_SERVICE: &str = "physio-30";
/// The queried clinic.
pub const QUERY_CLINIC: &str = "toronto-east";
/// Slots (distinct starts) of the 14-day query: recorded so that changes are noticed.
pub const SLOTS_14_DAYS: usize = 337;
/// Slots (distinct starts) of the 90-day query: recorded so that changes are noticed.
pub const SLOTS_90_DAYS: usize = 2_268;

/// Clinic ids with their zones, in configuration order.
pub const CLINICS: [(&str, &str); 3] = [
    ("toronto-east", "America/Toronto"),
    ("toronto-west", "America/Toronto"),
    ("vancouver", "America/Vancouver"),
];

/// The zone of clinic `c` (index into [`CLINICS`]).
pub fn clinic_tz(c: usize) -> Tz {
    if c == 2 {
        chrono_tz::America::Vancouver
    } else {
        chrono_tz::America::Toronto
    }
}

/// One generated service.
#[derive(Clone, Copy, Debug)]
pub struct ServiceSpec {
    /// Service id.
    pub id: &'static str,
    /// Duration in minutes.
    pub minutes: u32,
    /// Portal capacity (counts in `allow_conflicts` schedule types).
    pub capacity: u32,
    /// Schedule types it applies to.
    pub schedule_types: &'static [&'static str],
    /// Practitioner type required, if any.
    pub practitioner_type: Option<&'static str>,
    /// Buffer after, in minutes.
    pub buffer_after: u32,
}

const fn svc(
    id: &'static str,
    minutes: u32,
    capacity: u32,
    schedule_types: &'static [&'static str],
    practitioner_type: Option<&'static str>,
    buffer_after: u32,
) -> ServiceSpec {
    ServiceSpec {
        id,
        minutes,
        capacity,
        schedule_types,
        practitioner_type,
        buffer_after,
    }
}

/// The 12 services: 15–90 minutes, portal capacities 1–4.
pub const SERVICES: [ServiceSpec; 12] = [
    svc(
        "physio-initial",
        60,
        1,
        &["assessment", "treatment"],
        Some("physio"),
        15,
    ),
    svc("physio-30", 30, 1, &["treatment"], Some("physio"), 0),
    svc("physio-45", 45, 1, &["treatment"], Some("physio"), 0),
    svc("rmt-30", 30, 1, &["massage"], Some("rmt"), 0),
    svc("rmt-60", 60, 1, &["massage"], Some("rmt"), 0),
    svc("rmt-90", 90, 1, &["massage"], Some("rmt"), 15),
    svc("chiro-15", 15, 1, &["treatment"], Some("chiro"), 0),
    svc("chiro-initial", 45, 1, &["assessment"], Some("chiro"), 0),
    svc("kin-group-60", 60, 4, &["group"], Some("kin"), 0),
    svc("kin-pair-30", 30, 2, &["group"], Some("kin"), 0),
    svc("back-class-45", 45, 3, &["group"], None, 0),
    svc("tele-physio-30", 30, 1, &["telehealth"], Some("physio"), 0),
];

/// The practitioner type of practitioner `h`.
pub fn kind_of(h: usize) -> &'static str {
    ["physio", "physio", "rmt", "chiro", "kin"][h % 5]
}

/// The home clinic (index into [`CLINICS`]) of practitioner `h`.
pub fn home_of(h: usize) -> usize {
    h % 3
}

/// The clinic where practitioner `h` works on `weekday` (0 = Monday): Toronto
/// practitioners with `h % 7 == 0` spend Tuesdays and Thursdays at the other Toronto clinic.
pub fn clinic_on(h: usize, weekday: usize) -> usize {
    let home = home_of(h);
    if home < 2 && h.is_multiple_of(7) && (weekday == 1 || weekday == 3) {
        1 - home
    } else {
        home
    }
}

/// Whether practitioner `h` has portal blocks (the even-numbered half).
pub fn has_portal_blocks(h: usize) -> bool {
    h.is_multiple_of(2)
}

/// The schedule types assigned to practitioner `h`.
pub fn schedule_types_of(h: usize) -> Vec<&'static str> {
    match kind_of(h) {
        "physio" if h.is_multiple_of(4) => vec!["treatment", "assessment", "telehealth"],
        "physio" | "chiro" => vec!["treatment", "assessment"],
        "rmt" => vec!["massage"],
        _ => vec!["group", "treatment"],
    }
}

/// The services practitioner `h` can offer (service ids).
pub fn services_of(h: usize) -> Vec<&'static str> {
    let types = schedule_types_of(h);
    SERVICES
        .iter()
        .filter(|s| {
            s.practitioner_type.is_none_or(|k| k == kind_of(h))
                && s.schedule_types.iter().any(|t| types.contains(t))
        })
        .map(|s| s.id)
        .collect()
}

/// First local date of the window.
pub fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 9, 1).unwrap_or_default()
}

/// Last local date of the 90-day window (2027-11-29).
pub fn last_date() -> NaiveDate {
    first_date() + Duration::days(HORIZON_DAYS - 1)
}

/// `now` for every W2 query: 2027-08-31T13:00:00Z.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 8, 31, 13, 0, 0)
        .single()
        .unwrap_or_default()
}

fn hm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn block(weekday: usize, start: u32, end: u32, schedule_type: &str, clinic: usize) -> Value {
    json!({
        "weekday": WEEKDAYS[weekday],
        "start": hm(start),
        "end": hm(end),
        "schedule_type": schedule_type,
        "clinic": CLINICS[clinic].0,
    })
}

/// Weekly blocks and portal blocks of practitioner `h`; `reduced` drops Fridays (the
/// second availability record of some practitioners).
fn blocks_of(h: usize, reduced: bool) -> (Vec<Value>, Vec<Value>) {
    let kind = kind_of(h);
    let tele = schedule_types_of(h).contains(&"telehealth");
    let s = 420 + 60 * (h as u32 % 4); // 07:00 … 10:00
    let morning = (s, s + 240);
    let afternoon = (s + 300, s + 480 + 60 * (h as u32 % 2));
    let (mut blocks, mut portal) = (Vec::new(), Vec::new());
    let days = if reduced { 4 } else { 5 };
    for wd in 0..days {
        let clinic = clinic_on(h, wd);
        let (am, pm) = match kind {
            "physio" if wd == 4 && tele => ("treatment", "telehealth"),
            "physio" if wd == 0 || wd == 2 => ("treatment", "assessment"),
            "chiro" if wd == 1 || wd == 3 => ("treatment", "assessment"),
            "physio" | "chiro" => ("treatment", "treatment"),
            "rmt" => ("massage", "massage"),
            _ => ("group", "treatment"),
        };
        blocks.push(block(wd, morning.0, morning.1, am, clinic));
        blocks.push(block(wd, afternoon.0, afternoon.1, pm, clinic));
        if has_portal_blocks(h) {
            portal.push(block(wd, morning.0 + 60, morning.1, am, clinic));
            portal.push(block(wd, afternoon.0, afternoon.1, pm, clinic));
        }
    }
    if h.is_multiple_of(6) {
        let am = if kind == "rmt" {
            "massage"
        } else if kind == "kin" {
            "group"
        } else {
            "treatment"
        };
        blocks.push(block(5, 540, 780, am, home_of(h)));
        if has_portal_blocks(h) {
            portal.push(block(5, 540, 720, am, home_of(h)));
        }
    }
    (blocks, portal)
}

fn availability_of(h: usize) -> Vec<Value> {
    let (blocks, portal) = blocks_of(h, false);
    if h % 10 == 3 {
        // Two records: Fridays stop after 2027-10-15.
        let (later, later_portal) = blocks_of(h, true);
        vec![
            json!({"id": format!("r-{h}-a"), "start_date": "2026-01-01", "end_date": "2027-10-15",
                   "blocks": blocks, "portal_blocks": portal}),
            json!({"id": format!("r-{h}-b"), "start_date": "2027-10-16",
                   "blocks": later, "portal_blocks": later_portal}),
        ]
    } else if h % 25 == 7 {
        // Every other week (weeks starting 2027-01-04, 2027-01-18, …).
        vec![json!({"id": format!("r-{h}"), "start_date": "2027-01-04",
                    "recurrence": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR,SA",
                    "blocks": blocks, "portal_blocks": portal})]
    } else {
        vec![json!({"id": format!("r-{h}"), "start_date": "2026-01-01",
                    "blocks": blocks, "portal_blocks": portal})]
    }
}

fn closures() -> Vec<Value> {
    let mut out = vec![
        json!({"id": "canada-day", "reason": "Canada Day", "start_date": "2020-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1"}),
        json!({"id": "civic-holiday", "reason": "Civic Holiday / BC Day", "start_date": "2020-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=8;BYDAY=1MO"}),
        json!({"id": "labour-day", "reason": "Labour Day", "start_date": "2020-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=9;BYDAY=1MO"}),
        json!({"id": "thanksgiving", "reason": "Thanksgiving", "start_date": "2020-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=10;BYDAY=2MO"}),
        json!({"id": "christmas", "reason": "Christmas Day", "start_date": "2020-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25"}),
        json!({"id": "truth-reconciliation", "reason": "National Day for Truth and Reconciliation",
               "clinic": "vancouver", "start_date": "2023-01-01",
               "recurrence": "FREQ=YEARLY;BYMONTH=9;BYMONTHDAY=30"}),
        json!({"id": "remembrance-day", "reason": "Remembrance Day", "clinic": "vancouver",
               "start_date": "2020-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=11"}),
        json!({"id": "boxing-day", "reason": "Boxing Day", "clinic": "toronto-east",
               "start_date": "2020-01-01", "recurrence": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=26"}),
        json!({"id": "staff-meeting", "reason": "Staff meeting", "clinic": "toronto-east",
               "start_date": "2027-01-06", "recurrence": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
               "start_time": "12:00", "end_time": "14:00"}),
    ];
    // A week of holidays for every 20th practitioner, spread over the window.
    for h in (5..PRACTITIONERS).step_by(20) {
        let from = first_date() + Duration::days((h as i64 * 7) % 80);
        out.push(json!({"id": format!("time-off-{h}"), "reason": "Holidays",
                        "practitioner": format!("p{h}"),
                        "start_date": from.to_string(),
                        "end_date": (from + Duration::days(6)).to_string()}));
    }
    out.push(
        json!({"id": "p11-fridays", "reason": "Fridays off", "practitioner": "p11",
                    "start_date": "2027-10-01", "recurrence": "FREQ=WEEKLY;BYDAY=FR"}),
    );
    out.push(
        json!({"id": "p12-course", "reason": "Course", "practitioner": "p12",
                    "date": "2027-09-15", "start_time": "12:00", "end_time": "17:00"}),
    );
    out
}

/// The W2 configuration as JSON.
pub fn config_json() -> String {
    let practitioners: Vec<Value> = (0..PRACTITIONERS)
        .map(|h| {
            json!({
                "id": format!("p{h}"),
                "name": format!("Practitioner {h}"),
                "practitioner_types": [kind_of(h)],
                "schedule_types": schedule_types_of(h),
                "availability": availability_of(h),
            })
        })
        .collect();
    let services: Vec<Value> = SERVICES
        .iter()
        .map(|spec| {
            let mut s = json!({"id": spec.id, "name": spec.id, "duration_minutes": spec.minutes,
                               "portal_capacity": spec.capacity,
                               "schedule_types": spec.schedule_types,
                               "buffer_after_minutes": spec.buffer_after});
            if let Some(k) = spec.practitioner_type {
                s["practitioner_type"] = json!(k);
            }
            s
        })
        .collect();
    let clinics: Vec<Value> = CLINICS
        .iter()
        .map(|(id, tz)| json!({"id": id, "name": id, "time_zone": tz}))
        .collect();
    json!({
        "portal": {"scheduling": {
            "slot_mode": "portal_blocks",
            "empty_portal_day": "standard",
            "start_interval_minutes": 15,
            "min_hours_before_booking": 24,
            "max_days_ahead": HORIZON_DAYS,
            "allow_no_preference": true
        }},
        "clinics": clinics,
        "schedule_types": [
            {"id": "treatment", "name": "Treatment"},
            {"id": "assessment", "name": "Assessment"},
            {"id": "massage", "name": "Massage"},
            {"id": "group", "name": "Group", "allow_conflicts": true},
            {"id": "telehealth", "name": "Telehealth", "telehealth": true}
        ],
        "practitioner_types": [
            {"id": "physio", "name": "Physiotherapist"},
            {"id": "rmt", "name": "Massage therapist"},
            {"id": "chiro", "name": "Chiropractor"},
            {"id": "kin", "name": "Kinesiologist"}
        ],
        "practitioners": practitioners,
        "services": services,
        "closures": closures(),
    })
    .to_string()
}

/// The 500 appointments of practitioner `h`, in generation order: mulberry32 seeded with
/// `20_000 + h`; per appointment `day = ⌊90 r⌋`, wall start `07:00 + 15 min × ⌊48 r⌋` at the
/// clinic where `h` works that weekday, one of `h`'s services (its duration), and a status
/// (5 % cancelled, 5 % pending, else booked). Some fall outside working time, as staff
/// bookings do; they overlap each other sometimes.
pub fn appointments_of(h: usize) -> Vec<Appointment> {
    let services = services_of(h);
    let mut r = Mulberry32::new(20_000 + h as u32);
    (0..APPOINTMENTS_EACH)
        .map(|i| {
            let day = (r.next() * HORIZON_DAYS as f64).floor() as i64;
            let start_minute = 420 + 15 * (r.next() * 48.0).floor() as i64;
            let service = services[(r.next() * services.len() as f64).floor() as usize];
            let status = match r.next() {
                x if x < 0.05 => AppointmentStatus::Cancelled,
                x if x < 0.10 => AppointmentStatus::Pending,
                _ => AppointmentStatus::Booked,
            };
            let date = first_date() + Duration::days(day);
            let weekday = chrono::Datelike::weekday(&date).num_days_from_monday() as usize;
            let clinic = clinic_on(h, weekday);
            let wall =
                date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(start_minute);
            let start = clinic_tz(clinic)
                .from_local_datetime(&wall)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| panic!("{wall} does not exist in {}", CLINICS[clinic].1));
            let duration = SERVICES
                .iter()
                .find(|s| s.id == service)
                .map_or(30, |s| s.minutes);
            Appointment {
                id: format!("w2-{h}-{i}"),
                practitioner: format!("p{h}"),
                clinic: Some(CLINICS[clinic].0.to_owned()),
                service: Some(service.to_owned()),
                patient: None,
                start,
                end: start + Duration::minutes(i64::from(duration)),
                status,
                source: if i % 3 == 0 {
                    Source::Portal
                } else {
                    Source::Staff
                },
            }
        })
        .collect()
}

/// Every W2 appointment (100,000).
pub fn appointments() -> Vec<Appointment> {
    (0..PRACTITIONERS).flat_map(appointments_of).collect()
}

/// Every W2 appointment as a JSON array, as a host would hand them over.
pub fn appointments_json() -> String {
    serde_json::to_string(&appointments()).unwrap_or_default()
}

/// A warm engine with the W2 configuration and appointments.
pub fn engine() -> Engine {
    let engine = Engine::from_json(&config_json()).unwrap_or_else(|e| panic!("W2 config: {e}"));
    engine
        .add_appointments(appointments())
        .unwrap_or_else(|e| panic!("W2 appointments: {e}"));
    engine
}

/// One service, no preference, one clinic, over `days` local dates from 2027-09-01.
pub fn query_days(days: i64) -> SlotQuery {
    SlotQuery::new(
        QUERY_SERVICE,
        first_date(),
        first_date() + Duration::days(days - 1),
    )
    .clinic(QUERY_CLINIC)
}

/// The 14-day query.
pub fn query_14_days() -> SlotQuery {
    query_days(SHORT_DAYS)
}

/// The 90-day query (the whole horizon).
pub fn query_90_days() -> SlotQuery {
    query_days(HORIZON_DAYS)
}

/// A start the queries offer: 2027-09-01 09:00 in Toronto (the first slot of both queries).
pub fn offered_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 9, 1, 13, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A start the queries refuse: Labour Day (2027-09-06) 10:00 in Toronto, a closure (rule 7).
pub fn refused_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 9, 6, 14, 0, 0)
        .single()
        .unwrap_or_default()
}
