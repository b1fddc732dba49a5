//! FHIR resources → engine inputs: host appointments from `Appointment`, slot queries from
//! the `$find` `Parameters`. Anything that does not map is `invalid_input` naming the JSON
//! path of the element inside the resource.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::{
    MAX_FHIR_PARTICIPANTS, MAX_FHIR_RESOURCE_BYTES, SYSTEM_APPOINTMENT, SYSTEM_CLINIC,
    SYSTEM_PATIENT, SYSTEM_PRACTITIONER, SYSTEM_SERVICE, SYSTEM_SOURCE,
};
use crate::availability::SlotQuery;
use crate::model::{Appointment, AppointmentStatus, Source};
use crate::{Engine, Error, Result};

/// `invalid_input` at `path` of a `kind` resource.
fn at(kind: &str, path: &str, message: impl std::fmt::Display) -> Error {
    Error::invalid_input(format!("FHIR {kind} `{path}`: {message}"))
}

/// Parses a resource of `kind`: at most [`MAX_FHIR_RESOURCE_BYTES`], a JSON object whose
/// `resourceType` is `kind`.
fn parse(kind: &str, json: &str) -> Result<Map<String, Value>> {
    if json.len() > MAX_FHIR_RESOURCE_BYTES {
        return Err(Error::invalid_input(format!(
            "a FHIR {kind} has at most {MAX_FHIR_RESOURCE_BYTES} bytes of JSON (docs/limits.md)"
        )));
    }
    let value: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid_input(format!("FHIR {kind}: not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(at(kind, "$", "a resource is a JSON object"));
    };
    match map.get("resourceType") {
        Some(Value::String(t)) if t == kind => Ok(map),
        _ => Err(at(kind, "resourceType", format!("must be `{kind}`"))),
    }
}

fn string<'v>(kind: &str, path: &str, v: &'v Value) -> Result<&'v str> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(at(kind, path, "must be a non-empty string")),
    }
}

fn array<'v>(kind: &str, path: &str, v: &'v Value) -> Result<&'v [Value]> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| at(kind, path, "must be an array"))
}

fn object<'v>(kind: &str, path: &str, v: &'v Value) -> Result<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| at(kind, path, "must be an object"))
}

/// Refuses members outside `allowed`.
fn only(kind: &str, path: &str, map: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(at(
            kind,
            &join(path, k),
            "is not an element the engine can import (see docs/interchange.md)",
        )),
        None => Ok(()),
    }
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_owned()
    } else {
        format!("{path}.{member}")
    }
}

/// An RFC 3339 instant with seconds and an offset (FHIR `instant`, or a full `dateTime`).
fn instant(kind: &str, path: &str, v: &Value) -> Result<DateTime<Utc>> {
    let s = string(kind, path, v)?;
    let at_utc = DateTime::parse_from_rfc3339(s)
        .map_err(|_| {
            at(
                kind,
                path,
                "must be an instant with seconds and a UTC offset",
            )
        })?
        .to_utc();
    crate::engine::check_instant(&format!("FHIR {kind} `{path}`"), at_utc)?;
    Ok(at_utc)
}

/// The resource type an actor reference points to: its `type`, the prefix of its
/// `reference`, or the type of its identifier's system.
fn reference_kind(r: &Map<String, Value>) -> Option<&str> {
    if let Some(Value::String(t)) = r.get("type") {
        return Some(t);
    }
    if let Some(Value::String(lit)) = r.get("reference") {
        return lit.split_once('/').map(|(k, _)| k);
    }
    let system = r.get("identifier")?.get("system")?.as_str()?;
    KINDS.iter().find(|(_, s)| *s == system).map(|(k, _)| *k)
}

/// The resource types we reference, with the identifier system of each.
const KINDS: &[(&str, &str)] = &[
    ("Patient", SYSTEM_PATIENT),
    ("Practitioner", SYSTEM_PRACTITIONER),
    ("Location", SYSTEM_CLINIC),
    ("RelatedPerson", super::SYSTEM_ACCOUNT),
];

