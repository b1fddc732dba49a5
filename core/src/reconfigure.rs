//! Live reconfiguration (docs/persistence.md, "Reconfiguration"): staff change schedules,
//! closures, services and portal settings while the engine runs. The whole new
//! configuration is validated first (an error refuses it and changes nothing), then swapped
//! in one journaled change that keeps every patient, appointment, booking, account, hold
//! and notification. What the change strands is reported, never dropped.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::availability::SlotQuery;
use crate::booking::Hold;
use crate::config::{Closure, Config};
use crate::engine::{check_instant, Occupancy, State};
use crate::explain;
use crate::journal::Delta;
use crate::model::Appointment;
use crate::occupancy::Timeline;
use crate::practice::{self, Practice};
use crate::validate::Diagnostic;
use crate::zone::wall_of;
use crate::{Engine, Error, ErrorCode, Result};

/// Why a future appointment no longer fits the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrandReason {
    /// Its practitioner is no longer configured.
    PractitionerRemoved,
    /// Its service is no longer configured.
    ServiceRemoved,
    /// Its clinic is no longer configured.
    ClinicRemoved,
    /// It was offered online before the change and is not now: outside availability,
    /// inside a closure, over capacity, or no longer bookable (see `rule`).
    NoLongerOffered,
}

/// A future occupying appointment that the new configuration no longer supports. The
/// engine keeps it (staff own it); the host decides what to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StrandedAppointment {
    /// The appointment, as it is (unchanged).
    pub appointment: Appointment,
    /// Why it is stranded.
    pub reason: StrandReason,
    /// For [`StrandReason::NoLongerOffered`]: the first availability rule that now fails
    /// (docs/rules.md).
    pub rule: Option<u8>,
    /// A sentence naming the entity and the rule.
    pub message: String,
}

/// What a reconfiguration did besides swapping the configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reconfiguration {
    /// Future occupying appointments the new configuration strands, in start order.
    pub stranded: Vec<StrandedAppointment>,
    /// Live holds that no longer fit, released by the change.
    pub released_holds: Vec<Hold>,
    /// The new configuration's warnings.
    pub warnings: Vec<Diagnostic>,
}

