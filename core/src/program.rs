//! Programs: group sessions patients register for online (docs/booking.md, programs).
//!
//! A program's sessions fall on `start_date`, or on the dates its RRULE chooses (anchored
//! at `start_date`), at `start_time` in its clinic's zone. Each session has `capacity`
//! places; registration fails with `capacity_full` when they are taken, and obeys the
//! lead time and horizon of appointments (rule 8, booking window).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::availability::{booking_window, FIRST_QUERY_DATE, LAST_QUERY_DATE};
use crate::config::Program;
use crate::engine::{check_instant, State};
use crate::journal::{duplicate, Delta};
use crate::outbox::{
    clinic_address, NotificationData, NotificationKind, ProgramRegistrationNotice, Recipients,
};
use crate::practice::Practice;
use crate::zone::resolve_start;
use crate::{Engine, Error, ErrorCode, Result};

/// The status of a program registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Takes a place.
    Registered,
    /// Cancelled; the place is free again.
    Cancelled,
}

/// A patient's place in one program session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Registration id (the caller's, or generated `reg-N`).
    pub id: String,
    /// Program id.
    pub program: String,
    /// Patient id.
    pub patient: String,
    /// The session's local date.
    pub session_date: NaiveDate,
    /// The session's start instant.
    pub session_start: DateTime<Utc>,
    /// Status.
    pub status: RegistrationStatus,
    /// When the patient registered.
    pub registered_at: DateTime<Utc>,
    /// When it was cancelled.
    #[serde(default)]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// Ask to register for a program session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// The registration id; absent: generated.
    #[serde(default)]
    pub id: Option<String>,
    /// Program id.
    pub program: String,
    /// Patient id.
    pub patient: String,
    /// The session's local date.
    pub session_date: NaiveDate,
    /// The portal account acting (docs/accounts.md): it needs an active link to the patient
    /// (`not_authorized` otherwise). `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl RegistrationRequest {
    /// Register `patient` for the session of `program` on `session_date`.
    pub fn new(
        program: impl Into<String>,
        patient: impl Into<String>,
        session_date: NaiveDate,
    ) -> RegistrationRequest {
        RegistrationRequest {
            id: None,
            program: program.into(),
            patient: patient.into(),
            session_date,
            actor: None,
        }
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> RegistrationRequest {
        self.actor = Some(account.into());
        self
    }
}

/// One program session with its occupancy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProgramSession {
    /// Program id.
    pub program: String,
    /// Local date.
    pub date: NaiveDate,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// Places per session.
    pub capacity: u32,
    /// Places taken.
    pub registered: u32,
}

/// The longest date range a session listing may span, in days (`invalid_input` beyond).
pub const MAX_SESSION_DAYS: i64 = 366;

