//! The clinic-portal demo on the embedded sample practice (Riverside Physio: Toronto,
//! Kitsilano and a staff-only Whitby clinic; eight practitioners; nine services).
//!
//! Run with `cargo run --example demo`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clinic_portal::{
    AcceptInvitation, Appointment, BookRequest, CancelRequest, DecisionRequest, Engine,
    HoldRequest, InviteRequest, Password, Patient, RescheduleRequest, SignupRequest, SlotQuery,
    Slots,
};
use serde::Deserialize;

const PRACTICE: &str = include_str!("data/sample-practice.json");
const DATA: &str = include_str!("data/sample-data.json");

#[derive(Deserialize)]
struct SampleData {
    patients: Vec<Patient>,
    appointments: Vec<Appointment>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::from_json(PRACTICE)?;
    let data: SampleData = serde_json::from_str(DATA)?;
    for p in data.patients {
        engine.upsert_patient(p)?;
    }
    engine.add_appointments(data.appointments)?;

    // Monday 2027-03-08, 09:00 in Toronto. The week ahead crosses the 2027-03-14
    // daylight-saving switch: the slot offsets change from -05:00 to -04:00.
    let now: DateTime<Utc> = Utc
        .with_ymd_and_hms(2027, 3, 8, 14, 0, 0)
        .single()
        .ok_or("now")?;
    let from = NaiveDate::from_ymd_opt(2027, 3, 9).ok_or("date")?;
    let to = NaiveDate::from_ymd_opt(2027, 3, 15).ok_or("date")?;
    println!("clinic-portal demo — Riverside Physio, now = {now}");

    println!("\n== Configuration warnings ==");
    for w in engine.warnings() {
        println!("  {w}");
    }

    let service = "physio-followup-30";
    println!("\n== Next week online: {service}, no preference ==");
    let any = engine.search(&SlotQuery::new(service, from, to), now)?;
    print_week(&any, true);

    println!("\n== Next week online: {service} with Christine ==");
    let christine = engine.search(
        &SlotQuery::new(service, from, to).practitioner("christine"),
        now,
    )?;
    print_week(&christine, false);

    println!("\n== Pilates small group (capacity 4) with Amir, Tuesday ==");
    let tuesday = NaiveDate::from_ymd_opt(2027, 3, 9).ok_or("date")?;
    let pilates = engine.search(
        &SlotQuery::new("pilates-55", tuesday, tuesday).practitioner("amir"),
        now,
    )?;
    for slot in pilates.iter() {
        println!(
            "  {}  {} place(s) left",
            slot.start().format("%a %H:%M %:z"),
            slot.remaining_capacity()
        );
    }

    println!("\n== Why is this time not offered? ==");
    let refused = [
        ("christine", "2027-03-10T14:00:00-05:00"),
        ("christine", "2027-03-09T13:00:00-05:00"),
        ("luc", "2027-03-09T08:00:00-05:00"),
    ];
    for (practitioner, at) in refused {
        let start = DateTime::parse_from_rfc3339(at)?.with_timezone(&Utc);
        let svc = if practitioner == "luc" {
            "chiro-adjust-15"
        } else {
            service
        };
        let q = SlotQuery::new(svc, from, to).practitioner(practitioner);
        let e = engine.explain(&q, start, now)?;
        let rule = e
            .rule
            .map_or_else(|| "-".to_owned(), |r| format!("rule {r}"));
        println!("  {practitioner} {at} {svc}: {rule}: {}", e.message);
    }

    println!("\n== Who can offer shockwave-20 online? ==");
    let report = engine.service_report("shockwave-20")?;
    println!("  offered by: {:?}", report.offered_by);
    for r in report.not_offered_by.iter().take(3) {
        println!(
            "  not {}: rule {}: {}",
            r.practitioner, r.reason.rule, r.reason.message
        );
    }

    println!("\n== The website's booking button ==");
    println!("  {}", engine.book_button_html(None)?);

    booking_lifecycle(&engine, &christine, now)?;
    family_and_duplicates(&engine, &christine, now)?;
    Ok(())
}

