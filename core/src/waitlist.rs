//! The waitlist (docs/waitlist.md): patients wait for a start that is taken today, and the
//! engine offers it to them by itself when capacity frees.
//!
//! A patient (or an account with an active link to them) joins with
//! [`Engine::join_waitlist`]: a service, a practitioner or no preference, a clinic or any,
//! a date range and, optionally, weekdays and a time-of-day window. When an operation
//! frees an occupied start — a cancellation, a declined request, a reschedule away from
//! it, a staff removal, a released or expired hold, a reconfiguration that releases a
//! hold — the engine walks the waiting entries **first come, first served** (by
//! `created_at`, then by the sequence number of the change that created them, then by
//! id) and offers the start to the first whose patient could book it: every availability
//! rule and every patient limit is checked by the same code [`Engine::hold`] and
//! [`Engine::book`] use. The offer is an ordinary [`Hold`] for that patient, expiring after
//! `portal.scheduling.waitlist_offer_minutes` (never past the booking cut-off), and a
//! `waitlist_offer` notification to the patient and their guardians and carers.
//!
//! The patient confirms with an ordinary [`Engine::book`] from the hold (the entry is then
//! fulfilled and leaves the list) or declines with [`Engine::decline_waitlist_offer`]; a
//! declined or expired offer passes to the next matching entry, and the start is never
//! offered to that entry again. Expired offers are moved on by
//! [`Engine::process_waitlist`], which replays every expiry in the order of the expiry
//! instants, each evaluated at its own instant: the result is the same whenever the host
//! calls it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::{shift, Hold, Want};
use crate::config::{WallTime, Weekday};
use crate::engine::{check_instant, State};
use crate::integrity::Trial;
use crate::journal::Delta;
use crate::outbox::{NotificationData, NotificationKind, PatientName, Recipients};
use crate::zone::wall_of;
use crate::{Engine, Error, ErrorCode, Result};

/// How many waitlist entries one patient may have at once (docs/limits.md).
pub const MAX_WAITLIST_ENTRIES_PER_PATIENT: usize = 5;
/// How many waitlist entries the engine keeps at once (docs/limits.md).
pub const MAX_WAITLIST_ENTRIES: usize = 10_000;
/// The longest date range of one entry, in days, both ends included (docs/limits.md).
pub const MAX_WAITLIST_RANGE_DAYS: i64 = 366;
/// How many declined or expired starts one entry remembers (docs/limits.md): an entry that
/// passed on this many offers receives no more (it leaves the list at the end of its range,
/// or when the patient or staff remove it).
pub const MAX_PASSED_OFFERS: usize = 32;

/// A wall-clock window of the day, in the clinic's zone: a start lies in it when
/// `start <= start time < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// The earliest start time.
    pub start: WallTime,
    /// Starts are before this time.
    pub end: WallTime,
}

/// Ask to join the waitlist ([`Engine::join_waitlist`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistRequest {
    /// The entry's id; absent: generated (`wl-N`).
    #[serde(default)]
    pub id: Option<String>,
    /// The patient.
    pub patient: String,
    /// The service.
    pub service: String,
    /// A named practitioner; absent: no preference.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// Only this clinic; absent: any clinic.
    #[serde(default)]
    pub clinic: Option<String>,
    /// The first date wanted (clinic-local).
    pub from: NaiveDate,
    /// The last date wanted (clinic-local); the entry expires at the end of it.
    pub to: NaiveDate,
    /// Only these weekdays; empty: any day.
    #[serde(default)]
    pub weekdays: Vec<Weekday>,
    /// Only starts in this window of the day; absent: any time.
    #[serde(default)]
    pub times: Option<TimeWindow>,
    /// The portal account acting: it needs an active link to the patient (`not_authorized`
    /// otherwise). `None`: the host's trusted staff side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl WaitlistRequest {
    /// `patient` waits for `service` from `from` to `to`, any practitioner, any clinic.
    pub fn new(
        patient: impl Into<String>,
        service: impl Into<String>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> WaitlistRequest {
        WaitlistRequest {
            patient: patient.into(),
            service: service.into(),
            from,
            to,
            ..WaitlistRequest::default()
        }
    }

    /// With this practitioner only.
    pub fn practitioner(mut self, id: impl Into<String>) -> WaitlistRequest {
        self.practitioner = Some(id.into());
        self
    }

    /// At this clinic only.
    pub fn clinic(mut self, id: impl Into<String>) -> WaitlistRequest {
        self.clinic = Some(id.into());
        self
    }

    /// On these weekdays only.
    pub fn weekdays(mut self, days: impl IntoIterator<Item = Weekday>) -> WaitlistRequest {
        self.weekdays = days.into_iter().collect();
        self
    }

    /// Starts in this window of the day only.
    pub fn times(mut self, start: WallTime, end: WallTime) -> WaitlistRequest {
        self.times = Some(TimeWindow { start, end });
        self
    }

    /// With this entry id (instead of a generated one).
    pub fn id(mut self, id: impl Into<String>) -> WaitlistRequest {
        self.id = Some(id.into());
        self
    }

    /// On behalf of this portal account.
    pub fn actor(mut self, account: impl Into<String>) -> WaitlistRequest {
        self.actor = Some(account.into());
        self
    }
}

