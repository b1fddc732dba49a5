//! The native part of the `clinic_portal` Python package (`clinic_portal._native`).
//!
//! One [`Engine`] class wraps [`clinic_portal::Engine`]. Complex values cross the boundary
//! as JSON in the engine's own serde shapes (see `schema/`): mutating operations as
//! [`Operation`] JSON through [`clinic_portal::Engine::execute`] and
//! [`clinic_portal::Engine::plan_operation`], reads through [`Engine::read`]. Search results
//! are native [`Slot`] objects, built here without JSON (a search yields hundreds).
//!
//! Every call releases the GIL while the engine works (`Python::detach`) and catches
//! panics, which surface as `PortalError` with code `internal`. Errors are raised as the
//! Python classes of `clinic_portal._errors`, one per error code.

mod interchange;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clinic_portal::{
    AppointmentFilter, Change, Engine as Core, Error, ErrorCode, Operation, SlotQuery,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::{json, Value};

type Res<T> = Result<T, Error>;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidInput, message)
}

/// Runs `f`, turning a panic into an `internal` error (never a `PanicException`).
fn guard<T>(f: impl FnOnce() -> Res<T>) -> Res<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::new(
                ErrorCode::Internal,
                format!("clinic-portal panicked (please report it): {what}"),
            ))
        }
    }
}

/// The Python exception for an engine error: `clinic_portal._errors._from_native` picks
/// the subclass of `PortalError` for the code.
fn raise(py: Python<'_>, e: &Error) -> PyErr {
    let diagnostics = serde_json::to_string(e.diagnostics()).unwrap_or_else(|_| "[]".into());
    let made = py.import("clinic_portal._errors").and_then(|m| {
        m.getattr("_from_native")?
            .call1((e.code().as_str(), e.message(), diagnostics))
    });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// Runs `f` without the GIL, panics caught, errors raised as `PortalError`s.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> Res<T> + Send) -> PyResult<T> {
    py.detach(|| guard(f)).map_err(|e| raise(py, &e))
}

fn to_json<T: Serialize>(value: &T) -> Res<Value> {
    serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("does not serialise: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Res<T> {
    serde_json::from_str(json).map_err(|e| invalid(format!("{what} does not parse: {e}")))
}

/// An instant from microseconds since the Unix epoch.
fn instant(micros: i64) -> Res<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| invalid(format!("instant {micros} µs is out of range")))
}

/// Removes stored secrets (`password_hash`, `token_digest`) at any depth: a read's
/// outcome shows only public fields (like the outcomes of `Engine::execute`).
fn public(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("password_hash");
                m.remove("token_digest");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// The arguments of a read, as a JSON object.
struct Args(serde_json::Map<String, Value>);

impl Args {
    fn str(&self, key: &str) -> Res<&str> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("argument `{key}` must be a string")))
    }

    fn opt_str(&self, key: &str) -> Res<Option<&str>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.str(key).map(Some),
        }
    }

    fn u64(&self, key: &str) -> Res<u64> {
        self.0
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(format!("argument `{key}` must be a non-negative integer")))
    }

    fn now(&self, key: &str) -> Res<DateTime<Utc>> {
        let micros = self
            .0
            .get(key)
            .and_then(Value::as_i64)
            .ok_or_else(|| invalid(format!("argument `{key}` must be an instant")))?;
        instant(micros)
    }

    fn date(&self, key: &str) -> Res<NaiveDate> {
        let text = self.str(key)?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| invalid(format!("argument `{key}` is not a date: {e}")))
    }

    fn value<T: serde::de::DeserializeOwned>(&self, key: &str) -> Res<T> {
        let v = self.0.get(key).cloned().unwrap_or(Value::Null);
        serde_json::from_value(v).map_err(|e| invalid(format!("argument `{key}`: {e}")))
    }
}