/// DESIGN §6: Ana accepts her own invitation, then guardian invitations for her children
/// Ben and Lia (one account for a family sharing an address) and books for both; a
/// duplicate signup by Dev is found and merged into his existing profile.
fn family_and_duplicates(
    engine: &Engine,
    christine: &Slots,
    now: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n== Ana's family: one account for three patients ==");
    let lia: Patient = serde_json::from_value(serde_json::json!({
        "id": "pat-lia", "first_name": "Lia", "last_name": "Souza",
        "birth_date": "2018-06-02", "email": "ana.souza@example.com"
    }))?;
    engine.upsert_patient(lia)?;
    let own = engine.invite(&InviteRequest::own("pat-ana"), now)?;
    let ana = engine.accept_invitation(
        &AcceptInvitation::with_password(&own.token, "correct horse battery"),
        now + Duration::minutes(5),
    )?;
    println!(
        "  Ana accepted her invitation: account {} ({})",
        ana.id, ana.username
    );
    for child in ["pat-ben", "pat-lia"] {
        let invitation = engine.invite(
            &InviteRequest::guardian(child, "ana.souza@example.com"),
            now,
        )?;
        // The host logs Ana in and passes her account: the link is added to it.
        let who = engine.login(
            "Ana.Souza@example.com",
            &Password::new("correct horse battery"),
            now,
        )?;
        engine.accept_invitation(
            &AcceptInvitation::into_account(&invitation.token, &who.id),
            now + Duration::minutes(10),
        )?;
    }
    println!(
        "  Ana may act for: {:?}",
        engine.patients_of_account(&ana.id)
    );
    let mut booked = Vec::new();
    let mut starts: Vec<DateTime<Utc>> = christine
        .iter()
        .map(|s| s.start().with_timezone(&Utc))
        .collect();
    starts.reverse();
    for start in starts {
        let Some(child) = ["pat-ben", "pat-lia"].get(booked.len()) else {
            break;
        };
        let request = BookRequest::new(*child, "physio-followup-30", start)
            .practitioner("christine")
            .consent()
            .actor(&ana.id);
        if let Ok(b) = engine.book(&request, now + Duration::minutes(15)) {
            booked.push(b.appointment.id.clone());
            println!(
                "  Ana booked {} for {child} at {}",
                b.appointment.id,
                b.appointment
                    .start
                    .with_timezone(&chrono_tz::America::Toronto)
                    .format("%a %H:%M")
            );
        }
    }
    let refused = engine
        .book(
            &BookRequest::new("pat-dev", "physio-followup-30", now + Duration::days(3))
                .actor(&ana.id),
            now,
        )
        .map(|_| ())
        .map_err(|e| e.code());
    println!("  booking for Dev (not her dependent): {refused:?}");
    let visible: Vec<String> = engine
        .appointments_for_account(&ana.id)?
        .into_iter()
        .map(|a| a.id)
        .collect();
    println!("  Ana sees: {visible:?}");

    println!("\n== A duplicate signup is found and merged ==");
    let dev = engine.signup(
        &SignupRequest::new(
            "Dev.Patel@Example.com",
            "another good password",
            "Dev",
            "Patel",
            NaiveDate::from_ymd_opt(1992, 11, 20),
        ),
        now,
    )?;
    println!(
        "  signup created {} (account {}); review queue: {}",
        dev.patient.id,
        dev.account.id,
        engine.review_queue().len()
    );
    for c in engine.find_duplicates(&dev.patient.id)? {
        println!(
            "  possible duplicate {}: score {}, {:?}",
            c.patient, c.score, c.reasons
        );
    }
    let merged = engine.merge_patients("pat-dev", &dev.patient.id, now)?;
    println!(
        "  merged {} into {}: {} link(s) moved; review queue: {}",
        merged.record.merged,
        merged.record.replaced_by,
        merged.links.len(),
        engine.review_queue().len()
    );
    for n in engine.drain_outbox() {
        println!(
            "  #{} {:<16} → {}{}",
            n.id,
            n.kind.as_str(),
            n.recipients.join(", "),
            if n.token.is_some() {
                " (with a link token)"
            } else {
                ""
            }
        );
    }
    println!("  journal: {} change(s) so far", engine.last_seq());
    Ok(())
}

