//! rules 1–12 of docs/rules.md: for each rule a configuration where a slot would be offered but
//! for that one rule. Each test checks the exact starts with and without the triggering
//! setting, and that `explain` names the rule for a refused start.

mod common;

use chrono_tz::America::Toronto;
use clinic_portal::{AppointmentStatus, ErrorCode, Patient, SlotQuery};
use common::*;
use serde_json::json;

const SIX: [&str; 6] = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];

fn two_practitioners(first: &str, second: &str) -> serde_json::Value {
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner(first, weekday_blocks("09:00", "12:00")),
        practitioner(second, weekday_blocks("09:00", "12:00")),
    ]);
    cfg
}

// ---------------------------------------------------------------------------------------
// Rule 1: portal on, clinic books in portal.
// ---------------------------------------------------------------------------------------

#[test]
fn base_configuration_offers_six_monday_slots() {
    let e = engine(&base());
    let slots = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&slots), strs(&SIX));
    assert_eq!(
        starts(&slots)[0],
        "2027-02-01T09:00:00-05:00",
        "RFC 3339 with the clinic's offset"
    );
    assert!(explain(&e, &on(monday()), mon_at(9, 0), early()).offered);
}

#[test]
fn rule1_portal_disabled() {
    let mut cfg = base();
    cfg["portal"] = json!({"enabled": false});
    let e = engine(&cfg);
    let err = e.search(&on(monday()), early()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PortalDisabled);
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), early()), Some(1));
}

fn two_clinics(east_books_in_portal: bool) -> serde_json::Value {
    let mut cfg = base();
    cfg["clinics"] = json!([
        {"id": "main", "time_zone": "America/Toronto"},
        {"id": "east", "time_zone": "America/Toronto", "book_in_portal": east_books_in_portal},
    ]);
    let mut morning = block("mon", "09:00", "10:00", "treat");
    morning["clinic"] = json!("main");
    let mut afternoon = block("mon", "13:00", "14:00", "treat");
    afternoon["clinic"] = json!("east");
    cfg["practitioners"] = json!([practitioner("dr-a", vec![morning, afternoon])]);
    cfg
}

#[test]
fn rule1_clinic_not_booking_in_portal() {
    let e = engine(&two_clinics(true));
    let slots = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&slots), strs(&["09:00", "09:30", "13:00", "13:30"]));
    let clinics: Vec<&str> = slots.iter().map(|s| s.clinic()).collect();
    assert_eq!(clinics, ["main", "main", "east", "east"]);

    let e = engine(&two_clinics(false));
    let slots = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&slots), strs(&["09:00", "09:30"]));
    let east = on(monday()).clinic("east");
    // Naming a clinic that does not book in the portal refuses the whole query.
    let err = e.search(&east, early()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PortalDisabled, "{err}");
    assert_eq!(rule_of(&e, &east, mon_at(13, 0), early()), Some(1));
    assert_eq!(rule_of(&e, &east, mon_at(9, 0), early()), Some(1));
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), early()), None);
}

#[test]
fn rule1_explain_names_the_clinic_that_does_not_book_in_portal() {
    let e = engine(&two_clinics(false));
    let ex = explain(&e, &on(monday()), mon_at(13, 0), early());
    assert_eq!(ex.rule, Some(1), "{ex:?}");
    assert_eq!(ex.entity.as_deref(), Some("clinic east"));
}

// ---------------------------------------------------------------------------------------
// Rule 2: the service is offered online.
// ---------------------------------------------------------------------------------------

#[test]
fn rule2_service_not_bookable_from_portal() {
    let mut cfg = base();
    cfg["services"][0]["book_from_portal"] = json!(false);
    let e = engine(&cfg);
    // A refusal of the whole query: an error with booking's code, and explain's rule.
    let err = e.search(&on(monday()), early()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{err}");
    assert!(err.message().contains("rule 2"), "{err}");
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), early()), Some(2));
    cfg["services"][0]["book_from_portal"] = json!(true);
    assert_eq!(search(&engine(&cfg), &on(monday()), early()).len(), 6);
}

// ---------------------------------------------------------------------------------------
// Rule 3: the practitioner is offered online (flag, practitioner type, patient's list).
// ---------------------------------------------------------------------------------------

#[test]
fn rule3_practitioner_not_bookable_in_portal() {
    let mut cfg = base();
    cfg["practitioners"][0]["bookable_in_portal"] = json!(false);
    let e = engine(&cfg);
    assert!(search(&e, &on(monday()), early()).is_empty());
    let named = on(monday()).practitioner("dr-a");
    assert!(search(&e, &named, early()).is_empty());
    assert_eq!(rule_of(&e, &named, mon_at(9, 0), early()), Some(3));
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), early()), Some(3));
}

#[test]
fn rule3_practitioner_type() {
    let mut cfg = two_practitioners("dr-a", "dr-b");
    cfg["practitioner_types"] = json!([{"id": "physio"}]);
    cfg["practitioners"][0]["practitioner_types"] = json!(["physio"]);
    let e = engine(&cfg);
    let all = search(&e, &on(monday()), early());
    assert_eq!(all.len(), 6);
    assert!(all
        .iter()
        .all(|s| s.practitioners().len() == 2 && s.remaining_capacity() == 2));

    cfg["services"][0]["practitioner_type"] = json!("physio");
    let e = engine(&cfg);
    let typed = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&typed), strs(&SIX));
    for (_, who) in with_candidates(&typed) {
        assert_eq!(who, strs(&["dr-a"]));
    }
    let b = on(monday()).practitioner("dr-b");
    assert!(search(&e, &b, early()).is_empty());
    let ex = explain(&e, &b, mon_at(9, 0), early());
    assert_eq!(ex.rule, Some(3));
    assert_eq!(ex.entity.as_deref(), Some("practitioner dr-b"));
}

