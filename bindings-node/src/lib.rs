//! The native half of the Node package `clinic-portal` (napi-rs).
//!
//! Complex values cross the boundary as JSON in the core's serde shapes; the hand-written
//! wrapper `lib/index.js` parses them and gives JavaScript its typed API. Slot searches,
//! the hot path, return a compact columnar [`SlotTable`] that the wrapper turns into
//! objects. Every export catches panics (`catch_unwind`); a core error becomes a JS
//! `Error` whose message starts with `[clinic-portal:<code>]`, which the wrapper turns into
//! its `code` property (a panic has no such prefix and becomes code `internal`).

use std::sync::Arc;

mod interchange;
pub use interchange::fhir_operation_outcome;

use chrono::{DateTime, NaiveDate, Utc};
use clinic_portal::{
    AppointmentFilter, Engine, Error as CoreError, ErrorCode, Operation, SlotQuery, Slots,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde::Serialize;
use serde_json::Value;

/// The prefix of every message of an error that comes from the core.
const PREFIX: &str = "[clinic-portal:";

fn core_error(e: CoreError) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{PREFIX}{}] {}", e.code().as_str(), e.message()),
    )
}

fn invalid_input(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{PREFIX}{}] {message}", ErrorCode::InvalidInput.as_str()),
    )
}

fn internal(message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{PREFIX}{}] {message}", ErrorCode::Internal.as_str()),
    )
}

fn core<T>(r: clinic_portal::Result<T>) -> Result<T> {
    r.map_err(core_error)
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| internal(format!("the outcome does not serialise: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| invalid_input(format!("{what} JSON does not parse: {e}")))
}

fn instant(what: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid_input(format!("{what} `{text}` is not an RFC 3339 instant: {e}")))
}

fn date(what: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| invalid_input(format!("{what} `{text}` is not a date (YYYY-MM-DD): {e}")))
}

fn seq_arg(seq: f64) -> Result<u64> {
    if seq.is_finite() && seq >= 0.0 && seq.fract() == 0.0 && seq <= 9_007_199_254_740_991.0 {
        // A non-negative integer below 2^53: the conversion is exact.
        Ok(seq as u64)
    } else {
        Err(invalid_input(format!(
            "sequence number {seq} is not a non-negative integer"
        )))
    }
}

/// Removes the stored secret verifiers (`token_digest`, `password_hash`) from a value.
fn without_secrets(mut value: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("token_digest");
                map.remove("password_hash");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value)
        .map_err(|e| internal(format!("the outcome does not serialise: {e}")))
}

fn public_json<T: Serialize>(value: &T) -> Result<String> {
    to_json(&without_secrets(to_value(value)?))
}

/// Runs `f`, turning a panic into an `internal` error: for the code that runs off the
/// main thread (the exports themselves use `#[napi(catch_unwind)]`).
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Err(internal(format!("the engine panicked: {message}")))
    })
}

/// The answer to a slot search, by columns: slot `i` starts at `start[i]` (Unix seconds)
/// at clinic `clinics[clinic[i]]` and can be taken by the candidates
/// `candidate_offsets[i]..candidate_offsets[i + 1]`.
#[napi(object)]
pub struct SlotTable {
    /// Starts, Unix seconds.
    pub start: Float64Array,
    /// Ends, Unix seconds.
    pub end: Float64Array,
    /// The clinic's UTC offset at each start, seconds.
    pub offset: Int32Array,
    /// Each slot's clinic, an index into `clinics`.
    pub clinic: Uint32Array,
    /// Places left at each start (summed over its candidates).
    pub remaining: Uint32Array,
    /// Where each slot's candidates begin in `candidate_practitioner` (one more entry than
    /// slots).
    pub candidate_offsets: Uint32Array,
    /// Each candidate's practitioner, an index into `practitioners`.
    pub candidate_practitioner: Uint32Array,
    /// Each candidate's places left.
    pub candidate_remaining: Uint32Array,
    /// Clinic ids used by the answer.
    pub clinics: Vec<String>,
    /// Practitioner ids used by the answer.
    pub practitioners: Vec<String>,
    /// Per slot, the start and then the end as RFC 3339 in the clinic's offset, 25
    /// characters each (`2027-02-01T09:00:00-05:00`), concatenated.
    pub iso: String,
    /// Whether more slots match (see `next_after`).
    pub truncated: bool,
    /// When truncated: the start of the last slot, for the next page's `after`.
    pub next_after: Option<String>,
}

