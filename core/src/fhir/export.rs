//! Engine state → FHIR resources.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::resources::{
    self, Bundle, CodeableConcept, Coding, ContactPoint, Entry, EntrySearch, HumanName, Identifier,
    Meta, Participant, PatientLink, Reference, RelatedPerson, Schedule,
};
use super::{
    fhir_id, to_json, SYSTEM_ACCOUNT, SYSTEM_APPOINTMENT, SYSTEM_CLINIC, SYSTEM_PATIENT,
    SYSTEM_PRACTITIONER, SYSTEM_RELATIONSHIP, SYSTEM_SCHEDULE, SYSTEM_SERVICE, SYSTEM_SOURCE,
};
use crate::accounts::{AccountLink, Relationship};
use crate::availability::{SlotQuery, Slots};
use crate::engine::{check_instant, State};
use crate::model::{Appointment, AppointmentStatus, Patient, Source};
use crate::{Engine, Error, Result};

/// An instant as FHIR `instant`/`dateTime` text, in UTC (`Z`), fractions only when present.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A reference to one of our entities: literal when the id is a valid FHIR id, and always
/// by identifier.
pub(crate) fn reference(kind: &str, system: &str, id: &str) -> Reference {
    Reference {
        reference: fhir_id(id).map(|i| format!("{kind}/{i}")),
        kind: Some(kind.to_owned()),
        identifier: Some(identifier(system, id)),
        display: None,
    }
}

fn identifier(system: &str, value: &str) -> Identifier {
    Identifier {
        system: system.to_owned(),
        value: value.to_owned(),
    }
}

fn service_type(service: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding {
            system: SYSTEM_SERVICE.into(),
            code: service.to_owned(),
            display: None,
        }],
        text: None,
    }
}

/// The id and identifier of a schedule (a practitioner at a clinic).
fn schedule_reference(practitioner: &str, clinic: &str) -> Reference {
    let key = format!("{practitioner}/{clinic}");
    Reference {
        reference: fhir_id(&format!("{practitioner}.{clinic}")).map(|i| format!("Schedule/{i}")),
        kind: Some("Schedule".into()),
        identifier: Some(identifier(SYSTEM_SCHEDULE, &key)),
        display: None,
    }
}

/// The id of the `RelatedPerson` for a link of `account` to `patient`.
fn related_person_reference(account: &str, patient: &str) -> Reference {
    Reference {
        reference: fhir_id(&format!("{account}.{patient}")).map(|i| format!("RelatedPerson/{i}")),
        kind: Some("RelatedPerson".into()),
        identifier: Some(identifier(SYSTEM_ACCOUNT, account)),
        display: None,
    }
}

fn searchset(resources: Vec<serde_json::Value>) -> Bundle {
    Bundle {
        resource_type: "Bundle".into(),
        kind: "searchset".into(),
        total: Some(resources.len() as u64),
        entry: resources
            .into_iter()
            .map(|resource| Entry {
                resource,
                search: Some(EntrySearch {
                    mode: "match".into(),
                }),
            })
            .collect(),
    }
}

fn value<T: serde::Serialize>(resource: &T) -> Result<serde_json::Value> {
    serde_json::to_value(resource)
        .map_err(|e| Error::new(crate::ErrorCode::Internal, format!("FHIR JSON: {e}")))
}