#[test]
fn rule3_patient_allowed_practitioners() {
    let e = engine(&two_practitioners("dr-a", "dr-b"));
    let patient: Patient =
        serde_json::from_value(json!({"id": "pat", "allowed_practitioners": ["dr-b"]}))
            .expect("patient");
    e.upsert_patient(patient).expect("patient loads");
    let free: Patient = serde_json::from_value(json!({"id": "free"})).expect("patient");
    e.upsert_patient(free).expect("patient loads");

    let anyone = search(&e, &on(monday()).patient("free"), early());
    assert!(anyone.iter().all(|s| s.practitioners().len() == 2));

    let restricted = search(&e, &on(monday()).patient("pat"), early());
    assert_eq!(hhmm(&restricted), strs(&SIX));
    for (_, who) in with_candidates(&restricted) {
        assert_eq!(who, strs(&["dr-b"]));
    }
    let a = on(monday()).practitioner("dr-a");
    assert_eq!(search(&e, &a, early()).len(), 6);
    let a_for_pat = a.patient("pat");
    assert!(search(&e, &a_for_pat, early()).is_empty());
    assert_eq!(rule_of(&e, &a_for_pat, mon_at(9, 0), early()), Some(3));
}

// ---------------------------------------------------------------------------------------
// Rule 4: the schedule-type chain.
// ---------------------------------------------------------------------------------------

#[test]
fn rule4_service_not_linked_to_practitioner_schedule_type() {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat"}, {"id": "other"}]);
    cfg["services"][0]["schedule_types"] = json!(["other"]);
    let e = engine(&cfg);
    assert!(search(&e, &on(monday()), early()).is_empty());
    let named = on(monday()).practitioner("dr-a");
    assert_eq!(rule_of(&e, &named, mon_at(9, 0), early()), Some(4));

    cfg["services"][0]["schedule_types"] = json!(["other", "treat"]);
    assert_eq!(search(&engine(&cfg), &on(monday()), early()).len(), 6);
}

#[test]
fn rule4_schedule_type_not_assigned_to_practitioner() {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat"}, {"id": "admin"}]);
    cfg["practitioners"][0]["schedule_types"] = json!(["admin"]);
    let e = engine(&cfg);
    assert!(search(&e, &on(monday()), early()).is_empty());
    let named = on(monday()).practitioner("dr-a");
    assert_eq!(rule_of(&e, &named, mon_at(9, 0), early()), Some(4));
}

#[test]
fn rule4_block_of_a_schedule_type_the_service_does_not_use() {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat"}, {"id": "admin"}]);
    cfg["practitioners"][0]["schedule_types"] = json!(["treat", "admin"]);
    cfg["practitioners"][0]["availability"][0]["blocks"] = json!([
        block("mon", "09:00", "10:00", "treat"),
        block("mon", "10:00", "12:00", "admin"),
    ]);
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:00", "09:30"])
    );
    let ex = explain(&e, &on(monday()), mon_at(10, 0), early());
    assert_eq!(ex.rule, Some(4), "{ex:?}");
    assert_eq!(ex.entity.as_deref(), Some("schedule type admin"));

    cfg["practitioners"][0]["availability"][0]["blocks"][1]["schedule_type"] = json!("treat");
    assert_eq!(search(&engine(&cfg), &on(monday()), early()).len(), 6);
}

#[test]
fn rule4_schedule_type_clinic_decides_the_slot_clinic() {
    let mut cfg = base();
    cfg["clinics"] = json!([
        {"id": "main", "time_zone": "America/Toronto"},
        {"id": "east", "time_zone": "America/Toronto"},
    ]);
    cfg["schedule_types"] = json!([{"id": "treat", "clinic": "east"}]);
    let e = engine(&cfg);
    let slots = search(&e, &on(monday()), early());
    assert_eq!(slots.len(), 6);
    assert!(slots.iter().all(|s| s.clinic() == "east"));
    assert_eq!(search(&e, &on(monday()).clinic("east"), early()).len(), 6);
    let at_main = on(monday()).clinic("main");
    assert!(search(&e, &at_main, early()).is_empty());
    assert_eq!(
        rule_of(&e, &at_main.practitioner("dr-a"), mon_at(9, 0), early()),
        Some(4)
    );
}

#[test]
fn rule4_block_names_its_clinic() {
    // A schedule type for any clinic: each block names where it is.
    let e = engine(&two_clinics(true));
    let main_only = search(&e, &on(monday()).clinic("main"), early());
    assert_eq!(hhmm(&main_only), strs(&["09:00", "09:30"]));
    let east_only = search(&e, &on(monday()).clinic("east"), early());
    assert_eq!(hhmm(&east_only), strs(&["13:00", "13:30"]));
}

#[test]
fn rule4_telehealth_uses_only_telehealth_schedule_types() {
    let mut cfg = base();
    cfg["schedule_types"] = json!([{"id": "treat"}, {"id": "video", "telehealth": true}]);
    cfg["practitioners"][0]["schedule_types"] = json!(["treat", "video"]);
    cfg["practitioners"][0]["availability"][0]["blocks"] = json!([
        block("mon", "09:00", "10:00", "treat"),
        block("mon", "10:00", "11:00", "video"),
    ]);
    cfg["services"][0]["schedule_types"] = json!(["treat", "video"]);
    let e = engine(&cfg);
    let in_person = on(monday());
    let video = on(monday()).telehealth(true);
    assert_eq!(
        hhmm(&search(&e, &in_person, early())),
        strs(&["09:00", "09:30"])
    );
    assert_eq!(
        hhmm(&search(&e, &video, early())),
        strs(&["10:00", "10:30"])
    );
    assert_eq!(rule_of(&e, &video, mon_at(9, 0), early()), Some(4));
    assert_eq!(rule_of(&e, &in_person, mon_at(10, 0), early()), Some(4));

    // Without a telehealth schedule type, a telehealth query finds nothing.
    cfg["schedule_types"][1]["telehealth"] = json!(false);
    let e = engine(&cfg);
    assert!(search(&e, &video, early()).is_empty());
    assert_eq!(search(&e, &in_person, early()).len(), 4);
}

