//! Health-IT interchange (docs/interchange.md): FHIR R4 resources, `$find`, FHIR imports
//! (round-trips, and failing imports change nothing) and iCalendar exports.

mod common;

use chrono::Duration;
use clinic_portal::{
    fhir, AppointmentStatus, BookRequest, CancelRequest, DecisionRequest, Engine, ErrorCode,
    HoldRequest, NewAccount, Password, Patient, Relationship, RescheduleRequest, Source,
};
use common::*;
use serde_json::{json, Value};

fn config() -> Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-a", weekday_blocks("09:00", "12:00")),
        practitioner("dr_b", weekday_blocks("09:00", "12:00")),
    ]);
    cfg["practitioners"][0]["name"] = json!("Dr A");
    cfg["services"][0]["name"] = json!("Physio");
    cfg["portal"] = json!({"calendar_domain": "clinic.example"});
    cfg
}

/// The practice with patients `ana`, `kid` and `dup`.
fn practice() -> Engine {
    let e = engine(&config());
    for p in [
        Patient::new("ana").name("Ana", "Lima").email("ana@x.test"),
        Patient::new("kid").name("Kid", "Lima"),
        Patient::new("dup").name("Ana", "Lima").email("ana@x.test"),
    ] {
        e.upsert_patient(p).unwrap();
    }
    e
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("FHIR JSON")
}

fn participant<'a>(resource: &'a Value, kind: &str) -> Option<&'a Value> {
    resource["participant"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["actor"]["type"] == kind)
}

#[test]
fn statuses_map_to_fhir_and_back() {
    let e = practice();
    let now = early();
    let book = |start| {
        e.book(
            &BookRequest::new("ana", "physio-30", start).practitioner("dr-a"),
            now,
        )
        .unwrap()
        .appointment
        .id
    };
    let pending = book(mon_at(9, 0));
    let booked = book(mon_at(10, 0));
    let declined = book(mon_at(11, 0));
    let cancelled = book(mon_at(11, 30));
    e.accept(&DecisionRequest::new(&booked, None), now).unwrap();
    e.decline(&DecisionRequest::new(&declined, Some("away")), now)
        .unwrap();
    e.cancel(&CancelRequest::by_staff(&cancelled, "ill"), now)
        .unwrap();
    for (id, status, practitioner) in [
        (&pending, "pending", "needs-action"),
        (&booked, "booked", "accepted"),
        (&declined, "cancelled", "declined"),
        (&cancelled, "cancelled", "accepted"),
    ] {
        let r = parse(&e.fhir_appointment(id).unwrap());
        assert_eq!(r["resourceType"], "Appointment");
        assert_eq!(r["status"], status, "{id}");
        assert_eq!(
            participant(&r, "Practitioner").unwrap()["status"],
            practitioner
        );
        assert_eq!(
            participant(&r, "Patient").unwrap()["actor"]["reference"],
            "Patient/ana"
        );
        assert_eq!(r["meta"]["tag"][0]["code"], "portal");
        assert!(r["start"].as_str().unwrap().ends_with('Z'));
        assert_eq!(r["identifier"][0]["value"], id.as_str());
    }
    // Export → import into a fresh engine gives the same appointments.
    let other = practice();
    for id in [&pending, &booked, &declined, &cancelled] {
        let imported = other
            .import_fhir_appointment(&e.fhir_appointment(id).unwrap())
            .unwrap();
        assert_eq!(imported, e.appointment(id).unwrap());
        assert_eq!(other.appointment(id).unwrap(), e.appointment(id).unwrap());
    }
    assert_eq!(
        other.appointment(&declined).unwrap().status,
        AppointmentStatus::Declined
    );
}

