//! W5 — multi-tenant: the shape of a clinic-software vendor hosting its customers, many
//! practices in one process, each its own [`Engine`], each started from its own snapshot.
//!
//! - **[`PRACTICES`] practices** (`k` = 0…999), each with [`PRACTITIONERS`] practitioners
//!   (`p0`…`p9`), [`CLINICS`] clinics (`north`, `south`) in one zone chosen by `k % 4`
//!   (Toronto, Vancouver, London, Sydney), Mon–Fri 09:00–17:00 at clinic `h % 2`, a 30- and
//!   a 60-minute service on a 15-minute grid.
//! - **[`PATIENTS`] patients with accounts** per practice: patient `pat-i` with the e-mail
//!   `patient-i@practice-k.example`, which is also the username of account `acct-i`,
//!   linked to it as `self`. Hashing 500,000 passwords with Argon2id would take hours, so
//!   every account carries the one real Argon2id hash of [`PASSWORD`] computed once
//!   ([`password_hash`]): each account logs in with it.
//! - **[`APPOINTMENTS`] appointments** per practice, 500 per practitioner (mulberry32
//!   seeded with `50_000 + 10 k + h`): a random weekday of the 52 weeks from 2026-10-05,
//!   a start 09:00–16:30 on the 15-minute grid, 30 or 60 minutes, a patient chosen at
//!   random, 5 % cancelled.
//! - A practice is brought to life the way a host does it: [`snapshot`] writes its
//!   snapshot (generated once through the API, with the accounts and links added), and
//!   [`Engine::restore`] starts it ([`practice`]).
//! - [`query`]: a W1a-like query on a warm practice — practitioner `p0`, 60 days from
//!   2027-02-01.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use clinic_portal::{
    Appointment, AppointmentStatus, Engine, NewAccount, Patient, SlotQuery, Source,
};

use crate::w1::{wall_instant, Mulberry32};

/// Practices in the process.
pub const PRACTICES: usize = 1_000;
/// Practitioners per practice.
pub const PRACTITIONERS: usize = 10;
/// Clinics per practice.
pub const CLINICS: usize = 2;
/// Appointments per practice.
pub const APPOINTMENTS: usize = 5_000;
/// Patients per practice, each with an account.
pub const PATIENTS: usize = 500;
/// The password of every generated account.
pub const PASSWORD: &str = "w5 correct horse battery";

const ZONES: [Tz; 4] = [
    chrono_tz::America::Toronto,
    chrono_tz::America::Vancouver,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Sydney,
];

/// The zone of practice `k`.
pub fn zone_of(k: usize) -> Tz {
    ZONES[k % ZONES.len()]
}

/// `now` for every W5 operation: 2026-11-22T00:00:00Z.
pub fn now() -> DateTime<Utc> {
    crate::w1::now()
}

/// The first date of the appointments' 52 weeks (a Monday).
pub fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 5).unwrap_or_default()
}

/// The configuration of practice `k` as JSON.
pub fn config_json(k: usize) -> String {
    let clinics = ["north", "south"];
    let practitioners: Vec<serde_json::Value> = (0..PRACTITIONERS)
        .map(|h| {
            let blocks: Vec<serde_json::Value> = ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| {
                    serde_json::json!({"weekday": d, "start": "09:00", "end": "17:00",
                                       "schedule_type": "treatment", "clinic": clinics[h % 2]})
                })
                .collect();
            serde_json::json!({
                "id": format!("p{h}"),
                "name": format!("Practitioner {h} of practice {k}"),
                "schedule_types": ["treatment"],
                "availability": [{"start_date": "2020-01-01", "blocks": blocks}]
            })
        })
        .collect();
    let zone = zone_of(k).name();
    serde_json::json!({
        "portal": {"scheduling": {
            "start_interval_minutes": 15,
            "min_hours_before_booking": 2,
            "max_days_ahead": 400,
            "allow_no_preference": true
        }},
        "clinics": [
            {"id": "north", "name": format!("Practice {k} North"), "time_zone": zone},
            {"id": "south", "name": format!("Practice {k} South"), "time_zone": zone}
        ],
        "schedule_types": [{"id": "treatment", "name": "Treatment"}],
        "practitioners": practitioners,
        "services": [
            {"id": "treat-30", "name": "Treatment 30", "duration_minutes": 30,
             "schedule_types": ["treatment"]},
            {"id": "treat-60", "name": "Treatment 60", "duration_minutes": 60,
             "schedule_types": ["treatment"]}
        ]
    })
    .to_string()
}

/// The username (and e-mail) of patient `i` of practice `k`.
pub fn username(k: usize, i: usize) -> String {
    format!("patient-{i}@practice-{k}.example")
}

/// The patients of practice `k`.
pub fn patients(k: usize) -> Vec<Patient> {
    (0..PATIENTS)
        .map(|i| {
            Patient::new(format!("pat-{i}"))
                .name(format!("Given{i}"), format!("Family{k}"))
                .email(username(k, i))
        })
        .collect()
}