// ---------------------------------------------------------------------------------------
// Rule 5: availability records (date range inclusive, no overlap, RRULE dates).
// ---------------------------------------------------------------------------------------

#[test]
fn rule5_record_dates_are_inclusive() {
    let mut cfg = base();
    let rec = &mut cfg["practitioners"][0]["availability"][0];
    rec["start_date"] = json!("2027-02-02");
    rec["end_date"] = json!("2027-02-04");
    let e = engine(&cfg);
    let week = SlotQuery::new("physio-30", date(2027, 2, 1), date(2027, 2, 5));
    let slots = search(&e, &week, early());
    assert_eq!(slots.len(), 18);
    assert!(starts(&slots)[0].starts_with("2027-02-02T09:00"));
    assert!(starts(&slots)[17].starts_with("2027-02-04T11:30"));
    assert_eq!(rule_of(&e, &week, mon_at(9, 0), early()), Some(5));
    let friday = local(Toronto, 2027, 2, 5, 9, 0);
    assert_eq!(rule_of(&e, &week, friday, early()), Some(5));

    cfg["practitioners"][0]["availability"][0]
        .as_object_mut()
        .expect("record")
        .remove("end_date");
    assert_eq!(search(&engine(&cfg), &week, early()).len(), 24);
}

#[test]
fn rule5_outside_the_working_blocks() {
    let e = engine(&base());
    assert_eq!(rule_of(&e, &on(monday()), mon_at(13, 0), early()), Some(5));
    // 11:45 + 30 minutes leaves the 09:00–12:00 block.
    assert_eq!(rule_of(&e, &on(monday()), mon_at(11, 45), early()), Some(5));
}

#[test]
fn rule5_consecutive_records_switch_hours() {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"] = json!([
        {"id": "winter", "start_date": "2027-01-01", "end_date": "2027-02-02",
         "blocks": weekday_blocks("09:00", "12:00")},
        {"id": "spring", "start_date": "2027-02-03",
         "blocks": weekday_blocks("13:00", "15:00")},
    ]);
    let e = engine(&cfg);
    assert_eq!(search(&e, &on(date(2027, 2, 2)), early()).len(), 6);
    assert_eq!(
        hhmm(&search(&e, &on(date(2027, 2, 3)), early())),
        strs(&["13:00", "13:30", "14:00", "14:30"])
    );
}

#[test]
fn rule5_overlapping_records_are_a_configuration_error() {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"] = json!([
        {"id": "winter", "start_date": "2027-01-01", "end_date": "2027-02-02",
         "blocks": weekday_blocks("09:00", "12:00")},
        {"id": "spring", "start_date": "2027-02-02",
         "blocks": weekday_blocks("13:00", "15:00")},
    ]);
    let err = config_error(&cfg);
    let msg = err.message();
    assert!(msg.contains("winter") && msg.contains("spring"), "{msg}");
    // The same records one day apart load.
    cfg["practitioners"][0]["availability"][1]["start_date"] = json!("2027-02-03");
    engine(&cfg);
}

#[test]
fn rule5_rrule_every_other_week() {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!("2027-02-01");
    cfg["practitioners"][0]["availability"][0]["recurrence"] =
        json!("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO");
    let e = engine(&cfg);
    let q = SlotQuery::new("physio-30", date(2027, 2, 1), date(2027, 2, 21));
    let slots = search(&e, &q, early());
    assert_eq!(slots.len(), 12);
    let days: std::collections::BTreeSet<String> =
        starts(&slots).iter().map(|s| s[..10].to_owned()).collect();
    assert_eq!(
        days.into_iter().collect::<Vec<_>>(),
        strs(&["2027-02-01", "2027-02-15"])
    );
    // Times come from the blocks, never from the RRULE.
    assert_eq!(
        hhmm(&search(&e, &on(date(2027, 2, 15)), early())),
        strs(&SIX)
    );
    let feb8 = local(Toronto, 2027, 2, 8, 9, 0);
    assert_eq!(rule_of(&e, &q, feb8, early()), Some(5));
    // Tuesday has blocks but the rule only picks Mondays.
    let feb2 = local(Toronto, 2027, 2, 2, 9, 0);
    assert_eq!(rule_of(&e, &q, feb2, early()), Some(5));

    cfg["practitioners"][0]["availability"][0]
        .as_object_mut()
        .expect("record")
        .remove("recurrence");
    assert_eq!(search(&engine(&cfg), &q, early()).len(), 15 * 6);
}

#[test]
fn rule5_rrule_with_time_parts_is_refused() {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["recurrence"] = json!("FREQ=DAILY;BYHOUR=9");
    config_error(&cfg);
}

