//! The clinic-portal demo on the embedded sample practice (Riverside Physio: Toronto,
//! Kitsilano in Vancouver and a staff-only Whitby clinic; eight practitioners; nine
//! services).
//!
//! It first shows what the portal offers on Monday 2027-03-08 at 09:00 in Toronto, then
//! tells one story in time order: a patient holds, books, is accepted and reschedules; a
//! mother gets one account for her family and books for her children; a duplicate signup
//! is merged; a cancellation is offered to a patient on the waitlist, who books it; a late
//! cancellation is refused. Every notification the engine queues is
//! shown under the step that caused it. Times are printed in the clinic's own zone.
//!
//! Run with `cargo run --example demo`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use clinic_portal::{
    AcceptInvitation, Appointment, BookRequest, CancelRequest, DecisionRequest, Engine, Error,
    HoldRequest, InviteRequest, Password, Patient, RescheduleRequest, SignupRequest, SlotQuery,
    Slots, WaitlistFilter, WaitlistRequest,
};
use serde::{Deserialize, Serialize};

const PRACTICE: &str = include_str!("data/sample-practice.json");
const DATA: &str = include_str!("data/sample-data.json");

type DemoResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

#[derive(Deserialize)]
struct SampleData {
    patients: Vec<Patient>,
    appointments: Vec<Appointment>,
}

/// The story's clock: every step happens at a later instant than the one before.
struct Clock {
    now: DateTime<Utc>,
}

impl Clock {
    /// Moves the clock to `at`, which must not be in the past.
    fn at(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        assert!(at >= self.now, "the story goes forward in time");
        self.now = at;
        at
    }

    /// Moves the clock on by `minutes`.
    fn later(&mut self, minutes: i64) -> DateTime<Utc> {
        let next = self.now + Duration::minutes(minutes);
        self.at(next)
    }
}

fn main() -> DemoResult {
    let engine = Engine::from_json(PRACTICE)?;
    let data: SampleData = serde_json::from_str(DATA)?;
    for p in data.patients {
        engine.upsert_patient(p)?;
    }
    engine.add_appointments(data.appointments)?;

    // Monday 2027-03-08, 09:00 in Toronto. The week ahead crosses the 2027-03-14
    // daylight-saving change: Toronto goes from UTC-05:00 to UTC-04:00.
    let now: DateTime<Utc> = Utc
        .with_ymd_and_hms(2027, 3, 8, 14, 0, 0)
        .single()
        .ok_or("now")?;
    let from = NaiveDate::from_ymd_opt(2027, 3, 9).ok_or("date")?;
    let to = NaiveDate::from_ymd_opt(2027, 3, 15).ok_or("date")?;
    println!("clinic-portal demo: Riverside Physio");
    println!("now: {}", local(&engine, "toronto", now));

    println!("\n== Configuration warnings ==");
    print_warnings(&engine)?;

    let service = "physio-followup-30";
    println!("\n== Next week online: {service}, no preference ==");
    println!("  [n] after a time: how many practitioners can take it");
    let any = engine.search(&SlotQuery::new(service, from, to), now)?;
    print_week(&engine, &any, true);

    println!("\n== Next week online: {service} with Christine ==");
    let christine = engine.search(
        &SlotQuery::new(service, from, to).practitioner("christine"),
        now,
    )?;
    print_week(&engine, &christine, false);

    println!("\n== Pilates small group (capacity 4) with Amir, Tuesday ==");
    let tuesday = NaiveDate::from_ymd_opt(2027, 3, 9).ok_or("date")?;
    let pilates = engine.search(
        &SlotQuery::new("pilates-55", tuesday, tuesday).practitioner("amir"),
        now,
    )?;
    for slot in pilates.iter() {
        println!(
            "  {}: {} of 4 places left",
            local(&engine, slot.clinic(), slot.start().with_timezone(&Utc)),
            slot.remaining_capacity()
        );
    }

    println!("\n== Why is this time not offered? ==");
    let refused = [
        ("christine", service, "2027-03-10T14:00:00-05:00"),
        ("christine", service, "2027-03-09T13:00:00-05:00"),
        ("luc", "chiro-adjust-15", "2027-03-09T08:00:00-05:00"),
    ];
    for (practitioner, svc, at) in refused {
        let start = DateTime::parse_from_rfc3339(at)?.with_timezone(&Utc);
        let q = SlotQuery::new(svc, from, to).practitioner(practitioner);
        let e = engine.explain(&q, start, now)?;
        println!(
            "  {svc} with {practitioner} at {}:",
            local(&engine, "toronto", start)
        );
        match e.rule {
            Some(rule) => println!("      not offered, {}: {}", rule_label(rule), e.message),
            None => println!("      offered"),
        }
    }

    println!("\n== The website's booking button ==");
    println!("  {}", engine.book_button_html(None)?);

    let mut clock = Clock { now };
    booking_story(&engine, &christine, &mut clock)?;
    Ok(())
}