/// A drained or listed notification, with its link token when it carries one (the host
/// delivers it; it is never stored).
fn notifications(list: &[clinic_portal::Notification]) -> Res<Value> {
    let mut out = Vec::with_capacity(list.len());
    for n in list {
        let mut v = to_json(n)?;
        if let (Some(token), Value::Object(m)) = (&n.token, &mut v) {
            m.insert("token".into(), Value::String(token.expose().to_owned()));
        }
        out.push(v);
    }
    Ok(Value::Array(out))
}

/// The read-only (and bookkeeping) calls of the engine, by name; arguments and outcome as
/// JSON.
fn read(core: &Core, name: &str, a: &Args) -> Res<Value> {
    let v = match name {
        "account" => to_json(&core.account(a.str("id")?)?)?,
        "account_by_username" => to_json(&core.account_by_username(a.str("username")?)?)?,
        "accounts" => to_json(&core.accounts())?,
        "appointment" => to_json(&core.appointment(a.str("id")?)?)?,
        "appointment_count" => json!(core.appointment_count()),
        "appointments_for_account" => to_json(&core.appointments_for_account(a.str("account")?)?)?,
        "booking_details" => to_json(&core.booking_details(a.str("appointment")?))?,
        "book_button_html" => json!(core.book_button_html(a.opt_str("booking_url")?)?),
        // Storage data: changes keep their password hashes and token digests (replay
        // needs them), like a snapshot.
        "changes_since" => return to_json(&core.changes_since(a.u64("seq")?)?),
        "compact_journal" => json!(core.compact_journal(a.u64("seq")?)),
        "config" => to_json(&core.config())?,
        "explain" => {
            let query: SlotQuery = a.value("query")?;
            to_json(&core.explain(&query, a.now("start")?, a.now("now")?)?)?
        }
        "explain_all" => {
            let query: SlotQuery = a.value("query")?;
            to_json(&core.explain_all(&query, a.now("start")?, a.now("now")?)?)?
        }
        "find_duplicates" => to_json(&core.find_duplicates(a.str("patient")?)?)?,
        "get_hold" => to_json(&core.get_hold(a.str("id")?)?)?,
        "invitation" => to_json(&core.invitation(a.str("id")?)?)?,
        "invitations_of" => to_json(&core.invitations_of(a.str("patient")?))?,
        "last_seq" => json!(core.last_seq()),
        "links_of_account" => to_json(&core.links_of_account(a.str("account")?))?,
        "links_of_patient" => to_json(&core.links_of_patient(a.str("patient")?))?,
        "outbox" => notifications(&core.outbox())?,
        "patient" => to_json(&core.patient(a.str("id")?)?)?,
        "patients_of_account" => to_json(&core.patients_of_account(a.str("account")?))?,
        "pending_queue" => to_json(&core.pending_queue(a.now("now")?))?,
        "program_sessions" => {
            to_json(&core.program_sessions(a.str("program")?, a.date("from")?, a.date("to")?)?)?
        }
        "registration" => to_json(&core.registration(a.str("id")?)?)?,
        "replaced_by" => to_json(&core.replaced_by(a.str("patient")?))?,
        "report_portal_appointments" => {
            let filter: AppointmentFilter = a.value("filter")?;
            to_json(&core.report_portal_appointments(&filter)?)?
        }
        "report_programs" => to_json(&core.report_programs(a.date("from")?, a.date("to")?)?)?,
        "report_referrals" => to_json(&core.report_referrals())?,
        "review_queue" => to_json(&core.review_queue())?,
        "service_report" => to_json(&core.service_report(a.str("service")?)?)?,
        "signup_referral_types" => to_json(&core.signup_referral_types())?,
        "waitlist" => {
            let filter: clinic_portal::WaitlistFilter = a.value("filter")?;
            to_json(&core.waitlist(&filter))?
        }
        "waitlist_report" => to_json(&core.waitlist_report())?,
        "warnings" => to_json(&core.warnings())?,
        _ => match interchange::read(core, name, a)? {
            Some(v) => v,
            None => return Err(invalid(format!("`{name}` is not a read of the engine"))),
        },
    };
    Ok(public(v))
}

/// The booking engine of one practice (`clinic_portal.Engine` wraps it).
#[pyclass(frozen, module = "clinic_portal._native")]
struct Engine {
    core: Core,
}