#[test]
fn leap_day_is_a_working_tuesday() {
    // 2028-02-29 is a Tuesday. A record on the last day of each month offers it.
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["start_date"] = json!("2028-01-01");
    cfg["practitioners"][0]["availability"][0]["recurrence"] = json!("FREQ=MONTHLY;BYMONTHDAY=-1");
    let e = engine(&cfg);
    let now = utc(2028, 2, 1, 12, 0);
    let q = SlotQuery::new("physio-30", date(2028, 2, 26), date(2028, 3, 3));
    let slots = search(&e, &q, now);
    let s = starts(&slots);
    assert_eq!(s.len(), 6, "{s:?}");
    assert_eq!(s[0], "2028-02-29T09:00:00-05:00");
    assert_eq!(s[5], "2028-02-29T11:30:00-05:00");
    let feb28 = local(Toronto, 2028, 2, 28, 9, 0);
    let mar1 = local(Toronto, 2028, 3, 1, 9, 0);
    let feb29 = local(Toronto, 2028, 2, 29, 9, 0);
    assert_eq!(rule_of(&e, &q, feb28, now), Some(5));
    assert_eq!(rule_of(&e, &q, mar1, now), Some(5));
    assert_eq!(rule_of(&e, &q, feb29, now), None);

    // A record of that single date.
    let mut single = base();
    single["practitioners"][0]["availability"] = json!([{
        "start_date": "2028-02-29", "end_date": "2028-02-29",
        "blocks": weekday_blocks("09:00", "12:00")}]);
    assert_eq!(starts(&search(&engine(&single), &q, now)), s);

    // A yearly 29 February closure (anchored in 2024) closes it.
    cfg["closures"] = json!([{"id": "leap", "start_date": "2024-02-29",
                               "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"}]);
    let e = engine(&cfg);
    assert!(search(&e, &q, now).is_empty());
    assert_eq!(rule_of(&e, &q, feb29, now), Some(7));

    // The horizon counts the leap day: from Sunday 27 February, 2 days ahead reaches
    // Tuesday 29 February, 1 day does not.
    let sunday_noon = local(Toronto, 2028, 2, 27, 12, 0);
    for (days, expected) in [(2, 6), (1, 0)] {
        let mut c = single.clone();
        set_scheduling(&mut c, "max_days_ahead", json!(days));
        let e = engine(&c);
        assert_eq!(search(&e, &q, sunday_noon).len(), expected, "{days} days");
        if expected == 0 {
            assert_eq!(rule_of(&e, &q, feb29, sunday_noon), Some(8));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rule 6: portal blocks.
// ---------------------------------------------------------------------------------------

fn portal_blocks_cfg(mode: &str) -> serde_json::Value {
    let mut cfg = base();
    set_scheduling(&mut cfg, "slot_mode", json!(mode));
    cfg["practitioners"][0]["availability"][0]["portal_blocks"] = json!([
        block("mon", "10:00", "11:00", "treat"),
        block("wed", "10:15", "11:30", "treat"),
    ]);
    cfg
}

#[test]
fn rule6_only_portal_blocks_are_bookable() {
    let e = engine(&portal_blocks_cfg("standard"));
    assert_eq!(hhmm(&search(&e, &on(monday()), early())), strs(&SIX));

    let e = engine(&portal_blocks_cfg("portal_blocks"));
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["10:00", "10:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), early()), Some(6));
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 30), early()), None);
    // Starts step from the portal block's start (no grid).
    assert_eq!(
        hhmm(&search(&e, &on(date(2027, 2, 3)), early())),
        strs(&["10:15", "10:45"])
    );
}

#[test]
fn rule6_empty_portal_day_policy() {
    let tuesday = date(2027, 2, 2);
    let tue9 = local(Toronto, 2027, 2, 2, 9, 0);

    let cfg = portal_blocks_cfg("portal_blocks");
    let e = engine(&cfg);
    assert!(search(&e, &on(tuesday), early()).is_empty());
    assert_eq!(rule_of(&e, &on(tuesday), tue9, early()), Some(6));
    let warnings = e.warnings();
    let warned: Vec<_> = warnings
        .iter()
        .filter(|w| w.path.contains("portal_blocks"))
        .collect();
    // Validation warns about every working day without portal blocks: tue, thu, fri.
    assert_eq!(warned.len(), 3, "{warned:?}");
    assert!(warned.iter().any(|w| w.message.contains("tue")));

    let mut standard = cfg.clone();
    set_scheduling(&mut standard, "empty_portal_day", json!("standard"));
    let e = engine(&standard);
    assert_eq!(hhmm(&search(&e, &on(tuesday), early())), strs(&SIX));
    // Days with portal blocks keep them.
    assert_eq!(search(&e, &on(monday()), early()).len(), 2);
}

#[test]
fn rule6_portal_block_outside_standard_blocks_is_an_error() {
    let mut cfg = portal_blocks_cfg("portal_blocks");
    cfg["practitioners"][0]["availability"][0]["portal_blocks"] =
        json!([block("mon", "11:00", "13:00", "treat")]);
    config_error(&cfg);
}

// ---------------------------------------------------------------------------------------
// Rule 7: closures.
// ---------------------------------------------------------------------------------------

fn with_closure(closure: serde_json::Value) -> serde_json::Value {
    let mut cfg = base();
    cfg["closures"] = json!([closure]);
    cfg
}

#[test]
fn rule7_single_date_closure() {
    let e = engine(&with_closure(
        json!({"id": "family-day", "reason": "Family Day", "date": "2027-02-01"}),
    ));
    assert!(search(&e, &on(monday()), early()).is_empty());
    let ex = explain(&e, &on(monday()), mon_at(9, 0), early());
    assert_eq!(ex.rule, Some(7));
    assert!(ex.message.contains("family-day"), "{}", ex.message);
    assert_eq!(search(&e, &on(date(2027, 2, 2)), early()).len(), 6);
}

#[test]
fn rule7_date_range_closure() {
    let e = engine(&with_closure(
        json!({"start_date": "2027-02-01", "end_date": "2027-02-02"}),
    ));
    let q = SlotQuery::new("physio-30", date(2027, 2, 1), date(2027, 2, 3));
    let slots = search(&e, &q, early());
    assert_eq!(slots.len(), 6);
    assert!(starts(&slots).iter().all(|s| s.starts_with("2027-02-03")));
    let tue = local(Toronto, 2027, 2, 2, 11, 30);
    assert_eq!(rule_of(&e, &q, tue, early()), Some(7));
}

#[test]
fn rule7_rrule_closure() {
    let e = engine(&with_closure(json!({
        "id": "anniversary", "start_date": "2020-01-01",
        "recurrence": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=1"})));
    assert!(search(&e, &on(monday()), early()).is_empty());
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), early()), Some(7));
    assert_eq!(search(&e, &on(date(2027, 2, 8)), early()).len(), 6);
}

#[test]
fn rule7_partial_day_closure() {
    let e = engine(&with_closure(json!({
        "date": "2027-02-01", "start_time": "10:00", "end_time": "11:00"})));
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:00", "09:30", "11:00", "11:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 30), early()), Some(7));

    // A closure that cuts a slot in half removes it; starts still step from the block start.
    let e = engine(&with_closure(json!({
        "date": "2027-02-01", "start_time": "10:15", "end_time": "10:45"})));
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:00", "09:30", "11:00", "11:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), early()), Some(7));
}

