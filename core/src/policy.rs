//! The clinic policies of the booking lifecycle (docs/booking.md), one function each: auto-accept
//! ([`status_on_booking`]), scheduling consent ([`consent_needed`]), the cancel window and
//! late-cancel fee ([`cancel_cutoff`]), patient limits (`Engine::patient_conflicts`) and
//! staff capacity overrides (`Engine::staff_put`).

use chrono::{DateTime, Duration, Utc};

use crate::booking::{shift, BookingDetails, Placed};
use crate::engine::State;
use crate::journal::Delta;
use crate::model::{Appointment, AppointmentStatus};
use crate::practice::Ix;
use crate::zone::wall_of;
use crate::{Engine, Error, ErrorCode, Result};

/// docs/booking.md: a portal booking is `booked` at once with `auto_accept`, else `pending`.
pub(crate) fn status_on_booking(state: &State) -> AppointmentStatus {
    if state.practice.config.portal.scheduling.auto_accept {
        AppointmentStatus::Booked
    } else {
        AppointmentStatus::Pending
    }
}

/// docs/booking.md: whether this booking needs the scheduling consent — when
/// `portal.consent.required`, on every booking with `every_time`, otherwise once per
/// patient and consent version.
pub(crate) fn consent_needed(state: &State, patient: &str) -> bool {
    let c = &state.practice.config.portal.consent;
    c.required
        && (c.every_time
            || state
                .consents
                .get(patient)
                .is_none_or(|given| given.version != c.version))
}

/// docs/booking.md, cancel: `Ok(late_fee)` when a patient may cancel (or move) an appointment
/// starting at `start` at `now`; `cancel_window_closed` otherwise.
pub(crate) fn cancel_cutoff(
    engine: &Engine,
    state: &State,
    appointment: &Appointment,
    now: DateTime<Utc>,
) -> Result<bool> {
    let s = &state.practice.config.portal.scheduling;
    if !s.allow_patient_cancel {
        return Err(Error::new(
            ErrorCode::CancelWindowClosed,
            "patients may not cancel or reschedule online \
             (portal.scheduling.allow_patient_cancel = false)",
        ));
    }
    let cutoff = shift(
        appointment.start,
        -Duration::hours(i64::from(s.min_hours_before_cancel)),
    )?;
    if now > cutoff {
        return Err(Error::new(
            ErrorCode::CancelWindowClosed,
            format!(
                "appointment `{}` starts at {}; online cancellation closes {} hour(s) before \
                 (portal.scheduling.min_hours_before_cancel), at {}",
                appointment.id,
                engine.local_rfc3339(state, appointment.clinic.as_deref(), appointment.start),
                s.min_hours_before_cancel,
                engine.local_rfc3339(state, appointment.clinic.as_deref(), cutoff)
            ),
        ));
    }
    Ok(s.late_cancel_fee_hours.is_some_and(|h| {
        appointment
            .start
            .checked_sub_signed(Duration::hours(i64::from(h)))
            .is_none_or(|fee_from| now > fee_from)
    }))
}

/// One thing a patient occupies: an appointment or a live hold.
pub(crate) struct Occupation<'s> {
    pub(crate) id: &'s str,
    pub(crate) what: &'static str,
    pub(crate) clinic: Option<&'s str>,
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
}