/// The story, in time order.
fn booking_story(engine: &Engine, christine: &Slots, clock: &mut Clock) -> DemoResult {
    let service = "physio-followup-30";
    let starts: Vec<DateTime<Utc>> = christine
        .iter()
        .map(|s| s.start().with_timezone(&Utc))
        .filter(|s| *s > clock.now + Duration::days(2))
        .collect();
    let first = *starts.first().ok_or("no slot with Christine")?;
    let later = *starts
        .iter()
        .find(|s| **s >= first + Duration::hours(2))
        .ok_or("no second slot with Christine")?;

    let at = clock.now;
    step(
        engine,
        at,
        &format!(
            "Chloe holds {} with Christine",
            local(engine, "toronto", first)
        ),
    );
    let hold = engine.hold(
        &HoldRequest::new(service, first)
            .practitioner("christine")
            .patient("pat-chloe"),
        at,
    )?;
    println!(
        "  hold {} keeps the time until {}",
        hold.id,
        local(engine, &hold.clinic, hold.expires_at)
    );
    notifications(engine);

    let at = clock.later(3);
    step(engine, at, "Chloe confirms: she books from the hold");
    let mut request = BookRequest::from_hold("pat-chloe", &hold.id)
        .consent()
        .idempotency_key("chloe-web-1");
    request.notes = Some("Left knee, follow-up".to_owned());
    let booking = engine.book(&request, at)?;
    let id = booking.appointment.id.clone();
    let consent = booking
        .details
        .consent
        .as_ref()
        .and_then(|c| c.version.clone())
        .unwrap_or_else(|| "(no version)".to_owned());
    println!(
        "  booked {id}: status {}, consent version {consent} recorded",
        name_of(&booking.appointment.status)
    );
    notifications(engine);

    let at = clock.later(1);
    step(
        engine,
        at,
        "Her browser retries the request (same idempotency key)",
    );
    let retry = engine.book(&request, at)?;
    println!(
        "  the same booking {} comes back; still {} appointments in the engine",
        retry.appointment.id,
        engine.appointment_count()
    );
    notifications(engine);

    let at = clock.later(56);
    step(engine, at, "Staff accept the request with a note");
    let accepted = engine.accept(
        &DecisionRequest::new(
            &id,
            Some("See you then. Please bring your referral letter."),
        ),
        at,
    )?;
    println!("  {id}: status {}", name_of(&accepted.appointment.status));
    notifications(engine);

    let at = clock.later(60);
    step(
        engine,
        at,
        &format!(
            "Chloe moves it to {} instead",
            local(engine, "toronto", later)
        ),
    );
    let moved = engine.reschedule(&RescheduleRequest::new(&id, later), at)?;
    println!(
        "  {id}: {} → {}, status {} (back to staff for acceptance)",
        local(engine, "toronto", moved.before.start),
        local(engine, "toronto", moved.after.appointment.start),
        name_of(&moved.after.appointment.status)
    );
    notifications(engine);

    family(engine, christine, clock)?;
    duplicate_signup(engine, clock)?;
    waitlist(engine, christine, clock)?;

    let at = clock.at(later - Duration::hours(20));
    step(
        engine,
        at,
        "Chloe tries to cancel online, 20 hours before the start",
    );
    match engine.cancel(&CancelRequest::by_patient(&id), at) {
        Ok(_) => println!("  cancelled (unexpected)"),
        Err(e) => print_refusal(&e),
    }
    notifications(engine);

    println!(
        "\n== Journal: {} change(s) for the host to store ==",
        engine.last_seq()
    );
    Ok(())
}

