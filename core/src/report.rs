//! Reports staff read (docs/booking.md: Portal Appointments, Referrals by Type,
//! the pending queue and program occupancy).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Appointment, AppointmentStatus, Source};
use crate::program::ProgramSession;
use crate::zone::wall_of;
use crate::{Engine, Error, Result};

/// Which appointments the Portal Appointments report lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentFilter {
    /// First local date (in the appointment's clinic zone; UTC without a clinic).
    pub from: NaiveDate,
    /// Last local date, inclusive.
    pub to: NaiveDate,
    /// Only these statuses; empty: all.
    #[serde(default)]
    pub statuses: Vec<AppointmentStatus>,
    /// Only this clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// Only this practitioner.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this source; absent: portal bookings only.
    #[serde(default)]
    pub source: Option<Source>,
}

impl AppointmentFilter {
    /// Portal appointments on local dates `from..=to`, any status.
    pub fn new(from: NaiveDate, to: NaiveDate) -> AppointmentFilter {
        AppointmentFilter {
            from,
            to,
            statuses: Vec::new(),
            clinic: None,
            practitioner: None,
            source: None,
        }
    }
}

/// A pending request in the staff queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PendingItem {
    /// The pending appointment.
    pub appointment: Appointment,
    /// When the patient asked (unknown for imported appointments).
    pub requested_at: Option<DateTime<Utc>>,
    /// How long it has waited at `now`, in minutes.
    pub age_minutes: Option<i64>,
}

/// Patients per referral type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReferralCount {
    /// Referral type id; `None` counts patients without one.
    pub referral_type: Option<String>,
    /// Display name.
    pub name: String,
    /// How many patients.
    pub patients: usize,
}

impl Engine {
    /// The Portal Appointments report: appointments whose start falls on local dates
    /// `from..=to`, filtered, ordered by start then id.
    pub fn report_portal_appointments(
        &self,
        filter: &AppointmentFilter,
    ) -> Result<Vec<Appointment>> {
        if filter.to < filter.from {
            return Err(Error::invalid_input(format!(
                "report date range ends ({}) before it starts ({})",
                filter.to, filter.from
            )));
        }
        let source = filter.source.unwrap_or(Source::Portal);
        let state = self.read();
        let mut out: Vec<Appointment> = state
            .appointments
            .views()
            .filter(|a| a.source == source)
            .filter(|a| filter.statuses.is_empty() || filter.statuses.contains(&a.status))
            .filter(|a| filter.clinic.is_none() || a.clinic == filter.clinic.as_deref())
            .filter(|a| {
                filter
                    .practitioner
                    .as_ref()
                    .is_none_or(|p| p == a.practitioner)
            })
            .filter(|a| {
                let date = match a.clinic.and_then(|c| state.practice.clinic_ix.get(c)) {
                    Some(&c) => wall_of(state.practice.clinics[c].tz, a.start.timestamp()).date(),
                    None => a.start.date_naive(),
                };
                date >= filter.from && date <= filter.to
            })
            .map(|a| a.to_appointment())
            .collect();
        out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        Ok(out)
    }

    /// The pending queue: every pending request, oldest request first (imported ones,
    /// whose request time is unknown, last, by start), with its age at `now`.
    pub fn pending_queue(&self, now: DateTime<Utc>) -> Vec<PendingItem> {
        let state = self.read();
        let mut out: Vec<PendingItem> = state
            .appointments
            .views()
            .filter(|a| a.status == AppointmentStatus::Pending)
            .map(|a| {
                let requested_at = state.bookings.get(a.id).and_then(|d| d.requested_at);
                PendingItem {
                    appointment: a.to_appointment(),
                    requested_at,
                    age_minutes: requested_at.map(|r| (now - r).num_minutes()),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (
                a.requested_at.is_none(),
                a.requested_at,
                a.appointment.start,
                &a.appointment.id,
            )
                .cmp(&(
                    b.requested_at.is_none(),
                    b.requested_at,
                    b.appointment.start,
                    &b.appointment.id,
                ))
        });
        out
    }

    /// Referrals by Type: how many patients name each referral type, in configuration
    /// order, then the patients without one.
    pub fn report_referrals(&self) -> Vec<ReferralCount> {
        let state = self.read();
        let mut counts: BTreeMap<Option<&str>, usize> = BTreeMap::new();
        for p in state.patients.values() {
            *counts.entry(p.referral_type.as_deref()).or_default() += 1;
        }
        let mut out: Vec<ReferralCount> = state
            .practice
            .config
            .referral_types
            .iter()
            .map(|t| ReferralCount {
                referral_type: Some(t.id.clone()),
                name: t.name.clone(),
                patients: counts.get(&Some(t.id.as_str())).copied().unwrap_or(0),
            })
            .collect();
        out.push(ReferralCount {
            referral_type: None,
            name: "(none)".to_owned(),
            patients: counts.get(&None).copied().unwrap_or(0),
        });
        out
    }

    /// Every program's sessions on local dates `from..=to` with their occupancy, programs
    /// in configuration order.
    pub fn report_programs(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<ProgramSession>> {
        let mut out = Vec::new();
        for p in &self.practice().config.programs {
            out.extend(self.program_sessions(&p.id, from, to)?);
        }
        Ok(out)
    }
}