/// Appends `unix` (seconds) at UTC offset `offset` as the 25 characters
/// `YYYY-MM-DDTHH:MM:SS±HH:MM` (what chrono's `to_rfc3339` gives for whole seconds, years
/// 1900 to 9999 as the engine accepts, written by hand: chrono's formatter is the
/// slowest part of a large answer).
fn push_iso(out: &mut String, unix: i64, offset: i32) {
    let local = unix + i64::from(offset);
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let off = offset.unsigned_abs() / 60;
    let two = |out: &mut String, n: i64| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    two(out, year / 100);
    two(out, year % 100);
    out.push('-');
    two(out, month);
    out.push('-');
    two(out, day);
    out.push('T');
    two(out, secs / 3_600);
    out.push(':');
    two(out, secs % 3_600 / 60);
    out.push(':');
    two(out, secs % 60);
    out.push(if offset < 0 { '-' } else { '+' });
    two(out, i64::from(off / 60));
    out.push(':');
    two(out, i64::from(off % 60));
}

/// The index of `id` in `table`, added when new. The ids of one answer are the engine's
/// own shared strings, so the same id has the same address: compare addresses first.
fn intern<'a>(table: &mut Vec<(&'a str, u32)>, names: &mut Vec<String>, id: &'a str) -> u32 {
    if let Some(&(_, i)) = table
        .iter()
        .find(|(t, _)| std::ptr::eq(t.as_ptr(), id.as_ptr()))
    {
        return i;
    }
    let i = match names.iter().position(|n| n == id) {
        Some(i) => i as u32,
        None => {
            names.push(id.to_owned());
            (names.len() - 1) as u32
        }
    };
    table.push((id, i));
    i
}

fn slot_table(slots: &Slots) -> SlotTable {
    let n = slots.len();
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut offset = Vec::with_capacity(n);
    let mut clinic = Vec::with_capacity(n);
    let mut remaining = Vec::with_capacity(n);
    let mut offsets = Vec::with_capacity(n + 1);
    let mut cand_p = Vec::with_capacity(n);
    let mut cand_r = Vec::with_capacity(n);
    let mut clinics = Vec::new();
    let mut practitioners = Vec::new();
    let (mut clinic_ix, mut practitioner_ix) = (Vec::new(), Vec::new());
    let mut iso = String::with_capacity(n * 50);
    offsets.push(0u32);
    for s in slots.iter() {
        start.push(s.start_unix() as f64);
        end.push(s.end_unix() as f64);
        offset.push(s.utc_offset_seconds());
        clinic.push(intern(&mut clinic_ix, &mut clinics, s.clinic()));
        remaining.push(s.remaining_capacity());
        for cand in s.practitioners() {
            cand_p.push(intern(
                &mut practitioner_ix,
                &mut practitioners,
                cand.practitioner,
            ));
            cand_r.push(cand.remaining_capacity);
        }
        offsets.push(cand_p.len() as u32);
        push_iso(&mut iso, s.start_unix(), s.utc_offset_seconds());
        push_iso(&mut iso, s.end_unix(), s.utc_offset_seconds());
    }
    SlotTable {
        start: Float64Array::new(start),
        end: Float64Array::new(end),
        offset: Int32Array::new(offset),
        clinic: Uint32Array::new(clinic),
        remaining: Uint32Array::new(remaining),
        candidate_offsets: Uint32Array::new(offsets),
        candidate_practitioner: Uint32Array::new(cand_p),
        candidate_remaining: Uint32Array::new(cand_r),
        clinics,
        practitioners,
        iso,
        truncated: slots.truncated(),
        next_after: slots
            .next_after()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    }
}

