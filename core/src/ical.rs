//! iCalendar (RFC 5545) export of appointments (docs/interchange.md): one appointment, a
//! patient's, or a practitioner's day, as a `VCALENDAR` of `VEVENT`s written and folded by
//! the `icalendar` crate.
//!
//! Each event has a stable `UID` (`<appointment id>@<domain>`, the domain being
//! `portal.calendar_domain`, else the host of `portal.login_url`, else
//! [`FALLBACK_DOMAIN`]), `SEQUENCE` = how many times it was rescheduled, `STATUS`
//! `TENTATIVE` (pending), `CONFIRMED` (booked) or `CANCELLED` (cancelled or declined), and
//! `DTSTART`/`DTEND` in UTC (`Z`), so no `VTIMEZONE` is needed. `DTSTAMP` is the `now`
//! passed in: nothing reads the clock.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use crate::engine::{check_instant, State};
use crate::model::{Appointment, AppointmentStatus};
use crate::{Engine, Error, Result};

/// The `UID` domain when the practice configures neither `portal.calendar_domain` nor a
/// `portal.login_url`.
pub const FALLBACK_DOMAIN: &str = "clinic-portal.invalid";
/// The longest `portal.calendar_domain` (a DNS name), in characters (docs/limits.md).
pub const MAX_CALENDAR_DOMAIN_CHARS: usize = 253;
/// The most events one calendar export holds; an export that would hold more is
/// `invalid_input` (docs/limits.md).
pub const MAX_CALENDAR_EVENTS: usize = 10_000;

/// The calendar's `PRODID`.
const PRODID: &str = "-//clinic-portal//clinic-portal//EN";

/// Checks a calendar domain: a DNS name of at most [`MAX_CALENDAR_DOMAIN_CHARS`]
/// characters, labels of ASCII letters, digits and `-` (1 to 63 each, no `-` at either end).
pub(crate) fn check_domain(domain: &str) -> std::result::Result<(), String> {
    if domain.is_empty() || domain.len() > MAX_CALENDAR_DOMAIN_CHARS {
        return Err(format!(
            "a domain has 1 to {MAX_CALENDAR_DOMAIN_CHARS} characters"
        ));
    }
    for label in domain.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "`{domain}` is not a domain name (labels of letters, digits and `-`)"
            ));
        }
    }
    Ok(())
}

/// The practice's `UID` domain.
fn domain(state: &State) -> String {
    let portal = &state.practice.config.portal;
    if let Some(d) = &portal.calendar_domain {
        return d.to_ascii_lowercase();
    }
    let host = portal.login_url.as_deref().and_then(|url| {
        let rest = url.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit('@').next()?;
        let host = host.split(':').next()?;
        check_domain(host)
            .is_ok()
            .then(|| host.to_ascii_lowercase())
    });
    host.unwrap_or_else(|| FALLBACK_DOMAIN.to_owned())
}

/// The stable `UID` of an appointment's event.
pub(crate) fn uid(domain: &str, appointment: &str) -> String {
    format!("{appointment}@{domain}")
}

fn event(state: &State, domain: &str, a: &Appointment, now: DateTime<Utc>) -> Event {
    let config = &state.practice.config;
    let service = a.service.as_deref().map(|s| {
        config
            .services
            .iter()
            .find(|x| x.id == s)
            .map(|x| {
                if x.name.is_empty() {
                    s
                } else {
                    x.name.as_str()
                }
            })
            .unwrap_or(s)
    });
    let practitioner = config
        .practitioners
        .iter()
        .find(|p| p.id == a.practitioner)
        .map(|p| {
            if p.name.is_empty() {
                p.id.as_str()
            } else {
                p.name.as_str()
            }
        })
        .unwrap_or(&a.practitioner);
    let status = match a.status {
        AppointmentStatus::Pending => EventStatus::Tentative,
        AppointmentStatus::Booked => EventStatus::Confirmed,
        AppointmentStatus::Declined | AppointmentStatus::Cancelled => EventStatus::Cancelled,
    };
    let sequence = state.bookings.get(&a.id).map_or(0, |d| d.reschedule_count);
    let mut e = Event::new();
    e.uid(&uid(domain, &a.id))
        .timestamp(now)
        .sequence(sequence)
        .status(status)
        .starts(a.start)
        .ends(a.end)
        .summary(&format!(
            "{} with {practitioner}",
            service.unwrap_or("Appointment")
        ));
    if let Some(c) = &a.clinic {
        let clinic = config
            .clinics
            .iter()
            .find(|x| &x.id == c)
            .map(|x| {
                if x.name.is_empty() {
                    c.as_str()
                } else {
                    x.name.as_str()
                }
            })
            .unwrap_or(c);
        e.location(clinic);
    }
    e.done()
}

