//! Helpers shared by the integration tests: dates, instants, a base configuration to tweak,
//! and short views of search results.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use clinic_portal::{
    Appointment, AppointmentStatus, Engine, ErrorCode, Explanation, SlotQuery, Slots, Source,
};
use serde_json::{json, Value};

/// A calendar date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// A UTC instant.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid UTC time")
}

/// The earliest instant of a local wall time in `tz` (panics in a gap).
pub fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap_or_else(|| panic!("{y}-{mo}-{d} {h}:{mi} does not exist in {tz}"))
        .with_timezone(&Utc)
}

/// The latest instant of a local wall time in `tz` (the second occurrence in a fold).
pub fn local_latest(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .latest()
        .unwrap_or_else(|| panic!("{y}-{mo}-{d} {h}:{mi} does not exist in {tz}"))
        .with_timezone(&Utc)
}

/// A block as JSON.
pub fn block(weekday: &str, start: &str, end: &str, schedule_type: &str) -> Value {
    json!({"weekday": weekday, "start": start, "end": end, "schedule_type": schedule_type})
}

/// Monday to Friday, `start`–`end`, schedule type `treat`.
pub fn weekday_blocks(start: &str, end: &str) -> Vec<Value> {
    ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| block(d, start, end, "treat"))
        .collect()
}

/// The base configuration: clinic `main` in America/Toronto; schedule type `treat`;
/// practitioner `dr-a` working Mon–Fri 09:00–12:00 from 2027-01-01; a 30-minute service
/// `physio-30` on `treat`. Defaults everywhere else: portal on, no lead time, 90 days ahead,
/// no start grid (starts step by the duration), no preference allowed.
pub fn base() -> Value {
    json!({
        "clinics": [{"id": "main", "name": "Main", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "treat", "name": "Treatment"}],
        "practitioners": [practitioner("dr-a", weekday_blocks("09:00", "12:00"))],
        "services": [{"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]}]
    })
}

/// A practitioner on schedule type `treat` with one open-ended record of `blocks`.
pub fn practitioner(id: &str, blocks: Vec<Value>) -> Value {
    json!({
        "id": id,
        "schedule_types": ["treat"],
        "availability": [{"id": format!("{id}-2027"), "start_date": "2027-01-01", "blocks": blocks}]
    })
}

/// Sets `portal.scheduling.<key> = value`, creating the objects on the way.
pub fn set_scheduling(cfg: &mut Value, key: &str, value: Value) {
    if cfg.get("portal").is_none() {
        cfg["portal"] = json!({});
    }
    if cfg["portal"].get("scheduling").is_none() {
        cfg["portal"]["scheduling"] = json!({});
    }
    cfg["portal"]["scheduling"][key] = value;
}

/// An engine from a JSON value (panics on a configuration error).
pub fn engine(cfg: &Value) -> Engine {
    Engine::from_json(&cfg.to_string()).unwrap_or_else(|e| panic!("config: {e}: {cfg:#}"))
}

/// The configuration error of a JSON value that must not load.
pub fn config_error(cfg: &Value) -> clinic_portal::Error {
    match Engine::from_json(&cfg.to_string()) {
        Ok(_) => panic!("configuration should not load: {cfg:#}"),
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidConfig, "{e}");
            e
        }
    }
}

/// A query for `physio-30` on one date.
pub fn on(day: NaiveDate) -> SlotQuery {
    SlotQuery::new("physio-30", day, day)
}

/// The monday the rule tests query: 2027-02-01.
pub fn monday() -> NaiveDate {
    date(2027, 2, 1)
}

/// A `now` long before every queried date: 2027-01-15 12:00 UTC.
pub fn early() -> DateTime<Utc> {
    utc(2027, 1, 15, 12, 0)
}

/// Runs a search that must succeed.
pub fn search(engine: &Engine, q: &SlotQuery, now: DateTime<Utc>) -> Slots {
    engine
        .search(q, now)
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"))
}

/// Runs an explain that must succeed.
pub fn explain(
    engine: &Engine,
    q: &SlotQuery,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Explanation {
    engine
        .explain(q, start, now)
        .unwrap_or_else(|e| panic!("explain {q:?} {start}: {e}"))
}

/// The rule explain reports for a start (None when offered).
pub fn rule_of(
    engine: &Engine,
    q: &SlotQuery,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<u8> {
    let e = explain(engine, q, start, now);
    assert_eq!(e.offered, e.rule.is_none(), "{e:?}");
    e.rule
}

/// Slot starts as RFC 3339 strings with the clinic's offset.
pub fn starts(slots: &Slots) -> Vec<String> {
    slots.iter().map(|s| s.start().to_rfc3339()).collect()
}

/// Slot starts as local `HH:MM` (from the RFC 3339 string).
pub fn hhmm(slots: &Slots) -> Vec<String> {
    slots
        .iter()
        .map(|s| s.start().format("%H:%M").to_string())
        .collect()
}

/// Each slot as (start, candidate practitioners in order).
pub fn with_candidates(slots: &Slots) -> Vec<(String, Vec<String>)> {
    slots
        .iter()
        .map(|s| {
            (
                s.start().format("%H:%M").to_string(),
                s.practitioners()
                    .map(|c| c.practitioner.to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Strings from string literals.
pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// An appointment of `practitioner` at `[start, end)`.
pub fn appt(
    id: &str,
    practitioner: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: AppointmentStatus,
) -> Appointment {
    Appointment {
        id: id.to_owned(),
        practitioner: practitioner.to_owned(),
        clinic: None,
        service: None,
        patient: None,
        start,
        end,
        status,
        source: Source::Staff,
    }
}

/// Toronto wall time on the rule tests' monday, as an instant.
pub fn mon_at(h: u32, mi: u32) -> DateTime<Utc> {
    local(chrono_tz::America::Toronto, 2027, 2, 1, h, mi)
}