/// The engine of one practice (wrapped by the `Engine` class of `lib/index.js`).
#[napi]
pub struct NativeEngine {
    engine: Arc<Engine>,
}

fn wrap(engine: Engine) -> NativeEngine {
    NativeEngine {
        engine: Arc::new(engine),
    }
}

fn search(engine: &Engine, query_json: &str, now: &str) -> Result<Slots> {
    let query: SlotQuery = parse("slot query", query_json)?;
    core(engine.search(&query, instant("now", now)?))
}

fn snapshot(engine: &Engine) -> String {
    engine.snapshot()
}

fn restore(json: &str) -> Result<Engine> {
    core(Engine::restore(json))
}

fn execute(engine: &Engine, op_json: &str, now: &str) -> Result<String> {
    let op = core(Operation::from_json(op_json))?;
    let outcome = core(engine.execute(&op, instant("now", now)?))?;
    to_json(&outcome)
}

/// Off the main thread: a slot search.
pub struct SearchTask {
    engine: Arc<Engine>,
    query: String,
    now: String,
}

#[napi]
impl Task for SearchTask {
    type Output = Slots;
    type JsValue = SlotTable;

    fn compute(&mut self) -> Result<Slots> {
        guarded(|| search(&self.engine, &self.query, &self.now))
    }

    fn resolve(&mut self, _env: Env, output: Slots) -> Result<SlotTable> {
        Ok(slot_table(&output))
    }
}

/// Off the main thread: a snapshot.
pub struct SnapshotTask {
    engine: Arc<Engine>,
}

#[napi]
impl Task for SnapshotTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        guarded(|| Ok(snapshot(&self.engine)))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Off the main thread: a restore.
pub struct RestoreTask {
    json: String,
}

#[napi]
impl Task for RestoreTask {
    type Output = Engine;
    type JsValue = NativeEngine;

    fn compute(&mut self) -> Result<Engine> {
        guarded(|| restore(&self.json))
    }

    fn resolve(&mut self, _env: Env, output: Engine) -> Result<NativeEngine> {
        Ok(wrap(output))
    }
}

/// Off the main thread: one operation (the password-hashing ones: login, account creation,
/// password changes, invitations accepted, signups).
pub struct ExecuteTask {
    engine: Arc<Engine>,
    op: String,
    now: String,
}

#[napi]
impl Task for ExecuteTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        guarded(|| execute(&self.engine, &self.op, &self.now))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

#[napi]
impl NativeEngine {
    /// Runs one mutating operation (`Operation` JSON); the outcome as JSON.
    #[napi(catch_unwind)]
    pub fn execute(&self, op_json: String, now: String) -> Result<String> {
        execute(&self.engine, &op_json, &now)
    }

    /// `execute` off the main thread.
    #[napi(catch_unwind)]
    pub fn execute_async(&self, op_json: String, now: String) -> AsyncTask<ExecuteTask> {
        AsyncTask::new(ExecuteTask {
            engine: Arc::clone(&self.engine),
            op: op_json,
            now,
        })
    }

    /// Plans one operation without applying it: `{"change": Change | null, "outcome"}`.
    #[napi(catch_unwind)]
    pub fn plan_operation(&self, op_json: String, now: String) -> Result<String> {
        let op = core(Operation::from_json(&op_json))?;
        let planned = core(self.engine.plan_operation(&op, instant("now", &now)?))?;
        to_json(&serde_json::json!({"change": planned.change, "outcome": planned.outcome}))
    }

    /// Applies a planned or stored change (JSON); returns its sequence number.
    #[napi(catch_unwind)]
    pub fn apply(&self, change_json: String) -> Result<f64> {
        let change = parse("change", &change_json)?;
        Ok(core(self.engine.apply(&change))? as f64)
    }

