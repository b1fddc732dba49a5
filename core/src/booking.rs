//! The booking lifecycle and its clinic policies (docs/booking.md): hold, book, accept, decline,
//! cancel, reschedule — each one atomic step under the engine's lock.
//!
//! Availability is never decided here: every portal operation re-runs the availability rule
//! walk of [`crate::explain`] at the request's `now` and maps the refusing rule to an error
//! code (`refusal_error`). The clinic policies of docs/booking.md (auto-accept, consent, patient
//! limits, the cancel window, staff overrides) each live in one function of the `policy`
//! module.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::availability::{Refusal, SlotQuery};
use crate::engine::{check_instant, State};
use crate::explain;
use crate::journal::{duplicate, Delta};
use crate::model::{Appointment, AppointmentStatus, Source};
use crate::outbox::{
    clinic_address, practitioner_address, BookingNotice, CancellationNotice, DecisionNotice,
    IntakeFormNotice, Notification, NotificationData, NotificationKind, PatientName, Recipients,
    RescheduleNotice,
};
use crate::policy::{cancel_cutoff, consent_needed, status_on_booking};
use crate::practice::Ix;
use crate::zone::wall_of;
use crate::{Engine, Error, ErrorCode, Result};

// ---------------------------------------------------------------------------------------
// Records.
// ---------------------------------------------------------------------------------------

/// A scheduling consent a patient accepted (docs/booking.md, book).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// The consent text's version label (`portal.consent.version`) at the time.
    #[serde(default)]
    pub version: Option<String>,
    /// When it was accepted.
    pub accepted_at: DateTime<Utc>,
}

/// A start held for a patient while they confirm (docs/booking.md, hold). It occupies capacity
/// like a pending booking until `expires_at`; from then on it occupies nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// Hold id (the caller's, or generated `hold-N`).
    pub id: String,
    /// The patient it is held for, if known yet.
    #[serde(default)]
    pub patient: Option<String>,
    /// The practitioner (chosen per rule 12 when none was named).
    pub practitioner: String,
    /// The clinic.
    pub clinic: String,
    /// The service.
    pub service: String,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// Telehealth time.
    #[serde(default)]
    pub telehealth: bool,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// From this instant on the hold is expired and occupies nothing.
    pub expires_at: DateTime<Utc>,
    /// The portal account that took it (`None`: staff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// How many live holds one portal account may have at once (docs/limits.md): enough to
/// hold a start for each member of a family, not enough to empty a week.
pub const MAX_LIVE_HOLDS_PER_ACTOR: usize = 4;

impl Hold {
    /// Whether the hold still occupies its start at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// Who cancelled an appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Canceller {
    /// The patient, in the portal: the cancel window applies.
    Patient,
    /// Staff, at any time, with a reason.
    Staff,
}

/// What the portal knows about an appointment beyond the host's [`Appointment`]: policies
/// applied, notes, consent. Kept beside the appointment (by its id) so that the host's
/// appointment shape stays as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BookingDetails {
    /// The appointment these details belong to.
    pub appointment: String,
    /// When the patient asked (portal bookings).
    pub requested_at: Option<DateTime<Utc>>,
    /// Telehealth appointment.
    pub telehealth: bool,
    /// Insurance copied from the patient (`apply_default_insurance`).
    pub insurance: Option<String>,
    /// The consent given with the request.
    pub consent: Option<ConsentRecord>,
    /// The patient's note with the request.
    pub patient_notes: Option<String>,
    /// The staff note sent with accept or decline.
    pub staff_note: Option<String>,
    /// When staff accepted or declined.
    pub decided_at: Option<DateTime<Utc>>,
    /// The hold this booking was converted from.
    pub hold: Option<String>,
    /// Who cancelled.
    pub cancelled_by: Option<Canceller>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why (staff cancellations).
    pub cancel_reason: Option<String>,
    /// The cancellation fell inside `late_cancel_fee_hours`.
    pub late_cancel_fee: bool,
    /// The start before the last reschedule.
    pub rescheduled_from: Option<DateTime<Utc>>,
    /// Staff put this appointment where capacity was already full (docs/booking.md: staff may
    /// exceed capacity; the engine records it).
    pub capacity_override: bool,
    /// The portal account that booked it (`None`: staff or no account); a guardian or
    /// carer who booked appears as a related person in exports ([`crate::fhir`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booked_by: Option<String>,
    /// How many times it was rescheduled: the iCalendar `SEQUENCE` ([`crate::ical`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub reschedule_count: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An appointment with its portal details: the outcome of [`Engine::book`] and the staff
/// decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    /// The appointment as the engine now holds it.
    pub appointment: Appointment,
    /// Its portal details.
    pub details: BookingDetails,
}

/// The outcome of [`Engine::cancel`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelOutcome {
    /// The cancelled appointment.
    pub appointment: Appointment,
    /// A late-cancel fee applies (the cancellation fell inside `late_cancel_fee_hours`).
    pub late_cancel_fee: bool,
}

/// The outcome of [`Engine::reschedule`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleOutcome {
    /// The appointment before the move.
    pub before: Appointment,
    /// The appointment after the move (same id).
    pub after: Booking,
}

/// A first outcome kept for an idempotency key (docs/booking.md, idempotency).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// A booking.
    Book {
        /// Its outcome.
        outcome: Booking,
    },
    /// A cancellation.
    Cancel {
        /// Its outcome.
        outcome: CancelOutcome,
    },
    /// A reschedule.
    Reschedule {
        /// Its outcome.
        outcome: RescheduleOutcome,
    },
}

/// What an idempotency key is bound to: the request it came with and its first outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdempotencyEntry {
    /// The request (without key), as canonical JSON.
    pub fingerprint: String,
    /// The first outcome.
    pub outcome: Outcome,
}

// ---------------------------------------------------------------------------------------
// Requests. Each is a struct so that the `actor` of docs/accounts.md can be added as a field.
// ---------------------------------------------------------------------------------------