/// Our id in a reference to a `kind` resource: its identifier (under `system`) or, without
/// one, the id of its literal `kind/id` reference.
fn reference_id(res: &str, path: &str, v: &Value, kind: &str, system: &str) -> Result<String> {
    let r = object(res, path, v)?;
    only(
        res,
        path,
        r,
        &["reference", "type", "identifier", "display"],
    )?;
    if let Some(t) = r.get("type") {
        if string(res, &join(path, "type"), t)? != kind {
            return Err(at(res, &join(path, "type"), format!("must be `{kind}`")));
        }
    }
    let literal = match r.get("reference") {
        Some(lit) => {
            let p = join(path, "reference");
            let lit = string(res, &p, lit)?;
            match lit.split_once('/') {
                Some((k, id)) if k == kind && !id.is_empty() && !id.contains('/') => {
                    Some(id.to_owned())
                }
                _ => return Err(at(res, &p, format!("must be `{kind}/<id>`"))),
            }
        }
        None => None,
    };
    if let Some(ident) = r.get("identifier") {
        let p = join(path, "identifier");
        let ident = object(res, &p, ident)?;
        only(res, &p, ident, &["system", "value"])?;
        let sys = ident
            .get("system")
            .ok_or_else(|| at(res, &join(&p, "system"), format!("must be `{system}`")))?;
        if string(res, &join(&p, "system"), sys)? != system {
            return Err(at(res, &join(&p, "system"), format!("must be `{system}`")));
        }
        let value = ident.get("value").unwrap_or(&Value::Null);
        let value = string(res, &join(&p, "value"), value)?.to_owned();
        if literal.as_ref().is_some_and(|l| *l != value) {
            return Err(at(
                res,
                &join(path, "reference"),
                "names another id than the identifier",
            ));
        }
        return Ok(value);
    }
    literal.ok_or_else(|| at(res, path, "needs a `reference` or an `identifier`"))
}

/// Our code in a coding of `system` (a coding without system is taken as ours).
fn coding_code(res: &str, path: &str, v: &Value, system: &str) -> Result<Option<String>> {
    let c = object(res, path, v)?;
    only(res, path, c, &["system", "code", "display", "version"])?;
    if let Some(s) = c.get("system") {
        if string(res, &join(path, "system"), s)? != system {
            return Ok(None);
        }
    }
    let code = c.get("code").unwrap_or(&Value::Null);
    Ok(Some(string(res, &join(path, "code"), code)?.to_owned()))
}

/// Our service id in a `CodeableConcept` (its coding of [`SYSTEM_SERVICE`]).
fn service_code(res: &str, path: &str, v: &Value) -> Result<String> {
    let cc = object(res, path, v)?;
    only(res, path, cc, &["coding", "text"])?;
    let codings = array(
        res,
        &join(path, "coding"),
        cc.get("coding").unwrap_or(&Value::Null),
    )?;
    for (i, c) in codings.iter().enumerate() {
        if let Some(code) = coding_code(res, &format!("{path}.coding[{i}]"), c, SYSTEM_SERVICE)? {
            return Ok(code);
        }
    }
    Err(at(
        res,
        &join(path, "coding"),
        format!("has no coding of `{SYSTEM_SERVICE}`"),
    ))
}

