//! Health-IT interchange reads (docs/interchange.md): FHIR resources come back as JSON
//! values, iCalendar as a string; the FHIR import is an operation (`execute`).

use clinic_portal::{Engine as Core, SlotQuery};
use serde_json::{json, Value};

use crate::{invalid, Args, Res};

/// The FHIR JSON the core made, as a value.
fn fhir(text: String) -> Res<Value> {
    serde_json::from_str(&text).map_err(|e| invalid(format!("FHIR JSON: {e}")))
}

/// The interchange read `name`; `None` when it is not one.
pub(crate) fn read(core: &Core, name: &str, a: &Args) -> Res<Option<Value>> {
    Ok(Some(match name {
        "fhir_schedules" => fhir(core.fhir_schedules()?)?,
        "fhir_slots" => {
            let query: SlotQuery = a.value("query")?;
            fhir(core.fhir_slots(&query, a.now("now")?)?)?
        }
        "fhir_appointment" => fhir(core.fhir_appointment(a.str("id")?)?)?,
        "fhir_patient" => fhir(core.fhir_patient(a.str("id")?)?)?,
        "fhir_related_persons" => fhir(core.fhir_related_persons(a.str("patient")?)?)?,
        "fhir_find" => {
            fhir(core.fhir_find(a.str("parameters")?, a.opt_str("actor")?, a.now("now")?)?)?
        }
        "ical_appointment" => {
            json!(core.ical_appointment(a.str("id")?, a.opt_str("actor")?, a.now("now")?)?)
        }
        "ical_patient" => {
            json!(core.ical_patient(a.str("patient")?, a.opt_str("actor")?, a.now("now")?)?)
        }
        "ical_practitioner_day" => json!(core.ical_practitioner_day(
            a.str("practitioner")?,
            a.date("day")?,
            a.now("now")?
        )?),
        _ => return Ok(None),
    }))
}