/// A start offered to a waiting patient: held for them until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistOffer {
    /// The hold that keeps the start (book from it with [`crate::BookRequest::from_hold`]).
    pub hold: String,
    /// The practitioner.
    pub practitioner: String,
    /// The clinic.
    pub clinic: String,
    /// The start offered.
    pub start: DateTime<Utc>,
    /// When it was offered.
    pub offered_at: DateTime<Utc>,
    /// When the offer (and its hold) expires.
    pub expires_at: DateTime<Utc>,
}

/// A start an entry declined or let expire: it is not offered to the entry again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PassedOffer {
    /// The practitioner.
    pub practitioner: String,
    /// The start.
    pub start: DateTime<Utc>,
}

/// One patient waiting for a start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistEntry {
    /// Entry id.
    pub id: String,
    /// The patient.
    pub patient: String,
    /// The portal account that joined (`None`: staff); offers are held on its behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The service.
    pub service: String,
    /// The practitioner wanted; `None`: no preference.
    #[serde(default)]
    pub practitioner: Option<String>,
    /// The clinic wanted; `None`: any.
    #[serde(default)]
    pub clinic: Option<String>,
    /// The first date wanted.
    pub from: NaiveDate,
    /// The last date wanted.
    pub to: NaiveDate,
    /// Only these weekdays; empty: any.
    #[serde(default)]
    pub weekdays: Vec<Weekday>,
    /// Only starts in this window of the day.
    #[serde(default)]
    pub times: Option<TimeWindow>,
    /// When the patient joined.
    pub created_at: DateTime<Utc>,
    /// The sequence number of the change that created the entry (second in the
    /// first-come order, after `created_at`).
    pub seq: u64,
    /// From this instant on the entry is over: the end of `to` in the zone of its clinic
    /// (with any clinic, the latest of their zones).
    pub expires_at: DateTime<Utc>,
    /// The offer out now, if any.
    #[serde(default)]
    pub offer: Option<WaitlistOffer>,
    /// Starts declined or let expire, oldest first (at most [`MAX_PASSED_OFFERS`]).
    #[serde(default)]
    pub passed: Vec<PassedOffer>,
}

impl WaitlistEntry {
    /// The first-come order: `created_at`, then `seq`, then `id`.
    fn order_key(&self) -> (DateTime<Utc>, u64, &str) {
        (self.created_at, self.seq, &self.id)
    }

    /// Whether its offer still holds its start at `now`.
    pub fn has_live_offer(&self, now: DateTime<Utc>) -> bool {
        self.offer.as_ref().is_some_and(|o| now < o.expires_at)
    }
}

/// Counts of what the waitlist did since the engine's state began (kept in the snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WaitlistReport {
    /// Offers made.
    pub offered: u64,
    /// Offers booked by the patient.
    pub accepted: u64,
    /// Offers declined by the patient (or withdrawn with their entry or hold).
    pub declined: u64,
    /// Offers that expired unanswered.
    pub expired: u64,
}

impl WaitlistReport {
    fn is_zero(&self) -> bool {
        *self == WaitlistReport::default()
    }
}

/// Which entries [`Engine::waitlist`] lists; every field that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WaitlistFilter {
    /// Only this patient's entries.
    pub patient: Option<String>,
    /// Only entries for this service.
    pub service: Option<String>,
    /// Only entries naming this practitioner.
    pub practitioner: Option<String>,
    /// Only entries naming this clinic.
    pub clinic: Option<String>,
    /// Only entries with (`true`) or without (`false`) an offer out.
    pub offered: Option<bool>,
}

/// What [`Engine::process_waitlist`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistProcessed {
    /// Offers found expired and passed on.
    pub offers_expired: usize,
    /// New offers made.
    pub offers_made: usize,
    /// Entries removed at the end of their range.
    pub entries_expired: usize,
    /// Expired holds (not offers) removed, their starts offered on.
    pub holds_expired: usize,
}