/// Ana accepts her own invitation, then guardian invitations for her children Ben and
/// Lia: one account for a family that shares an e-mail address. She books for both
/// children and is refused for another patient.
fn family(engine: &Engine, christine: &Slots, clock: &mut Clock) -> DemoResult {
    let lia: Patient = serde_json::from_value(serde_json::json!({
        "id": "pat-lia", "first_name": "Lia", "last_name": "Souza",
        "birth_date": "2018-06-02", "email": "ana.souza@example.com"
    }))?;
    engine.upsert_patient(lia)?;

    let at = clock.at(clock
        .now
        .date_naive()
        .and_hms_opt(17, 0, 0)
        .ok_or("time")?
        .and_utc());
    step(engine, at, "Staff invite Ana to the portal");
    let own = engine.invite(&InviteRequest::own("pat-ana"), at)?;
    println!(
        "  invitation {} to {}, valid until {}",
        own.invitation.id,
        own.invitation.email,
        local(engine, "toronto", own.invitation.expires_at)
    );
    notifications(engine);

    let at = clock.later(5);
    step(engine, at, "Ana opens the link and chooses a password");
    let ana = engine.accept_invitation(
        &AcceptInvitation::with_password(&own.token, "correct horse battery"),
        at,
    )?;
    println!("  account {} created for {}", ana.id, ana.username);
    notifications(engine);

    let at = clock.later(5);
    step(
        engine,
        at,
        "Staff invite Ana as guardian of Ben and of Lia (same address)",
    );
    let mut tokens = Vec::new();
    for child in ["pat-ben", "pat-lia"] {
        let invitation =
            engine.invite(&InviteRequest::guardian(child, "ana.souza@example.com"), at)?;
        println!(
            "  invitation {} for {child} to {}",
            invitation.invitation.id, invitation.invitation.email
        );
        tokens.push(invitation.token);
    }
    notifications(engine);

    let at = clock.later(5);
    step(
        engine,
        at,
        "Ana logs in and accepts both into her existing account",
    );
    // The host logs Ana in and passes her account: each link is added to it.
    let who = engine.login(
        "Ana.Souza@example.com",
        &Password::new("correct horse battery"),
        at,
    )?;
    for token in &tokens {
        engine.accept_invitation(&AcceptInvitation::into_account(token, &who.id), at)?;
    }
    println!(
        "  account {} may act for: {}",
        ana.id,
        engine.patients_of_account(&ana.id).join(", ")
    );
    notifications(engine);

    let at = clock.later(5);
    step(
        engine,
        at,
        "Ana books Christine for both children (latest free times)",
    );
    let mut children = ["pat-ben", "pat-lia"].into_iter();
    let mut child = children.next();
    for slot in christine.iter().collect::<Vec<_>>().into_iter().rev() {
        let Some(patient) = child else {
            break;
        };
        let start = slot.start().with_timezone(&Utc);
        let request = BookRequest::new(patient, "physio-followup-30", start)
            .practitioner("christine")
            .consent()
            .actor(&ana.id);
        if let Ok(b) = engine.book(&request, at) {
            println!(
                "  {} for {patient} at {}: {}",
                b.appointment.id,
                local(engine, slot.clinic(), b.appointment.start),
                name_of(&b.appointment.status)
            );
            child = children.next();
        }
    }
    notifications(engine);

    let at = clock.later(5);
    step(
        engine,
        at,
        "Ana tries to book for Dev, who is not her dependent",
    );
    let for_dev =
        BookRequest::new("pat-dev", "physio-followup-30", at + Duration::days(3)).actor(&ana.id);
    match engine.book(&for_dev, at) {
        Ok(_) => println!("  booked (unexpected)"),
        Err(e) => print_refusal(&e),
    }
    let visible: Vec<String> = engine
        .appointments_for_account(&ana.id)?
        .into_iter()
        .map(|a| a.id)
        .collect();
    println!("  Ana's account sees: {}", visible.join(", "));
    notifications(engine);
    Ok(())
}