/// A `VCALENDAR` of the appointments, in order.
fn calendar<'a>(
    state: &State,
    appointments: impl Iterator<Item = &'a Appointment>,
    now: DateTime<Utc>,
) -> Result<String> {
    check_instant("now", now)?;
    let domain = domain(state);
    let mut cal = Calendar::new();
    cal.properties.retain(|p| p.key() != "PRODID");
    cal.append_property(Property::new("PRODID", PRODID));
    for (n, a) in appointments.enumerate() {
        if n >= MAX_CALENDAR_EVENTS {
            return Err(Error::invalid_input(format!(
                "a calendar export holds at most {MAX_CALENDAR_EVENTS} events (docs/limits.md)"
            )));
        }
        cal.push(event(state, &domain, a, now));
    }
    Ok(cal.done().to_string())
}

/// The local date of `at` at `clinic` (in UTC without a known clinic).
pub(crate) fn local_date(state: &State, clinic: Option<&str>, at: DateTime<Utc>) -> NaiveDate {
    match clinic.and_then(|c| state.practice.clinic_ix.get(c)) {
        Some(&ci) => at
            .with_timezone(&state.practice.clinics[ci].tz)
            .date_naive(),
        None => at.date_naive(),
    }
}

fn by_start(mut list: Vec<&Appointment>) -> Vec<&Appointment> {
    list.sort_by(|x, y| (x.start, &x.id).cmp(&(y.start, &y.id)));
    list
}

impl Engine {
    /// One appointment as an iCalendar `VCALENDAR` with one `VEVENT` (docs/interchange.md),
    /// stamped `now`. With an `actor`, the portal account must be linked to the
    /// appointment's patient.
    pub fn ical_appointment(
        &self,
        id: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let state = self.read();
        if let Some(actor) = actor {
            self.authorize_appointment(&state, actor, id)?;
        }
        let a = state
            .appointments
            .get(id)
            .ok_or_else(|| Error::not_found("appointment", id))?;
        calendar(&state, std::iter::once(&a), now)
    }

    /// Every appointment of a patient (cancelled and declined ones as `CANCELLED`, so that
    /// calendars drop them), by start, as one `VCALENDAR`. With an `actor`, the portal
    /// account must be linked to the patient.
    pub fn ical_patient(
        &self,
        patient: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let state = self.read();
        if !state.patients.contains_key(patient) {
            return Err(Error::not_found("patient", patient));
        }
        self.authorize(&state, actor, patient)?;
        let list = state
            .patient_appointments
            .get(patient)
            .into_iter()
            .flatten()
            .filter_map(|id| state.appointments.get(id))
            .collect::<Vec<Appointment>>();
        calendar(&state, by_start(list.iter().collect()).into_iter(), now)
    }

    /// A practitioner's appointments starting on a local date (in each appointment's
    /// clinic zone; UTC for one without a clinic), by start, as one `VCALENDAR` (the staff
    /// side).
    pub fn ical_practitioner_day(
        &self,
        practitioner: &str,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let state = self.read();
        if !state.practice.practitioner_ix.contains_key(practitioner) {
            return Err(Error::not_found("practitioner", practitioner));
        }
        let list = state
            .appointments
            .views()
            .filter(|a| a.practitioner == practitioner)
            .filter(|a| local_date(&state, a.clinic, a.start) == date)
            .map(|a| a.to_appointment())
            .collect::<Vec<Appointment>>();
        calendar(&state, by_start(list.iter().collect()).into_iter(), now)
    }
}