/// A start offered to a waitlisted patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistOfferNotice {
    /// Whom it is about.
    pub for_patient: Option<PatientName>,
    /// The waitlist entry.
    pub entry: String,
    /// The hold keeping the start for the patient.
    pub hold: Hold,
    /// The start in the clinic's zone (RFC 3339).
    pub start_local: String,
    /// When the offer expires, in the clinic's zone (RFC 3339).
    pub expires_local: String,
}

/// The waitlist part of the engine's state.
#[derive(Debug, Default)]
pub(crate) struct Waitlist {
    pub(crate) entries: BTreeMap<String, WaitlistEntry>,
    pub(crate) report: WaitlistReport,
}

/// A start capacity was freed at, and the instant it was freed.
#[derive(Clone, Debug)]
struct Opening {
    practitioner: String,
    clinic: Option<String>,
    start: DateTime<Utc>,
    at: DateTime<Utc>,
}

/// How an offer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Accepted,
    Declined,
    Expired,
}

/// The snapshot members of the waitlist.
pub(crate) fn snapshot_parts(w: &Waitlist) -> (Vec<&WaitlistEntry>, Option<&WaitlistReport>) {
    (
        w.entries.values().collect(),
        (!w.report.is_zero()).then_some(&w.report),
    )
}

/// The entry an integrity check accepts: a non-empty id, an existing patient, a valid
/// range and instants in range.
pub(crate) fn check_entry(state: &State, e: &WaitlistEntry) -> Result<()> {
    if e.id.trim().is_empty() {
        return Err(Error::invalid_input(
            "a waitlist entry needs a non-empty id",
        ));
    }
    if !state.patients.contains_key(&e.patient) {
        return Err(Error::not_found("patient", &e.patient));
    }
    check_range(e.from, e.to)?;
    if let Some(t) = e.times {
        check_times(t)?;
    }
    check_instant("waitlist entry created_at", e.created_at)?;
    check_instant("waitlist entry expires_at", e.expires_at)?;
    if let Some(o) = &e.offer {
        check_instant("waitlist offer start", o.start)?;
        if o.expires_at < o.offered_at {
            return Err(Error::invalid_input(format!(
                "the offer of waitlist entry `{}` expires before it was made",
                e.id
            )));
        }
    }
    if e.passed.len() > MAX_PASSED_OFFERS {
        return Err(Error::invalid_input(format!(
            "waitlist entry `{}` remembers more than {MAX_PASSED_OFFERS} passed offers",
            e.id
        )));
    }
    Ok(())
}

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<()> {
    let (first, last) = (
        crate::availability::FIRST_QUERY_DATE,
        crate::availability::LAST_QUERY_DATE,
    );
    if from < first || to > last {
        return Err(Error::invalid_input(format!(
            "a waitlist range must lie between {first} and {last}"
        )));
    }
    if to < from {
        return Err(Error::invalid_input(format!(
            "the waitlist range ends ({to}) before it starts ({from})"
        )));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_WAITLIST_RANGE_DAYS {
        return Err(Error::invalid_input(format!(
            "the waitlist range is {days} days; at most {MAX_WAITLIST_RANGE_DAYS} are \
             accepted (docs/limits.md)"
        )));
    }
    Ok(())
}

fn check_times(t: TimeWindow) -> Result<()> {
    if t.end <= t.start {
        return Err(Error::invalid_input(format!(
            "the waitlist time window ends ({}) before it starts ({})",
            t.end, t.start
        )));
    }
    Ok(())
}

fn not_offered(id: &str) -> Error {
    Error::new(
        ErrorCode::InvalidTransition,
        format!("waitlist entry `{id}` has no offer out"),
    )
}

impl Engine {
    // -- public operations ---------------------------------------------------------------

    /// Puts a patient on the waitlist (docs/waitlist.md). Refused: an unknown patient,
    /// service, practitioner or clinic (`not_found`); an actor without an active link to
    /// the patient (`not_authorized`); a range that ends before it starts, is longer than
    /// [`MAX_WAITLIST_RANGE_DAYS`] or is already over, a time window that ends before it
    /// starts (`invalid_input`); an entry of the patient for the same service,
    /// practitioner and clinic whose range overlaps (`duplicate_id`); more than
    /// [`MAX_WAITLIST_ENTRIES_PER_PATIENT`] entries for the patient or
    /// [`MAX_WAITLIST_ENTRIES`] in all (`limit_reached`). Joining offers nothing by itself:
    /// offers come when capacity frees.
    pub fn join_waitlist(
        &self,
        request: &WaitlistRequest,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        self.authorize(state, request.actor.as_deref(), &request.patient)?;
        if !state.patients.contains_key(&request.patient) {
            return Err(Error::not_found("patient", &request.patient));
        }
        let practice = &state.practice;
        if !practice.service_ix.contains_key(&request.service) {
            return Err(Error::not_found("service", &request.service));
        }
        if let Some(p) = &request.practitioner {
            if !practice.practitioner_ix.contains_key(p) {
                return Err(Error::not_found("practitioner", p));
            }
        }
        let clinics: Vec<chrono_tz::Tz> = match &request.clinic {
            Some(c) => vec![
                practice.clinics[*practice
                    .clinic_ix
                    .get(c)
                    .ok_or_else(|| Error::not_found("clinic", c))?]
                .tz,
            ],
            None => practice.clinics.iter().map(|c| c.tz).collect(),
        };
        check_range(request.from, request.to)?;
        if let Some(t) = request.times {
            check_times(t)?;
        }
        let expires_at = entry_end(&clinics, request.to)?;
        if expires_at <= now {
            return Err(Error::invalid_input(format!(
                "the waitlist range ended on {}; nothing in it can be offered any more",
                request.to
            )));
        }
        let mine: Vec<&WaitlistEntry> = state
            .waitlist
            .entries
            .values()
            .filter(|e| e.patient == request.patient)
            .collect();
        if let Some(dup) = mine.iter().find(|e| {
            e.service == request.service
                && e.practitioner == request.practitioner
                && e.clinic == request.clinic
                && e.from <= request.to
                && request.from <= e.to
        }) {
            return Err(Error::new(
                ErrorCode::DuplicateId,
                format!(
                    "patient `{}` already waits for this ({} to {}) in entry `{}`",
                    request.patient, dup.from, dup.to, dup.id
                ),
            ));
        }
        if mine.len() >= MAX_WAITLIST_ENTRIES_PER_PATIENT {
            return Err(Error::new(
                ErrorCode::LimitReached,
                format!(
                    "patient `{}` already has {} waitlist entries; the limit is \
                     {MAX_WAITLIST_ENTRIES_PER_PATIENT} (docs/limits.md)",
                    request.patient,
                    mine.len()
                ),
            ));
        }
        if state.waitlist.entries.len() >= MAX_WAITLIST_ENTRIES {
            return Err(Error::new(
                ErrorCode::LimitReached,
                format!(
                    "the waitlist already has {MAX_WAITLIST_ENTRIES} entries, its limit \
                     (docs/limits.md)"
                ),
            ));
        }
        let seq = crate::integrity::next_seq(state)?;
        let id = match request.id.as_deref() {
            Some(id) if id.trim().is_empty() => {
                return Err(Error::invalid_input(
                    "the waitlist entry id must not be empty",
                ))
            }
            Some(id) if state.waitlist.entries.contains_key(id) => {
                return Err(crate::journal::duplicate("waitlist entry", id))
            }
            Some(id) => id.to_owned(),
            None => (seq..)
                .map(|n| format!("wl-{n}"))
                .find(|id| !state.waitlist.entries.contains_key(id))
                .unwrap_or_default(),
        };
        let mut weekdays = request.weekdays.clone();
        weekdays.sort_by_key(|d| d.index());
        weekdays.dedup();
        let entry = WaitlistEntry {
            id,
            patient: request.patient.clone(),
            actor: request.actor.clone(),
            service: request.service.clone(),
            practitioner: request.practitioner.clone(),
            clinic: request.clinic.clone(),
            from: request.from,
            to: request.to,
            weekdays,
            times: request.times,
            created_at: now,
            seq,
            expires_at,
            offer: None,
            passed: Vec::new(),
        };
        self.commit(
            state,
            vec![Delta::PutWaitlistEntry {
                entry: Box::new(entry.clone()),
            }],
        )?;
        Ok(entry)
    }

    /// Takes an entry off the waitlist: the patient leaving (with `actor`, a portal
    /// account with an active link to the entry's patient) or staff removing it (`None`).
    /// An offer out is withdrawn with it: its hold is released and the start passes to the
    /// next matching entry.
    pub fn leave_waitlist(
        &self,
        id: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let entry = waitlist_entry(state, id)?;
        self.authorize(state, actor, &entry.patient)?;
        let mut deltas = Vec::new();
        if let Some(o) = &entry.offer {
            if state.holds.contains_key(&o.hold) {
                deltas.push(Delta::RemoveHold { id: o.hold.clone() });
            }
        }
        deltas.push(Delta::RemoveWaitlistEntry { id: id.to_owned() });
        self.follow_waitlist(state, &mut deltas, now)?;
        self.commit(state, deltas)?;
        Ok(entry)
    }

    /// The patient declines the offer out for an entry (with `actor`, a linked portal
    /// account; `None`: staff on their behalf): its hold is released, the start is never
    /// offered to this entry again and passes to the next matching entry; the entry keeps
    /// waiting. No offer out, or one already expired, is `invalid_transition`.
    pub fn decline_waitlist_offer(
        &self,
        id: &str,
        actor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let entry = waitlist_entry(state, id)?;
        self.authorize(state, actor, &entry.patient)?;
        let offer = entry.offer.as_ref().ok_or_else(|| not_offered(id))?;
        if !entry.has_live_offer(now) || !state.holds.contains_key(&offer.hold) {
            return Err(Error::new(
                ErrorCode::InvalidTransition,
                format!(
                    "the offer of waitlist entry `{id}` expired at {}; it passes on with \
                     process_waitlist",
                    offer.expires_at
                ),
            ));
        }
        let mut deltas = vec![Delta::RemoveHold {
            id: offer.hold.clone(),
        }];
        self.follow_waitlist(state, &mut deltas, now)?;
        // As the change leaves it (while planning, the change is not applied).
        let after = deltas
            .iter()
            .rev()
            .find_map(|d| match d {
                Delta::PutWaitlistEntry { entry } if entry.id == id => Some((**entry).clone()),
                _ => None,
            })
            .unwrap_or(entry);
        self.commit(state, deltas)?;
        Ok(after)
    }

    /// Moves the waitlist on to `now`: every offer expired by then passes to the next
    /// matching entry, every other expired hold is removed and its start offered, and
    /// entries past the end of their range leave the list. Expiries are replayed in the
    /// order of their instants, each evaluated at its own instant (an offer made then
    /// expires after the offer time from then), so the result does not depend on when, or
    /// how often, the host calls this. Changes nothing (and journals nothing) when there is
    /// nothing to do.
    pub fn process_waitlist(&self, now: DateTime<Utc>) -> Result<WaitlistProcessed> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let mut trial = Trial::default();
        let mut deltas = Vec::new();
        let mut report = state.waitlist.report.clone();
        let mut done = WaitlistProcessed::default();
        let result =
            self.replay_expiries(state, now, &mut deltas, &mut report, &mut done, &mut trial);
        trial.roll_back(self, state);
        result?;
        if deltas.is_empty() {
            return Ok(done);
        }
        if report != state.waitlist.report {
            deltas.push(Delta::PutWaitlistReport { report });
        }
        self.commit(state, deltas)?;
        Ok(done)
    }

    /// The waitlist entries that match `filter`, in first-come order.
    pub fn waitlist(&self, filter: &WaitlistFilter) -> Vec<WaitlistEntry> {
        let state = self.read();
        let same = |want: &Option<String>, have: Option<&String>| {
            want.as_ref().is_none_or(|w| have == Some(w))
        };
        let mut out: Vec<WaitlistEntry> = state
            .waitlist
            .entries
            .values()
            .filter(|e| {
                same(&filter.patient, Some(&e.patient))
                    && same(&filter.service, Some(&e.service))
                    && same(&filter.practitioner, e.practitioner.as_ref())
                    && same(&filter.clinic, e.clinic.as_ref())
                    && filter.offered.is_none_or(|o| o == e.offer.is_some())
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        out
    }

    /// How many offers the waitlist made, and how many were accepted, declined and let
    /// expire.
    pub fn waitlist_report(&self) -> WaitlistReport {
        self.read().waitlist.report.clone()
    }

    // -- the engine's side ---------------------------------------------------------------

    /// Called by every operation that may free capacity or end an offer, with the deltas
    /// it is about to commit: offers converted into bookings are marked accepted (the entry
    /// is fulfilled), released offers declined, and every start the deltas free is offered
    /// to the first matching entry. The waitlist's own deltas are appended.
    pub(crate) fn follow_waitlist(
        &self,
        state: &mut State,
        deltas: &mut Vec<Delta>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if state.waitlist.entries.is_empty() {
            return Ok(());
        }
        let (ended, openings) = self.freed_by(state, deltas, now);
        if ended.is_empty() && openings.is_empty() {
            return Ok(());
        }
        let mut trial = Trial::default();
        let mut extra = Vec::new();
        let mut report = state.waitlist.report.clone();
        let result = (|| -> Result<()> {
            trial.apply(self, state, deltas)?;
            for (entry, how) in ended {
                let step = end_offer(state, &entry, how, &mut report);
                trial.apply(self, state, &step)?;
                extra.extend(step);
            }
            for opening in openings {
                self.offer_opening(state, &opening, &mut extra, &mut report, &mut trial)?;
            }
            Ok(())
        })();
        trial.roll_back(self, state);
        result?;
        deltas.extend(extra);
        if report != state.waitlist.report {
            deltas.push(Delta::PutWaitlistReport { report });
        }
        Ok(())
    }

    /// The offers `deltas` end (by entry id) and the starts they free, read against the
    /// state before them.
    fn freed_by(
        &self,
        state: &State,
        deltas: &[Delta],
        now: DateTime<Utc>,
    ) -> (Vec<(String, Ended)>, Vec<Opening>) {
        let mut ended = Vec::new();
        let mut openings = Vec::new();
        let removed_entry = |id: &str| {
            deltas
                .iter()
                .any(|d| matches!(d, Delta::RemoveWaitlistEntry { id: e } if e == id))
        };
        for d in deltas {
            match d {
                Delta::PutAppointment { appointment: new } => {
                    if let Some(old) = state.appointments.get(&new.id) {
                        let moved = new.start != old.start || new.practitioner != old.practitioner;
                        if old.status.occupies() && (!new.status.occupies() || moved) {
                            openings.push(Opening {
                                practitioner: old.practitioner.clone(),
                                clinic: old.clinic.clone(),
                                start: old.start,
                                at: now,
                            });
                        }
                    }
                }
                Delta::RemoveAppointment { id } => {
                    if let Some(old) = state.appointments.get(id).filter(|a| a.status.occupies()) {
                        openings.push(Opening {
                            practitioner: old.practitioner.clone(),
                            clinic: old.clinic.clone(),
                            start: old.start,
                            at: now,
                        });
                    }
                }
                Delta::RemoveHold { id } => {
                    let Some(h) = state.holds.get(id) else {
                        continue;
                    };
                    let converted = deltas.iter().any(|d| {
                        matches!(d, Delta::PutBooking { booking } if booking.hold.as_deref() == Some(id.as_str()))
                    });
                    let expired = !h.is_live(now);
                    if let Some(e) = offer_of(state, id) {
                        if !removed_entry(&e.id) {
                            let how = if converted {
                                Ended::Accepted
                            } else if expired {
                                Ended::Expired
                            } else {
                                Ended::Declined
                            };
                            ended.push((e.id.clone(), how));
                        }
                    }
                    if !converted {
                        openings.push(Opening {
                            practitioner: h.practitioner.clone(),
                            clinic: Some(h.clinic.clone()),
                            start: h.start,
                            at: if expired { h.expires_at } else { now },
                        });
                    }
                }
                _ => {}
            }
        }
        (ended, openings)
    }

    /// Offers `opening` to the first entry, in first-come order, whose patient could book
    /// it at `opening.at`; applies the offer to the trial state and appends its deltas.
    /// Returns whether an offer was made.
    fn offer_opening(
        &self,
        state: &mut State,
        opening: &Opening,
        extra: &mut Vec<Delta>,
        report: &mut WaitlistReport,
        trial: &mut Trial,
    ) -> Result<bool> {
        let mut candidates: Vec<&WaitlistEntry> = state
            .waitlist
            .entries
            .values()
            .filter(|e| {
                e.offer.is_none()
                    && e.expires_at > opening.at
                    && e.passed.len() < MAX_PASSED_OFFERS
                    && e.practitioner
                        .as_ref()
                        .is_none_or(|p| *p == opening.practitioner)
                    && match (&e.clinic, &opening.clinic) {
                        (Some(want), Some(have)) => want == have,
                        _ => true,
                    }
                    && !e
                        .passed
                        .iter()
                        .any(|p| p.start == opening.start && p.practitioner == opening.practitioner)
            })
            .collect();
        candidates.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let candidates: Vec<WaitlistEntry> = candidates.into_iter().cloned().collect();
        for entry in candidates {
            let Some(step) = self.offer_to(state, &entry, opening) else {
                continue;
            };
            trial.apply(self, state, &step)?;
            extra.extend(step);
            report.offered += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// The deltas of offering `opening` to `entry`, if its patient could book it then:
    /// the same rule walk and patient limits as a hold, the entry's dates, weekdays and
    /// times, an offer time that ends before the booking cut-off.
    fn offer_to(
        &self,
        state: &State,
        entry: &WaitlistEntry,
        opening: &Opening,
    ) -> Option<Vec<Delta>> {
        let at = opening.at;
        self.authorize(state, entry.actor.as_deref(), &entry.patient)
            .ok()?;
        let clinic = entry.clinic.as_deref().or(opening.clinic.as_deref());
        let want = Want {
            service: &entry.service,
            practitioner: Some(&opening.practitioner),
            clinic,
            start: opening.start,
            telehealth: false,
            patient: Some(&entry.patient),
        };
        let placed = self.place(state, &want, at).ok()?;
        let tz = state.practice.clinics[placed.clinic].tz;
        let wall = wall_of(tz, placed.start.timestamp());
        let date = wall.date();
        if date < entry.from || date > entry.to {
            return None;
        }
        if !entry.weekdays.is_empty() && !entry.weekdays.contains(&Weekday::of(date)) {
            return None;
        }
        if let Some(t) = entry.times {
            use chrono::Timelike;
            let minute = wall.hour() * 60 + wall.minute();
            if minute < t.start.minutes() || minute >= t.end.minutes() {
                return None;
            }
        }
        self.patient_conflicts(state, &entry.patient, &placed, None, at)
            .ok()?;
        let scheduling = &state.practice.config.portal.scheduling;
        let offer_end = shift(
            at,
            Duration::minutes(i64::from(scheduling.waitlist_offer_minutes)),
        )
        .ok()?;
        let cutoff = shift(
            placed.start,
            -Duration::hours(i64::from(scheduling.min_hours_before_booking)),
        )
        .ok()?;
        let expires_at = offer_end.min(cutoff);
        if expires_at <= at {
            return None;
        }
        let mut step = Vec::new();
        let hold_id = self.generate_id(state, "hold", &mut step);
        let clinic_id = state.practice.clinics[placed.clinic].id.to_string();
        let hold = Hold {
            id: hold_id.clone(),
            patient: Some(entry.patient.clone()),
            practitioner: state.practice.practitioners[placed.practitioner]
                .id
                .to_string(),
            clinic: clinic_id.clone(),
            service: entry.service.clone(),
            start: placed.start,
            end: placed.end,
            telehealth: false,
            created_at: at,
            expires_at,
            actor: entry.actor.clone(),
        };
        let offered = WaitlistEntry {
            offer: Some(WaitlistOffer {
                hold: hold_id,
                practitioner: hold.practitioner.clone(),
                clinic: clinic_id.clone(),
                start: hold.start,
                offered_at: at,
                expires_at,
            }),
            ..entry.clone()
        };
        let mut to = Recipients::default();
        self.add_patient_recipients(state, &mut to, Some(&entry.patient));
        let data = NotificationData::WaitlistOffer(Box::new(WaitlistOfferNotice {
            for_patient: self.for_patient(state, Some(&entry.patient)),
            entry: entry.id.clone(),
            start_local: self.local_rfc3339(state, Some(&clinic_id), hold.start),
            expires_local: self.local_rfc3339(state, Some(&clinic_id), expires_at),
            hold: hold.clone(),
        }));
        step.push(Delta::PutHold { hold });
        step.push(Delta::PutWaitlistEntry {
            entry: Box::new(offered),
        });
        self.notify(state, &mut step, NotificationKind::WaitlistOffer, to, data);
        Some(step)
    }

    /// [`Engine::process_waitlist`]'s replay: the earliest expiry first, until none is left
    /// at `now`; then the entries past their range.
    fn replay_expiries(
        &self,
        state: &mut State,
        now: DateTime<Utc>,
        deltas: &mut Vec<Delta>,
        report: &mut WaitlistReport,
        done: &mut WaitlistProcessed,
        trial: &mut Trial,
    ) -> Result<()> {
        // Each round removes one hold for good; offers made in a round expire later than it.
        let mut rounds = 0usize;
        loop {
            rounds += 1;
            if rounds > 4 * MAX_WAITLIST_ENTRIES + state.holds.len() {
                return Err(Error::new(
                    ErrorCode::Internal,
                    "the waitlist replay did not settle",
                ));
            }
            let next = state
                .holds
                .values()
                .filter(|h| !h.is_live(now))
                .min_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id)))
                .cloned();
            let Some(hold) = next else {
                break;
            };
            let at = hold.expires_at;
            let mut step = vec![Delta::RemoveHold {
                id: hold.id.clone(),
            }];
            if let Some(e) = offer_of(state, &hold.id) {
                let id = e.id.clone();
                step.extend(end_offer(state, &id, Ended::Expired, report));
                done.offers_expired += 1;
            } else {
                done.holds_expired += 1;
            }
            trial.apply(self, state, &step)?;
            deltas.extend(step);
            let opening = Opening {
                practitioner: hold.practitioner.clone(),
                clinic: Some(hold.clinic.clone()),
                start: hold.start,
                at,
            };
            if self.offer_opening(state, &opening, deltas, report, trial)? {
                done.offers_made += 1;
            }
        }
        // Offers whose hold was released with no waitlist step (`release_hold` takes no
        // `now`): declined, and the start offered on now.
        let orphaned: Vec<WaitlistOffer> = state
            .waitlist
            .entries
            .values()
            .filter_map(|e| e.offer.clone())
            .filter(|o| !state.holds.contains_key(&o.hold))
            .collect();
        for offer in orphaned {
            let Some(id) = offer_of(state, &offer.hold).map(|e| e.id.clone()) else {
                continue;
            };
            let step = end_offer(state, &id, Ended::Declined, report);
            trial.apply(self, state, &step)?;
            deltas.extend(step);
            let opening = Opening {
                practitioner: offer.practitioner.clone(),
                clinic: Some(offer.clinic.clone()),
                start: offer.start,
                at: now,
            };
            if self.offer_opening(state, &opening, deltas, report, trial)? {
                done.offers_made += 1;
            }
        }
        let over: Vec<String> = state
            .waitlist
            .entries
            .values()
            .filter(|e| e.expires_at <= now && e.offer.is_none())
            .map(|e| e.id.clone())
            .collect();
        for id in over {
            let step = vec![Delta::RemoveWaitlistEntry { id }];
            trial.apply(self, state, &step)?;
            deltas.extend(step);
            done.entries_expired += 1;
        }
        Ok(())
    }
}

/// The entry, cloned, or `not_found`.
fn waitlist_entry(state: &State, id: &str) -> Result<WaitlistEntry> {
    state
        .waitlist
        .entries
        .get(id)
        .cloned()
        .ok_or_else(|| Error::not_found("waitlist entry", id))
}

/// The entry whose offer is held by `hold`.
fn offer_of<'s>(state: &'s State, hold: &str) -> Option<&'s WaitlistEntry> {
    state
        .waitlist
        .entries
        .values()
        .find(|e| e.offer.as_ref().is_some_and(|o| o.hold == hold))
}