/// Ask to hold a start (docs/booking.md, hold).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// The hold's id; absent: generated.
    #[serde(default)]
    pub id: Option<String>,
    /// The patient, when known (applies their allowed practitioners and busy times).
    #[serde(default)]
    pub patient: Option<String>,
    /// The service.
    pub service: String,
    /// A named practitioner; absent: no preference (rule 12).
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// The start.
    pub start: DateTime<Utc>,
    /// Telehealth time.
    #[serde(default)]
    pub telehealth: bool,
    /// The portal account acting (docs/accounts.md): it needs an active link to the patient
    /// (`not_authorized` otherwise). `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl HoldRequest {
    /// Hold `start` for `service`, any practitioner. `start` may be a UTC instant or an
    /// offered [`crate::Slot::start`] as it is.
    pub fn new(service: impl Into<String>, start: impl Into<DateTime<Utc>>) -> HoldRequest {
        HoldRequest {
            service: service.into(),
            start: start.into(),
            ..HoldRequest::default()
        }
    }

    /// With this practitioner.
    pub fn practitioner(mut self, id: impl Into<String>) -> HoldRequest {
        self.practitioner = Some(id.into());
        self
    }

    /// For this patient.
    pub fn patient(mut self, id: impl Into<String>) -> HoldRequest {
        self.patient = Some(id.into());
        self
    }

    /// With this hold id (instead of a generated one).
    pub fn id(mut self, id: impl Into<String>) -> HoldRequest {
        self.id = Some(id.into());
        self
    }

    /// Only at this clinic.
    pub fn clinic(mut self, id: impl Into<String>) -> HoldRequest {
        self.clinic = Some(id.into());
        self
    }

    /// Telehealth time (rule 4 uses telehealth schedule types only).
    pub fn telehealth(mut self, telehealth: bool) -> HoldRequest {
        self.telehealth = telehealth;
        self
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> HoldRequest {
        self.actor = Some(account.into());
        self
    }
}

/// Ask to release a hold before it expires.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseHoldRequest {
    /// The hold.
    pub hold: String,
    /// The portal account acting: it needs an active link to the hold's patient.
    /// `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl ReleaseHoldRequest {
    /// Release hold `hold` (as staff unless an actor is added).
    pub fn new(hold: impl Into<String>) -> ReleaseHoldRequest {
        ReleaseHoldRequest {
            hold: hold.into(),
            actor: None,
        }
    }

    /// On behalf of this portal account.
    pub fn actor(mut self, account: impl Into<String>) -> ReleaseHoldRequest {
        self.actor = Some(account.into());
        self
    }
}

/// Ask to book (docs/booking.md, book): either a start directly (`service` and `start`), or a
/// hold (`hold`), which fixes service, practitioner, clinic, start and telehealth — the
/// request may repeat them, but they must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    /// The appointment id; absent: generated (`bk-N`).
    #[serde(default)]
    pub id: Option<String>,
    /// The patient.
    pub patient: String,
    /// The service (required without a hold).
    #[serde(default)]
    pub service: Option<String>,
    /// A named practitioner; absent: no preference (rule 12).
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// The start (required without a hold).
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    /// Telehealth time.
    #[serde(default)]
    pub telehealth: bool,
    /// Convert this hold.
    #[serde(default)]
    pub hold: Option<String>,
    /// The patient accepted the scheduling consent with this request.
    #[serde(default)]
    pub consent_given: bool,
    /// The patient's note.
    #[serde(default)]
    pub notes: Option<String>,
    /// Retries with the same key and arguments return the first outcome.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The portal account acting (docs/accounts.md): it needs an active link to the patient
    /// (`not_authorized` otherwise). `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl BookRequest {
    /// Book `service` at `start` for `patient`, any practitioner. `start` may be a UTC
    /// instant or an offered [`crate::Slot::start`] as it is.
    pub fn new(
        patient: impl Into<String>,
        service: impl Into<String>,
        start: impl Into<DateTime<Utc>>,
    ) -> BookRequest {
        BookRequest {
            patient: patient.into(),
            service: Some(service.into()),
            start: Some(start.into()),
            ..BookRequest::default()
        }
    }

    /// Convert hold `hold` into a booking for `patient`.
    pub fn from_hold(patient: impl Into<String>, hold: impl Into<String>) -> BookRequest {
        BookRequest {
            patient: patient.into(),
            hold: Some(hold.into()),
            ..BookRequest::default()
        }
    }

    /// With this practitioner.
    pub fn practitioner(mut self, id: impl Into<String>) -> BookRequest {
        self.practitioner = Some(id.into());
        self
    }

    /// With the scheduling consent accepted.
    pub fn consent(mut self) -> BookRequest {
        self.consent_given = true;
        self
    }

    /// With an idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> BookRequest {
        self.idempotency_key = Some(key.into());
        self
    }

    /// With this appointment id (instead of a generated one).
    pub fn id(mut self, id: impl Into<String>) -> BookRequest {
        self.id = Some(id.into());
        self
    }

    /// Only at this clinic.
    pub fn clinic(mut self, id: impl Into<String>) -> BookRequest {
        self.clinic = Some(id.into());
        self
    }

    /// Telehealth time (rule 4 uses telehealth schedule types only).
    pub fn telehealth(mut self, telehealth: bool) -> BookRequest {
        self.telehealth = telehealth;
        self
    }

    /// With the patient's note for the practitioner.
    pub fn notes(mut self, notes: impl Into<String>) -> BookRequest {
        self.notes = Some(notes.into());
        self
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> BookRequest {
        self.actor = Some(account.into());
        self
    }
}

/// A staff decision on a pending request (docs/booking.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// The pending appointment.
    pub appointment: String,
    /// A note for the patient.
    #[serde(default)]
    pub note: Option<String>,
}

impl DecisionRequest {
    /// A decision on `appointment`, optionally with a note for the patient.
    pub fn new(appointment: impl Into<String>, note: Option<&str>) -> DecisionRequest {
        DecisionRequest {
            appointment: appointment.into(),
            note: note.map(str::to_owned),
        }
    }
}

/// Ask to cancel (docs/booking.md, cancel).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The appointment.
    pub appointment: String,
    /// Patient (cancel window applies) or staff (any time, reason required).
    pub by: Canceller,
    /// Why (required for staff).
    #[serde(default)]
    pub reason: Option<String>,
    /// Retries with the same key and arguments return the first outcome.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The portal account acting (docs/accounts.md): only with `by: patient`, and it needs an
    /// active link to the appointment's patient. `None`: the host's trusted side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl CancelRequest {
    /// The patient cancels in the portal.
    pub fn by_patient(appointment: impl Into<String>) -> CancelRequest {
        CancelRequest {
            appointment: appointment.into(),
            by: Canceller::Patient,
            reason: None,
            idempotency_key: None,
            actor: None,
        }
    }

    /// Staff cancel, with a reason.
    pub fn by_staff(appointment: impl Into<String>, reason: impl Into<String>) -> CancelRequest {
        CancelRequest {
            appointment: appointment.into(),
            by: Canceller::Staff,
            reason: Some(reason.into()),
            idempotency_key: None,
            actor: None,
        }
    }

    /// With an idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> CancelRequest {
        self.idempotency_key = Some(key.into());
        self
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> CancelRequest {
        self.actor = Some(account.into());
        self
    }
}