#[test]
fn staff_appointments_round_trip_whatever_their_ids() {
    let e = practice();
    let mut a = appt(
        "host_appt #7",
        "dr_b",
        mon_at(9, 0),
        mon_at(9, 45),
        AppointmentStatus::Booked,
    );
    a.clinic = Some("main".into());
    a.service = Some("physio-30".into());
    a.patient = Some("kid".into());
    e.add_appointment(a.clone()).unwrap();
    let bare = appt(
        "bare",
        "dr-a",
        mon_at(10, 0) + Duration::milliseconds(250),
        mon_at(11, 0),
        AppointmentStatus::Pending,
    );
    e.add_appointment(bare.clone()).unwrap();
    let r = parse(&e.fhir_appointment("host_appt #7").unwrap());
    // Not a valid FHIR id: no `id`, no literal reference, identifiers only.
    assert!(r.get("id").is_none());
    let pr = &participant(&r, "Practitioner").unwrap()["actor"];
    assert!(pr.get("reference").is_none());
    assert_eq!(pr["identifier"]["value"], "dr_b");
    assert_eq!(r["meta"]["tag"][0]["code"], "staff");
    let other = practice();
    for x in [&a, &bare] {
        let back = other
            .import_fhir_appointment(&e.fhir_appointment(&x.id).unwrap())
            .unwrap();
        assert_eq!(&back, x);
    }
    assert_eq!(other.appointment("bare").unwrap().source, Source::Staff);
}