/// The appointments of practice `k`, in generation order.
pub fn appointments(k: usize) -> Vec<Appointment> {
    let tz = zone_of(k);
    let each = APPOINTMENTS / PRACTITIONERS;
    (0..PRACTITIONERS)
        .flat_map(|h| {
            let mut r = Mulberry32::new(50_000 + 10 * k as u32 + h as u32);
            (0..each).map(move |i| {
                let week = (r.next() * 52.0).floor() as i64;
                let weekday = (r.next() * 5.0).floor() as i64;
                let start_minute = 540 + 15 * (r.next() * 31.0).floor() as i64;
                let minutes = if r.next() < 0.5 { 30 } else { 60 };
                let patient = (r.next() * PATIENTS as f64).floor() as usize;
                let cancelled = r.next() < 0.05;
                let date = first_date() + Duration::days(7 * week + weekday);
                // 09:00–17:30 never falls in a daylight-saving gap of these zones.
                let start = wall_instant(tz, date, start_minute);
                Appointment::new(
                    format!("a-{h}-{i}"),
                    format!("p{h}"),
                    start,
                    start + Duration::minutes(minutes),
                )
                .clinic(["north", "south"][h % 2])
                .service(if minutes == 30 {
                    "treat-30"
                } else {
                    "treat-60"
                })
                .patient(format!("pat-{patient}"))
                .status(if cancelled {
                    AppointmentStatus::Cancelled
                } else {
                    AppointmentStatus::Booked
                })
                .source(Source::Staff)
            })
        })
        .collect()
}

/// The Argon2id hash of [`PASSWORD`], made by the engine itself (one account created in a
/// scratch practice, its hash read from the snapshot).
pub fn password_hash() -> String {
    let engine = Engine::from_json(&config_json(0)).unwrap_or_else(|e| panic!("W5 config: {e}"));
    engine
        .create_account(
            &NewAccount::new("hash@practice.example", PASSWORD.to_owned()),
            now(),
        )
        .unwrap_or_else(|e| panic!("W5 account: {e}"));
    let snapshot: serde_json::Value =
        serde_json::from_str(&engine.snapshot()).unwrap_or_else(|e| panic!("W5 snapshot: {e}"));
    snapshot["accounts"][0]["password_hash"]
        .as_str()
        .unwrap_or_else(|| panic!("W5: no password hash in the snapshot"))
        .to_owned()
}

/// The snapshot of practice `k`: configuration, patients and appointments put in through
/// the API, then the [`PATIENTS`] accounts (each with `hash`, see [`password_hash`]) and
/// their `self` links added to it.
pub fn snapshot(k: usize, hash: &str) -> String {
    let engine = Engine::from_json(&config_json(k)).unwrap_or_else(|e| panic!("W5 config: {e}"));
    for p in patients(k) {
        engine
            .upsert_patient(p)
            .unwrap_or_else(|e| panic!("W5 patient: {e}"));
    }
    engine
        .add_appointments(appointments(k))
        .unwrap_or_else(|e| panic!("W5 appointments: {e}"));
    engine.compact_journal(engine.last_seq());
    let mut doc: serde_json::Value =
        serde_json::from_str(&engine.snapshot()).unwrap_or_else(|e| panic!("W5 snapshot: {e}"));
    let created_at = now().to_rfc3339();
    let accounts: Vec<serde_json::Value> = (0..PATIENTS)
        .map(|i| {
            serde_json::json!({"id": format!("acct-{i}"), "username": username(k, i),
                               "password_hash": hash, "created_at": created_at})
        })
        .collect();
    let links: Vec<serde_json::Value> = (0..PATIENTS)
        .map(|i| {
            serde_json::json!({"account": format!("acct-{i}"), "patient": format!("pat-{i}"),
                               "relationship": "self", "active": true, "created_at": created_at})
        })
        .collect();
    doc["accounts"] = serde_json::Value::Array(accounts);
    doc["account_links"] = serde_json::Value::Array(links);
    doc.to_string()
}

/// Practice `k` started from its snapshot.
pub fn practice(k: usize, hash: &str) -> Engine {
    Engine::restore(&snapshot(k, hash)).unwrap_or_else(|e| panic!("W5 restore of {k}: {e}"))
}

/// The W1a-like query: `p0`, `treat-30`, 2027-02-01 to 2027-04-01.
pub fn query() -> SlotQuery {
    SlotQuery::new("treat-30", crate::w1::first_date(), crate::w1::last_date()).practitioner("p0")
}

/// `n` practices (`0..n`), each started from its snapshot (the snapshot dropped once
/// restored, as a host drops the row it read).
pub fn load(n: usize, hash: &str) -> Vec<Option<Engine>> {
    (0..n).map(|k| Some(practice(k, hash))).collect()
}