/// Dev, who already is a patient, signs up again on the website; staff find the duplicate
/// and merge the new profile into his existing one.
fn duplicate_signup(engine: &Engine, clock: &mut Clock) -> DemoResult {
    let at = clock.later(30);
    step(engine, at, "Dev signs up on the website");
    let dev = engine.signup(
        &SignupRequest::new(
            "Dev.Patel@Example.com",
            "another good password",
            "Dev",
            "Patel",
            NaiveDate::from_ymd_opt(1992, 11, 20),
        ),
        at,
    )?;
    println!(
        "  new patient {} and account {}; {} signup(s) waiting for review",
        dev.patient.id,
        dev.account.id,
        engine.review_queue().len()
    );
    for c in engine.find_duplicates(&dev.patient.id)? {
        let reasons: Vec<String> = c.reasons.iter().map(name_of).collect();
        println!(
            "  possible duplicate: {} (score {}: {})",
            c.patient,
            c.score,
            reasons.join(", ")
        );
    }
    notifications(engine);

    let at = clock.later(10);
    step(
        engine,
        at,
        "Staff merge the new profile into the existing one",
    );
    let merged = engine.merge_patients("pat-dev", &dev.patient.id, at)?;
    println!(
        "  {} merged into {}: {} account link(s) moved; {} signup(s) waiting for review",
        merged.record.merged,
        merged.record.replaced_by,
        merged.links.len(),
        engine.review_queue().len()
    );
    notifications(engine);
    Ok(())
}

/// Dev books a time with Christine and Ana waits for one that day; when Dev cancels, the
/// engine holds the freed time for Ana and tells her, and she books it (docs/waitlist.md).
fn waitlist(engine: &Engine, christine: &Slots, clock: &mut Clock) -> DemoResult {
    let service = "physio-followup-30";
    let at = clock.later(10);
    let mut taken = None;
    for slot in christine.iter() {
        let start = slot.start().with_timezone(&Utc);
        if start < at + Duration::days(2) {
            continue;
        }
        let request = BookRequest::new("pat-dev", service, start)
            .practitioner("christine")
            .consent();
        if let Ok(b) = engine.book(&request, at) {
            taken = Some(b);
            break;
        }
    }
    let booked = taken.ok_or("no time left for Dev with Christine")?;
    let start = booked.appointment.start;
    let clinic = booked.appointment.clinic.clone().unwrap_or_default();
    step(
        engine,
        at,
        &format!("Dev books {} with Christine", local(engine, &clinic, start)),
    );
    notifications(engine);

    let at = clock.later(5);
    step(engine, at, "Ana joins the waitlist for Christine that day");
    let tz: Tz = zone_name(engine, &clinic).parse().unwrap_or(Tz::UTC);
    let day = start.with_timezone(&tz).date_naive();
    let entry = engine.join_waitlist(
        &WaitlistRequest::new("pat-ana", service, day, day).practitioner("christine"),
        at,
    )?;
    println!("  entry {} waits from {day} to {day}", entry.id);

    let at = clock.later(30);
    step(engine, at, "Dev cancels: the time is offered to Ana");
    engine.cancel(&CancelRequest::by_patient(&booked.appointment.id), at)?;
    let offer = engine
        .waitlist(&WaitlistFilter::default())
        .into_iter()
        .find(|e| e.id == entry.id)
        .and_then(|e| e.offer)
        .ok_or("no offer for Ana")?;
    println!(
        "  hold {} keeps {} for Ana until {}",
        offer.hold,
        local(engine, &offer.clinic, offer.start),
        local(engine, &offer.clinic, offer.expires_at)
    );
    notifications(engine);

    let at = clock.later(20);
    step(engine, at, "Ana books the offered time from the hold");
    let mine = engine.book(
        &BookRequest::from_hold("pat-ana", &offer.hold).consent(),
        at,
    )?;
    let report = engine.waitlist_report();
    println!(
        "  booked {}: status {}; waitlist offers made {}, accepted {}",
        mine.appointment.id,
        name_of(&mine.appointment.status),
        report.offered,
        report.accepted
    );
    notifications(engine);
    Ok(())
}

/// Prints the heading of a story step with its wall time and zone in Toronto.
fn step(engine: &Engine, at: DateTime<Utc>, what: &str) {
    let name = zone_name(engine, "toronto");
    let tz: Tz = name.parse().unwrap_or(Tz::UTC);
    let t = at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M");
    println!("\n== {t} {name}: {what} ==");
}