/// The FHIR `Appointment` of one of ours (see the module documentation for the mapping).
pub(crate) fn appointment(state: &State, a: &Appointment) -> resources::Appointment {
    let (status, practitioner_status) = match a.status {
        AppointmentStatus::Pending => ("pending", "needs-action"),
        AppointmentStatus::Booked => ("booked", "accepted"),
        AppointmentStatus::Declined => ("cancelled", "declined"),
        AppointmentStatus::Cancelled => ("cancelled", "accepted"),
    };
    let mut participant = Vec::new();
    if let Some(p) = &a.patient {
        participant.push(Participant {
            actor: reference("Patient", SYSTEM_PATIENT, p),
            required: Some("required".into()),
            status: "accepted".into(),
        });
        let booked_by = state
            .bookings
            .get(&a.id)
            .and_then(|d| d.booked_by.as_deref());
        if let Some(link) =
            booked_by.and_then(|acct| state.links.get(&(acct.to_owned(), p.clone())))
        {
            if link.relationship != Relationship::Own {
                participant.push(Participant {
                    actor: related_person_reference(&link.account, p),
                    required: Some("information-only".into()),
                    status: "accepted".into(),
                });
            }
        }
    }
    participant.push(Participant {
        actor: reference("Practitioner", SYSTEM_PRACTITIONER, &a.practitioner),
        required: Some("required".into()),
        status: practitioner_status.into(),
    });
    if let Some(c) = &a.clinic {
        participant.push(Participant {
            actor: reference("Location", SYSTEM_CLINIC, c),
            required: Some("information-only".into()),
            status: "accepted".into(),
        });
    }
    let source = match a.source {
        Source::Staff => "staff",
        Source::Portal => "portal",
    };
    resources::Appointment {
        resource_type: "Appointment".into(),
        id: fhir_id(&a.id),
        meta: Some(Meta {
            tag: vec![Coding {
                system: SYSTEM_SOURCE.into(),
                code: source.into(),
                display: None,
            }],
        }),
        identifier: vec![identifier(SYSTEM_APPOINTMENT, &a.id)],
        status: status.into(),
        service_type: a.service.iter().map(|s| service_type(s)).collect(),
        start: instant(a.start),
        end: instant(a.end),
        participant,
    }
}

