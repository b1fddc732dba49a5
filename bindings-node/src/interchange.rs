//! Health-IT interchange (docs/interchange.md): FHIR R4 and iCalendar exports as the text
//! the core produced, `$find`, and the FHIR appointment import (through `execute` in the
//! wrapper, so that it is journaled like every change).

use clinic_portal::SlotQuery;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::{core, date, instant, parse, NativeEngine};

#[napi]
impl NativeEngine {
    /// Every practitioner's schedule at each clinic: a FHIR `Bundle` of `Schedule`s (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_schedules(&self) -> Result<String> {
        core(self.engine.fhir_schedules())
    }

    /// Free, busy-tentative and busy `Slot`s for a query: a FHIR `Bundle` (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_slots(&self, query_json: String, now: String) -> Result<String> {
        let query: SlotQuery = parse("slot query", &query_json)?;
        core(self.engine.fhir_slots(&query, instant("now", &now)?))
    }

    /// An appointment as a FHIR `Appointment` (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_appointment(&self, id: String) -> Result<String> {
        core(self.engine.fhir_appointment(&id))
    }

    /// A patient as a FHIR `Patient` with its merge links (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_patient(&self, id: String) -> Result<String> {
        core(self.engine.fhir_patient(&id))
    }

    /// A patient's guardians and carers: a FHIR `Bundle` of `RelatedPerson`s (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_related_persons(&self, patient: String) -> Result<String> {
        core(self.engine.fhir_related_persons(&patient))
    }

    /// `$find`: FHIR `Parameters` in, a `Bundle` of proposed `Appointment`s out (JSON).
    #[napi(catch_unwind)]
    pub fn fhir_find(
        &self,
        parameters_json: String,
        actor: Option<String>,
        now: String,
    ) -> Result<String> {
        core(
            self.engine
                .fhir_find(&parameters_json, actor.as_deref(), instant("now", &now)?),
        )
    }

    /// One appointment as iCalendar text.
    #[napi(catch_unwind)]
    pub fn ical_appointment(
        &self,
        id: String,
        actor: Option<String>,
        now: String,
    ) -> Result<String> {
        core(
            self.engine
                .ical_appointment(&id, actor.as_deref(), instant("now", &now)?),
        )
    }

    /// A patient's appointments as iCalendar text.
    #[napi(catch_unwind)]
    pub fn ical_patient(
        &self,
        patient: String,
        actor: Option<String>,
        now: String,
    ) -> Result<String> {
        core(
            self.engine
                .ical_patient(&patient, actor.as_deref(), instant("now", &now)?),
        )
    }

    /// A practitioner's appointments on a local date as iCalendar text.
    #[napi(catch_unwind)]
    pub fn ical_practitioner_day(
        &self,
        practitioner: String,
        day: String,
        now: String,
    ) -> Result<String> {
        core(self.engine.ical_practitioner_day(
            &practitioner,
            date("day", &day)?,
            instant("now", &now)?,
        ))
    }
}

/// The FHIR `OperationOutcome` (JSON) of an error given by its code name and message.
#[napi(catch_unwind)]
pub fn fhir_operation_outcome(code: String, message: String) -> Result<String> {
    core(clinic_portal::fhir::operation_outcome_json(&code, &message))
}