    /// The sequence number of the last change.
    #[napi(catch_unwind)]
    pub fn last_seq(&self) -> f64 {
        self.engine.last_seq() as f64
    }

    /// The journaled changes after `seq` (JSON array).
    #[napi(catch_unwind)]
    pub fn changes_since(&self, seq: f64) -> Result<String> {
        to_json(&core(self.engine.changes_since(seq_arg(seq)?))?)
    }

    /// Drops journaled changes up to `seq`; returns how many.
    #[napi(catch_unwind)]
    pub fn compact_journal(&self, seq: f64) -> Result<u32> {
        Ok(self.engine.compact_journal(seq_arg(seq)?) as u32)
    }

    /// The whole state as JSON.
    #[napi(catch_unwind)]
    pub fn snapshot(&self) -> String {
        snapshot(&self.engine)
    }

    /// `snapshot` off the main thread.
    #[napi(catch_unwind)]
    pub fn snapshot_async(&self) -> AsyncTask<SnapshotTask> {
        AsyncTask::new(SnapshotTask {
            engine: Arc::clone(&self.engine),
        })
    }

    /// The running configuration (JSON).
    #[napi(catch_unwind)]
    pub fn config(&self) -> Result<String> {
        to_json(&self.engine.config())
    }

    /// Warnings about the running configuration (JSON).
    #[napi(catch_unwind)]
    pub fn warnings(&self) -> Result<String> {
        to_json(&self.engine.warnings())
    }

    /// Slot search; the answer by columns.
    #[napi(catch_unwind)]
    pub fn search(&self, query_json: String, now: String) -> Result<SlotTable> {
        Ok(slot_table(&search(&self.engine, &query_json, &now)?))
    }

    /// `search` off the main thread.
    #[napi(catch_unwind)]
    pub fn search_async(&self, query_json: String, now: String) -> AsyncTask<SearchTask> {
        AsyncTask::new(SearchTask {
            engine: Arc::clone(&self.engine),
            query: query_json,
            now,
        })
    }

    /// Why a start is or is not offered (JSON); without a practitioner in the query, only
    /// the verdict the answer comes from.
    #[napi(catch_unwind)]
    pub fn explain(&self, query_json: String, start: String, now: String) -> Result<String> {
        self.explain_with(&query_json, &start, &now, false)
    }

    /// `explain` with a verdict for every candidate practitioner (JSON).
    #[napi(catch_unwind)]
    pub fn explain_all(&self, query_json: String, start: String, now: String) -> Result<String> {
        self.explain_with(&query_json, &start, &now, true)
    }

    /// Which practitioners can offer a service online (JSON).
    #[napi(catch_unwind)]
    pub fn service_report(&self, service: String) -> Result<String> {
        to_json(&core(self.engine.service_report(&service))?)
    }

    /// The HTML of the "Book an appointment" button.
    #[napi(catch_unwind)]
    pub fn book_button_html(&self, booking_url: Option<String>) -> Result<String> {
        core(self.engine.book_button_html(booking_url.as_deref()))
    }

    /// A patient (JSON).
    #[napi(catch_unwind)]
    pub fn patient(&self, id: String) -> Result<String> {
        to_json(&core(self.engine.patient(&id))?)
    }

    /// An appointment (JSON).
    #[napi(catch_unwind)]
    pub fn appointment(&self, id: String) -> Result<String> {
        to_json(&core(self.engine.appointment(&id))?)
    }

    /// How many appointments the engine holds.
    #[napi(catch_unwind)]
    pub fn appointment_count(&self) -> u32 {
        self.engine.appointment_count() as u32
    }

    /// A hold (JSON).
    #[napi(catch_unwind)]
    pub fn get_hold(&self, id: String) -> Result<String> {
        to_json(&core(self.engine.get_hold(&id))?)
    }