/// The deltas that end the offer of entry `id` (counted in `report`): an accepted offer
/// fulfils the entry, which leaves the list; a declined or expired one is remembered and
/// the entry waits on.
fn end_offer(state: &State, id: &str, how: Ended, report: &mut WaitlistReport) -> Vec<Delta> {
    let Some(entry) = state.waitlist.entries.get(id) else {
        return Vec::new();
    };
    let Some(offer) = &entry.offer else {
        return Vec::new();
    };
    match how {
        Ended::Accepted => {
            report.accepted += 1;
            vec![Delta::RemoveWaitlistEntry { id: id.to_owned() }]
        }
        Ended::Declined | Ended::Expired => {
            if how == Ended::Declined {
                report.declined += 1;
            } else {
                report.expired += 1;
            }
            let mut passed = entry.passed.clone();
            passed.push(PassedOffer {
                practitioner: offer.practitioner.clone(),
                start: offer.start,
            });
            vec![Delta::PutWaitlistEntry {
                entry: Box::new(WaitlistEntry {
                    offer: None,
                    passed,
                    ..entry.clone()
                }),
            }]
        }
    }
}

/// The end of `to` in the latest of the zones: the first instant no zone is still on it.
fn entry_end(zones: &[chrono_tz::Tz], to: NaiveDate) -> Result<DateTime<Utc>> {
    let next = to
        .succ_opt()
        .ok_or_else(|| Error::invalid_input("the waitlist range ends too late"))?;
    let mut end: Option<i64> = None;
    for &tz in zones {
        let midnight = crate::zone::DayFrame::new(tz, next).midnight;
        end = Some(end.map_or(midnight, |e| e.max(midnight)));
    }
    let end = end.unwrap_or_else(|| next.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    DateTime::from_timestamp(end, 0)
        .ok_or_else(|| Error::invalid_input("the waitlist range ends out of range"))
}

/// The worked example of docs/waitlist.md, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/waitlist.md")]
struct WaitlistGuide;