impl Engine {
    /// What a patient occupies, the one definition every patient limit counts: their
    /// occupying appointments (pending or booked, whoever made them) and their live holds
    /// (docs/booking.md, patient limits). `skip_hold` is a hold being converted.
    pub(crate) fn patient_occupies<'s>(
        &self,
        state: &'s State,
        patient: &str,
        skip_hold: Option<&str>,
        now: DateTime<Utc>,
    ) -> Vec<Occupation<'s>> {
        let appointments = state
            .patient_appointments
            .get(patient)
            .into_iter()
            .flatten()
            .filter_map(|id| state.appointments.view(id))
            .filter(|a| a.status.occupies())
            .map(|a| Occupation {
                id: a.id,
                what: "appointment",
                clinic: a.clinic,
                start: a.start,
                end: a.end,
            });
        let holds = state
            .holds
            .values()
            .filter(|h| {
                h.patient.as_deref() == Some(patient)
                    && Some(h.id.as_str()) != skip_hold
                    && h.is_live(now)
            })
            .map(|h| Occupation {
                id: &h.id,
                what: "hold",
                clinic: Some(&h.clinic),
                start: h.start,
                end: h.end,
            });
        appointments.chain(holds).collect()
    }

    /// Patient limits (docs/booking.md): a patient never has two overlapping occupations
    /// (appointments or live holds) — `patient_busy`; `max_future_bookings_per_patient`
    /// and `max_bookings_per_day` count appointments and live holds alike —
    /// `limit_reached`. `skip_hold` is the hold being converted.
    pub(crate) fn patient_conflicts(
        &self,
        state: &State,
        patient: &str,
        placed: &Placed,
        skip_hold: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mine = self.patient_occupies(state, patient, skip_hold, now);
        if let Some(a) = mine
            .iter()
            .find(|a| a.start < placed.end && placed.start < a.end)
        {
            return Err(Error::new(
                ErrorCode::PatientBusy,
                format!(
                    "patient `{patient}` already has {} `{}` from {} to {}",
                    a.what,
                    a.id,
                    self.local_rfc3339(state, a.clinic, a.start),
                    self.local_rfc3339(state, a.clinic, a.end)
                ),
            ));
        }
        let s = &state.practice.config.portal.scheduling;
        if let Some(max) = s.max_future_bookings_per_patient {
            let future = mine.iter().filter(|a| a.start > now).count();
            if future >= max as usize {
                return Err(Error::new(
                    ErrorCode::LimitReached,
                    format!(
                        "patient `{patient}` already has {future} upcoming appointment(s) or \
                         hold(s); the limit is {max} \
                         (portal.scheduling.max_future_bookings_per_patient)"
                    ),
                ));
            }
        }
        if let Some(max) = s.max_bookings_per_day {
            let tz = state.practice.clinics[placed.clinic].tz;
            let day = wall_of(tz, placed.start.timestamp()).date();
            let that_day = mine
                .iter()
                .filter(|a| wall_of(tz, a.start.timestamp()).date() == day)
                .count();
            if that_day >= max as usize {
                return Err(Error::new(
                    ErrorCode::LimitReached,
                    format!(
                        "patient `{patient}` already has {that_day} appointment(s) or hold(s) \
                         on {day}; the limit is {max} (portal.scheduling.max_bookings_per_day)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// docs/booking.md, staff side: the host's appointments occupy time like portal bookings and
    /// may exceed capacity; the engine records such an override in the appointment's
    /// [`BookingDetails::capacity_override`]. Applies the appointment to `state` at once
    /// (so that the next one of a batch sees it) and adds its deltas.
    pub(crate) fn staff_put(
        &self,
        state: &mut State,
        appointment: Appointment,
        deltas: &mut Vec<Delta>,
    ) {
        // Only an occupying appointment can exceed capacity.
        let over = appointment.status.occupies() && {
            let old = state.appointments.get(&appointment.id);
            self.without(state, old.as_ref(), None, |state| {
                self.over_capacity(state, &appointment)
            })
        };
        let details = match state.bookings.get(&appointment.id) {
            Some(d) if d.capacity_override != over => Some(BookingDetails {
                capacity_override: over,
                ..d.clone()
            }),
            None if over => Some(BookingDetails {
                appointment: appointment.id.clone(),
                capacity_override: true,
                ..BookingDetails::default()
            }),
            _ => None,
        };
        self.remember_for_undo(state, &appointment.id);
        let put = Delta::PutAppointment { appointment };
        self.apply_delta(state, &put);
        deltas.push(put);
        if let Some(booking) = details {
            let put = Delta::PutBooking {
                booking: Box::new(booking),
            };
            self.apply_delta(state, &put);
            deltas.push(put);
        }
    }

    /// Rule 10 for a host appointment: whether the practitioner's other occupying
    /// appointments (holds aside) already fill the capacity of the block it lies in.
    fn over_capacity(&self, state: &State, a: &Appointment) -> bool {
        let Some((start, end)) = crate::engine::occupied_span(&state.practice, a) else {
            return false;
        };
        let Some(&p) = state.practice.practitioner_ix.get(&a.practitioner) else {
            return false;
        };
        let Some(t) = state.occupancy.timeline(p) else {
            return false;
        };
        // Holds aside, nothing overlaps: capacity is at least 1 (the common, cheap case).
        if !t.overlapping(start, end).any(|o| o.expires.is_none()) {
            return false;
        }
        let cap = self.block_capacity(state, a, p);
        if cap <= 1 {
            return true;
        }
        // At `now = i64::MAX` every hold has expired: only appointments count.
        let taken = t.profile(start, end, i64::MAX).max_in(start, end);
        taken >= cap
    }

    /// Rule 10: the capacity of the working block of `a`'s service that contains it
    /// (1 without a service or outside every block).
    fn block_capacity(&self, state: &State, a: &Appointment, p: Ix) -> u32 {
        use crate::availability::{capacity, day_blocks, schedule_chain};
        let practice = &state.practice;
        let Some(&si) = a.service.as_ref().and_then(|s| practice.service_ix.get(s)) else {
            return 1;
        };
        let service = &practice.services[si];
        let pr = &practice.practitioners[p];
        let may_share = service.portal_capacity > 1
            && service.schedule_types.iter().any(|&st| {
                practice.schedule_types[st].allow_conflicts && pr.schedule_types.contains(&st)
            });
        if !may_share {
            return 1;
        }
        let clinics: Vec<Ix> = match self.clinic_of(state, a) {
            Some(c) => vec![c],
            None => (0..practice.clinics.len()).collect(),
        };
        let (start, end) = (a.start.timestamp(), a.end.timestamp());
        for telehealth in [false, true] {
            let Ok(chain) = schedule_chain(practice, service, p, telehealth) else {
                continue;
            };
            for &c in &clinics {
                let tz = practice.clinics[c].tz;
                let date = wall_of(tz, start).date();
                let Some(record) = practice.practitioners[p].record_on(date) else {
                    continue;
                };
                let frame = practice.clinics[c].frames.frame(date);
                let blocks = day_blocks(
                    practice,
                    record,
                    crate::config::Weekday::of(date),
                    &chain,
                    Some(c),
                );
                if let Some(b) = blocks.standard.iter().find(|b| {
                    frame.boundary_instant(b.start) <= start && end <= frame.boundary_instant(b.end)
                }) {
                    return capacity(practice, service, b.schedule_type);
                }
            }
        }
        1
    }
}