#[pymethods]
impl Engine {
    /// Builds an engine from configuration JSON.
    #[staticmethod]
    fn from_json(py: Python<'_>, config: &str) -> PyResult<Engine> {
        let core = run(py, || Core::from_json(config))?;
        Ok(Engine { core })
    }

    /// Rebuilds an engine from a snapshot.
    #[staticmethod]
    fn restore(py: Python<'_>, snapshot: &str) -> PyResult<Engine> {
        let core = run(py, || Core::restore(snapshot))?;
        Ok(Engine { core })
    }

    /// The diagnostics of configuration JSON, as a JSON array.
    #[staticmethod]
    fn validate_json(py: Python<'_>, config: &str) -> PyResult<String> {
        run(py, || {
            Ok(to_json(&Core::validate_json(config)?)?.to_string())
        })
    }

    /// Runs one operation (`Operation` JSON) at `now` (µs since the epoch); the outcome
    /// as JSON.
    fn execute(&self, py: Python<'_>, operation: &str, now: i64) -> PyResult<String> {
        run(py, || {
            let op = Operation::from_json(operation)?;
            Ok(self.core.execute(&op, instant(now)?)?.to_string())
        })
    }

    /// Plans one operation without applying it: `{"change": Change | null, "outcome": …}`.
    fn plan_operation(&self, py: Python<'_>, operation: &str, now: i64) -> PyResult<String> {
        run(py, || {
            let op = Operation::from_json(operation)?;
            let planned = self.core.plan_operation(&op, instant(now)?)?;
            Ok(
                json!({"change": to_json(&planned.change)?, "outcome": planned.outcome})
                    .to_string(),
            )
        })
    }

    /// Applies a planned or stored change (JSON); returns its sequence number.
    fn apply(&self, py: Python<'_>, change: &str) -> PyResult<u64> {
        run(py, || self.core.apply(&parse::<Change>("change", change)?))
    }

    /// The whole state as JSON.
    fn snapshot(&self, py: Python<'_>) -> PyResult<String> {
        run(py, || Ok(self.core.snapshot()))
    }

    /// A read of the engine by name (see `read`); arguments and outcome as JSON.
    fn read(&self, py: Python<'_>, name: &str, args: &str) -> PyResult<String> {
        run(py, || {
            let args = Args(parse("arguments", args)?);
            Ok(read(&self.core, name, &args)?.to_string())
        })
    }

    /// Searches (`SlotQuery` JSON, `now` in µs); `zones` maps clinic id to its
    /// `ZoneInfo`. Returns `(slots, truncated, next_after in µs or None)`.
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &str,
        now: i64,
        zones: &Bound<'py, PyDict>,
    ) -> PyResult<(Bound<'py, PyTuple>, bool, Option<i64>)> {
        let slots = run(py, || {
            let query: SlotQuery = parse("query", query)?;
            self.core.search(&query, instant(now)?)
        })?;
        // Ids are interned once per search: a slot holds indices into this table.
        let mut clinics: Vec<Named> = Vec::new();
        let mut practitioners: Vec<Named> = Vec::new();
        let mut by_pointer: HashMap<usize, u32, BuildHasherDefault<PointerHasher>> =
            HashMap::default();
        let mut rows = Vec::with_capacity(slots.len());
        for s in slots.iter() {
            let clinic = s.clinic();
            let at = match clinics.iter().position(|c| c.id == clinic) {
                Some(at) => at,
                None => {
                    clinics.push(Named::new(py, clinic));
                    clinics.len() - 1
                }
            };
            let mut candidates = Vec::with_capacity(1);
            for c in s.practitioners() {
                // Candidate ids point into the engine's one id table: the pointer is a key.
                let key = c.practitioner.as_ptr() as usize;
                let ix = match by_pointer.get(&key) {
                    Some(&ix) => ix,
                    None => {
                        practitioners.push(Named::new(py, c.practitioner));
                        let ix = (practitioners.len() - 1) as u32;
                        by_pointer.insert(key, ix);
                        ix
                    }
                };
                candidates.push((ix, c.remaining_capacity));
            }
            rows.push((
                s.start_unix(),
                s.end_unix(),
                s.utc_offset_seconds(),
                s.remaining_capacity(),
                at as u32,
                candidates.into_boxed_slice(),
            ));
        }
        let mut zone_of = Vec::with_capacity(clinics.len());
        for c in &clinics {
            zone_of.push(match zones.get_item(&c.id)? {
                Some(zone) => zone.unbind(),
                None => py.None(),
            });
        }
        let table = Arc::new(Table {
            clinics,
            zones: zone_of,
            practitioners,
            fromtimestamp: py
                .import("datetime")?
                .getattr("datetime")?
                .getattr("fromtimestamp")?
                .unbind(),
        });
        let mut out = Vec::with_capacity(rows.len());
        for (start_unix, end_unix, offset, remaining, clinic, candidates) in rows {
            out.push(Slot {
                start_unix,
                end_unix,
                utc_offset_seconds: offset,
                remaining_capacity: remaining,
                clinic,
                candidates,
                table: table.clone(),
            });
        }
        let next = slots.next_after().map(|t| t.timestamp_micros());
        Ok((PyTuple::new(py, out)?, slots.truncated(), next))
    }
}