/// A host appointment from a FHIR `Appointment` (see docs/interchange.md for the mapping).
pub(crate) fn appointment(json: &str) -> Result<Appointment> {
    const RES: &str = "Appointment";
    let map = parse(RES, json)?;
    only(
        RES,
        "",
        &map,
        &[
            "resourceType",
            "id",
            "meta",
            "identifier",
            "status",
            "serviceType",
            "start",
            "end",
            "minutesDuration",
            "participant",
            "text",
            "comment",
            "description",
            "created",
            "cancelationReason",
        ],
    )?;
    let mut id = None;
    if let Some(list) = map.get("identifier") {
        for (i, ident) in array(RES, "identifier", list)?.iter().enumerate() {
            let p = format!("identifier[{i}]");
            let o = object(RES, &p, ident)?;
            if o.get("system").and_then(Value::as_str) == Some(SYSTEM_APPOINTMENT) {
                let v = o.get("value").unwrap_or(&Value::Null);
                id = Some(string(RES, &join(&p, "value"), v)?.to_owned());
            }
        }
    }
    let id = match (id, map.get("id")) {
        (Some(id), _) => id,
        (None, Some(v)) => string(RES, "id", v)?.to_owned(),
        (None, None) => {
            return Err(at(
                RES,
                "identifier",
                format!("needs an identifier of `{SYSTEM_APPOINTMENT}` or an `id`"),
            ))
        }
    };
    let status_text = string(RES, "status", map.get("status").unwrap_or(&Value::Null))?;
    let mut status = match status_text {
        "pending" => AppointmentStatus::Pending,
        "booked" | "arrived" | "checked-in" | "fulfilled" => AppointmentStatus::Booked,
        "cancelled" => AppointmentStatus::Cancelled,
        other => {
            return Err(at(
                RES,
                "status",
                format!("`{other}` does not map to an appointment status"),
            ))
        }
    };
    let start = instant(RES, "start", map.get("start").unwrap_or(&Value::Null))?;
    let end = instant(RES, "end", map.get("end").unwrap_or(&Value::Null))?;
    if let Some(m) = map.get("minutesDuration") {
        if m.as_i64() != Some((end - start).num_minutes()) {
            return Err(at(
                RES,
                "minutesDuration",
                "does not match `start` and `end`",
            ));
        }
    }
    let service = match map.get("serviceType") {
        None => None,
        Some(v) => {
            let list = array(RES, "serviceType", v)?;
            match list {
                [] => None,
                [one] => Some(service_code(RES, "serviceType[0]", one)?),
                _ => return Err(at(RES, "serviceType[1]", "an appointment has one service")),
            }
        }
    };
    let mut source = Source::Staff;
    if let Some(meta) = map.get("meta") {
        let meta = object(RES, "meta", meta)?;
        if let Some(tags) = meta.get("tag") {
            for (i, tag) in array(RES, "meta.tag", tags)?.iter().enumerate() {
                let p = format!("meta.tag[{i}]");
                if let Some(code) = coding_code(RES, &p, tag, SYSTEM_SOURCE)? {
                    if object(RES, &p, tag)?.get("system").is_none() {
                        continue;
                    }
                    source = match code.as_str() {
                        "staff" => Source::Staff,
                        "portal" => Source::Portal,
                        _ => return Err(at(RES, &join(&p, "code"), "must be `staff` or `portal`")),
                    };
                }
            }
        }
    }
    let participants = array(
        RES,
        "participant",
        map.get("participant").unwrap_or(&Value::Null),
    )?;
    if participants.len() > MAX_FHIR_PARTICIPANTS {
        return Err(at(
            RES,
            "participant",
            format!("at most {MAX_FHIR_PARTICIPANTS} participants (docs/limits.md)"),
        ));
    }
    let (mut practitioner, mut patient, mut clinic) = (None, None, None);
    for (i, part) in participants.iter().enumerate() {
        let p = format!("participant[{i}]");
        let o = object(RES, &p, part)?;
        only(
            RES,
            &p,
            o,
            &["actor", "required", "status", "type", "period"],
        )?;
        let actor_path = join(&p, "actor");
        let actor = o
            .get("actor")
            .ok_or_else(|| at(RES, &actor_path, "every participant needs an actor"))?;
        let part_status = string(
            RES,
            &join(&p, "status"),
            o.get("status").unwrap_or(&Value::Null),
        )?;
        let kind = reference_kind(object(RES, &actor_path, actor)?)
            .ok_or_else(|| at(RES, &actor_path, "names no resource type"))?
            .to_owned();
        let (slot, system) = match kind.as_str() {
            "Practitioner" => (&mut practitioner, SYSTEM_PRACTITIONER),
            "Patient" => (&mut patient, SYSTEM_PATIENT),
            "Location" => (&mut clinic, SYSTEM_CLINIC),
            // Who booked for the patient: portal details, not part of a host appointment.
            "RelatedPerson" => continue,
            other => {
                return Err(at(
                    RES,
                    &actor_path,
                    format!("a `{other}` participant does not map to an appointment"),
                ))
            }
        };
        if slot.is_some() {
            return Err(at(
                RES,
                &actor_path,
                format!("a second `{kind}` participant"),
            ));
        }
        *slot = Some(reference_id(RES, &actor_path, actor, &kind, system)?);
        if kind == "Practitioner" && part_status == "declined" {
            if status != AppointmentStatus::Cancelled {
                return Err(at(
                    RES,
                    &join(&p, "status"),
                    "a declined practitioner needs a `cancelled` appointment",
                ));
            }
            status = AppointmentStatus::Declined;
        }
    }
    let practitioner =
        practitioner.ok_or_else(|| at(RES, "participant", "needs a `Practitioner` participant"))?;
    Ok(Appointment {
        id,
        practitioner,
        clinic,
        service,
        patient,
        start,
        end,
        status,
        source,
    })
}