    /// The portal details of an appointment (JSON, `null` when none).
    #[napi(catch_unwind)]
    pub fn booking_details(&self, appointment: String) -> Result<String> {
        to_json(&self.engine.booking_details(&appointment))
    }

    /// The notifications waiting, not drained (JSON; a link token as `token`).
    #[napi(catch_unwind)]
    pub fn outbox(&self) -> Result<String> {
        let mut out = Vec::new();
        for n in self.engine.outbox() {
            let mut v = to_value(&n)?;
            if let (Some(t), Value::Object(map)) = (&n.token, &mut v) {
                map.insert("token".into(), Value::String(t.expose().to_owned()));
            }
            out.push(v);
        }
        to_json(&out)
    }

    /// An account (JSON, no hash).
    #[napi(catch_unwind)]
    pub fn account(&self, id: String) -> Result<String> {
        public_json(&core(self.engine.account(&id))?)
    }

    /// The account with this username (JSON, no hash).
    #[napi(catch_unwind)]
    pub fn account_by_username(&self, username: String) -> Result<String> {
        public_json(&core(self.engine.account_by_username(&username))?)
    }

    /// Every account (JSON, no hashes).
    #[napi(catch_unwind)]
    pub fn accounts(&self) -> Result<String> {
        public_json(&self.engine.accounts())
    }

    /// An account's links (JSON).
    #[napi(catch_unwind)]
    pub fn links_of_account(&self, account: String) -> Result<String> {
        to_json(&self.engine.links_of_account(&account))
    }

    /// A patient's links (JSON).
    #[napi(catch_unwind)]
    pub fn links_of_patient(&self, patient: String) -> Result<String> {
        to_json(&self.engine.links_of_patient(&patient))
    }

    /// The patients an account acts for.
    #[napi(catch_unwind)]
    pub fn patients_of_account(&self, account: String) -> Vec<String> {
        self.engine.patients_of_account(&account)
    }

    /// The appointments an account may see (JSON).
    #[napi(catch_unwind)]
    pub fn appointments_for_account(&self, account: String) -> Result<String> {
        to_json(&core(self.engine.appointments_for_account(&account))?)
    }

    /// An invitation (JSON, no token digest).
    #[napi(catch_unwind)]
    pub fn invitation(&self, id: String) -> Result<String> {
        public_json(&core(self.engine.invitation(&id))?)
    }

    /// A patient's invitations (JSON, no token digests).
    #[napi(catch_unwind)]
    pub fn invitations_of(&self, patient: String) -> Result<String> {
        public_json(&self.engine.invitations_of(&patient))
    }

    /// Possible duplicates of a patient (JSON).
    #[napi(catch_unwind)]
    pub fn find_duplicates(&self, patient: String) -> Result<String> {
        to_json(&core(self.engine.find_duplicates(&patient))?)
    }

    /// What replaced a merged patient (JSON, `null` when not merged).
    #[napi(catch_unwind)]
    pub fn replaced_by(&self, patient: String) -> Result<String> {
        to_json(&self.engine.replaced_by(&patient))
    }

    /// A program's sessions between two dates (JSON).
    #[napi(catch_unwind)]
    pub fn program_sessions(&self, program: String, from: String, to: String) -> Result<String> {
        let (from, to) = (date("from", &from)?, date("to", &to)?);
        to_json(&core(self.engine.program_sessions(&program, from, to))?)
    }

    /// A program registration (JSON).
    #[napi(catch_unwind)]
    pub fn registration(&self, id: String) -> Result<String> {
        to_json(&core(self.engine.registration(&id))?)
    }

    /// Portal appointments matching a filter (JSON).
    #[napi(catch_unwind)]
    pub fn report_portal_appointments(&self, filter_json: String) -> Result<String> {
        let filter: AppointmentFilter = parse("appointment filter", &filter_json)?;
        to_json(&core(self.engine.report_portal_appointments(&filter))?)
    }