/// Hashes a pointer (already unique): the id table lookup of a search stays cheap when
/// every slot lists dozens of candidates.
#[derive(Default)]
struct PointerHasher(u64);

impl Hasher for PointerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b) ^ (self.0 >> 56);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// An id as Rust and as Python text.
struct Named {
    id: String,
    py: Py<PyString>,
}

impl Named {
    fn new(py: Python<'_>, id: &str) -> Named {
        Named {
            id: id.to_owned(),
            py: PyString::new(py, id).unbind(),
        }
    }
}

/// What the slots of one search share: their clinics (with each clinic's `ZoneInfo`, or
/// `None`), their practitioners, and `datetime.fromtimestamp`.
struct Table {
    clinics: Vec<Named>,
    zones: Vec<Py<PyAny>>,
    practitioners: Vec<Named>,
    fromtimestamp: Py<PyAny>,
}

/// One bookable start (frozen, built natively: a search returns hundreds).
#[pyclass(frozen, module = "clinic_portal._native")]
struct Slot {
    start_unix: i64,
    end_unix: i64,
    utc_offset_seconds: i32,
    remaining_capacity: u32,
    /// Index into `table.clinics`.
    clinic: u32,
    /// (index into `table.practitioners`, places left), in order.
    candidates: Box<[(u32, u32)]>,
    table: Arc<Table>,
}

/// RFC 3339 with the slot's offset, as the engine writes it.
fn rfc3339(unix: i64, offset: i32) -> String {
    let at = DateTime::from_timestamp(unix, 0).unwrap_or_default();
    match chrono::FixedOffset::east_opt(offset) {
        Some(o) => at.with_timezone(&o).to_rfc3339(),
        None => at.to_rfc3339(),
    }
}

impl Slot {
    fn clinic_named(&self) -> &Named {
        &self.table.clinics[self.clinic as usize]
    }

    fn practitioner(&self, ix: u32) -> &Named {
        &self.table.practitioners[ix as usize]
    }

    /// The datetime of `unix` seconds in the clinic's zone (`datetime.fromtimestamp`, so
    /// the fold of a repeated wall time is right); a fixed `offset` when the zone is
    /// unknown to Python.
    fn local<'py>(&self, py: Python<'py>, unix: i64, offset: i32) -> PyResult<Bound<'py, PyAny>> {
        let zone = self.table.zones[self.clinic as usize].bind(py);
        let tz = if zone.is_none() {
            let dt = py.import("datetime")?;
            let delta = dt.getattr("timedelta")?.call1((0, offset))?;
            dt.getattr("timezone")?.call1((delta,))?
        } else {
            zone.clone()
        };
        self.table.fromtimestamp.bind(py).call1((unix, tz))
    }
}