/// The inputs of the scheduling `Appointment/$find` operation, read from a FHIR
/// `Parameters` resource by [`Engine::fhir_find`].
///
/// | parameter | value | maps to |
/// | --- | --- | --- |
/// | `start` (required) | `valueDate`, or `valueDateTime` / `valueInstant` with an offset | first date; an instant also drops earlier starts |
/// | `end` (required) | the same | last date (inclusive); an instant also drops starts at or after it |
/// | `service-type` (required) | `valueCodeableConcept` / `valueCoding` of `urn:clinic-portal:service`, or `valueCode` / `valueString` | [`SlotQuery::service`] |
/// | `practitioner` | `valueReference` to a `Practitioner`, or `valueString` | [`SlotQuery::practitioner`] |
/// | `location` | `valueReference` to a `Location`, or `valueString` | [`SlotQuery::clinic`] |
/// | `patient` | `valueReference` to a `Patient`, or `valueString` | [`SlotQuery::patient`] |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindRequest {
    /// The query (dates widened by a day each side when a bound is an instant).
    query: SlotQuery,
    /// Starts before this are left out.
    start: Option<DateTime<Utc>>,
    /// Starts at or after this are left out.
    end: Option<DateTime<Utc>>,
}

enum Bound {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl FindRequest {
    /// Reads a `Parameters` resource; `invalid_input` names the offending parameter.
    pub fn from_json(json: &str) -> Result<FindRequest> {
        const RES: &str = "Parameters";
        let map = parse(RES, json)?;
        only(RES, "", &map, &["resourceType", "id", "meta", "parameter"])?;
        let params = array(
            RES,
            "parameter",
            map.get("parameter").unwrap_or(&Value::Null),
        )?;
        let (mut start, mut end, mut service) = (None, None, None);
        let (mut practitioner, mut clinic, mut patient) = (None, None, None);
        for (i, param) in params.iter().enumerate() {
            let p = format!("parameter[{i}]");
            let o = object(RES, &p, param)?;
            let name = string(
                RES,
                &join(&p, "name"),
                o.get("name").unwrap_or(&Value::Null),
            )?;
            let values: Vec<(&String, &Value)> =
                o.iter().filter(|(k, _)| k.starts_with("value")).collect();
            only(
                RES,
                &p,
                o,
                &["name", values.first().map_or("value", |(k, _)| k.as_str())],
            )?;
            let Some(&(vkey, v)) = values.first() else {
                return Err(at(RES, &p, "needs a value"));
            };
            let vp = join(&p, vkey);
            let by_ref = |kind: &str, system: &str| -> Result<String> {
                match vkey.as_str() {
                    "valueReference" => reference_id(RES, &vp, v, kind, system),
                    "valueString" => Ok(string(RES, &vp, v)?.to_owned()),
                    _ => Err(at(RES, &vp, "must be a valueReference or a valueString")),
                }
            };
            let slot_taken = |taken: bool| -> Result<()> {
                if taken {
                    Err(at(
                        RES,
                        &join(&p, "name"),
                        format!("`{name}` is given twice"),
                    ))
                } else {
                    Ok(())
                }
            };
            match name {
                "start" | "end" => {
                    let bound = match vkey.as_str() {
                        "valueDate" => Bound::Date(
                            NaiveDate::parse_from_str(string(RES, &vp, v)?, "%Y-%m-%d")
                                .map_err(|_| at(RES, &vp, "must be a date YYYY-MM-DD"))?,
                        ),
                        "valueDateTime" | "valueInstant" => Bound::Instant(instant(RES, &vp, v)?),
                        _ => {
                            return Err(at(
                                RES,
                                &vp,
                                "must be a valueDate, valueDateTime or valueInstant",
                            ))
                        }
                    };
                    let target = if name == "start" {
                        &mut start
                    } else {
                        &mut end
                    };
                    slot_taken(target.is_some())?;
                    *target = Some(bound);
                }
                "service-type" => {
                    slot_taken(service.is_some())?;
                    service = Some(match vkey.as_str() {
                        "valueCodeableConcept" => service_code(RES, &vp, v)?,
                        "valueCoding" => {
                            coding_code(RES, &vp, v, SYSTEM_SERVICE)?.ok_or_else(|| {
                                at(RES, &vp, format!("must be a coding of `{SYSTEM_SERVICE}`"))
                            })?
                        }
                        "valueCode" | "valueString" => string(RES, &vp, v)?.to_owned(),
                        _ => return Err(at(RES, &vp, "must be a code, coding or concept")),
                    });
                }
                "practitioner" => {
                    slot_taken(practitioner.is_some())?;
                    practitioner = Some(by_ref("Practitioner", SYSTEM_PRACTITIONER)?);
                }
                "location" => {
                    slot_taken(clinic.is_some())?;
                    clinic = Some(by_ref("Location", SYSTEM_CLINIC)?);
                }
                "patient" => {
                    slot_taken(patient.is_some())?;
                    patient = Some(by_ref("Patient", SYSTEM_PATIENT)?);
                }
                other => {
                    return Err(at(
                        RES,
                        &join(&p, "name"),
                        format!("`{other}` is not a $find parameter the engine takes"),
                    ))
                }
            }
        }
        let missing = |what: &str| at(RES, "parameter", format!("needs `{what}`"));
        let start = start.ok_or_else(|| missing("start"))?;
        let end = end.ok_or_else(|| missing("end"))?;
        let service = service.ok_or_else(|| missing("service-type"))?;
        // An instant may fall on the day before or after in a clinic's zone.
        let (from, start) = match start {
            Bound::Date(d) => (d, None),
            Bound::Instant(t) => (t.date_naive().pred_opt().unwrap_or(t.date_naive()), Some(t)),
        };
        let (to, end) = match end {
            Bound::Date(d) => (d, None),
            Bound::Instant(t) => (t.date_naive().succ_opt().unwrap_or(t.date_naive()), Some(t)),
        };
        let mut query = SlotQuery::new(service, from, to).limit(super::MAX_FIND_PROPOSALS);
        query.practitioner = practitioner;
        query.clinic = clinic;
        query.patient = patient;
        Ok(FindRequest { query, start, end })
    }

    /// The slot query it asks.
    pub fn query(&self) -> SlotQuery {
        self.query.clone()
    }

    /// Whether a slot starting at `start` is inside the requested instants.
    pub fn admits(&self, start: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| start >= s) && self.end.is_none_or(|e| start < e)
    }
}

impl Engine {
    /// Imports a host appointment from a FHIR `Appointment` resource (JSON): the mapping of
    /// docs/interchange.md read back (`pending`, `booked` — or `arrived`, `checked-in`,
    /// `fulfilled` — and `cancelled`, `declined` when the practitioner participant
    /// declined), then [`Engine::add_appointment`]. Returns the appointment added.
    /// Anything that does not map is `invalid_input` naming its path in the resource; a
    /// failed import changes nothing.
    pub fn import_fhir_appointment(&self, resource: &str) -> Result<Appointment> {
        let a = appointment(resource)?;
        self.add_appointment(a.clone())?;
        Ok(a)
    }
}