    /// The waitlist entries matching a filter, first come first (JSON).
    #[napi(catch_unwind)]
    pub fn waitlist(&self, filter_json: String) -> Result<String> {
        let filter: clinic_portal::WaitlistFilter = parse("waitlist filter", &filter_json)?;
        to_json(&self.engine.waitlist(&filter))
    }

    /// The waitlist's counts of offers made, accepted, declined and expired (JSON).
    #[napi(catch_unwind)]
    pub fn waitlist_report(&self) -> Result<String> {
        to_json(&self.engine.waitlist_report())
    }

    /// What staff must act on (JSON).
    #[napi(catch_unwind)]
    pub fn pending_queue(&self, now: String) -> Result<String> {
        to_json(&self.engine.pending_queue(instant("now", &now)?))
    }

    /// Patients per referral type (JSON).
    #[napi(catch_unwind)]
    pub fn report_referrals(&self) -> Result<String> {
        to_json(&self.engine.report_referrals())
    }

    /// Every program session between two dates (JSON).
    #[napi(catch_unwind)]
    pub fn report_programs(&self, from: String, to: String) -> Result<String> {
        let (from, to) = (date("from", &from)?, date("to", &to)?);
        to_json(&core(self.engine.report_programs(from, to))?)
    }

    /// The referral types offered at signup (JSON).
    #[napi(catch_unwind)]
    pub fn signup_referral_types(&self) -> Result<String> {
        to_json(&self.engine.signup_referral_types())
    }

    /// Signups not yet reviewed (JSON).
    #[napi(catch_unwind)]
    pub fn review_queue(&self) -> Result<String> {
        to_json(&self.engine.review_queue())
    }
}

/// Builds an engine from configuration JSON.
#[napi(catch_unwind)]
pub fn engine_from_json(config_json: String) -> Result<NativeEngine> {
    Ok(wrap(core(Engine::from_json(&config_json))?))
}

/// Restores an engine from a snapshot.
#[napi(catch_unwind)]
pub fn restore_engine(json: String) -> Result<NativeEngine> {
    Ok(wrap(restore(&json)?))
}

/// `restore_engine` off the main thread.
#[napi(catch_unwind)]
pub fn restore_engine_async(json: String) -> AsyncTask<RestoreTask> {
    AsyncTask::new(RestoreTask { json })
}

/// Every error and warning of configuration JSON (diagnostics as JSON).
#[napi(catch_unwind)]
pub fn validate_json(json: String) -> Result<String> {
    to_json(&core(Engine::validate_json(&json))?)
}

/// Every error code, in numbering order.
#[napi(catch_unwind)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect()
}

/// The version of the engine.
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Panics on purpose, inside the panic guard: lets the test suite check that a panic
/// becomes an `Error` with code `internal` instead of aborting the process.
#[napi(catch_unwind)]
pub fn provoke_panic(message: String) -> Result<()> {
    panic!("{message}")
}

/// Panics on purpose inside a task off the main thread (see [`provoke_panic`]).
#[napi(catch_unwind)]
pub fn provoke_panic_async(message: String) -> AsyncTask<PanicTask> {
    AsyncTask::new(PanicTask { message })
}

/// A task that panics (see [`provoke_panic_async`]).
pub struct PanicTask {
    message: String,
}

#[napi]
impl Task for PanicTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        guarded(|| panic!("{}", self.message))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

impl NativeEngine {
    /// The two explains: `every` selects `Engine::explain_all`.
    fn explain_with(
        &self,
        query_json: &str,
        start: &str,
        now: &str,
        every: bool,
    ) -> Result<String> {
        let query: SlotQuery = parse("slot query", query_json)?;
        let (start, now) = (instant("start", start)?, instant("now", now)?);
        let explanation = if every {
            self.engine.explain_all(&query, start, now)
        } else {
            self.engine.explain(&query, start, now)
        };
        to_json(&core(explanation)?)
    }
}