/// A `proposed` appointment for one candidate of a slot (`$find`).
pub(crate) fn proposal(
    service: &str,
    practitioner: &str,
    clinic: &str,
    patient: Option<&str>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> resources::Appointment {
    let mut participant = Vec::new();
    if let Some(p) = patient {
        participant.push(Participant {
            actor: reference("Patient", SYSTEM_PATIENT, p),
            required: Some("required".into()),
            status: "needs-action".into(),
        });
    }
    participant.push(Participant {
        actor: reference("Practitioner", SYSTEM_PRACTITIONER, practitioner),
        required: Some("required".into()),
        status: "needs-action".into(),
    });
    participant.push(Participant {
        actor: reference("Location", SYSTEM_CLINIC, clinic),
        required: Some("information-only".into()),
        status: "accepted".into(),
    });
    resources::Appointment {
        resource_type: "Appointment".into(),
        id: None,
        meta: None,
        identifier: Vec::new(),
        status: "proposed".into(),
        service_type: vec![service_type(service)],
        start: instant(start),
        end: instant(end),
        participant,
    }
}

fn slot(
    service: Option<&str>,
    practitioner: &str,
    clinic: &str,
    status: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> resources::Slot {
    resources::Slot {
        resource_type: "Slot".into(),
        service_type: service.into_iter().map(service_type).collect(),
        schedule: schedule_reference(practitioner, clinic),
        status: status.into(),
        start: instant(start),
        end: instant(end),
    }
}

fn patient_resource(p: &Patient, active: bool, link: Vec<PatientLink>) -> resources::Patient {
    let name = if p.first_name.is_empty() && p.last_name.is_empty() {
        Vec::new()
    } else {
        vec![HumanName {
            family: (!p.last_name.is_empty()).then(|| p.last_name.clone()),
            given: if p.first_name.is_empty() {
                Vec::new()
            } else {
                vec![p.first_name.clone()]
            },
        }]
    };
    resources::Patient {
        resource_type: "Patient".into(),
        id: fhir_id(&p.id),
        identifier: vec![identifier(SYSTEM_PATIENT, &p.id)],
        active,
        name,
        telecom: p
            .email
            .iter()
            .map(|e| ContactPoint {
                system: "email".into(),
                value: e.clone(),
            })
            .collect(),
        birth_date: p.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        link,
    }
}

fn related_person(link: &AccountLink) -> RelatedPerson {
    let (code, v3) = match link.relationship {
        Relationship::Guardian => ("guardian", Some("GUARD")),
        Relationship::Carer | Relationship::Own => ("carer", None),
    };
    let mut coding = vec![Coding {
        system: SYSTEM_RELATIONSHIP.into(),
        code: code.into(),
        display: None,
    }];
    if let Some(v3) = v3 {
        coding.push(Coding {
            system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode".into(),
            code: v3.into(),
            display: Some("guardian".into()),
        });
    }
    RelatedPerson {
        resource_type: "RelatedPerson".into(),
        id: fhir_id(&format!("{}.{}", link.account, link.patient)),
        identifier: vec![identifier(SYSTEM_ACCOUNT, &link.account)],
        active: link.active,
        patient: reference("Patient", SYSTEM_PATIENT, &link.patient),
        relationship: vec![CodeableConcept {
            coding,
            text: Some(code.into()),
        }],
    }
}

/// Whether `at` falls on a local date in `from..=to` at `clinic` (UTC without one).
fn on_dates(
    state: &State,
    clinic: Option<&str>,
    at: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
) -> bool {
    (from..=to).contains(&crate::ical::local_date(state, clinic, at))
}

impl Engine {
    /// Every practitioner's schedule at every clinic they work at, as a FHIR `searchset`
    /// `Bundle` of `Schedule`s (docs/interchange.md).
    pub fn fhir_schedules(&self) -> Result<String> {
        let state = self.read();
        let practice = &state.practice;
        let mut out = Vec::new();
        for p in &practice.practitioners {
            let mut clinics: Vec<usize> = p
                .records
                .iter()
                .flat_map(|r| r.blocks.iter().chain(r.portal_blocks.iter()))
                .flatten()
                .map(|b| b.clinic)
                .collect();
            clinics.sort_unstable();
            clinics.dedup();
            for ci in clinics {
                let clinic = &practice.clinics[ci].id;
                let sched = schedule_reference(&p.id, clinic);
                out.push(value(&Schedule {
                    resource_type: "Schedule".into(),
                    id: sched
                        .reference
                        .as_deref()
                        .and_then(|r| r.strip_prefix("Schedule/"))
                        .map(str::to_owned),
                    identifier: sched.identifier.into_iter().collect(),
                    active: p.bookable_in_portal && practice.clinics[ci].book_in_portal,
                    actor: vec![
                        reference("Practitioner", SYSTEM_PRACTITIONER, &p.id),
                        reference("Location", SYSTEM_CLINIC, clinic),
                    ],
                })?);
            }
        }
        to_json(&searchset(out))
    }

    /// [`Engine::search`] as a FHIR `searchset` `Bundle` of `Slot`s: a `free` slot for
    /// each offered start and candidate practitioner, then, on the same dates (each clinic's
    /// own) and for the query's practitioner and clinic when it names them, a
    /// `busy-tentative` slot for each live hold and a `busy` slot for each occupying
    /// appointment at a clinic (docs/interchange.md). The query's `actor` is checked as for
    /// a search.
    pub fn fhir_slots(&self, query: &SlotQuery, now: DateTime<Utc>) -> Result<String> {
        let slots = self.search(query, now)?;
        let state = self.read();
        let mut out = free_slots(&slots, &query.service)?;
        let wanted = |practitioner: &str, clinic: &str| {
            query
                .practitioner
                .as_deref()
                .is_none_or(|p| p == practitioner)
                && query.clinic.as_deref().is_none_or(|c| c == clinic)
        };
        for h in state.holds.values() {
            if h.is_live(now)
                && wanted(&h.practitioner, &h.clinic)
                && on_dates(&state, Some(&h.clinic), h.start, query.from, query.to)
            {
                out.push(value(&slot(
                    Some(&h.service),
                    &h.practitioner,
                    &h.clinic,
                    "busy-tentative",
                    h.start,
                    h.end,
                ))?);
            }
        }
        let mut busy: Vec<Appointment> = state
            .appointments
            .views()
            .filter(|a| a.status.occupies())
            .map(|a| a.to_appointment())
            .filter(|a| {
                a.clinic.as_deref().is_some_and(|c| {
                    wanted(&a.practitioner, c)
                        && on_dates(&state, Some(c), a.start, query.from, query.to)
                })
            })
            .collect();
        busy.sort_by(|x, y| (x.start, &x.id).cmp(&(y.start, &y.id)));
        for a in busy {
            let clinic = a.clinic.as_deref().unwrap_or_default();
            out.push(value(&slot(
                a.service.as_deref(),
                &a.practitioner,
                clinic,
                "busy",
                a.start,
                a.end,
            ))?);
        }
        to_json(&searchset(out))
    }

    /// The FHIR `Appointment` of an appointment (docs/interchange.md).
    pub fn fhir_appointment(&self, id: &str) -> Result<String> {
        let state = self.read();
        let a = state
            .appointments
            .get(id)
            .ok_or_else(|| Error::not_found("appointment", id))?;
        to_json(&appointment(&state, &a))
    }

    /// The FHIR `Patient` of a patient, with a `replaces` link to every patient merged
    /// into it; for a merged (removed) patient id, the patient as it was, inactive, with a
    /// `replaced-by` link to the one it was folded into (docs/interchange.md).
    pub fn fhir_patient(&self, id: &str) -> Result<String> {
        let state = self.read();
        if let Some(p) = state.patients.get(id) {
            let links = state
                .merges
                .values()
                .filter(|m| m.replaced_by == id)
                .map(|m| PatientLink {
                    other: reference("Patient", SYSTEM_PATIENT, &m.merged),
                    kind: "replaces".into(),
                })
                .collect();
            return to_json(&patient_resource(p, true, links));
        }
        let record = state
            .merges
            .get(id)
            .ok_or_else(|| Error::not_found("patient", id))?;
        let link = PatientLink {
            other: reference("Patient", SYSTEM_PATIENT, &record.replaced_by),
            kind: "replaced-by".into(),
        };
        to_json(&patient_resource(&record.patient, false, vec![link]))
    }

    /// The guardian and carer accounts linked to a patient (revoked links as inactive), as
    /// a FHIR `searchset` `Bundle` of `RelatedPerson`s (docs/interchange.md).
    pub fn fhir_related_persons(&self, patient: &str) -> Result<String> {
        let state = self.read();
        if !state.patients.contains_key(patient) {
            return Err(Error::not_found("patient", patient));
        }
        let out = state
            .links
            .values()
            .filter(|l| l.patient == patient && l.relationship != Relationship::Own)
            .map(|l| value(&related_person(l)))
            .collect::<Result<Vec<_>>>()?;
        to_json(&searchset(out))
    }

    /// The scheduling `Appointment/$find` operation: its inputs as a FHIR `Parameters`
    /// resource (`start`, `end`, `service-type`, `practitioner`, `location`, `patient`; see
    /// [`super::FindRequest`]), answered with a `searchset` `Bundle` of `proposed`
    /// `Appointment`s, one per offered start and candidate practitioner — exactly what
    /// [`Engine::search`] offers, at most [`super::MAX_FIND_PROPOSALS`]. `actor` is the
    /// portal account asking (it must be linked to `patient`), `None` for the host.
    pub fn fhir_find(
        &self,
        parameters: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        check_instant("now", now)?;
        let find = super::FindRequest::from_json(parameters)?;
        let mut query = find.query();
        query.actor = actor.map(str::to_owned);
        let slots = self.search(&query, now)?;
        let mut out = Vec::new();
        'slots: for s in slots.iter() {
            let (start, end) = (s.start().to_utc(), s.end().to_utc());
            if !find.admits(start) {
                continue;
            }
            for c in s.practitioners() {
                if out.len() >= super::MAX_FIND_PROPOSALS as usize {
                    break 'slots;
                }
                out.push(value(&proposal(
                    &query.service,
                    c.practitioner,
                    s.clinic(),
                    query.patient.as_deref(),
                    start,
                    end,
                ))?);
            }
        }
        to_json(&searchset(out))
    }
}

/// One `free` slot per offered start and candidate.
fn free_slots(slots: &Slots, service: &str) -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for s in slots.iter() {
        for c in s.practitioners() {
            out.push(value(&slot(
                Some(service),
                c.practitioner,
                s.clinic(),
                "free",
                s.start().to_utc(),
                s.end().to_utc(),
            ))?);
        }
    }
    Ok(out)
}