/// Ask to move an appointment (docs/booking.md, reschedule): same id, service and patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The appointment.
    pub appointment: String,
    /// The new start.
    pub start: DateTime<Utc>,
    /// The new practitioner; absent: the same one.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this clinic; absent: any clinic of the practitioner.
    #[serde(default)]
    pub clinic: Option<String>,
    /// Retries with the same key and arguments return the first outcome.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The portal account acting (docs/accounts.md): it needs an active link to the patient
    /// (`not_authorized` otherwise). `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl RescheduleRequest {
    /// Move `appointment` to `start`, same practitioner.
    pub fn new(
        appointment: impl Into<String>,
        start: impl Into<DateTime<Utc>>,
    ) -> RescheduleRequest {
        RescheduleRequest {
            appointment: appointment.into(),
            start: start.into(),
            practitioner: None,
            clinic: None,
            idempotency_key: None,
            actor: None,
        }
    }

    /// With an idempotency key.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> RescheduleRequest {
        self.idempotency_key = Some(key.into());
        self
    }

    /// On behalf of this portal account (docs/accounts.md).
    pub fn actor(mut self, account: impl Into<String>) -> RescheduleRequest {
        self.actor = Some(account.into());
        self
    }
}

// ---------------------------------------------------------------------------------------
// Rules and policies.
// ---------------------------------------------------------------------------------------

/// The error for an availability-rule refusal at booking time: rule 1 → `portal_disabled`, rule 8 →
/// `outside_booking_window`, rule 10 → `capacity_full`, any other → `slot_unavailable`; the
/// message carries the rule number and explain's sentence.
pub(crate) fn refusal_error(refusal: &Refusal) -> Error {
    let code = match refusal.rule {
        1 => ErrorCode::PortalDisabled,
        8 => ErrorCode::OutsideBookingWindow,
        10 => ErrorCode::CapacityFull,
        _ => ErrorCode::SlotUnavailable,
    };
    Error::new(
        code,
        format!(
            "rule {} ({}): {}",
            refusal.rule,
            crate::availability::rule_name(refusal.rule),
            refusal.message
        ),
    )
}

/// Where a request lands after the availability-rule walk.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub(crate) practitioner: Ix,
    pub(crate) clinic: Ix,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) telehealth: bool,
}

/// What a request asks for.
pub(crate) struct Want<'a> {
    pub(crate) service: &'a str,
    pub(crate) practitioner: Option<&'a str>,
    pub(crate) clinic: Option<&'a str>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) telehealth: bool,
    pub(crate) patient: Option<&'a str>,
}