#[test]
fn rule7_practitioner_time_off_and_other_clinics() {
    let mut cfg = two_practitioners("dr-a", "dr-b");
    cfg["closures"] = json!([{"id": "a-off", "practitioner": "dr-a", "date": "2027-02-01"}]);
    let e = engine(&cfg);
    let slots = search(&e, &on(monday()), early());
    assert_eq!(slots.len(), 6);
    for (_, who) in with_candidates(&slots) {
        assert_eq!(who, strs(&["dr-b"]));
    }
    let a = on(monday()).practitioner("dr-a");
    assert_eq!(rule_of(&e, &a, mon_at(9, 0), early()), Some(7));

    // A closure of another clinic leaves this one open.
    let mut cfg = two_clinics(true);
    cfg["closures"] = json!([{"clinic": "east", "date": "2027-02-01"}]);
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:00", "09:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(13, 0), early()), Some(7));
}

// ---------------------------------------------------------------------------------------
// Rule 8: lead time and horizon.
// ---------------------------------------------------------------------------------------

#[test]
fn rule8_lead_time() {
    let now = mon_at(9, 10);
    let e = engine(&base());
    assert_eq!(
        hhmm(&search(&e, &on(monday()), now)),
        strs(&["09:30", "10:00", "10:30", "11:00", "11:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), now), Some(8));

    let mut cfg = base();
    set_scheduling(&mut cfg, "min_hours_before_booking", json!(1));
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), now)),
        strs(&["10:30", "11:00", "11:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), now), Some(8));
    // Exactly `now + lead` is bookable.
    assert_eq!(
        hhmm(&search(&e, &on(monday()), mon_at(9, 0))),
        strs(&["10:00", "10:30", "11:00", "11:30"])
    );
}

#[test]
fn rule8_horizon_counts_from_local_midnight_not_from_now() {
    // Sunday 00:30 in Toronto, 1 day ahead: the horizon is Tuesday 00:00 local, so all of
    // Monday is bookable (even the starts more than 24 hours after `now`), Tuesday is not.
    let mut cfg = base();
    set_scheduling(&mut cfg, "max_days_ahead", json!(1));
    let e = engine(&cfg);
    let now = local(Toronto, 2027, 1, 31, 0, 30);
    assert_eq!(hhmm(&search(&e, &on(monday()), now)), strs(&SIX));
    let tuesday = date(2027, 2, 2);
    assert!(search(&e, &on(tuesday), now).is_empty());
    let tue9 = local(Toronto, 2027, 2, 2, 9, 0);
    assert_eq!(rule_of(&e, &on(tuesday), tue9, now), Some(8));
}

#[test]
fn rule8_today_is_the_clinic_local_date() {
    // Sunday 23:30 in Toronto is already Monday 04:30 UTC.
    let now = local(Toronto, 2027, 1, 31, 23, 30);
    assert_eq!(now, utc(2027, 2, 1, 4, 30));
    for (days, monday_slots) in [(0, 0), (1, 6)] {
        let mut cfg = base();
        set_scheduling(&mut cfg, "max_days_ahead", json!(days));
        let e = engine(&cfg);
        let slots = search(&e, &on(monday()), now);
        assert_eq!(slots.len(), monday_slots, "max_days_ahead = {days}");
        if monday_slots == 0 {
            assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 0), now), Some(8));
        }
    }
    // East of UTC: Monday 07:00 on Lord Howe Island (+11:00) is still Sunday in UTC; with
    // 0 days ahead, today (Monday) is bookable.
    let mut cfg = base();
    cfg["clinics"][0]["time_zone"] = json!("Australia/Lord_Howe");
    set_scheduling(&mut cfg, "max_days_ahead", json!(0));
    let e = engine(&cfg);
    let now = utc(2027, 1, 31, 20, 0);
    let slots = search(&e, &on(monday()), now);
    assert_eq!(hhmm(&slots), strs(&SIX));
    assert_eq!(starts(&slots)[0], "2027-02-01T09:00:00+11:00");
    assert!(search(&e, &on(date(2027, 2, 2)), now).is_empty());
}

// ---------------------------------------------------------------------------------------
// Rule 9: the start grid.
// ---------------------------------------------------------------------------------------

#[test]
fn rule9_grid_versus_stepping_by_duration() {
    let mut cfg = base();
    let e = engine(&cfg);
    assert_eq!(hhmm(&search(&e, &on(monday()), early())), strs(&SIX));
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 15), early()), Some(9));

    set_scheduling(&mut cfg, "start_interval_minutes", json!(15));
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&[
            "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00",
            "11:15", "11:30"
        ])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 15), early()), None);
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 10), early()), Some(9));
}

#[test]
fn rule9_steps_from_an_odd_block_start() {
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"] =
        json!([block("mon", "09:10", "12:00", "treat")]);
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:10", "09:40", "10:10", "10:40", "11:10"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 15), early()), Some(9));

    set_scheduling(&mut cfg, "start_interval_minutes", json!(15));
    let e = engine(&cfg);
    let slots = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&slots).first().map(String::as_str), Some("09:15"));
    assert_eq!(slots.len(), 10);
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 10), early()), Some(9));
}