/// Drains the outbox and prints what the host would now deliver.
fn notifications(engine: &Engine) {
    for n in engine.drain_outbox() {
        let to = if n.recipients.is_empty() {
            "nobody (no address on file)".to_owned()
        } else {
            n.recipients.join(", ")
        };
        let token = if n.token.is_some() {
            " [carries a one-time link token]"
        } else {
            ""
        };
        println!("  notification #{} {} → {to}{token}", n.id, n.kind.as_str());
    }
}

/// Prints a refused operation: its stable code and its message.
fn print_refusal(e: &Error) {
    println!("  refused with {}:", e.code());
    println!("      {}", e.message());
}

/// Prints the configuration warnings, one per line; for a service no one can offer, one
/// line per practitioner and reason.
fn print_warnings(engine: &Engine) -> DemoResult {
    let config = engine.config();
    for w in engine.warnings() {
        let service = w
            .path
            .strip_prefix("services[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| config.services.get(i));
        match service {
            Some(service) => {
                println!(
                    "  warning at {}: portal service `{}` can never be offered online:",
                    w.path, service.id
                );
                for r in engine.service_report(&service.id)?.not_offered_by {
                    println!(
                        "      - {}: {}: {}",
                        r.practitioner,
                        rule_label(r.reason.rule),
                        r.reason.message
                    );
                }
            }
            None => {
                println!("  warning at {}:", w.path);
                println!("      {}", w.message);
            }
        }
    }
    Ok(())
}

/// Prints the slots per local day and clinic, in the clinic's zone; with
/// `show_candidates`, how many practitioners can take each start.
fn print_week(engine: &Engine, slots: &Slots, show_candidates: bool) {
    let mut days: BTreeMap<(NaiveDate, String), (String, Vec<String>)> = BTreeMap::new();
    for slot in slots.iter() {
        let start = slot.start();
        let label = if show_candidates {
            format!("{} [{}]", start.format("%H:%M"), slot.practitioners().len())
        } else {
            start.format("%H:%M").to_string()
        };
        let entry = days
            .entry((start.date_naive(), slot.clinic().to_owned()))
            .or_insert_with(|| (start.format("%:z").to_string(), Vec::new()));
        entry.1.push(label);
    }
    for ((day, clinic), (offset, times)) in &days {
        println!(
            "  {} at {clinic} ({}, UTC{offset}): {} start(s)",
            day.format("%a %Y-%m-%d"),
            zone_name(engine, clinic),
            times.len()
        );
        let per_line = if show_candidates { 9 } else { 12 };
        for chunk in times.chunks(per_line) {
            println!("      {}", chunk.join("  "));
        }
    }
    if days.is_empty() {
        println!("  (nothing online)");
    }
    println!("  total: {} slot(s)", slots.len());
}

/// The IANA zone name of a clinic, e.g. `America/Toronto`.
fn zone_name(engine: &Engine, clinic: &str) -> String {
    engine
        .config()
        .clinics
        .iter()
        .find(|c| c.id == clinic)
        .map_or_else(|| "UTC".to_owned(), |c| c.time_zone.clone())
}

/// An instant as a wall time in the clinic's zone, with the zone named:
/// `Wed 2027-03-10 09:15 America/Toronto (UTC-05:00)`.
fn local(engine: &Engine, clinic: &str, at: DateTime<Utc>) -> String {
    let name = zone_name(engine, clinic);
    let tz: Tz = name.parse().unwrap_or(Tz::UTC);
    let t = at.with_timezone(&tz);
    format!(
        "{} {name} (UTC{})",
        t.format("%a %Y-%m-%d %H:%M"),
        t.format("%:z")
    )
}

/// The name of an availability rule, as the documentation gives it (docs/rules.md).
fn rule_label(rule: u8) -> String {
    let name = match rule {
        1 => "portal on",
        2 => "service online",
        3 => "practitioner online",
        4 => "schedule-type chain",
        5 => "availability records",
        6 => "portal blocks",
        7 => "closures",
        8 => "booking window",
        9 => "start grid",
        10 => "capacity",
        11 => "time zones",
        12 => "no preference",
        _ => "unknown rule",
    };
    format!("rule {rule} ({name})")
}

/// A value's JSON name, e.g. `pending` for `AppointmentStatus::Pending` or `same_email`
/// for `DuplicateReason::SameEmail`.
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}