impl Engine {
    fn program_in<'p>(practice: &'p Practice, id: &str) -> Result<(usize, &'p Program)> {
        practice
            .config
            .programs
            .iter()
            .enumerate()
            .find(|(_, p)| p.id == id)
            .ok_or_else(|| Error::not_found("program", id))
    }

    /// The session dates of a program (the `index`-th) in `from..=to`; the RRULE was
    /// parsed with the configuration, and its expansion costs the window, not the distance
    /// from `start_date`.
    fn session_dates(
        practice: &Practice,
        index: usize,
        program: &Program,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<NaiveDate> {
        match practice.program_rules.get(index).and_then(Option::as_ref) {
            None if program.recurrence.is_some() => Vec::new(),
            None => {
                if program.start_date >= from && program.start_date <= to {
                    vec![program.start_date]
                } else {
                    Vec::new()
                }
            }
            Some(rule) => rule.dates_between(from.max(program.start_date), to),
        }
    }

    /// The start and end of a session on `date`, if the wall time exists that day.
    fn session_span(
        practice: &Practice,
        program: &Program,
        date: NaiveDate,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let c = *practice.clinic_ix.get(&program.clinic)?;
        let tz = practice.clinics[c].tz;
        let wall = date
            .and_hms_opt(0, 0, 0)?
            .checked_add_signed(Duration::minutes(i64::from(program.start_time.minutes())))?;
        let start = DateTime::from_timestamp(resolve_start(tz, wall)?, 0)?;
        Some((
            start,
            start.checked_add_signed(Duration::minutes(i64::from(program.duration_minutes)))?,
        ))
    }

    fn registered_count(state: &State, program: &str, date: NaiveDate) -> u32 {
        let n = state
            .registrations
            .values()
            .filter(|r| {
                r.program == program
                    && r.session_date == date
                    && r.status == RegistrationStatus::Registered
            })
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The session of `program` on `date` a patient may register for at `now`: it must
    /// exist, its wall time must exist that day, it must not have started, and it must lie
    /// in the booking window of appointments (rule 8: lead time and horizon, in the
    /// program's clinic).
    fn open_session(
        practice: &Practice,
        index: usize,
        program: &Program,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        if !(FIRST_QUERY_DATE..=LAST_QUERY_DATE).contains(&date) {
            return Err(Error::invalid_input(format!(
                "session date {date} is outside {FIRST_QUERY_DATE} to {LAST_QUERY_DATE}"
            )));
        }
        if Self::session_dates(practice, index, program, date, date).is_empty() {
            return Err(Error::not_found(
                "program session",
                &format!("{} on {date}", program.id),
            ));
        }
        let (start, _) = Self::session_span(practice, program, date).ok_or_else(|| {
            Error::new(
                ErrorCode::SlotUnavailable,
                format!(
                    "program `{}`: {} does not exist on {date} (daylight-saving gap)",
                    program.id, program.start_time
                ),
            )
        })?;
        if start <= now {
            return Err(Error::new(
                ErrorCode::OutsideBookingWindow,
                format!(
                    "program `{}`: the session of {date} has already started",
                    program.id
                ),
            ));
        }
        let clinic = *practice
            .clinic_ix
            .get(&program.clinic)
            .ok_or_else(|| Error::not_found("clinic", &program.clinic))?;
        let window = booking_window(practice, clinic, now.timestamp());
        let s = &practice.config.portal.scheduling;
        if start.timestamp() < window.earliest {
            return Err(Error::new(
                ErrorCode::OutsideBookingWindow,
                format!(
                    "rule 8 (booking window): program `{}`: the session of {date} is less \
                     than {} hour(s) from now",
                    program.id, s.min_hours_before_booking
                ),
            ));
        }
        if start.timestamp() >= window.horizon_end {
            return Err(Error::new(
                ErrorCode::OutsideBookingWindow,
                format!(
                    "rule 8 (booking window): program `{}`: the session of {date} is more \
                     than {} day(s) ahead",
                    program.id, s.max_days_ahead
                ),
            ));
        }
        Ok(start)
    }

    /// Registers a patient for a program session (docs/booking.md, programs): the portal must be
    /// on and the program bookable online; the session must exist, not have started, and
    /// lie in the booking window of appointments (`outside_booking_window`: rule 8, lead
    /// time and horizon); `capacity_full` when every place is taken.
    pub fn register_program(
        &self,
        request: &RegistrationRequest,
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        check_instant("now", now)?;
        let practice = self.practice();
        let (index, program) = Engine::program_in(&practice, &request.program)?;
        // The session is worked out before the lock is taken; its errors are reported in
        // their place below.
        let session = Self::open_session(&practice, index, program, request.session_date, now);
        let mut guard = self.write();
        let state = &mut *guard;
        if !Arc::ptr_eq(&practice, &state.practice) {
            // Reconfigured in between: judge the session by the configuration in force.
            return self.register_program(request, now);
        }
        self.authorize(state, request.actor.as_deref(), &request.patient)?;
        if !state.patients.contains_key(&request.patient) {
            return Err(Error::not_found("patient", &request.patient));
        }
        if !practice.config.portal.enabled {
            return Err(Error::new(
                ErrorCode::PortalDisabled,
                "online booking is switched off for the practice (portal.enabled = false)",
            ));
        }
        if !program.book_from_portal {
            return Err(Error::new(
                ErrorCode::SlotUnavailable,
                format!(
                    "program `{}` does not take registrations online",
                    program.id
                ),
            ));
        }
        let date = request.session_date;
        let start = session?;
        if state.registrations.values().any(|r| {
            r.program == program.id
                && r.session_date == date
                && r.patient == request.patient
                && r.status == RegistrationStatus::Registered
        }) {
            return Err(duplicate(
                "registration",
                &format!("{} for {} on {date}", request.patient, program.id),
            ));
        }
        let taken = Self::registered_count(state, &program.id, date);
        if taken >= program.capacity {
            return Err(Error::new(
                ErrorCode::CapacityFull,
                format!(
                    "program `{}` on {date} is full ({taken} of {} place(s) taken)",
                    program.id, program.capacity
                ),
            ));
        }
        let mut deltas = Vec::new();
        let id = match &request.id {
            Some(id) if id.trim().is_empty() => {
                return Err(Error::invalid_input("a registration id must not be empty"))
            }
            Some(id) if state.registrations.contains_key(id) => {
                return Err(duplicate("registration", id))
            }
            Some(id) => id.clone(),
            None => self.generate_id(state, "reg", &mut deltas),
        };
        let registration = Registration {
            id,
            program: program.id.clone(),
            patient: request.patient.clone(),
            session_date: date,
            session_start: start,
            status: RegistrationStatus::Registered,
            registered_at: now,
            cancelled_at: None,
        };
        let mut to = Recipients::default();
        to.add(
            state
                .patients
                .get(&request.patient)
                .and_then(|p| p.email.as_deref()),
        )
        .add(clinic_address(
            &state.practice,
            state.practice.clinic_ix.get(&program.clinic).copied(),
        ));
        deltas.push(Delta::PutRegistration {
            registration: registration.clone(),
        });
        let data = NotificationData::ProgramRegistration(Box::new(ProgramRegistrationNotice {
            registration: registration.clone(),
            program_name: program.name.clone(),
        }));
        self.notify(
            state,
            &mut deltas,
            NotificationKind::ProgramRegistration,
            to,
            data,
        );
        self.commit(state, deltas)?;
        Ok(registration)
    }

    /// Cancels a program registration; its place is free again. With an `actor` (a portal
    /// account), the account needs an active link to the registered patient (docs/accounts.md);
    /// `None` is the host's trusted staff side.
    pub fn cancel_program_registration(
        &self,
        id: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Registration> {
        check_instant("now", now)?;
        let mut state = self.write();
        let old = state
            .registrations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("registration", id))?;
        self.authorize(&state, actor, &old.patient)?;
        if old.status != RegistrationStatus::Registered {
            return Err(Error::new(
                ErrorCode::InvalidTransition,
                format!("registration `{id}` is already cancelled"),
            ));
        }
        let registration = Registration {
            status: RegistrationStatus::Cancelled,
            cancelled_at: Some(now),
            ..old
        };
        self.commit(
            &mut state,
            vec![Delta::PutRegistration {
                registration: registration.clone(),
            }],
        )?;
        Ok(registration)
    }

    /// The sessions of a program over local dates `from..=to`, with their occupancy.
    pub fn program_sessions(
        &self,
        program: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ProgramSession>> {
        let practice = self.practice();
        let (index, p) = Engine::program_in(&practice, program)?;
        let in_range = |d: NaiveDate| (FIRST_QUERY_DATE..=LAST_QUERY_DATE).contains(&d);
        if !in_range(from) || !in_range(to) {
            return Err(Error::invalid_input(format!(
                "session listing dates must lie within {FIRST_QUERY_DATE} to {LAST_QUERY_DATE}"
            )));
        }
        if to < from || (to - from).num_days() >= MAX_SESSION_DAYS {
            return Err(Error::invalid_input(format!(
                "session listing needs from ≤ to within {MAX_SESSION_DAYS} days"
            )));
        }
        let dates = Self::session_dates(&practice, index, p, from, to);
        let state = self.read();
        Ok(dates
            .into_iter()
            .filter_map(|date| {
                let (start, end) = Self::session_span(&practice, p, date)?;
                Some(ProgramSession {
                    program: p.id.clone(),
                    date,
                    start,
                    end,
                    capacity: p.capacity,
                    registered: Self::registered_count(&state, &p.id, date),
                })
            })
            .collect())
    }

    /// The registration with this id.
    pub fn registration(&self, id: &str) -> Result<Registration> {
        self.read()
            .registrations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("registration", id))
    }
}