#[test]
fn rule9_other_divisors_of_a_day() {
    for (n, expected) in [
        (
            20,
            vec![
                "09:00", "09:20", "09:40", "10:00", "10:20", "10:40", "11:00", "11:20",
            ],
        ),
        (60, vec!["09:00", "10:00", "11:00"]),
        (90, vec!["09:00", "10:30"]),
    ] {
        let mut cfg = base();
        set_scheduling(&mut cfg, "start_interval_minutes", json!(n));
        let e = engine(&cfg);
        assert_eq!(
            hhmm(&search(&e, &on(monday()), early())),
            strs(&expected),
            "grid {n}"
        );
    }
    let mut cfg = base();
    set_scheduling(&mut cfg, "start_interval_minutes", json!(7));
    config_error(&cfg);
}

#[test]
fn rule9_appointment_must_fit_in_one_block() {
    let mut cfg = base();
    set_scheduling(&mut cfg, "start_interval_minutes", json!(15));
    cfg["services"] = json!([{"id": "physio-30", "duration_minutes": 45,
                              "schedule_types": ["treat"]}]);
    cfg["practitioners"][0]["availability"][0]["blocks"] = json!([
        block("mon", "09:00", "10:00", "treat"),
        block("mon", "10:00", "11:00", "treat"),
    ]);
    let e = engine(&cfg);
    assert_eq!(
        hhmm(&search(&e, &on(monday()), early())),
        strs(&["09:00", "09:15", "10:00", "10:15"])
    );
    // The engine reports the containment failure as rule 5 (no working block holds
    // 09:30–10:15); rules 4 or 5 and 9 could each claim it, explain names the first.
    let ex = explain(&e, &on(monday()), mon_at(9, 30), early());
    assert!(!ex.offered);
    assert_eq!(ex.rule, Some(5), "{ex:?}");

    cfg["practitioners"][0]["availability"][0]["blocks"] =
        json!([block("mon", "09:00", "11:00", "treat")]);
    assert_eq!(
        hhmm(&search(&engine(&cfg), &on(monday()), early())),
        strs(&["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"])
    );
}

// ---------------------------------------------------------------------------------------
// Rule 10: capacity.
// ---------------------------------------------------------------------------------------

#[test]
fn rule10_occupying_statuses() {
    for (status, occupies) in [
        (AppointmentStatus::Booked, true),
        (AppointmentStatus::Pending, true),
        (AppointmentStatus::Cancelled, false),
        (AppointmentStatus::Declined, false),
    ] {
        let e = engine(&base());
        e.add_appointment(appt("x", "dr-a", mon_at(10, 0), mon_at(10, 30), status))
            .expect("appointment");
        let slots = search(&e, &on(monday()), early());
        let rule = rule_of(&e, &on(monday()), mon_at(10, 0), early());
        if occupies {
            assert_eq!(
                hhmm(&slots),
                strs(&["09:00", "09:30", "10:30", "11:00", "11:30"]),
                "{status:?}"
            );
            assert_eq!(rule, Some(10), "{status:?}");
        } else {
            assert_eq!(hhmm(&slots), strs(&SIX), "{status:?}");
            assert_eq!(rule, None, "{status:?}");
        }
    }
}

#[test]
fn rule10_partial_overlap_and_other_practitioners() {
    let e = engine(&two_practitioners("dr-a", "dr-b"));
    e.add_appointment(appt(
        "x",
        "dr-a",
        mon_at(10, 15),
        mon_at(10, 45),
        AppointmentStatus::Booked,
    ))
    .expect("appointment");
    let a = on(monday()).practitioner("dr-a");
    assert_eq!(
        hhmm(&search(&e, &a, early())),
        strs(&["09:00", "09:30", "11:00", "11:30"])
    );
    assert_eq!(
        search(&e, &on(monday()).practitioner("dr-b"), early()).len(),
        6
    );
    // Touching is not overlapping: an appointment ending at 10:00 leaves 10:00 free.
    e.add_appointment(appt(
        "y",
        "dr-b",
        mon_at(9, 30),
        mon_at(10, 0),
        AppointmentStatus::Booked,
    ))
    .expect("appointment");
    assert_eq!(
        hhmm(&search(&e, &on(monday()).practitioner("dr-b"), early())),
        strs(&["09:00", "10:00", "10:30", "11:00", "11:30"])
    );
}

fn conflicts_cfg(allow_conflicts: bool, capacity: u32) -> serde_json::Value {
    let mut cfg = base();
    cfg["schedule_types"][0]["allow_conflicts"] = json!(allow_conflicts);
    cfg["services"][0]["portal_capacity"] = json!(capacity);
    cfg
}

fn remaining(slots: &clinic_portal::Slots) -> Vec<u32> {
    slots.iter().map(|s| s.remaining_capacity()).collect()
}

#[test]
fn rule10_portal_capacity_with_allow_conflicts() {
    let ten = |id: &str| {
        appt(
            id,
            "dr-a",
            mon_at(10, 0),
            mon_at(10, 30),
            AppointmentStatus::Booked,
        )
    };
    let e = engine(&conflicts_cfg(true, 2));
    assert_eq!(remaining(&search(&e, &on(monday()), early())), [2; 6]);
    e.add_appointment(ten("x")).expect("appointment");
    let slots = search(&e, &on(monday()), early());
    assert_eq!(hhmm(&slots), strs(&SIX));
    assert_eq!(remaining(&slots), [2, 2, 1, 2, 2, 2]);
    assert_eq!(
        slots
            .get(2)
            .expect("10:00")
            .practitioners()
            .next()
            .expect("dr-a")
            .remaining_capacity,
        1
    );
    e.add_appointment(ten("y")).expect("appointment");
    let slots = search(&e, &on(monday()), early());
    assert_eq!(
        hhmm(&slots),
        strs(&["09:00", "09:30", "10:30", "11:00", "11:30"])
    );
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), early()), Some(10));

    // Without allow_conflicts the capacity is 1 whatever portal_capacity says.
    let e = engine(&conflicts_cfg(false, 3));
    e.add_appointment(ten("x")).expect("appointment");
    let slots = search(&e, &on(monday()), early());
    assert_eq!(slots.len(), 5);
    assert_eq!(remaining(&slots), [1; 5]);
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), early()), Some(10));
}

