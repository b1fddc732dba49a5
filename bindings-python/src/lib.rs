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
        "warnings" => to_json(&core.warnings())?,
        _ => return Err(invalid(format!("`{name}` is not a read of the engine"))),
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
        let mut clinics: Vec<(Arc<str>, Py<PyString>, Py<PyAny>)> = Vec::new();
        let mut practitioners: Vec<(Arc<str>, Py<PyString>)> = Vec::new();
        let mut out = Vec::with_capacity(slots.len());
        for s in slots.iter() {
            let clinic = s.clinic();
            let at = match clinics.iter().position(|(id, _, _)| &**id == clinic) {
                Some(at) => at,
                None => {
                    let zone = match zones.get_item(clinic)? {
                        Some(zone) => zone.unbind(),
                        None => py.None(),
                    };
                    clinics.push((Arc::from(clinic), PyString::new(py, clinic).unbind(), zone));
                    clinics.len() - 1
                }
            };
            let mut candidates = Vec::new();
            for c in s.practitioners() {
                let id = c.practitioner;
                let (key, name) = match practitioners.iter().find(|(p, _)| &**p == id) {
                    Some((key, name)) => (key.clone(), name.clone_ref(py)),
                    None => {
                        let key: Arc<str> = Arc::from(id);
                        let name = PyString::new(py, id).unbind();
                        practitioners.push((key.clone(), name.clone_ref(py)));
                        (key, name)
                    }
                };
                candidates.push(Candidate {
                    key,
                    name,
                    remaining: c.remaining_capacity,
                });
            }
            let (clinic_key, clinic_name, zone) = &clinics[at];
            out.push(Slot {
                start_unix: s.start_unix(),
                end_unix: s.end_unix(),
                utc_offset_seconds: s.utc_offset_seconds(),
                end_offset_seconds: s.end().offset().local_minus_utc(),
                remaining_capacity: s.remaining_capacity(),
                clinic: clinic_name.clone_ref(py),
                clinic_key: clinic_key.clone(),
                zone: zone.clone_ref(py),
                candidates: Arc::new(candidates),
            });
        }
        let next = slots.next_after().map(|t| t.timestamp_micros());
        Ok((PyTuple::new(py, out)?, slots.truncated(), next))
    }
}

/// One bookable start (frozen, built natively: a search returns hundreds).
#[pyclass(frozen, module = "clinic_portal._native")]
struct Slot {
    start_unix: i64,
    end_unix: i64,
    utc_offset_seconds: i32,
    end_offset_seconds: i32,
    remaining_capacity: u32,
    clinic: Py<PyString>,
    clinic_key: Arc<str>,
    zone: Py<PyAny>,
    candidates: Arc<Vec<Candidate>>,
}

/// A candidate practitioner of a slot: its id (Rust and Python) and places left.
struct Candidate {
    key: Arc<str>,
    name: Py<PyString>,
    remaining: u32,
}

/// The datetime of `unix` seconds in `zone` (`datetime.fromtimestamp`, so the fold of a
/// repeated wall time is right).
fn local<'py>(py: Python<'py>, unix: i64, zone: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    py.import("datetime")?
        .getattr("datetime")?
        .call_method1("fromtimestamp", (unix, zone.bind(py)))
}

/// RFC 3339 with the slot's offset, as the engine writes it.
fn rfc3339(unix: i64, offset: i32) -> String {
    let at = DateTime::from_timestamp(unix, 0).unwrap_or_default();
    match chrono::FixedOffset::east_opt(offset) {
        Some(o) => at.with_timezone(&o).to_rfc3339(),
        None => at.to_rfc3339(),
    }
}

#[pymethods]
impl Slot {
    /// The start, in the clinic's zone (`zoneinfo.ZoneInfo`).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        local(py, self.start_unix, &self.zone)
    }

    /// The end, in the clinic's zone.
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        local(py, self.end_unix, &self.zone)
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
        self.clinic.clone_ref(py)
    }

    /// Places left at this start, summed over the candidates.
    #[getter]
    fn remaining_capacity(&self) -> u32 {
        self.remaining_capacity
    }

    /// The candidate practitioners' ids, in order.
    #[getter]
    fn practitioner_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.candidates.iter().map(|c| c.name.clone_ref(py)))
    }

    /// The candidates as `(practitioner id, remaining capacity)` pairs, in order.
    #[getter]
    fn practitioners<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.candidates
                .iter()
                .map(|c| (c.name.clone_ref(py), c.remaining)),
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
        d.set_item("clinic", self.clinic.bind(py))?;
        d.set_item("start", self.start_rfc3339())?;
        d.set_item("end", rfc3339(self.end_unix, self.end_offset_seconds))?;
        d.set_item("start_unix", self.start_unix)?;
        d.set_item("end_unix", self.end_unix)?;
        let list = PyList::empty(py);
        for c in self.candidates.iter() {
            let item = PyDict::new(py);
            item.set_item("practitioner", c.name.bind(py))?;
            item.set_item("remaining_capacity", c.remaining)?;
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
            && self.clinic_key == other.clinic_key
            && self.candidates.len() == other.candidates.len()
            && self
                .candidates
                .iter()
                .zip(other.candidates.iter())
                .all(|(a, b)| a.key == b.key && a.remaining == b.remaining)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.start_unix, self.end_unix, &*self.clinic_key).hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        let ids: Vec<&str> = self.candidates.iter().map(|c| &*c.key).collect();
        format!(
            "Slot(start={}, clinic={:?}, practitioners={:?}, remaining_capacity={})",
            self.start_rfc3339(),
            &*self.clinic_key,
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