/// How a configuration delta changes the configuration.
pub(crate) enum ConfigEdit<'a> {
    Replace(&'a Config),
    PutClosure(&'a Closure),
    RemoveClosure(&'a str),
}

impl ConfigEdit<'_> {
    /// The configuration after the edit, compiled; `invalid_config` with every problem.
    pub(crate) fn compile(&self, current: &Config) -> Result<Practice> {
        let config = match self {
            ConfigEdit::Replace(c) => (*c).clone(),
            ConfigEdit::PutClosure(closure) => {
                let mut c = current.clone();
                match c.closures.iter_mut().find(|x| x.id == closure.id) {
                    Some(slot) => *slot = (*closure).clone(),
                    None => c.closures.push((*closure).clone()),
                }
                c
            }
            ConfigEdit::RemoveClosure(id) => {
                let mut c = current.clone();
                c.closures.retain(|x| x.id.as_deref() != Some(*id));
                c
            }
        };
        practice::compile(config).map_err(Error::invalid_config)
    }

    /// Whether the edit can change practitioners, services or their indices (a closure
    /// edit cannot: the occupancy index stays valid).
    pub(crate) fn reindexes(&self) -> bool {
        matches!(self, ConfigEdit::Replace(_))
    }
}

impl Engine {
    /// Replaces the configuration while the engine runs (validated whole: `invalid_config`
    /// refuses it and changes nothing). Patients, appointments, bookings, accounts, holds
    /// and the outbox are kept; the change is journaled, so [`Engine::apply`] elsewhere
    /// and [`Engine::restore`] reproduce it. The result lists future occupying
    /// appointments the new configuration strands (kept, never dropped) and the live
    /// holds that no longer fit (released in the same change).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinic_portal::{Config, Engine};
    ///
    /// let engine = Engine::from_json(r#"{"clinics": [{"id": "c", "time_zone": "UTC"}]}"#)?;
    /// let mut config = engine.config();
    /// config.portal.scheduling.min_hours_before_booking = 4;
    /// let now = Utc.with_ymd_and_hms(2027, 1, 4, 9, 0, 0).unwrap();
    /// let report = engine.reconfigure(config.clone(), now)?;
    /// assert!(report.stranded.is_empty());
    /// assert_eq!(engine.config(), config);
    /// # Ok::<(), clinic_portal::Error>(())
    /// ```
    pub fn reconfigure(&self, config: Config, now: DateTime<Utc>) -> Result<Reconfiguration> {
        check_instant("now", now)?;
        let edit = ConfigEdit::Replace(&config);
        // Compiled before the lock: the expensive part runs while others read and book.
        let practice = edit.compile(&config)?;
        self.swap_config(
            Some(Arc::new(practice)),
            Delta::Reconfigure {
                config: Box::new(config),
            },
            now,
        )
    }

    /// Adds a closure (clinic closure, stat holiday or practitioner time off), or replaces
    /// the one with the same `id`, as one small journaled change. The closure needs an
    /// `id` (to remove it later). Returns what it strands, as [`Engine::reconfigure`].
    pub fn put_closure(&self, closure: Closure, now: DateTime<Utc>) -> Result<Reconfiguration> {
        check_instant("now", now)?;
        if closure.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(Error::invalid_input(
                "a closure added at run time needs a non-empty id (to remove it later)",
            ));
        }
        self.swap_config(None, Delta::PutClosure { closure }, now)
    }

    /// Removes the closure with this id (`not_found` if there is none), as one journaled
    /// change.
    pub fn remove_closure(&self, id: &str, now: DateTime<Utc>) -> Result<Reconfiguration> {
        check_instant("now", now)?;
        self.swap_config(None, Delta::RemoveClosure { id: id.to_owned() }, now)
    }

    /// Swaps in the configuration `delta` makes (`compiled` when it was compiled before
    /// the lock; a closure edit is compiled here, against the configuration running now)
    /// and journals `delta`, reporting what it strands.
    fn swap_config(
        &self,
        compiled: Option<Arc<Practice>>,
        delta: Delta,
        now: DateTime<Utc>,
    ) -> Result<Reconfiguration> {
        let mut guard = self.write();
        let state = &mut *guard;
        let edit = config_edit(&delta).ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                "swap_config needs a configuration delta",
            )
        })?;
        if let ConfigEdit::RemoveClosure(id) = edit {
            if !state
                .practice
                .config
                .closures
                .iter()
                .any(|c| c.id.as_deref() == Some(id))
            {
                return Err(Error::not_found("closure", id));
            }
        }
        let reindex = edit.reindexes();
        let practice = match compiled {
            Some(p) => p,
            None => Arc::new(edit.compile(&state.practice.config)?),
        };
        let future: Vec<Appointment> = state
            .appointments
            .views()
            .filter(|a| a.status.occupies() && a.end > now)
            .map(|a| a.to_appointment())
            .collect();
        let before: Vec<bool> = future
            .iter()
            .map(|a| self.still_offered(state, a).is_ok())
            .collect();
        let holds: Vec<Hold> = state
            .holds
            .values()
            .filter(|h| h.is_live(now))
            .cloned()
            .collect();
        let old = Arc::clone(&state.practice);
        self.install_practice(state, Arc::clone(&practice), reindex);

        let mut stranded = Vec::new();
        for (a, was_offered) in future.iter().zip(before) {
            let (reason, rule, message) = if !practice.practitioner_ix.contains_key(&a.practitioner)
            {
                (
                    StrandReason::PractitionerRemoved,
                    None,
                    format!("practitioner `{}` is no longer configured", a.practitioner),
                )
            } else if let Some(s) = a
                .service
                .as_ref()
                .filter(|s| !practice.service_ix.contains_key(*s))
            {
                (
                    StrandReason::ServiceRemoved,
                    None,
                    format!("service `{s}` is no longer configured"),
                )
            } else if let Some(c) = a
                .clinic
                .as_ref()
                .filter(|c| !practice.clinic_ix.contains_key(*c))
            {
                (
                    StrandReason::ClinicRemoved,
                    None,
                    format!("clinic `{c}` is no longer configured"),
                )
            } else if !was_offered {
                continue;
            } else {
                match self.still_offered(state, a) {
                    Ok(()) => continue,
                    Err((rule, message)) => (StrandReason::NoLongerOffered, rule, message),
                }
            };
            stranded.push(StrandedAppointment {
                appointment: a.clone(),
                reason,
                rule,
                message,
            });
        }
        stranded.sort_by(|x, y| {
            (x.appointment.start, &x.appointment.id).cmp(&(y.appointment.start, &y.appointment.id))
        });
        let released: Vec<Hold> = holds
            .into_iter()
            .filter(|h| self.hold_still_fits(state, h).is_err())
            .collect();
        let mut deltas = vec![delta];
        deltas.extend(
            released
                .iter()
                .map(|h| Delta::RemoveHold { id: h.id.clone() }),
        );
        let report = Reconfiguration {
            stranded,
            released_holds: released,
            warnings: practice.warnings.clone(),
        };
        // Put the old configuration back and commit the change the ordinary way (applied,
        // or captured while planning).
        self.install_practice(state, old, reindex);
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(report)
    }

    /// Makes `practice` the running configuration; with `reindex`, rebuilds the
    /// occupancy index for its practitioners and services.
    pub(crate) fn install_practice(
        &self,
        state: &mut State,
        practice: Arc<Practice>,
        reindex: bool,
    ) {
        state.practice = practice;
        if !reindex {
            return;
        }
        state.occupancy = Occupancy::with_timelines(vec![
            Timeline::default();
            state.practice.practitioners.len()
        ]);
        state.patient_appointments.clear();
        self.index_all_appointments(state);
        let holds = std::mem::take(&mut state.holds);
        for h in holds.values() {
            self.index_hold(state, h);
        }
        state.holds = holds;
    }

    /// Whether the running configuration offers an existing appointment's own start to
    /// its own patient (itself left out of the occupancy), ignoring the lead time: the
    /// rule and sentence when not. Appointments without a service or clinic are not
    /// judged (`Ok`).
    fn still_offered(
        &self,
        state: &mut State,
        a: &Appointment,
    ) -> std::result::Result<(), (Option<u8>, String)> {
        let (Some(service), Some(clinic)) = (&a.service, &a.clinic) else {
            return Ok(());
        };
        let telehealth = state.bookings.get(&a.id).is_some_and(|b| b.telehealth);
        let query = |practice: &Practice| -> Option<(SlotQuery, i64)> {
            let c = *practice.clinic_ix.get(clinic)?;
            let date = wall_of(practice.clinics[c].tz, a.start.timestamp()).date();
            let lead = i64::from(practice.config.portal.scheduling.min_hours_before_booking);
            let now = a
                .start
                .checked_sub_signed(Duration::hours(lead))?
                .timestamp();
            Some((
                SlotQuery {
                    service: service.clone(),
                    practitioner: Some(a.practitioner.clone()),
                    clinic: Some(clinic.clone()),
                    from: date,
                    to: date,
                    telehealth,
                    patient: a.patient.clone(),
                    actor: None,
                    limit: None,
                    after: None,
                },
                now,
            ))
        };
        let Some((q, now)) = query(&state.practice) else {
            return Ok(());
        };
        let start = a.start;
        let verdict = self.without(state, Some(a), None, |state| {
            explain::explain(&state.practice, state, &q, start, now, false)
        });
        match verdict {
            Ok(e) if e.offered => Ok(()),
            Ok(e) => Err((e.rule, e.message)),
            Err(e) => Err((None, e.message().to_owned())),
        }
    }

    /// Whether a live hold still fits the running configuration (itself left out).
    fn hold_still_fits(
        &self,
        state: &mut State,
        h: &Hold,
    ) -> std::result::Result<(), (Option<u8>, String)> {
        let practice = Arc::clone(&state.practice);
        let (Some(_), Some(&c)) = (
            practice.service_ix.get(&h.service),
            practice.clinic_ix.get(&h.clinic),
        ) else {
            return Err((None, "its service or clinic is no longer configured".into()));
        };
        if !practice.practitioner_ix.contains_key(&h.practitioner) {
            return Err((None, "its practitioner is no longer configured".into()));
        }
        let date = wall_of(practice.clinics[c].tz, h.start.timestamp()).date();
        let lead = i64::from(practice.config.portal.scheduling.min_hours_before_booking);
        let Some(now) = h.start.checked_sub_signed(Duration::hours(lead)) else {
            return Err((None, "out of range".into()));
        };
        let q = SlotQuery {
            service: h.service.clone(),
            practitioner: Some(h.practitioner.clone()),
            clinic: Some(h.clinic.clone()),
            from: date,
            to: date,
            telehealth: h.telehealth,
            patient: h.patient.clone(),
            actor: None,
            limit: None,
            after: None,
        };
        let start = h.start;
        let verdict = self.without(state, None, Some(h), |state| {
            explain::explain(&practice, state, &q, start, now.timestamp(), false)
        });
        match verdict {
            Ok(e) if e.offered => Ok(()),
            Ok(e) => Err((e.rule, e.message)),
            Err(e) => Err((None, e.message().to_owned())),
        }
    }

    /// Applies a configuration delta (journal replay): compiles the edited configuration
    /// and installs it. Refused (nothing changes) when it does not validate.
    pub(crate) fn check_config_delta(&self, state: &State, delta: &Delta) -> Result<()> {
        match config_edit(delta) {
            Some(edit) => edit.compile(&state.practice.config).map(|_| ()),
            None => Ok(()),
        }
    }

    /// [`Engine::apply_delta`] of a configuration delta.
    pub(crate) fn apply_config_delta(&self, state: &mut State, delta: &Delta) {
        let Some(edit) = config_edit(delta) else {
            return;
        };
        // Checked before (check_config_delta); a configuration that does not compile
        // leaves the running one.
        if let Ok(practice) = edit.compile(&state.practice.config) {
            let reindex = edit.reindexes();
            self.install_practice(state, Arc::new(practice), reindex);
        }
    }
}

/// The configuration edit a delta makes, if it is one.
pub(crate) fn config_edit(delta: &Delta) -> Option<ConfigEdit<'_>> {
    match delta {
        Delta::Reconfigure { config } => Some(ConfigEdit::Replace(config)),
        Delta::PutClosure { closure } => Some(ConfigEdit::PutClosure(closure)),
        Delta::RemoveClosure { id } => Some(ConfigEdit::RemoveClosure(id)),
        _ => None,
    }
}