#[pymethods]
impl Slot {
    /// The start, in the clinic's zone (`zoneinfo.ZoneInfo`).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.local(py, self.start_unix, self.utc_offset_seconds)
    }

    /// The end, in the clinic's zone.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // The zone gives the end its own offset (a slot may end after a DST switch).
        self.local(py, self.end_unix, self.utc_offset_seconds)
    }

    /// The start, seconds since the Unix epoch.
    #[getter]
    fn start_unix(&self) -> i64 {
        self.start_unix
    }

    /// The end, seconds since the Unix epoch.
    #[getter]
    fn end_unix(&self) -> i64 {
        self.end_unix
    }

    /// The clinic's UTC offset at the start, in seconds.
    #[getter]
    fn utc_offset_seconds(&self) -> i32 {
        self.utc_offset_seconds
    }

    /// The clinic id.
    #[getter]
    fn clinic(&self, py: Python<'_>) -> Py<PyString> {
        self.clinic_named().py.clone_ref(py)
    }

    /// Places left at this start, summed over the candidates.
    #[getter]
    fn remaining_capacity(&self) -> u32 {
        self.remaining_capacity
    }

    /// The candidate practitioners' ids, in order.
    #[getter]
    fn practitioner_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.candidates
                .iter()
                .map(|&(p, _)| self.practitioner(p).py.clone_ref(py)),
        )
    }

    /// The candidates as `(practitioner id, remaining capacity)` pairs, in order.
    #[getter]
    fn practitioners<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.candidates
                .iter()
                .map(|&(p, n)| (self.practitioner(p).py.clone_ref(py), n)),
        )
    }

    /// The start as RFC 3339 with the clinic's offset (the engine's own form).
    #[getter]
    fn start_rfc3339(&self) -> String {
        rfc3339(self.start_unix, self.utc_offset_seconds)
    }

    /// The slot in the engine's JSON shape (`schema/slots.json`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("clinic", self.clinic_named().py.bind(py))?;
        d.set_item("start", self.start_rfc3339())?;
        d.set_item("end", self.end(py)?.call_method0("isoformat")?)?;
        d.set_item("start_unix", self.start_unix)?;
        d.set_item("end_unix", self.end_unix)?;
        let list = PyList::empty(py);
        for &(p, n) in self.candidates.iter() {
            let item = PyDict::new(py);
            item.set_item("practitioner", self.practitioner(p).py.bind(py))?;
            item.set_item("remaining_capacity", n)?;
            list.append(item)?;
        }
        d.set_item("practitioners", list)?;
        d.set_item("remaining_capacity", self.remaining_capacity)?;
        Ok(d)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        let Ok(other) = other.cast::<Slot>() else {
            return false;
        };
        let other = other.get();
        self.start_unix == other.start_unix
            && self.end_unix == other.end_unix
            && self.utc_offset_seconds == other.utc_offset_seconds
            && self.remaining_capacity == other.remaining_capacity
            && self.clinic_named().id == other.clinic_named().id
            && self.candidates.len() == other.candidates.len()
            && self
                .candidates
                .iter()
                .zip(other.candidates.iter())
                .all(|(&(a, n), &(b, m))| {
                    n == m && self.practitioner(a).id == other.practitioner(b).id
                })
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.start_unix, self.end_unix, &self.clinic_named().id).hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        let ids: Vec<&str> = self
            .candidates
            .iter()
            .map(|&(p, _)| self.practitioner(p).id.as_str())
            .collect();
        format!(
            "Slot(start={}, clinic={:?}, practitioners={:?}, remaining_capacity={})",
            self.start_rfc3339(),
            self.clinic_named().id,
            ids,
            self.remaining_capacity
        )
    }
}

/// Raises a panic inside the engine guard: lets the test suite check that a panic
/// surfaces as `PortalError` with code `internal`.
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    run(py, || -> Res<()> {
        panic!("deliberate panic for the test suite")
    })
}

/// The stable error codes, in numbering order.
#[pyfunction]
fn error_codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Slot>()?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    Ok(())
}