/// A patient holds and books a time with Christine (pending: auto-accept is off), staff
/// accept it with a note, a late cancellation is refused, a reschedule succeeds, and the
/// outbox shows what the host would send.
fn booking_lifecycle(
    engine: &Engine,
    christine: &Slots,
    now: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let service = "physio-followup-30";
    let starts: Vec<DateTime<Utc>> = christine
        .iter()
        .map(|s| s.start().with_timezone(&Utc))
        .filter(|s| *s > now + Duration::days(2))
        .collect();
    let first = *starts.first().ok_or("no slot with Christine")?;
    let later = *starts
        .iter()
        .find(|s| **s >= first + Duration::hours(2))
        .ok_or("no second slot with Christine")?;
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&chrono_tz::America::Toronto)
            .format("%a %Y-%m-%d %H:%M")
            .to_string()
    };

    println!(
        "\n== Chloe holds and books {} with Christine ==",
        local(first)
    );
    let hold = engine.hold(
        &HoldRequest::new(service, first)
            .practitioner("christine")
            .patient("pat-chloe"),
        now,
    )?;
    println!(
        "  hold {} until {}",
        hold.id,
        hold.expires_at.format("%H:%M UTC")
    );
    let mut request = BookRequest::from_hold("pat-chloe", &hold.id)
        .consent()
        .idempotency_key("chloe-web-1");
    request.notes = Some("Left knee, follow-up".to_owned());
    let booking = engine.book(&request, now + Duration::minutes(3))?;
    let id = booking.appointment.id.clone();
    println!(
        "  booked {id}: status {:?}, consent version {:?}",
        booking.appointment.status,
        booking.details.consent.and_then(|c| c.version)
    );
    let retry = engine.book(&request, now + Duration::minutes(4))?;
    println!(
        "  retried with the same idempotency key: same booking {} ({} appointments in the engine)",
        retry.appointment.id,
        engine.appointment_count()
    );

    println!("\n== Staff accept it with a note ==");
    let accepted = engine.accept(
        &DecisionRequest::new(
            &id,
            Some("See you then. Please bring your referral letter."),
        ),
        now + Duration::hours(1),
    )?;
    println!("  {id}: {:?}", accepted.appointment.status);

    println!("\n== Chloe tries to cancel 20 hours before ==");
    let too_late = first - Duration::hours(20);
    match engine.cancel(&CancelRequest::by_patient(&id), too_late) {
        Ok(_) => println!("  cancelled (unexpected)"),
        Err(e) => println!("  refused: {}: {}", e.code(), e.message()),
    }

    println!("\n== Chloe reschedules to {} instead ==", local(later));
    let moved = engine.reschedule(
        &RescheduleRequest::new(&id, later),
        now + Duration::hours(2),
    )?;
    println!(
        "  {id}: {} → {}, status {:?} (back to staff for acceptance)",
        local(moved.before.start),
        local(moved.after.appointment.start),
        moved.after.appointment.status
    );

    println!("\n== Outbox (the host delivers these) ==");
    for n in engine.drain_outbox() {
        println!(
            "  #{} {:<16} → {}",
            n.id,
            n.kind.as_str(),
            n.recipients.join(", ")
        );
    }
    println!("  journal: {} change(s) so far", engine.last_seq());
    Ok(())
}

/// Prints the slots per local day and clinic, with the candidate count for no preference.
fn print_week(slots: &Slots, show_candidates: bool) {
    let mut days: BTreeMap<(NaiveDate, String), Vec<String>> = BTreeMap::new();
    for slot in slots.iter() {
        let start = slot.start();
        let key = (start.date_naive(), slot.clinic().to_owned());
        let label = if show_candidates {
            format!("{}({})", start.format("%H:%M"), slot.practitioners().len())
        } else {
            start.format("%H:%M").to_string()
        };
        days.entry(key).or_default().push(label);
    }
    for ((day, clinic), times) in &days {
        let offset = slots
            .iter()
            .find(|s| s.clinic() == clinic && s.start().date_naive() == *day)
            .map(|s| s.start().format("%:z").to_string())
            .unwrap_or_default();
        let day = day.format("%a %Y-%m-%d");
        println!("  {day} {clinic:<9} ({offset}) {} slot(s)", times.len());
        for chunk in times.chunks(12) {
            println!("      {}", chunk.join(" "));
        }
    }
    if days.is_empty() {
        println!("  (nothing online)");
    }
    println!("  total: {} slot(s)", slots.len());
}