#[test]
fn a_guardian_who_booked_is_a_related_person() {
    let e = practice();
    let now = early();
    e.create_account(
        &NewAccount {
            id: Some("acct-mum".into()),
            username: "mum@x.test".into(),
            password: Password::new("correct horse battery"),
            patient: Some("ana".into()),
            relationship: Relationship::Own,
        },
        now,
    )
    .unwrap();
    e.link_account("acct-mum", "kid", Relationship::Guardian, now)
        .unwrap();
    let kid = e
        .book(
            &BookRequest::new("kid", "physio-30", mon_at(9, 0))
                .practitioner("dr-a")
                .actor("acct-mum"),
            now,
        )
        .unwrap()
        .appointment
        .id;
    let own = e
        .book(
            &BookRequest::new("ana", "physio-30", mon_at(10, 0))
                .practitioner("dr-a")
                .actor("acct-mum"),
            now,
        )
        .unwrap()
        .appointment
        .id;
    let r = parse(&e.fhir_appointment(&kid).unwrap());
    let rp = participant(&r, "RelatedPerson").expect("guardian participant");
    assert_eq!(rp["actor"]["reference"], "RelatedPerson/acct-mum.kid");
    assert_eq!(rp["actor"]["identifier"]["value"], "acct-mum");
    // Booking for oneself adds no related person.
    let r = parse(&e.fhir_appointment(&own).unwrap());
    assert!(participant(&r, "RelatedPerson").is_none());
    // The link as a RelatedPerson.
    let b = parse(&e.fhir_related_persons("kid").unwrap());
    assert_eq!(b["type"], "searchset");
    assert_eq!(b["total"], 1);
    let person = &b["entry"][0]["resource"];
    assert_eq!(person["id"], "acct-mum.kid");
    assert_eq!(person["patient"]["reference"], "Patient/kid");
    assert_eq!(person["relationship"][0]["coding"][0]["code"], "guardian");
    assert_eq!(person["active"], true);
    // `ana`'s own account is not a related person of hers.
    assert_eq!(parse(&e.fhir_related_persons("ana").unwrap())["total"], 0);
    // The RelatedPerson participant is ignored on import (who booked is a portal detail).
    let other = practice();
    let back = other
        .import_fhir_appointment(&e.fhir_appointment(&kid).unwrap())
        .unwrap();
    assert_eq!(back, e.appointment(&kid).unwrap());
    assert_eq!(
        e.fhir_related_persons("nobody").unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[test]
fn a_merge_leaves_replaces_and_replaced_by_links() {
    let e = practice();
    e.merge_patients("ana", "dup", early()).unwrap();
    let kept = parse(&e.fhir_patient("ana").unwrap());
    assert_eq!(kept["active"], true);
    assert_eq!(kept["link"][0]["type"], "replaces");
    assert_eq!(kept["link"][0]["other"]["reference"], "Patient/dup");
    assert_eq!(kept["name"][0]["family"], "Lima");
    assert_eq!(kept["telecom"][0]["value"], "ana@x.test");
    let merged = parse(&e.fhir_patient("dup").unwrap());
    assert_eq!(merged["active"], false);
    assert_eq!(merged["link"][0]["type"], "replaced-by");
    assert_eq!(merged["link"][0]["other"]["reference"], "Patient/ana");
    let plain = parse(&e.fhir_patient("kid").unwrap());
    assert!(plain.get("link").is_none());
    assert_eq!(
        e.fhir_patient("nobody").unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[test]
fn slots_are_free_busy_and_busy_tentative() {
    let e = practice();
    let now = early();
    let q = on(monday()).practitioner("dr-a");
    let free = search(&e, &q, now).len();
    e.hold(
        &HoldRequest::new("physio-30", mon_at(9, 0)).practitioner("dr-a"),
        now,
    )
    .unwrap();
    let mut a = appt(
        "staff-1",
        "dr-a",
        mon_at(11, 0),
        mon_at(11, 30),
        AppointmentStatus::Booked,
    );
    a.clinic = Some("main".into());
    e.add_appointment(a).unwrap();
    let b = parse(&e.fhir_slots(&q, now).unwrap());
    let statuses: Vec<&str> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resource"]["status"].as_str().unwrap())
        .collect();
    let count = |s: &str| statuses.iter().filter(|x| **x == s).count();
    assert_eq!(count("free"), free - 2);
    assert_eq!(count("busy-tentative"), 1);
    assert_eq!(count("busy"), 1);
    assert_eq!(b["total"], statuses.len());
    let first = &b["entry"][0]["resource"];
    assert_eq!(first["schedule"]["reference"], "Schedule/dr-a.main");
    assert_eq!(first["serviceType"][0]["coding"][0]["code"], "physio-30");
    // After the hold expires its slot is free again.
    let later = now + Duration::hours(1);
    let b = parse(&e.fhir_slots(&q, later).unwrap());
    assert_eq!(b["total"], free - 1 + 1);
    // Schedules: one per practitioner and clinic.
    let s = parse(&e.fhir_schedules().unwrap());
    assert_eq!(s["total"], 2);
    assert_eq!(
        s["entry"][1]["resource"]["identifier"][0]["value"],
        "dr_b/main"
    );
    assert!(s["entry"][1]["resource"].get("id").is_none());
}

fn parameters(start: Value, end: Value, extra: Vec<Value>) -> String {
    let mut p = vec![
        json!({"name": "start", "valueDate": start}),
        json!({"name": "end", "valueDate": end}),
        json!({"name": "service-type", "valueCodeableConcept": {"coding": [
            {"system": fhir::SYSTEM_SERVICE, "code": "physio-30"}]}}),
    ];
    if start.as_str().is_some_and(|s| s.contains('T')) {
        p[0] = json!({"name": "start", "valueDateTime": start});
        p[1] = json!({"name": "end", "valueDateTime": end});
    }
    p.extend(extra);
    json!({"resourceType": "Parameters", "parameter": p}).to_string()
}

#[test]
fn find_proposes_what_search_offers() {
    let e = practice();
    let now = early();
    let day = parameters(json!("2027-02-01"), json!("2027-02-01"), vec![]);
    let b = parse(&e.fhir_find(&day, None, now).unwrap());
    let slots = search(&e, &on(monday()), now);
    let candidates: usize = slots.iter().map(|s| s.practitioners().len()).sum();
    assert_eq!(b["total"], candidates);
    let first = &b["entry"][0]["resource"];
    assert_eq!(first["status"], "proposed");
    assert_eq!(first["start"], "2027-02-01T14:00:00Z");
    // Instants narrow the answer to starts in [start, end).
    let morning = parameters(
        json!("2027-02-01T09:30:00-05:00"),
        json!("2027-02-01T10:30:00-05:00"),
        vec![
            json!({"name": "practitioner", "valueReference": {"reference": "Practitioner/dr-a"}}),
            json!({"name": "patient", "valueString": "ana"}),
        ],
    );
    let b = parse(&e.fhir_find(&morning, None, now).unwrap());
    let starts: Vec<&str> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resource"]["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2027-02-01T14:30:00Z", "2027-02-01T15:00:00Z"]);
    assert_eq!(
        participant(&b["entry"][0]["resource"], "Patient").unwrap()["actor"]["reference"],
        "Patient/ana"
    );
    // Authorization: a portal account must be linked to the patient.
    let err = e.fhir_find(&morning, Some("acct-x"), now).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotAuthorized);
    for (bad, path) in [
        (
            r#"{"resourceType": "Parameters", "parameter": []}"#.to_owned(),
            "parameter",
        ),
        (
            parameters(
                json!("2027-02-01"),
                json!("2027-02-01"),
                vec![json!({"name": "specialty", "valueString": "x"})],
            ),
            "parameter[3].name",
        ),
        (
            parameters(
                json!("2027-02-01"),
                json!("2027-02-01"),
                vec![json!({"name": "location", "valueInteger": 1})],
            ),
            "parameter[3].valueInteger",
        ),
        (
            parameters(
                json!("2027-02-01"),
                json!("2027-02-01"),
                vec![json!({"name": "start", "valueDate": "2027-02-02"})],
            ),
            "parameter[3].name",
        ),
        (
            parameters(
                json!("2027-02-01T09:00:00"),
                json!("2027-02-01T10:00:00Z"),
                vec![],
            ),
            "parameter[0].valueDateTime",
        ),
        (r#"{"resourceType": "Bundle"}"#.to_owned(), "resourceType"),
    ] {
        let err = e.fhir_find(&bad, None, now).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
        assert!(
            err.message().contains(&format!("`{path}`")),
            "{}",
            err.message()
        );
    }
}

#[test]
fn unmappable_imports_name_the_path_and_change_nothing() {
    let e = practice();
    let good = json!({
        "resourceType": "Appointment", "id": "ehr-1", "status": "booked",
        "start": "2027-02-01T14:00:00Z", "end": "2027-02-01T14:30:00Z",
        "participant": [
            {"actor": {"reference": "Practitioner/dr-a"}, "status": "accepted"},
            {"actor": {"reference": "Patient/ana"}, "status": "accepted"}
        ]
    });
    let with = |path: &[&str], v: Value| {
        let mut r = good.clone();
        let mut at = &mut r;
        for (i, k) in path.iter().enumerate() {
            if i + 1 == path.len() {
                break;
            }
            at = match k.parse::<usize>() {
                Ok(n) => &mut at[n],
                Err(_) => &mut at[*k],
            };
        }
        let last = path[path.len() - 1];
        match last.parse::<usize>() {
            Ok(n) => at[n] = v,
            Err(_) => at[last] = v,
        }
        r.to_string()
    };
    let before = e.snapshot();
    let cases = [
        (with(&["status"], json!("proposed")), "status"),
        (with(&["start"], json!("2027-02-01")), "start"),
        (with(&["slot"], json!([])), "slot"),
        (
            with(
                &["participant", "0", "actor", "reference"],
                json!("Device/x"),
            ),
            "participant[0].actor",
        ),
        (
            with(
                &["participant", "1", "actor"],
                json!({"reference": "Practitioner/dr_b"}),
            ),
            "participant[1].actor",
        ),
        (
            with(
                &["participant", "0", "actor"],
                json!({"type": "Practitioner", "identifier": {"system": "urn:other", "value": "x"}}),
            ),
            "participant[0].actor.identifier.system",
        ),
        (
            with(
                &["serviceType"],
                json!([{"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}]),
            ),
            "serviceType[0].coding",
        ),
        (with(&["minutesDuration"], json!(45)), "minutesDuration"),
        (with(&["participant"], json!([])), "participant"),
        (with(&["resourceType"], json!("Slot")), "resourceType"),
    ];
    for (bad, path) in cases {
        let err = e.import_fhir_appointment(&bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
        assert!(
            err.message().contains(&format!("`{path}`")),
            "{path}: {}",
            err.message()
        );
        assert_eq!(e.snapshot(), before, "{bad}");
    }
    // Unknown entities are the engine's own errors, and change nothing either.
    let err = e
        .import_fhir_appointment(&with(
            &["participant", "1", "actor", "reference"],
            json!("Patient/nobody"),
        ))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    let err = e
        .import_fhir_appointment(&"x".repeat(fhir::MAX_FHIR_RESOURCE_BYTES + 1))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(e.snapshot(), before);
    // The good one imports; a second time it is a duplicate.
    let a = e.import_fhir_appointment(&good.to_string()).unwrap();
    assert_eq!(a.patient.as_deref(), Some("ana"));
    assert_eq!(a.status, AppointmentStatus::Booked);
    let after = e.snapshot();
    let err = e.import_fhir_appointment(&good.to_string()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateId);
    assert_eq!(e.snapshot(), after);
}

#[test]
fn every_error_has_an_operation_outcome() {
    for &code in ErrorCode::ALL {
        let o: Value = parse(&fhir::operation_outcome_json(code.as_str(), "why").unwrap());
        assert_eq!(o["resourceType"], "OperationOutcome");
        assert_eq!(o["issue"][0]["severity"], "error");
        assert_eq!(o["issue"][0]["code"], fhir::issue_type(code));
        assert_eq!(o["issue"][0]["details"]["coding"][0]["code"], code.as_str());
        assert_eq!(o["issue"][0]["diagnostics"], "why");
    }
    assert_eq!(fhir::issue_type(ErrorCode::NotFound), "not-found");
    assert_eq!(
        fhir::operation_outcome_json("nope", "x")
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );
}

fn lines(ics: &str) -> Vec<&str> {
    ics.split("\r\n").filter(|l| !l.is_empty()).collect()
}

fn property<'a>(ics: &'a str, name: &str) -> Vec<&'a str> {
    lines(ics)
        .into_iter()
        .filter_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
        .collect()
}

#[test]
fn icalendar_events_have_stable_uids_and_sequences() {
    let e = practice();
    let now = early();
    let id = e
        .book(
            &BookRequest::new("ana", "physio-30", mon_at(9, 0)).practitioner("dr-a"),
            now,
        )
        .unwrap()
        .appointment
        .id;
    let ics = e.ical_appointment(&id, None, now).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(!ics.contains("VTIMEZONE"));
    assert_eq!(
        property(&ics, "UID"),
        [format!("{id}@clinic.example").as_str()]
    );
    assert_eq!(property(&ics, "STATUS"), ["TENTATIVE"]);
    assert_eq!(property(&ics, "SEQUENCE"), ["0"]);
    assert_eq!(property(&ics, "DTSTART"), ["20270201T140000Z"]);
    assert_eq!(property(&ics, "DTEND"), ["20270201T143000Z"]);
    assert_eq!(property(&ics, "DTSTAMP"), ["20270115T120000Z"]);
    assert_eq!(property(&ics, "SUMMARY"), ["Physio with Dr A"]);
    assert_eq!(property(&ics, "LOCATION"), ["Main"]);
    e.accept(&DecisionRequest::new(&id, None), now).unwrap();
    e.reschedule(&RescheduleRequest::new(&id, mon_at(10, 0)), now)
        .unwrap();
    e.accept(&DecisionRequest::new(&id, None), now).unwrap();
    let ics = e.ical_appointment(&id, None, now).unwrap();
    assert_eq!(
        property(&ics, "UID"),
        [format!("{id}@clinic.example").as_str()]
    );
    assert_eq!(property(&ics, "SEQUENCE"), ["1"]);
    assert_eq!(property(&ics, "STATUS"), ["CONFIRMED"]);
    assert_eq!(property(&ics, "DTSTART"), ["20270201T150000Z"]);
    // The revision survives a snapshot and a journal replay.
    let restored = Engine::restore(&e.snapshot()).unwrap();
    assert_eq!(restored.ical_appointment(&id, None, now).unwrap(), ics);
    e.cancel(&CancelRequest::by_staff(&id, "ill"), now).unwrap();
    let ics = e.ical_appointment(&id, None, now).unwrap();
    assert_eq!(property(&ics, "STATUS"), ["CANCELLED"]);
    assert_eq!(property(&ics, "SEQUENCE"), ["1"]);
}

#[test]
fn icalendar_calendars_of_a_patient_and_a_practitioner_day() {
    let e = practice();
    let now = early();
    for (h, p) in [(10, "ana"), (9, "ana"), (11, "kid")] {
        e.book(
            &BookRequest::new(p, "physio-30", mon_at(h, 0)).practitioner("dr-a"),
            now,
        )
        .unwrap();
    }
    let mut late = appt(
        "evening",
        "dr-a",
        mon_at(23, 30),
        mon_at(23, 45),
        AppointmentStatus::Booked,
    );
    late.clinic = Some("main".into());
    e.add_appointment(late).unwrap();
    let ics = e.ical_patient("ana", None, now).unwrap();
    assert_eq!(
        property(&ics, "DTSTART"),
        ["20270201T140000Z", "20270201T150000Z"]
    );
    // Monday in Toronto includes 23:30 local (04:30 UTC on Tuesday).
    let day = e.ical_practitioner_day("dr-a", monday(), now).unwrap();
    assert_eq!(property(&day, "DTSTART").len(), 4);
    assert_eq!(property(&day, "DTSTART")[3], "20270202T043000Z");
    assert_eq!(
        property(
            &e.ical_practitioner_day("dr_b", monday(), now).unwrap(),
            "DTSTART"
        )
        .len(),
        0
    );
    // Patient-facing: an account needs a link.
    assert_eq!(
        e.ical_patient("ana", Some("acct-x"), now)
            .unwrap_err()
            .code(),
        ErrorCode::NotAuthorized
    );
    assert_eq!(
        e.ical_patient("nobody", None, now).unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        e.ical_practitioner_day("nobody", monday(), now)
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}

/// The `UID` of appointment `a1` under a practice with these portal settings.
fn uid_with(portal: Value) -> Vec<String> {
    let mut cfg = config();
    cfg["portal"] = portal;
    let e = engine(&cfg);
    e.add_appointment(appt(
        "a1",
        "dr-a",
        mon_at(9, 0),
        mon_at(9, 30),
        AppointmentStatus::Booked,
    ))
    .unwrap();
    let ics = e.ical_appointment("a1", None, early()).unwrap();
    property(&ics, "UID")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_uid_domain_falls_back_to_the_login_url_host() {
    assert_eq!(
        uid_with(json!({"login_url": "https://portal.clinic.test:8443/login"})),
        ["a1@portal.clinic.test"]
    );
    assert_eq!(uid_with(json!({})), ["a1@clinic-portal.invalid"]);
    let mut cfg = config();
    cfg["portal"] = json!({"calendar_domain": "not a domain"});
    let err = config_error(&cfg);
    assert!(err
        .diagnostics()
        .iter()
        .any(|d| d.path == "portal.calendar_domain"));
}

/// A JSON leaf or a small object/array of leaves.
fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(json!("2027-02-01T14:00:00Z")),
        Just(json!("Practitioner/dr-a")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Whatever replaces one element of a valid resource, an import either adds exactly
    /// that appointment or fails and changes nothing; `$find` refuses what is not its
    /// parameters with `invalid_input`.
    #[test]
    fn imports_of_mangled_resources_never_panic_or_half_apply(
        key in proptest::sample::select(vec![
            "status", "start", "end", "participant", "serviceType", "identifier", "meta",
            "minutesDuration", "id", "resourceType", "extra",
        ]),
        value in any_json(),
    ) {
        let e = practice();
        let mut r = json!({
            "resourceType": "Appointment", "id": "ehr-1", "status": "booked",
            "start": "2027-02-01T14:00:00Z", "end": "2027-02-01T14:30:00Z",
            "participant": [{"actor": {"reference": "Practitioner/dr-a"}, "status": "accepted"}]
        });
        r[key] = value.clone();
        let before = e.snapshot();
        match e.import_fhir_appointment(&r.to_string()) {
            Ok(a) => proptest::prop_assert_eq!(e.appointment(&a.id).unwrap(), a),
            Err(_) => proptest::prop_assert_eq!(e.snapshot(), before),
        }
        let params = json!({"resourceType": "Parameters", "parameter": [
            {"name": "start", "valueDate": "2027-02-01"}, {"name": "end", "valueDate": "2027-02-01"},
            {"name": "service-type", "valueString": "physio-30"}, {"name": key, "valueString": value}]});
        // None of the keys is a `$find` parameter that may be added (`start`, `end` twice).
        let err = e.fhir_find(&params.to_string(), None, early()).unwrap_err();
        proptest::prop_assert_eq!(err.code(), ErrorCode::InvalidInput);
        let err = e.fhir_find(&value.to_string(), None, early()).unwrap_err();
        proptest::prop_assert_eq!(err.code(), ErrorCode::InvalidInput);
    }
}