#[test]
fn rule10_capacity_counts_the_largest_overlap_at_one_instant() {
    let e = engine(&conflicts_cfg(true, 2));
    let add = |id: &str, a: (u32, u32), b: (u32, u32)| {
        e.add_appointment(appt(
            id,
            "dr-a",
            mon_at(a.0, a.1),
            mon_at(b.0, b.1),
            AppointmentStatus::Booked,
        ))
        .expect("appointment");
    };
    // Two appointments inside 10:00–10:30 that never overlap: one place is left.
    add("x", (10, 0), (10, 15));
    add("y", (10, 15), (10, 30));
    let slots = search(&e, &on(monday()), early());
    assert_eq!(slots.len(), 6);
    assert_eq!(remaining(&slots)[2], 1);
    // A third that overlaps one of them makes 2 at 10:10–10:15: full.
    add("z", (10, 10), (10, 20));
    assert_eq!(search(&e, &on(monday()), early()).len(), 5);
    assert_eq!(rule_of(&e, &on(monday()), mon_at(10, 0), early()), Some(10));
}

#[test]
fn rule10_buffers_extend_what_a_booking_occupies() {
    // Buffers of the searched service extend the candidate; buffers of an existing
    // appointment's service extend it. The appointment itself must fit in the block; its
    // buffers need not (the engine's reading; docs/rules.md does not say more).
    let mut cfg = base();
    set_scheduling(&mut cfg, "start_interval_minutes", json!(15));
    cfg["services"] = json!([
        {"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]},
        {"id": "after-15", "duration_minutes": 30, "schedule_types": ["treat"],
         "buffer_after_minutes": 15},
        {"id": "before-15", "duration_minutes": 30, "schedule_types": ["treat"],
         "buffer_before_minutes": 15},
    ]);
    let plain = [
        "09:00", "09:15", "09:30", "10:30", "10:45", "11:00", "11:15", "11:30",
    ];
    let q = |service: &str| SlotQuery::new(service, monday(), monday());

    let e = engine(&cfg);
    e.add_appointment(appt(
        "x",
        "dr-a",
        mon_at(10, 0),
        mon_at(10, 30),
        AppointmentStatus::Booked,
    ))
    .expect("appointment");
    assert_eq!(hhmm(&search(&e, &q("physio-30"), early())), strs(&plain));
    let after: Vec<&str> = plain.iter().copied().filter(|s| *s != "09:30").collect();
    assert_eq!(hhmm(&search(&e, &q("after-15"), early())), strs(&after));
    assert_eq!(
        rule_of(&e, &q("after-15"), mon_at(9, 30), early()),
        Some(10)
    );
    let before: Vec<&str> = plain.iter().copied().filter(|s| *s != "10:30").collect();
    assert_eq!(hhmm(&search(&e, &q("before-15"), early())), strs(&before));
    assert_eq!(
        rule_of(&e, &q("before-15"), mon_at(10, 30), early()),
        Some(10)
    );
    // 11:30 + 30 min + 15 min buffer passes the 12:00 block end, and is still offered.
    assert!(hhmm(&search(&e, &q("after-15"), early())).contains(&"11:30".to_owned()));

    // An existing booking of a buffered service occupies its buffer too.
    let e = engine(&cfg);
    let mut x = appt(
        "x",
        "dr-a",
        mon_at(10, 0),
        mon_at(10, 30),
        AppointmentStatus::Booked,
    );
    x.service = Some("after-15".to_owned());
    e.add_appointment(x).expect("appointment");
    let without_1030: Vec<&str> = plain.iter().copied().filter(|s| *s != "10:30").collect();
    assert_eq!(
        hhmm(&search(&e, &q("physio-30"), early())),
        strs(&without_1030)
    );
    assert_eq!(
        rule_of(&e, &q("physio-30"), mon_at(10, 30), early()),
        Some(10)
    );
}

// ---------------------------------------------------------------------------------------
// Rule 11: time zones (more in tests/dst.rs).
// ---------------------------------------------------------------------------------------

#[test]
fn rule11_fold_offers_each_wall_time_once() {
    // 2027-11-07: Toronto falls back at 02:00 EDT to 01:00 EST.
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"] =
        json!([block("sun", "00:00", "03:00", "treat")]);
    set_scheduling(&mut cfg, "start_interval_minutes", json!(30));
    set_scheduling(&mut cfg, "max_days_ahead", json!(400));
    let e = engine(&cfg);
    let day = date(2027, 11, 7);
    let slots = search(&e, &on(day), early());
    assert_eq!(
        starts(&slots),
        strs(&[
            "2027-11-07T00:00:00-04:00",
            "2027-11-07T00:30:00-04:00",
            "2027-11-07T01:00:00-04:00",
            "2027-11-07T01:30:00-04:00",
            "2027-11-07T02:00:00-05:00",
            "2027-11-07T02:30:00-05:00",
        ])
    );
    let later = local_latest(Toronto, 2027, 11, 7, 1, 30);
    assert_eq!(rule_of(&e, &on(day), later, early()), Some(11));
    let earlier = local(Toronto, 2027, 11, 7, 1, 30);
    assert_eq!(rule_of(&e, &on(day), earlier, early()), None);
}

#[test]
fn rule11_gap_starts_are_skipped() {
    // 2027-03-14: Toronto springs forward at 02:00 EST to 03:00 EDT.
    let mut cfg = base();
    cfg["practitioners"][0]["availability"][0]["blocks"] =
        json!([block("sun", "01:00", "04:00", "treat")]);
    set_scheduling(&mut cfg, "start_interval_minutes", json!(30));
    let e = engine(&cfg);
    let day = date(2027, 3, 14);
    assert_eq!(
        starts(&search(&e, &on(day), early())),
        strs(&[
            "2027-03-14T01:00:00-05:00",
            "2027-03-14T01:30:00-05:00",
            "2027-03-14T03:00:00-04:00",
            "2027-03-14T03:30:00-04:00",
        ])
    );
}

// ---------------------------------------------------------------------------------------
// Rule 12: no preference.
// ---------------------------------------------------------------------------------------

fn b_then_a() -> serde_json::Value {
    // Configuration order: dr-b before dr-a (not alphabetical).
    let mut cfg = base();
    cfg["practitioners"] = json!([
        practitioner("dr-b", vec![block("mon", "09:30", "11:00", "treat")]),
        practitioner("dr-a", vec![block("mon", "09:00", "10:30", "treat")]),
    ]);
    cfg
}

#[test]
fn rule12_no_preference_lists_candidates_in_configuration_order() {
    let e = engine(&b_then_a());
    let slots = search(&e, &on(monday()), early());
    assert_eq!(
        with_candidates(&slots),
        vec![
            ("09:00".to_owned(), strs(&["dr-a"])),
            ("09:30".to_owned(), strs(&["dr-b", "dr-a"])),
            ("10:00".to_owned(), strs(&["dr-b", "dr-a"])),
            ("10:30".to_owned(), strs(&["dr-b"])),
        ]
    );
    assert_eq!(remaining(&slots), [1, 2, 2, 1]);
    // `explain_all` judges every candidate, in configuration order; `explain` stops at
    // the first who offers the start.
    let all = e
        .explain_all(&on(monday()), mon_at(9, 30), early())
        .expect("explain_all");
    assert!(all.offered);
    let order: Vec<&str> = all
        .practitioners
        .iter()
        .map(|v| v.practitioner.as_str())
        .collect();
    assert_eq!(order, ["dr-b", "dr-a"]);
    assert!(all.practitioners.iter().all(|v| v.offered));
    let ex = explain(&e, &on(monday()), mon_at(9, 30), early());
    assert!(ex.offered);
    assert_eq!(ex.practitioners, all.practitioners[..1]);

    // A booking of dr-b at 09:30 leaves dr-a as the only candidate.
    e.add_appointment(appt(
        "x",
        "dr-b",
        mon_at(9, 30),
        mon_at(10, 0),
        AppointmentStatus::Booked,
    ))
    .expect("appointment");
    let slots = search(&e, &on(monday()), early());
    assert_eq!(
        with_candidates(&slots)[1],
        ("09:30".to_owned(), strs(&["dr-a"]))
    );
    // Not offered by anyone: explain names the rule of the practitioner that came closest.
    let ex = explain(&e, &on(monday()), mon_at(11, 0), early());
    assert!(!ex.offered);
    assert_eq!(ex.rule, Some(5));
    let all = e
        .explain_all(&on(monday()), mon_at(11, 0), early())
        .expect("explain_all");
    assert_eq!((all.rule, &all.message), (ex.rule, &ex.message));
    assert_eq!(all.practitioners.len(), 2);
    assert_eq!(ex.practitioners.len(), 1);
    assert!(all.practitioners.contains(&ex.practitioners[0]));
}

#[test]
fn rule12_named_practitioner_has_one_candidate_per_slot() {
    let e = engine(&b_then_a());
    let slots = search(&e, &on(monday()).practitioner("dr-a"), early());
    assert_eq!(hhmm(&slots), strs(&["09:00", "09:30", "10:00"]));
    for (_, who) in with_candidates(&slots) {
        assert_eq!(who, strs(&["dr-a"]));
    }
}

#[test]
fn rule12_no_preference_switched_off() {
    let mut cfg = b_then_a();
    set_scheduling(&mut cfg, "allow_no_preference", json!(false));
    let e = engine(&cfg);
    // Without "No Preference" a query must name a practitioner: search, explain and book
    // give the same refusal (search and book as slot_unavailable, explain as rule 12).
    let err = e.search(&on(monday()), early()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SlotUnavailable, "{err}");
    assert!(err.message().contains("rule 12"), "{err}");
    let ex = explain(&e, &on(monday()), mon_at(9, 30), early());
    assert_eq!((ex.offered, ex.rule), (false, Some(12)));
    assert!(ex.practitioners.is_empty(), "{ex:?}");
    assert_eq!(ex.entity.as_deref(), Some("portal.scheduling"));
    // Naming a practitioner works as ever.
    let a = on(monday()).practitioner("dr-a");
    assert_eq!(search(&e, &a, early()).len(), 3);
    assert_eq!(rule_of(&e, &a, mon_at(9, 30), early()), None);
}

#[test]
fn rule12_search_explain_and_book_agree_when_no_preference_is_off() {
    let mut cfg = b_then_a();
    set_scheduling(&mut cfg, "allow_no_preference", json!(false));
    let e = engine(&cfg);
    let pat: Patient = serde_json::from_value(json!({"id": "pat"})).expect("patient");
    e.upsert_patient(pat).expect("patient");
    let search_err = e.search(&on(monday()), early()).unwrap_err();
    let book_err = e
        .book(
            &clinic_portal::BookRequest::new("pat", "physio-30", mon_at(9, 30)),
            early(),
        )
        .unwrap_err();
    assert_eq!(search_err.code(), book_err.code());
    assert_eq!(search_err.message(), book_err.message());
    assert_eq!(rule_of(&e, &on(monday()), mon_at(9, 30), early()), Some(12));
}
