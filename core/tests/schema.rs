//! The JSON Schemas under `schema/` are generated from the Rust types and must be fresh:
//! `UPDATE_SCHEMA=1 cargo test -p clinic-portal --test schema` rewrites them.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone, Utc};
use clinic_portal::schema::{schema_json, SCHEMAS};
use clinic_portal::{Engine, SlotQuery};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema")
}

#[test]
fn committed_schemas_are_fresh() {
    let update = std::env::var_os("UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, _) in SCHEMAS {
        let fresh = schema_json(name).expect("every listed schema generates");
        let path = dir().join(format!("{name}.json"));
        if update {
            fs::create_dir_all(dir()).unwrap();
            fs::write(&path, &fresh).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(*name);
        }
    }
    // No file under schema/ that the list does not generate.
    let listed: BTreeSet<String> = SCHEMAS.iter().map(|(n, _)| format!("{n}.json")).collect();
    let extra: Vec<String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".json") && !listed.contains(f))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "schema/ is stale ({stale:?}) or has files no type generates ({extra:?}): run \
         UPDATE_SCHEMA=1 cargo test -p clinic-portal --test schema"
    );
}

#[test]
fn every_schema_is_a_draft_2020_12_document_with_a_title() {
    for (name, make) in SCHEMAS {
        let s = make();
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(s["title"].is_string(), "{name} has no title");
    }
}

#[test]
fn the_configuration_schema_shows_every_default() {
    let config = schema_json("config").unwrap();
    let v: Value = serde_json::from_str(&config).unwrap();
    let scheduling = &v["$defs"]["SchedulingSettings"]["properties"];
    assert_eq!(scheduling["hold_minutes"]["default"], 10);
    assert_eq!(scheduling["max_days_ahead"]["default"], 90);
    assert_eq!(scheduling["start_interval_minutes"]["default"], Value::Null);
    // Required fields are the ones without a default.
    let clinic_required = &v["$defs"]["Clinic"]["required"];
    assert!(clinic_required
        .as_array()
        .unwrap()
        .contains(&Value::from("id")));
}

#[test]
fn the_slot_schema_names_exactly_the_fields_a_slot_serialises() {
    let engine = Engine::from_json(
        r#"{"clinics": [{"id": "c", "time_zone": "America/Toronto"}],
            "schedule_types": [{"id": "t", "name": "T"}],
            "practitioners": [{"id": "p", "schedule_types": ["t"], "availability": [
              {"start_date": "2027-01-04", "blocks": [
                {"weekday": "tue", "start": "09:00", "end": "10:00", "schedule_type": "t"}]}]}],
            "services": [{"id": "s", "duration_minutes": 30, "schedule_types": ["t"]}]}"#,
    )
    .unwrap();
    let day = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
    let slots = engine.search(&SlotQuery::new("s", day, day), now).unwrap();
    let json: Value = serde_json::to_value(&slots).unwrap();
    let keys = |o: &Value| -> BTreeSet<String> { o.as_object().unwrap().keys().cloned().collect() };
    let schema: Value = serde_json::from_str(&schema_json("slots").unwrap()).unwrap();
    let slot_def = &schema["$defs"]["SlotJson"]["properties"];
    let candidate_def = &schema["$defs"]["SlotCandidateJson"]["properties"];
    assert_eq!(keys(&json[0]), keys(slot_def));
    assert_eq!(keys(&json[0]["practitioners"][0]), keys(candidate_def));
    let page: Value = serde_json::from_str(&slots.to_page_json()).unwrap();
    let page_schema: Value = serde_json::from_str(&schema_json("slot-page").unwrap()).unwrap();
    assert_eq!(keys(&page), keys(&page_schema["properties"]));
}

#[test]
fn every_configuration_default_is_stated_in_its_documentation() {
    // Defaults that are values (not absent, off, empty or a whole section) are written in
    // the field's rustdoc, which the schema's description repeats.
    let v: Value = serde_json::from_str(&schema_json("config").unwrap()).unwrap();
    let mut unstated = Vec::new();
    for (name, def) in v["$defs"].as_object().unwrap() {
        for (field, prop) in def["properties"].as_object().into_iter().flatten() {
            let Some(default) = prop.get("default") else {
                continue;
            };
            let trivial = default.is_null()
                || default == &Value::Bool(false)
                || default.is_object()
                || default.as_array().is_some_and(Vec::is_empty)
                || default.as_str().is_some_and(str::is_empty)
                || default.as_u64() == Some(0);
            let desc = prop["description"].as_str().unwrap_or("");
            if !trivial && !desc.contains("Default") && !desc.contains("default") {
                unstated.push(format!("{name}.{field} = {default}"));
            }
        }
    }
    assert!(
        unstated.is_empty(),
        "defaults missing from rustdoc: {unstated:?}"
    );
}