impl Engine {
    /// The availability rules (docs/rules.md) at booking time: every rule re-checked at `now` through explain's rule
    /// walk; with no preference, the candidate chosen per rule 12 (fewest occupying
    /// appointments that local day, then configuration order).
    pub(crate) fn place(
        &self,
        state: &State,
        want: &Want<'_>,
        now: DateTime<Utc>,
    ) -> Result<Placed> {
        check_instant("start", want.start)?;
        check_instant("now", now)?;
        let si = *state
            .practice
            .service_ix
            .get(want.service)
            .ok_or_else(|| Error::not_found("service", want.service))?;
        if want.practitioner.is_none()
            && !state.practice.config.portal.scheduling.allow_no_preference
        {
            return Err(refusal_error(&crate::availability::refuse(
                12,
                "portal.scheduling",
                "no practitioner is named and \"No Preference\" is off \
                 (portal.scheduling.allow_no_preference = false)",
            )));
        }
        // The start's local date in any zone lies within a day of its UTC date.
        let date = want.start.date_naive();
        let query = SlotQuery {
            service: want.service.to_owned(),
            practitioner: want.practitioner.map(str::to_owned),
            clinic: want.clinic.map(str::to_owned),
            from: date
                .pred_opt()
                .unwrap_or(date)
                .max(crate::availability::FIRST_QUERY_DATE),
            to: date
                .succ_opt()
                .unwrap_or(date)
                .min(crate::availability::LAST_QUERY_DATE),
            telehealth: want.telehealth,
            patient: want.patient.map(str::to_owned),
            actor: None,
            limit: None,
            after: None,
        };
        let now_s = now.timestamp();
        // Every verdict: a no-preference booking goes to the least loaded practitioner offering it.
        let e = explain::explain(&state.practice, state, &query, want.start, now_s, true)?;
        if let Some(refusal) = e.refusal() {
            return Err(refusal_error(&refusal));
        }
        let mut best: Option<(usize, Ix, Ix)> = None;
        for v in e.practitioners.iter().filter(|v| v.offered) {
            let (Some(&p), Some(&c)) = (
                state.practice.practitioner_ix.get(&v.practitioner),
                v.clinic
                    .as_ref()
                    .and_then(|c| state.practice.clinic_ix.get(c)),
            ) else {
                continue;
            };
            let load = self.day_load(state, p, c, want.start, now_s);
            if best.is_none_or(|(l, _, _)| load < l) {
                best = Some((load, p, c));
            }
        }
        let (_, practitioner, clinic) = best.ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "explain offered a start without a practitioner",
            )
        })?;
        let minutes = i64::from(state.practice.services[si].duration_minutes);
        Ok(Placed {
            practitioner,
            clinic,
            start: want.start,
            end: shift(want.start, Duration::minutes(minutes))?,
            telehealth: want.telehealth,
        })
    }

    /// Rule 12: how many occupying entries the practitioner has on the clinic-local day of
    /// `start`.
    fn day_load(&self, state: &State, p: Ix, clinic: Ix, start: DateTime<Utc>, now: i64) -> usize {
        let tz = state.practice.clinics[clinic].tz;
        let frame = state.practice.clinics[clinic]
            .frames
            .frame(wall_of(tz, start.timestamp()).date());
        state.occupancy.timeline(p).map_or(0, |t| {
            t.overlapping(frame.midnight, frame.next_midnight)
                .filter(|o| o.live_at(now) && o.start >= frame.midnight)
                .count()
        })
    }

    /// Runs `f` with an appointment's and a hold's own occupancy taken out of the index
    /// (a reschedule or a hold conversion must not collide with itself), then puts it back.
    pub(crate) fn without<T>(
        &self,
        state: &mut State,
        appointment: Option<&Appointment>,
        hold: Option<&Hold>,
        f: impl FnOnce(&State) -> T,
    ) -> T {
        if let Some(a) = appointment {
            self.unindex(state, a);
        }
        if let Some(h) = hold {
            self.unindex_hold(state, h);
        }
        let out = f(state);
        if let Some(a) = appointment {
            self.index(state, a);
        }
        if let Some(h) = hold {
            self.index_hold(state, h);
        }
        out
    }

    /// A fresh id `prefix-N` not used by any appointment, hold or registration; records
    /// the counter in `deltas`.
    pub(crate) fn generate_id(
        &self,
        state: &State,
        prefix: &str,
        deltas: &mut Vec<Delta>,
    ) -> String {
        let mut n = deltas
            .iter()
            .filter_map(|d| match d {
                Delta::NextId { next_id } => Some(*next_id),
                _ => None,
            })
            .max()
            .unwrap_or(state.next_id)
            .max(1);
        loop {
            let id = format!("{prefix}-{n}");
            n += 1;
            if !state.appointments.contains_key(&id)
                && !state.holds.contains_key(&id)
                && !state.registrations.contains_key(&id)
            {
                deltas.push(Delta::NextId { next_id: n });
                return id;
            }
        }
    }

    /// A caller's id, checked: non-empty and not `taken`; or a generated `prefix-N` that is
    /// not taken either.
    pub(crate) fn new_id(
        &self,
        state: &State,
        given: Option<&str>,
        (kind, prefix): (&str, &str),
        taken: impl Fn(&State, &str) -> bool,
        deltas: &mut Vec<Delta>,
    ) -> Result<String> {
        match given {
            Some(id) if id.trim().is_empty() => Err(Error::invalid_input(format!(
                "the {kind} id must not be empty"
            ))),
            Some(id) if taken(state, id) => Err(duplicate(kind, id)),
            Some(id) => Ok(id.to_owned()),
            None => loop {
                let id = self.generate_id(state, prefix, deltas);
                if !taken(state, &id) {
                    return Ok(id);
                }
            },
        }
    }

    /// Whether an appointment, hold or registration already has this id (they share ids).
    pub(crate) fn booking_id_taken(state: &State, id: &str) -> bool {
        state.appointments.contains_key(id)
            || state.holds.contains_key(id)
            || state.registrations.contains_key(id)
    }

    /// Puts a notification into `deltas`, numbered after the ones already there.
    pub(crate) fn notify(
        &self,
        state: &State,
        deltas: &mut Vec<Delta>,
        kind: NotificationKind,
        recipients: Recipients,
        data: NotificationData,
    ) {
        let queued = deltas
            .iter()
            .filter(|d| matches!(d, Delta::Notify { .. }))
            .count() as u64;
        deltas.push(Delta::Notify {
            notification: Notification {
                id: state.next_notification.max(1) + queued,
                kind,
                recipients: recipients.into_vec(),
                data,
                token: None,
            },
        });
    }

    /// Like [`Engine::notify`], carrying a one-time link token; returns the notification id.
    pub(crate) fn notify_with_token(
        &self,
        state: &State,
        deltas: &mut Vec<Delta>,
        kind: NotificationKind,
        recipients: Recipients,
        data: NotificationData,
        token: crate::credentials::SecretToken,
    ) -> u64 {
        self.notify(state, deltas, kind, recipients, data);
        match deltas.last_mut() {
            Some(Delta::Notify { notification }) => {
                notification.token = Some(token);
                notification.id
            }
            _ => 0,
        }
    }

    /// An instant as RFC 3339 in the clinic's zone (UTC without a known clinic).
    pub(crate) fn local_rfc3339(
        &self,
        state: &State,
        clinic: Option<&str>,
        at: DateTime<Utc>,
    ) -> String {
        match clinic.and_then(|c| state.practice.clinic_ix.get(c)) {
            Some(&c) => at.with_timezone(&state.practice.clinics[c].tz).to_rfc3339(),
            None => at.to_rfc3339(),
        }
    }

    /// Who hears about a patient's appointment (docs/booking.md, notifications): the
    /// patient's own e-mail, when there is one, and every account with an active guardian
    /// or carer link to the patient (a child without an e-mail is reached through the
    /// parent). Accounts whose username is not an e-mail cannot be written to.
    pub(crate) fn add_patient_recipients(
        &self,
        state: &State,
        to: &mut Recipients,
        patient: Option<&str>,
    ) {
        to.add(self.patient_email(state, patient));
        let Some(patient) = patient else {
            return;
        };
        for link in state.links.values().filter(|l| {
            l.patient == patient && l.active && l.relationship != crate::Relationship::Own
        }) {
            if let Some(account) = state.accounts.get(&link.account) {
                if crate::credentials::is_email(&account.username) {
                    to.add(Some(&account.username));
                }
            }
        }
    }

    /// Whom a patient notification is about, for a guardian's or carer's e-mail.
    pub(crate) fn for_patient(&self, state: &State, patient: Option<&str>) -> Option<PatientName> {
        patient
            .and_then(|p| state.patients.get(p))
            .map(|p| PatientName {
                id: p.id.clone(),
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
            })
    }

    fn patient_email<'s>(&self, state: &'s State, patient: Option<&str>) -> Option<&'s str> {
        patient
            .and_then(|p| state.patients.get(p))
            .and_then(|p| p.email.as_deref())
    }

    pub(crate) fn clinic_of(&self, state: &State, a: &Appointment) -> Option<Ix> {
        a.clinic
            .as_ref()
            .and_then(|c| state.practice.clinic_ix.get(c))
            .copied()
    }

    /// The first outcome for an idempotency key, if the same request was already served;
    /// `invalid_input` if the key came with different arguments.
    fn replay(
        &self,
        state: &State,
        key: Option<&str>,
        fingerprint: &str,
    ) -> Result<Option<Outcome>> {
        let Some(key) = key else {
            return Ok(None);
        };
        if key.trim().is_empty() {
            return Err(Error::invalid_input("an idempotency key must not be empty"));
        }
        match state.idempotency.get(key) {
            Some(entry) if entry.fingerprint == fingerprint => Ok(Some(entry.outcome.clone())),
            Some(_) => Err(Error::new(
                ErrorCode::IdempotencyConflict,
                format!("idempotency key `{key}` was already used with different arguments"),
            )),
            None => Ok(None),
        }
    }

    /// Records the outcome under the idempotency key, if there is one (`outcome` is only
    /// built then).
    fn remember(
        key: Option<&str>,
        fingerprint: String,
        outcome: impl FnOnce() -> Outcome,
        deltas: &mut Vec<Delta>,
    ) {
        if let Some(key) = key {
            let outcome = outcome();
            deltas.push(Delta::PutIdempotency {
                key: key.to_owned(),
                entry: Box::new(IdempotencyEntry {
                    fingerprint,
                    outcome,
                }),
            });
        }
    }

    // -- operations ----------------------------------------------------------------------

    /// Holds a start for `portal.scheduling.hold_minutes` (docs/booking.md, hold): every availability rule
    /// must hold at `now`; the hold then occupies capacity like a pending booking until
    /// `expires_at`, and frees it by itself after.
    pub fn hold(&self, request: &HoldRequest, now: DateTime<Utc>) -> Result<Hold> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if let Some(actor) = &request.actor {
            let patient = request.patient.as_deref().ok_or_else(|| {
                Error::new(
                    ErrorCode::NotAuthorized,
                    format!("account `{actor}` must name the patient it holds for (see docs/accounts.md)"),
                )
            })?;
            self.authorize(state, Some(actor), patient)?;
            let live = state
                .holds
                .values()
                .filter(|h| h.actor.as_deref() == Some(actor) && h.is_live(now))
                .count();
            if live >= MAX_LIVE_HOLDS_PER_ACTOR {
                return Err(Error::new(
                    ErrorCode::LimitReached,
                    format!(
                        "account `{actor}` already has {live} live hold(s); the limit is \
                         {MAX_LIVE_HOLDS_PER_ACTOR}: book or release one first (docs/limits.md)"
                    ),
                ));
            }
        }
        if let Some(p) = &request.patient {
            if !state.patients.contains_key(p) {
                return Err(Error::not_found("patient", p));
            }
        }
        let mut deltas = Vec::new();
        let id = self.new_id(
            state,
            request.id.as_deref(),
            ("hold", "hold"),
            Engine::booking_id_taken,
            &mut deltas,
        )?;
        let want = Want {
            service: &request.service,
            practitioner: request.practitioner.as_deref(),
            clinic: request.clinic.as_deref(),
            start: request.start,
            telehealth: request.telehealth,
            patient: request.patient.as_deref(),
        };
        let placed = self.place(state, &want, now)?;
        if let Some(p) = &request.patient {
            self.patient_conflicts(state, p, &placed, None, now)?;
        }
        let minutes = i64::from(state.practice.config.portal.scheduling.hold_minutes);
        let hold = Hold {
            id,
            patient: request.patient.clone(),
            practitioner: state.practice.practitioners[placed.practitioner]
                .id
                .to_string(),
            clinic: state.practice.clinics[placed.clinic].id.to_string(),
            service: request.service.clone(),
            start: placed.start,
            end: placed.end,
            telehealth: placed.telehealth,
            created_at: now,
            expires_at: shift(now, Duration::minutes(minutes))?,
            actor: request.actor.clone(),
        };
        deltas.push(Delta::PutHold { hold: hold.clone() });
        self.commit(state, deltas)?;
        Ok(hold)
    }

    /// Releases a hold before it expires (the patient walked away explicitly). With an
    /// `actor` (a portal account), the account needs an active link to the hold's patient
    /// (docs/accounts.md); a hold held for no patient can then only be released by staff (`None`).
    pub fn release_hold(&self, request: &ReleaseHoldRequest) -> Result<Hold> {
        let (id, actor) = (request.hold.as_str(), request.actor.as_deref());
        let mut state = self.write();
        let hold = state
            .holds
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("hold", id))?;
        match (&hold.patient, actor) {
            (_, None) => {}
            (Some(patient), Some(_)) => self.authorize(&state, actor, patient)?,
            (None, Some(actor)) => {
                return Err(Error::new(
                    ErrorCode::NotAuthorized,
                    format!(
                        "hold `{id}` is held for no patient; account `{actor}` cannot release                          it (see docs/accounts.md)"
                    ),
                ))
            }
        }
        self.commit(&mut state, vec![Delta::RemoveHold { id: id.to_owned() }])?;
        Ok(hold)
    }

    /// Removes holds expired at `now` (they already occupy nothing); returns how many
    /// (none once the change sequence is exhausted, see docs/limits.md).
    pub fn purge_expired_holds(&self, now: DateTime<Utc>) -> usize {
        let mut state = self.write();
        let deltas: Vec<Delta> = state
            .holds
            .values()
            .filter(|h| !h.is_live(now))
            .map(|h| Delta::RemoveHold { id: h.id.clone() })
            .collect();
        let n = deltas.len();
        let mut deltas = deltas;
        if n > 0 && self.follow_waitlist(&mut state, &mut deltas, now).is_err() {
            return 0;
        }
        if n > 0 && self.commit(&mut state, deltas).is_err() {
            return 0;
        }
        n
    }

    /// The hold with this id.
    pub fn get_hold(&self, id: &str) -> Result<Hold> {
        self.read()
            .holds
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("hold", id))
    }

    /// Books in the portal (docs/booking.md, book): every availability rule at `now` (through explain's
    /// rule walk), consent, patient limits; `booked` with `auto_accept`, else `pending`.
    /// From a hold, converts it (`hold_expired` once it is past its expiry). With an
    /// idempotency key, a retry returns the first outcome.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinic_portal::{AppointmentStatus, BookRequest, CancelRequest, Engine, ErrorCode, Patient};
    ///
    /// let engine = Engine::from_json(r#"{
    ///   "clinics": [{"id": "main", "time_zone": "America/Toronto"}],
    ///   "schedule_types": [{"id": "treat", "name": "Treatment"}],
    ///   "practitioners": [{"id": "dr-lee", "schedule_types": ["treat"], "availability": [
    ///     {"start_date": "2027-01-01", "blocks": [
    ///       {"weekday": "mon", "start": "09:00", "end": "12:00", "schedule_type": "treat"}]}]}],
    ///   "services": [{"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]}]
    /// }"#)?;
    /// let patient: Patient = serde_json::from_str(r#"{"id": "pat-1", "email": "a@b.test"}"#)
    ///     .expect("patient JSON");
    /// engine.upsert_patient(patient)?;
    /// let now = Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0).unwrap();
    /// let nine = Utc.with_ymd_and_hms(2027, 2, 1, 14, 0, 0).unwrap(); // 09:00 in Toronto
    ///
    /// let request = BookRequest::new("pat-1", "physio-30", nine).practitioner("dr-lee");
    /// let booking = engine.book(&request, now)?;
    /// assert_eq!(booking.appointment.status, AppointmentStatus::Pending); // auto_accept off
    ///
    /// // The start is taken now: rule 10 (capacity).
    /// let again = engine.book(&request, now).unwrap_err();
    /// assert_eq!(again.code(), ErrorCode::CapacityFull);
    ///
    /// // Within 24 hours of the start, the patient can no longer cancel online.
    /// let late = Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap();
    /// let refused = engine
    ///     .cancel(&CancelRequest::by_patient(&booking.appointment.id), late)
    ///     .unwrap_err();
    /// assert_eq!(refused.code(), ErrorCode::CancelWindowClosed);
    /// # Ok::<(), clinic_portal::Error>(())
    /// ```
    pub fn book(&self, request: &BookRequest, now: DateTime<Utc>) -> Result<Booking> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        self.authorize(state, request.actor.as_deref(), &request.patient)?;
        let fingerprint = fingerprint("book", request.idempotency_key.is_some(), request, |r| {
            r.idempotency_key = None
        });
        if let Some(outcome) =
            self.replay(state, request.idempotency_key.as_deref(), &fingerprint)?
        {
            return match outcome {
                Outcome::Book { outcome } => Ok(outcome),
                _ => Err(Error::new(
                    ErrorCode::IdempotencyConflict,
                    "idempotency key belongs to another operation",
                )),
            };
        }
        let patient = state
            .patients
            .get(&request.patient)
            .cloned()
            .ok_or_else(|| Error::not_found("patient", &request.patient))?;
        let mut deltas = Vec::new();
        let id = self.new_id(
            state,
            request.id.as_deref(),
            ("appointment", "bk"),
            Engine::booking_id_taken,
            &mut deltas,
        )?;
        let hold = match &request.hold {
            Some(h) => Some(self.usable_hold(state, h, request, now)?),
            None => None,
        };
        let (service, start, practitioner, clinic, telehealth) = match &hold {
            Some(h) => (
                h.service.clone(),
                h.start,
                Some(h.practitioner.clone()),
                Some(h.clinic.clone()),
                h.telehealth,
            ),
            None => (
                request
                    .service
                    .clone()
                    .ok_or_else(|| Error::invalid_input("a booking needs a service or a hold"))?,
                request
                    .start
                    .ok_or_else(|| Error::invalid_input("a booking needs a start or a hold"))?,
                request.practitioner.clone(),
                request.clinic.clone(),
                request.telehealth,
            ),
        };
        let want = Want {
            service: &service,
            practitioner: practitioner.as_deref(),
            clinic: clinic.as_deref(),
            start,
            telehealth,
            patient: Some(&patient.id),
        };
        let skip = hold.as_ref().map(|h| h.id.as_str());
        let placed = self.without(state, None, hold.as_ref(), |state| {
            let placed = self.place(state, &want, now)?;
            self.patient_conflicts(state, &patient.id, &placed, skip, now)?;
            Ok::<_, Error>(placed)
        })?;
        if consent_needed(state, &patient.id) && !request.consent_given {
            let version = state.practice.config.portal.consent.version.as_deref();
            return Err(Error::new(
                ErrorCode::ConsentRequired,
                format!(
                    "patient `{}` must accept the scheduling consent{} before booking \
                     (portal.consent.required)",
                    patient.id,
                    version.map_or_else(String::new, |v| format!(" (version {v})"))
                ),
            ));
        }
        let consent = request.consent_given.then(|| ConsentRecord {
            version: state.practice.config.portal.consent.version.clone(),
            accepted_at: now,
        });
        let appointment = Appointment {
            id,
            practitioner: state.practice.practitioners[placed.practitioner]
                .id
                .to_string(),
            clinic: Some(state.practice.clinics[placed.clinic].id.to_string()),
            service: Some(service.clone()),
            patient: Some(patient.id.clone()),
            start: placed.start,
            end: placed.end,
            status: status_on_booking(state),
            source: Source::Portal,
        };
        let scheduling = &state.practice.config.portal.scheduling;
        let details = BookingDetails {
            appointment: appointment.id.clone(),
            requested_at: Some(now),
            telehealth: placed.telehealth,
            insurance: if scheduling.apply_default_insurance {
                patient.default_insurance.clone()
            } else {
                None
            },
            consent: consent.clone(),
            patient_notes: request.notes.clone(),
            hold: hold.as_ref().map(|h| h.id.clone()),
            booked_by: request.actor.clone(),
            ..BookingDetails::default()
        };
        if let Some(h) = &hold {
            deltas.push(Delta::RemoveHold { id: h.id.clone() });
        }
        deltas.push(Delta::PutAppointment {
            appointment: appointment.clone(),
        });
        deltas.push(Delta::PutBooking {
            booking: Box::new(details.clone()),
        });
        if let Some(consent) = consent {
            deltas.push(Delta::PutConsent {
                patient: patient.id.clone(),
                consent,
            });
        }
        let booking = Booking {
            appointment,
            details,
        };
        self.notify_booked(state, &booking, &mut deltas);
        Self::remember(
            request.idempotency_key.as_deref(),
            fingerprint,
            || Outcome::Book {
                outcome: booking.clone(),
            },
            &mut deltas,
        );
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(booking)
    }

    /// The hold a booking converts: it exists, belongs to the patient, matches what the
    /// request repeats, and is not past its expiry.
    fn usable_hold(
        &self,
        state: &State,
        id: &str,
        request: &BookRequest,
        now: DateTime<Utc>,
    ) -> Result<Hold> {
        let h = state
            .holds
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("hold", id))?;
        if h.patient.is_none() {
            if let Some(actor) = &request.actor {
                return Err(Error::new(
                    ErrorCode::NotAuthorized,
                    format!(
                        "hold `{id}` was taken by staff for no patient; account `{actor}` \
                         cannot convert it (docs/accounts.md)"
                    ),
                ));
            }
        }
        if h.patient.as_deref().is_some_and(|p| p != request.patient) {
            return Err(Error::invalid_input(format!(
                "hold `{id}` was taken for another patient"
            )));
        }
        let differs = request.service.as_ref().is_some_and(|s| *s != h.service)
            || request.start.is_some_and(|s| s != h.start)
            || request
                .practitioner
                .as_ref()
                .is_some_and(|p| *p != h.practitioner)
            || request.clinic.as_ref().is_some_and(|c| *c != h.clinic);
        if differs {
            return Err(Error::invalid_input(format!(
                "the request does not match hold `{id}` (service, start, practitioner or clinic)"
            )));
        }
        if !h.is_live(now) {
            return Err(Error::new(
                ErrorCode::HoldExpired,
                format!(
                    "hold `{id}` expired at {}; search again and hold a new start",
                    self.local_rfc3339(state, Some(&h.clinic), h.expires_at)
                ),
            ));
        }
        Ok(h)
    }

    fn notify_booked(&self, state: &State, booking: &Booking, deltas: &mut Vec<Delta>) {
        let a = &booking.appointment;
        let data = NotificationData::Booking(Box::new(BookingNotice {
            appointment: a.clone(),
            start_local: self.local_rfc3339(state, a.clinic.as_deref(), a.start),
            details: booking.details.clone(),
            patient_email: self
                .patient_email(state, a.patient.as_deref())
                .map(str::to_owned),
        }));
        let n = &state.practice.config.portal.notifications;
        if a.status == AppointmentStatus::Pending {
            let mut to = Recipients::default();
            match &state.practice.config.portal.scheduling.pending_notify_email {
                Some(e) => to.add(Some(e)),
                None => to.add(practitioner_address(&state.practice, &a.practitioner)),
            };
            self.notify(state, deltas, NotificationKind::PendingRequest, to, data);
        } else {
            let mut to = Recipients::default();
            if n.booked_to_clinic {
                to.add(clinic_address(&state.practice, self.clinic_of(state, a)));
            }
            if n.booked_to_practitioner {
                to.add(practitioner_address(&state.practice, &a.practitioner));
            }
            self.notify(state, deltas, NotificationKind::BookedInPortal, to, data);
        }
    }

    /// Staff accept a pending request (docs/booking.md): `pending` → `booked`, with an optional
    /// note sent to the patient. Anything but `pending` is `invalid_transition`.
    pub fn accept(&self, request: &DecisionRequest, now: DateTime<Utc>) -> Result<Booking> {
        self.decide(request, AppointmentStatus::Booked, now)
    }

    /// Staff decline a pending request (docs/booking.md): `pending` → `declined`, with an
    /// optional note sent to the patient; the slot is freed.
    pub fn decline(&self, request: &DecisionRequest, now: DateTime<Utc>) -> Result<Booking> {
        self.decide(request, AppointmentStatus::Declined, now)
    }

    fn decide(
        &self,
        request: &DecisionRequest,
        to: AppointmentStatus,
        now: DateTime<Utc>,
    ) -> Result<Booking> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let old = state
            .appointments
            .get(&request.appointment)
            .ok_or_else(|| Error::not_found("appointment", &request.appointment))?;
        if old.status != AppointmentStatus::Pending {
            return Err(Error::new(
                ErrorCode::InvalidTransition,
                format!(
                    "appointment `{}` is {}; only a pending request can be {} (see docs/booking.md)",
                    old.id,
                    status_name(old.status),
                    if to == AppointmentStatus::Booked {
                        "accepted"
                    } else {
                        "declined"
                    }
                ),
            ));
        }
        let appointment = Appointment { status: to, ..old };
        let mut details = state
            .bookings
            .get(&appointment.id)
            .cloned()
            .unwrap_or_else(|| BookingDetails {
                appointment: appointment.id.clone(),
                ..BookingDetails::default()
            });
        details.staff_note = request.note.clone();
        details.decided_at = Some(now);
        let kind = if to == AppointmentStatus::Booked {
            NotificationKind::Accepted
        } else {
            NotificationKind::Declined
        };
        let mut recipients = Recipients::default();
        self.add_patient_recipients(state, &mut recipients, appointment.patient.as_deref());
        let data = NotificationData::Decision(Box::new(DecisionNotice {
            for_patient: self.for_patient(state, appointment.patient.as_deref()),
            appointment: appointment.clone(),
            start_local: self.local_rfc3339(
                state,
                appointment.clinic.as_deref(),
                appointment.start,
            ),
            note: request.note.clone(),
        }));
        let mut deltas = vec![
            Delta::PutAppointment {
                appointment: appointment.clone(),
            },
            Delta::PutBooking {
                booking: Box::new(details.clone()),
            },
        ];
        self.notify(state, &mut deltas, kind, recipients, data);
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(Booking {
            appointment,
            details,
        })
    }

    /// Cancels (docs/booking.md, cancel). A patient may cancel only when `allow_patient_cancel`
    /// and `now ≤ start − min_hours_before_cancel` (`cancel_window_closed` otherwise); the
    /// outcome says whether the late-cancel fee applies. Staff may cancel at any time, with
    /// a reason. Only `pending` and `booked` appointments can be cancelled.
    pub fn cancel(&self, request: &CancelRequest, now: DateTime<Utc>) -> Result<CancelOutcome> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if let Some(actor) = &request.actor {
            if request.by != Canceller::Patient {
                return Err(Error::new(
                    ErrorCode::NotAuthorized,
                    format!("account `{actor}` cannot cancel as staff (see docs/accounts.md)"),
                ));
            }
            self.authorize_appointment(state, actor, &request.appointment)?;
        }
        let fingerprint = fingerprint("cancel", request.idempotency_key.is_some(), request, |r| {
            r.idempotency_key = None
        });
        if let Some(outcome) =
            self.replay(state, request.idempotency_key.as_deref(), &fingerprint)?
        {
            return match outcome {
                Outcome::Cancel { outcome } => Ok(outcome),
                _ => Err(Error::new(
                    ErrorCode::IdempotencyConflict,
                    "idempotency key belongs to another operation",
                )),
            };
        }
        let old = occupying_appointment(state, &request.appointment, "cancelled")?;
        let late_cancel_fee = match request.by {
            Canceller::Patient => cancel_cutoff(self, state, &old, now)?,
            Canceller::Staff => {
                if request
                    .reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
                {
                    return Err(Error::invalid_input("a staff cancellation needs a reason"));
                }
                false
            }
        };
        let appointment = Appointment {
            status: AppointmentStatus::Cancelled,
            ..old
        };
        let mut details = state
            .bookings
            .get(&appointment.id)
            .cloned()
            .unwrap_or_else(|| BookingDetails {
                appointment: appointment.id.clone(),
                ..BookingDetails::default()
            });
        details.cancelled_by = Some(request.by);
        details.cancelled_at = Some(now);
        details.cancel_reason = request.reason.clone();
        details.late_cancel_fee = late_cancel_fee;
        let mut recipients = Recipients::default();
        self.add_patient_recipients(state, &mut recipients, appointment.patient.as_deref());
        recipients.add(clinic_address(
            &state.practice,
            self.clinic_of(state, &appointment),
        ));
        let data = NotificationData::Cancellation(Box::new(CancellationNotice {
            for_patient: self.for_patient(state, appointment.patient.as_deref()),
            appointment: appointment.clone(),
            start_local: self.local_rfc3339(
                state,
                appointment.clinic.as_deref(),
                appointment.start,
            ),
            by: request.by,
            reason: request.reason.clone(),
            late_cancel_fee,
        }));
        let mut deltas = vec![
            Delta::PutAppointment {
                appointment: appointment.clone(),
            },
            Delta::PutBooking {
                booking: Box::new(details),
            },
        ];
        self.notify(
            state,
            &mut deltas,
            NotificationKind::Cancelled,
            recipients,
            data,
        );
        let outcome = CancelOutcome {
            appointment,
            late_cancel_fee,
        };
        Self::remember(
            request.idempotency_key.as_deref(),
            fingerprint,
            || Outcome::Cancel {
                outcome: outcome.clone(),
            },
            &mut deltas,
        );
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(outcome)
    }

    /// Moves an appointment (docs/booking.md, reschedule): the patient's cancel rules for the old
    /// time plus every booking rule for the new one, in one atomic step; on failure nothing
    /// changes. The appointment keeps its id, service and patient; its status follows
    /// `auto_accept` again. Consent given at booking is not asked again.
    pub fn reschedule(
        &self,
        request: &RescheduleRequest,
        now: DateTime<Utc>,
    ) -> Result<RescheduleOutcome> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if let Some(actor) = &request.actor {
            self.authorize_appointment(state, actor, &request.appointment)?;
        }
        let fingerprint = fingerprint(
            "reschedule",
            request.idempotency_key.is_some(),
            request,
            |r| r.idempotency_key = None,
        );
        if let Some(outcome) =
            self.replay(state, request.idempotency_key.as_deref(), &fingerprint)?
        {
            return match outcome {
                Outcome::Reschedule { outcome } => Ok(outcome),
                _ => Err(Error::new(
                    ErrorCode::IdempotencyConflict,
                    "idempotency key belongs to another operation",
                )),
            };
        }
        let old = occupying_appointment(state, &request.appointment, "rescheduled")?;
        let service = old.service.clone().ok_or_else(|| {
            Error::invalid_input(format!(
                "appointment `{}` has no service and cannot be rescheduled online",
                old.id
            ))
        })?;
        cancel_cutoff(self, state, &old, now)?;
        let mut details = state
            .bookings
            .get(&old.id)
            .cloned()
            .unwrap_or_else(|| BookingDetails {
                appointment: old.id.clone(),
                ..BookingDetails::default()
            });
        let practitioner = request
            .practitioner
            .clone()
            .unwrap_or_else(|| old.practitioner.clone());
        let want = Want {
            service: &service,
            practitioner: Some(&practitioner),
            clinic: request.clinic.as_deref(),
            start: request.start,
            telehealth: details.telehealth,
            patient: old.patient.as_deref(),
        };
        let placed = self.without(state, Some(&old), None, |state| {
            let placed = self.place(state, &want, now)?;
            if let Some(p) = &old.patient {
                self.patient_conflicts(state, p, &placed, None, now)?;
            }
            Ok::<_, Error>(placed)
        })?;
        let appointment = Appointment {
            practitioner: state.practice.practitioners[placed.practitioner]
                .id
                .to_string(),
            clinic: Some(state.practice.clinics[placed.clinic].id.to_string()),
            start: placed.start,
            end: placed.end,
            status: status_on_booking(state),
            ..old.clone()
        };
        details.rescheduled_from = Some(old.start);
        details.reschedule_count = details.reschedule_count.saturating_add(1);
        details.staff_note = None;
        details.decided_at = None;
        let mut recipients = Recipients::default();
        self.add_patient_recipients(state, &mut recipients, appointment.patient.as_deref());
        recipients.add(clinic_address(&state.practice, Some(placed.clinic)));
        let data = NotificationData::Reschedule(Box::new(RescheduleNotice {
            for_patient: self.for_patient(state, appointment.patient.as_deref()),
            before: old.clone(),
            appointment: appointment.clone(),
            before_start_local: self.local_rfc3339(state, old.clinic.as_deref(), old.start),
            start_local: self.local_rfc3339(
                state,
                appointment.clinic.as_deref(),
                appointment.start,
            ),
        }));
        let mut deltas = vec![
            Delta::PutAppointment {
                appointment: appointment.clone(),
            },
            Delta::PutBooking {
                booking: Box::new(details.clone()),
            },
        ];
        self.notify(
            state,
            &mut deltas,
            NotificationKind::Rescheduled,
            recipients,
            data,
        );
        let outcome = RescheduleOutcome {
            before: old,
            after: Booking {
                appointment,
                details,
            },
        };
        Self::remember(
            request.idempotency_key.as_deref(),
            fingerprint,
            || Outcome::Reschedule {
                outcome: outcome.clone(),
            },
            &mut deltas,
        );
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(outcome)
    }

    /// The portal details of an appointment, if the portal has any.
    pub fn booking_details(&self, appointment: &str) -> Option<BookingDetails> {
        self.read().bookings.get(appointment).cloned()
    }

    /// The host reports that a patient completed an intake form. When
    /// `notifications.intake_form_to_clinic`, the clinic is notified and the notification id
    /// returned; otherwise nothing changes.
    pub fn intake_form_completed(
        &self,
        patient: &str,
        form: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if !state.patients.contains_key(patient) {
            return Err(Error::not_found("patient", patient));
        }
        if !state
            .practice
            .config
            .portal
            .notifications
            .intake_form_to_clinic
        {
            return Ok(None);
        }
        let mut to = Recipients::default();
        to.add(clinic_address(&state.practice, None));
        let mut deltas = Vec::new();
        let data = NotificationData::IntakeForm(Box::new(IntakeFormNotice {
            patient: patient.to_owned(),
            form: form.to_owned(),
            completed_at: now,
        }));
        self.notify(
            state,
            &mut deltas,
            NotificationKind::IntakeFormCompleted,
            to,
            data,
        );
        let id = match deltas.first() {
            Some(Delta::Notify { notification }) => notification.id,
            _ => 0,
        };
        self.commit(state, deltas)?;
        Ok(Some(id))
    }

    /// Hands the pending notifications to the host, oldest first, and removes them: each
    /// notification is returned by exactly one drain. (Once the change sequence is
    /// exhausted nothing can be removed, so nothing is handed out: read them with
    /// [`Engine::outbox`]; see docs/limits.md.)
    pub fn drain_outbox(&self) -> Vec<Notification> {
        let mut guard = self.write();
        let state = &mut *guard;
        let out: Vec<Notification> = state.outbox_notifications().cloned().collect();
        if let Some(last) = out.last() {
            let through = last.id;
            if self
                .commit(state, vec![Delta::Drained { through }])
                .is_err()
            {
                return Vec::new();
            }
        }
        out
    }

    /// The notifications waiting in the outbox, without draining them.
    pub fn outbox(&self) -> Vec<Notification> {
        self.read().outbox_notifications().cloned().collect()
    }
}

/// `at + by`, or `invalid_input` when that leaves the representable range (bad input
/// must not panic).
pub(crate) fn shift(at: DateTime<Utc>, by: Duration) -> Result<DateTime<Utc>> {
    at.checked_add_signed(by)
        .ok_or_else(|| Error::invalid_input(format!("instant {at} is out of range")))
}

/// A request as canonical JSON, without its idempotency key: two requests with the same
/// fingerprint are the same request.
///
/// Only requests with an idempotency key are ever compared, so callers pass `has_key` and
/// get an empty string without one (the request is not serialised at all).
fn fingerprint<T: Serialize + Clone>(
    op: &str,
    has_key: bool,
    request: &T,
    strip: impl FnOnce(&mut T),
) -> String {
    if !has_key {
        return String::new();
    }
    let mut r = request.clone();
    strip(&mut r);
    format!("{op}:{}", serde_json::to_string(&r).unwrap_or_default())
}

/// The appointment `id`, which must be pending or booked to be `verb` (docs/booking.md):
/// `not_found` or `invalid_transition` otherwise.
fn occupying_appointment(state: &State, id: &str, verb: &str) -> Result<Appointment> {
    let old = state
        .appointments
        .get(id)
        .ok_or_else(|| Error::not_found("appointment", id))?;
    if !old.status.occupies() {
        return Err(Error::new(
            ErrorCode::InvalidTransition,
            format!(
                "appointment `{}` is {}; only pending or booked appointments can be {verb} \
                 (see docs/booking.md)",
                old.id,
                status_name(old.status)
            ),
        ));
    }
    Ok(old)
}

pub(crate) fn status_name(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Pending => "pending",
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Declined => "declined",
        AppointmentStatus::Cancelled => "cancelled",
    }
}
