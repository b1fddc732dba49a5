//! The engine: one per practice, shared across threads (docs/persistence.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};

use crate::accounts::{Account, AccountLink, ResetToken};
use crate::availability::{self, SlotQuery, Slots};
use crate::booking::{BookingDetails, ConsentRecord, Hold, IdempotencyEntry};
use crate::config::Config;
use crate::explain::{self, Explanation, ServiceReport};
use crate::invitation::Invitation;
use crate::journal::{Change, Delta};
use crate::merge::MergeRecord;
use crate::model::{Appointment, AppointmentStatus, Patient};
use crate::occupancy::{Occupied, Timeline};
use crate::outbox::Notification;
use crate::practice::{self, Practice};
use crate::program::Registration;
use crate::signup::Signup;
pub(crate) use crate::stored::Appointments;
use crate::stored::Parts;
use crate::validate::Diagnostic;
use crate::{Error, ErrorCode, Result};

/// The longest appointment the engine accepts.
pub const MAX_APPOINTMENT_DAYS: i64 = 31;

/// The earliest instant an operation accepts (1900-01-01T00:00:00Z).
pub(crate) const EARLIEST_INSTANT: i64 = -2_208_988_800;
/// The latest instant an operation accepts (9999-12-31T00:00:00Z).
pub(crate) const LATEST_INSTANT: i64 = 253_402_214_400;

/// Refuses instants outside 1900–9999 with `invalid_input`: time-zone arithmetic near the
/// ends of chrono's range would overflow, and no clinic books there.
pub(crate) fn check_instant(what: &str, at: DateTime<Utc>) -> Result<()> {
    if (EARLIEST_INSTANT..=LATEST_INSTANT).contains(&at.timestamp()) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} {at} is outside the years 1900 to 9999"
        )))
    }
}

/// Occupancy timelines, one per practitioner (by configuration index).
#[derive(Debug, Default)]
pub(crate) struct Occupancy {
    timelines: Vec<Timeline>,
}

impl Occupancy {
    pub(crate) fn with_timelines(timelines: Vec<Timeline>) -> Occupancy {
        Occupancy { timelines }
    }

    pub(crate) fn timeline(&self, p: usize) -> Option<&Timeline> {
        self.timelines.get(p)
    }

    pub(crate) fn timeline_mut(&mut self, p: usize) -> Option<&mut Timeline> {
        self.timelines.get_mut(p)
    }
}

/// The span an appointment occupies (its service's buffers included), if it occupies.
pub(crate) fn occupied_span(practice: &Practice, a: &Appointment) -> Option<(i64, i64)> {
    let (start, end) = (a.start.timestamp(), a.end.timestamp());
    span(practice, a.status, a.service.as_deref(), start, end)
}

fn span(
    practice: &Practice,
    status: AppointmentStatus,
    service: Option<&str>,
    start: i64,
    end: i64,
) -> Option<(i64, i64)> {
    if !status.occupies() {
        return None;
    }
    Some(match service.and_then(|s| practice.service_ix.get(s)) {
        Some(&si) => availability::occupied_span(&practice.services[si], start, end),
        None => (start, end),
    })
}

/// What an appointment occupies (its service's buffers included), if it occupies.
fn occupied(practice: &Practice, a: &Parts<'_>, id: Arc<str>) -> Option<Occupied> {
    let (start, end) = span(practice, a.status, a.service, a.start, a.end)?;
    Some(Occupied {
        start,
        end,
        id,
        expires: None,
    })
}

/// Adds one appointment to its practitioner's timeline (`unsorted`: pushed, for a bulk
/// load that sorts afterwards) and to its patient's set, both sharing the stored id.
fn index_one(
    practice: &Practice,
    occupancy: &mut Occupancy,
    patient_appointments: &mut HashMap<String, BTreeSet<Arc<str>>>,
    a: &Parts<'_>,
    unsorted: bool,
) {
    if let Some(pat) = a.patient {
        match patient_appointments.get_mut(pat) {
            Some(set) => {
                set.insert(Arc::clone(a.id));
            }
            None => {
                patient_appointments.insert(pat.to_owned(), BTreeSet::from([Arc::clone(a.id)]));
            }
        }
    }
    let (Some(occ), Some(&p)) = (
        occupied(practice, a, Arc::clone(a.id)),
        practice.practitioner_ix.get(a.practitioner),
    ) else {
        return;
    };
    if let Some(t) = occupancy.timeline_mut(p) {
        if unsorted {
            t.push_unsorted(occ);
        } else {
            t.insert(occ);
        }
    }
}

/// A notification in the outbox. A change that queues one keeps it in the journal, and
/// the outbox refers to it there instead of holding a second copy; when the change is
/// compacted away, the notification (if not yet drained) is moved into the outbox.
#[derive(Clone, Debug)]
pub(crate) enum Outboxed {
    /// The outbox's own copy (restored from a snapshot, or moved out of the journal).
    Owned(Notification),
    /// In the [`Delta::Notify`] of the journaled change with this sequence number.
    Journaled {
        /// The change's sequence number.
        seq: u64,
    },
}

/// Everything that changes while the engine runs, the compiled configuration included
/// (reconfiguration swaps it under the same lock as the data it indexes).
#[derive(Debug)]
pub(crate) struct State {
    /// The compiled configuration; occupancy timelines are indexed by its practitioners.
    pub(crate) practice: Arc<Practice>,
    pub(crate) patients: HashMap<String, Patient>,
    pub(crate) appointments: Appointments,
    pub(crate) occupancy: Occupancy,
    /// Appointment ids per patient id (docs/booking.md, patient limits).
    pub(crate) patient_appointments: HashMap<String, BTreeSet<Arc<str>>>,
    /// Portal details of appointments, by appointment id.
    pub(crate) bookings: BTreeMap<String, BookingDetails>,
    /// Holds by id; expired ones stay until purged but no longer occupy.
    pub(crate) holds: BTreeMap<String, Hold>,
    /// The scheduling consent each patient gave last.
    pub(crate) consents: BTreeMap<String, ConsentRecord>,
    /// First outcomes of requests by idempotency key.
    pub(crate) idempotency: BTreeMap<String, IdempotencyEntry>,
    /// Program registrations by id.
    pub(crate) registrations: BTreeMap<String, Registration>,
    /// Notifications not yet drained, by id (read them with [`State::outbox_notifications`]).
    pub(crate) outbox: BTreeMap<u64, Outboxed>,
    /// The id of the next notification.
    pub(crate) next_notification: u64,
    /// Set while [`Engine::restore`] builds the state: appointments orphaned by an earlier
    /// reconfiguration are accepted (see `integrity::check_appointment`).
    pub(crate) restoring: bool,
    /// Portal accounts by id (docs/accounts.md).
    pub(crate) accounts: BTreeMap<String, Account>,
    /// Account id by normalised username.
    pub(crate) usernames: HashMap<String, String>,
    /// Account id by username skeleton (look-alike detection).
    pub(crate) skeletons: HashMap<String, String>,
    /// Account links by (account, patient).
    pub(crate) links: BTreeMap<(String, String), AccountLink>,
    /// Invitations by id (token digests only).
    pub(crate) invitations: BTreeMap<String, Invitation>,
    /// Pending password resets by account id (token digests only).
    pub(crate) resets: BTreeMap<String, ResetToken>,
    /// Public signups by id (the patient they created), with their review state.
    pub(crate) signups: BTreeMap<String, Signup>,
    /// What replaced merged patients, by merged patient id.
    pub(crate) merges: BTreeMap<String, MergeRecord>,
    /// The counter behind generated ids.
    pub(crate) next_id: u64,
    /// The sequence number of the last change.
    pub(crate) seq: u64,
    /// The changes since the engine was built or restored.
    pub(crate) journal: Vec<Change>,
    /// Waitlist entries and counts (docs/waitlist.md).
    pub(crate) waitlist: crate::waitlist::Waitlist,
}

impl State {
    /// An empty state running `practice`.
    pub(crate) fn new(practice: Arc<Practice>) -> State {
        let timelines = vec![Timeline::default(); practice.practitioners.len()];
        State {
            practice,
            patients: HashMap::new(),
            appointments: Appointments::default(),
            occupancy: Occupancy { timelines },
            patient_appointments: HashMap::new(),
            bookings: BTreeMap::new(),
            holds: BTreeMap::new(),
            consents: BTreeMap::new(),
            idempotency: BTreeMap::new(),
            registrations: BTreeMap::new(),
            outbox: BTreeMap::new(),
            next_notification: 0,
            restoring: false,
            accounts: BTreeMap::new(),
            usernames: HashMap::new(),
            skeletons: HashMap::new(),
            links: BTreeMap::new(),
            invitations: BTreeMap::new(),
            resets: BTreeMap::new(),
            signups: BTreeMap::new(),
            merges: BTreeMap::new(),
            next_id: 0,
            seq: 0,
            journal: Vec::new(),
            waitlist: crate::waitlist::Waitlist::default(),
        }
    }

    /// The notifications in the outbox, oldest first.
    pub(crate) fn outbox_notifications(&self) -> impl Iterator<Item = &Notification> + '_ {
        self.outbox.iter().filter_map(|(&id, entry)| {
            let found = match entry {
                Outboxed::Owned(n) => Some(n),
                Outboxed::Journaled { seq } => self.journaled_notification(*seq, id),
            };
            debug_assert!(
                found.is_some(),
                "notification {id} is neither kept nor journaled"
            );
            found
        })
    }

    /// The notification `id` queued by the journaled change `seq`.
    fn journaled_notification(&self, seq: u64, id: u64) -> Option<&Notification> {
        let at = self.journal.binary_search_by_key(&seq, |c| c.seq).ok()?;
        self.journal[at].deltas.iter().find_map(|d| match d {
            Delta::Notify { notification } if notification.id == id => Some(notification),
            _ => None,
        })
    }
}

/// The booking engine of one practice.
///
/// `Engine` is `Send + Sync`; every operation takes `&self`. Reads (search, explain) run in
/// parallel; each change is one atomic step.
///
/// ```
/// use clinic_portal::{Engine, SlotQuery};
/// use chrono::{NaiveDate, TimeZone, Utc};
///
/// let engine = Engine::from_json(r#"{
///   "clinics": [{"id": "main", "time_zone": "America/Toronto"}],
///   "schedule_types": [{"id": "treat", "name": "Treatment"}],
///   "practitioners": [{"id": "dr-lee", "schedule_types": ["treat"], "availability": [
///     {"start_date": "2027-01-01", "blocks": [
///       {"weekday": "mon", "start": "09:00", "end": "12:00", "schedule_type": "treat"}]}]}],
///   "services": [{"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]}]
/// }"#)?;
/// let monday = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
/// let now = Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0).unwrap();
/// let slots = engine.search(&SlotQuery::new("physio-30", monday, monday), now)?;
/// assert_eq!(slots.len(), 6); // 09:00, 09:30 … 11:30
/// assert_eq!(slots.get(0).unwrap().start().to_rfc3339(), "2027-02-01T09:00:00-05:00");
/// # Ok::<(), clinic_portal::Error>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    pub(crate) state: RwLock<State>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
};

impl Engine {
    /// Builds an engine from a configuration; `invalid_config` lists every error.
    pub fn new(config: Config) -> Result<Engine> {
        let practice = practice::compile(config).map_err(Error::invalid_config)?;
        Ok(Engine {
            state: RwLock::new(State::new(Arc::new(practice))),
        })
    }

    /// Builds an engine from configuration JSON.
    pub fn from_json(json: &str) -> Result<Engine> {
        Engine::new(Config::from_json(json)?)
    }

    /// Checks a configuration without building an engine: every error and warning.
    pub fn validate(config: &Config) -> Vec<Diagnostic> {
        match practice::compile(config.clone()) {
            Ok(p) => p.warnings.clone(),
            Err(diags) => diags,
        }
    }

    /// [`Engine::validate`] of configuration JSON: `invalid_config` when it does not parse
    /// as a configuration (unknown keys, wrong types), else every error and warning.
    pub fn validate_json(json: &str) -> Result<Vec<Diagnostic>> {
        Ok(Engine::validate(&Config::from_json(json)?))
    }

    /// The configuration the engine runs (a copy: [`Engine::reconfigure`] may replace it).
    pub fn config(&self) -> Config {
        self.read().practice.config.clone()
    }

    /// Warnings about the running configuration (it has no errors, or it would not load).
    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.read().practice.warnings.clone()
    }

    /// The running compiled configuration (a reference-counted copy of the pointer).
    pub(crate) fn practice(&self) -> Arc<Practice> {
        Arc::clone(&self.read().practice)
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // -- patients ------------------------------------------------------------------------

    /// Adds a patient, or replaces the one with the same id.
    pub fn upsert_patient(&self, patient: Patient) -> Result<()> {
        let mut state = self.write();
        self.check_patient(&state, &patient)?;
        self.commit(&mut state, vec![Delta::PutPatient { patient }])?;
        Ok(())
    }

    /// What a patient the host upserts must satisfy: a non-empty id, known allowed
    /// practitioners and a known referral type. (A restored or applied patient needs only
    /// the id: a reconfiguration may remove a practitioner or referral type a patient names.)
    pub(crate) fn check_patient(&self, state: &State, patient: &Patient) -> Result<()> {
        if patient.id.trim().is_empty() {
            return Err(Error::invalid_input("a patient needs a non-empty id"));
        }
        for p in &patient.allowed_practitioners {
            if !state.practice.practitioner_ix.contains_key(p) {
                return Err(Error::not_found("practitioner", p));
            }
        }
        if let Some(r) = &patient.referral_type {
            if !state
                .practice
                .config
                .referral_types
                .iter()
                .any(|t| &t.id == r)
            {
                return Err(Error::not_found("referral type", r));
            }
        }
        Ok(())
    }

    /// The patient with this id.
    pub fn patient(&self, id: &str) -> Result<Patient> {
        self.read()
            .patients
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("patient", id))
    }

    /// Removes a patient who has no appointments, no program registrations and no active
    /// account link in the engine. What only they could use goes with them, so that a new
    /// patient with the same id inherits nothing: their invitations, holds, revoked links
    /// and scheduling consent.
    pub fn remove_patient(&self, id: &str) -> Result<Patient> {
        let mut state = self.write();
        let old = state
            .patients
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("patient", id))?;
        if let Some(a) = state
            .patient_appointments
            .get(id)
            .and_then(|set| set.iter().next())
        {
            return Err(Error::invalid_input(format!(
                "patient `{id}` still has appointment `{a}`: remove or reassign it first"
            )));
        }
        if let Some(r) = state.registrations.values().find(|r| r.patient == id) {
            return Err(Error::invalid_input(format!(
                "patient `{id}` still has program registration `{}`",
                r.id
            )));
        }
        if let Some(l) = state
            .links
            .values()
            .find(|l| l.patient == id && (l.active || l.awaits_confirmation))
        {
            return Err(Error::invalid_input(format!(
                "patient `{id}` is still linked to account `{}`: revoke the link first \
                 (see docs/accounts.md)",
                l.account
            )));
        }
        let mut deltas: Vec<Delta> = state
            .invitations
            .values()
            .filter(|i| i.patient == id)
            .map(|i| Delta::RemoveInvitation { id: i.id.clone() })
            .collect();
        deltas.extend(
            state
                .holds
                .values()
                .filter(|h| h.patient.as_deref() == Some(id))
                .map(|h| Delta::RemoveHold { id: h.id.clone() }),
        );
        deltas.extend(state.links.values().filter(|l| l.patient == id).map(|l| {
            Delta::RemoveLink {
                account: l.account.clone(),
                patient: id.to_owned(),
            }
        }));
        deltas.extend(
            state
                .waitlist
                .entries
                .values()
                .filter(|e| e.patient == id)
                .map(|e| Delta::RemoveWaitlistEntry { id: e.id.clone() }),
        );
        deltas.push(Delta::RemovePatient { id: id.to_owned() });
        self.commit(&mut state, deltas)?;
        Ok(old)
    }

    // -- host-owned appointments -----------------------------------------------------------

    /// What an appointment must satisfy, whoever makes it (staff, the portal, a restored
    /// snapshot or an applied change): a non-empty id; a known practitioner, clinic and
    /// service; an existing patient; a start in the years 1900 to 9999 ([`check_instant`]);
    /// an end after the start and less than [`MAX_APPOINTMENT_DAYS`] later.
    pub(crate) fn check_appointment(&self, state: &State, a: &Appointment) -> Result<usize> {
        if a.id.trim().is_empty() {
            return Err(Error::invalid_input("an appointment needs a non-empty id"));
        }
        let p = *state
            .practice
            .practitioner_ix
            .get(&a.practitioner)
            .ok_or_else(|| Error::not_found("practitioner", &a.practitioner))?;
        if let Some(c) = &a.clinic {
            if !state.practice.clinic_ix.contains_key(c) {
                return Err(Error::not_found("clinic", c));
            }
        }
        if let Some(s) = &a.service {
            if !state.practice.service_ix.contains_key(s) {
                return Err(Error::not_found("service", s));
            }
        }
        if let Some(pat) = &a.patient {
            if !state.patients.contains_key(pat) {
                return Err(Error::not_found("patient", pat));
            }
        }
        check_instant("appointment start", a.start)?;
        if state.appointments.is_full() {
            return Err(Error::invalid_input(format!(
                "the engine holds appointments with {} distinct practitioner, clinic, service \
                 and patient ids, the most it can",
                crate::stored::MAX_NAMES
            )));
        }
        if a.end <= a.start {
            return Err(Error::invalid_input(format!(
                "appointment `{}` ends before it starts",
                a.id
            )));
        }
        if (a.end - a.start).num_days() >= MAX_APPOINTMENT_DAYS {
            return Err(Error::invalid_input(format!(
                "appointment `{}` is longer than {MAX_APPOINTMENT_DAYS} days",
                a.id
            )));
        }
        Ok(p)
    }

    /// Indexes a stored appointment: its practitioner's timeline and its patient's set.
    pub(crate) fn index(&self, state: &mut State, a: &Appointment) {
        let id = state
            .appointments
            .shared_id(&a.id)
            .unwrap_or_else(|| Arc::from(a.id.as_str()));
        let State {
            practice,
            occupancy,
            patient_appointments,
            ..
        } = state;
        index_one(
            practice,
            occupancy,
            patient_appointments,
            &Parts::of(a, &id),
            false,
        );
    }

    /// Indexes every stored appointment into empty timelines and patient sets at once (a
    /// restore): each timeline is filled, then sorted once.
    pub(crate) fn index_all_appointments(&self, state: &mut State) {
        let State {
            practice,
            occupancy,
            patient_appointments,
            appointments,
            ..
        } = state;
        for parts in appointments.parts() {
            index_one(practice, occupancy, patient_appointments, &parts, true);
        }
        for t in &mut occupancy.timelines {
            t.sort();
        }
    }

    pub(crate) fn unindex(&self, state: &mut State, a: &Appointment) {
        if let (Some((start, _)), Some(&p)) = (
            occupied_span(&state.practice, a),
            state.practice.practitioner_ix.get(&a.practitioner),
        ) {
            if let Some(t) = state.occupancy.timeline_mut(p) {
                t.remove(start, &a.id);
            }
        }
        if let Some(pat) = &a.patient {
            if let Some(set) = state.patient_appointments.get_mut(pat) {
                set.remove(a.id.as_str());
                if set.is_empty() {
                    state.patient_appointments.remove(pat);
                }
            }
        }
    }

    /// Imports an appointment the host owns (any source, any status). Occupying ones
    /// (`pending`, `booked`) take capacity; staff may exceed capacity.
    pub fn add_appointment(&self, appointment: Appointment) -> Result<()> {
        let mut state = self.write();
        self.check_appointment(&state, &appointment)?;
        if state.appointments.contains_key(&appointment.id)
            || state.holds.contains_key(&appointment.id)
        {
            return Err(Error::new(
                ErrorCode::DuplicateId,
                format!("appointment `{}` already exists", appointment.id),
            ));
        }
        // `staff_put` applies as it goes: everything is checked before it starts.
        crate::integrity::next_seq(&state)?;
        let mut deltas = Vec::new();
        self.staff_put(&mut state, appointment, &mut deltas);
        self.commit_applied(&mut state, deltas)?;
        Ok(())
    }

    /// Imports many appointments at once; all or nothing.
    pub fn add_appointments(&self, appointments: Vec<Appointment>) -> Result<()> {
        let mut state = self.write();
        let mut seen = std::collections::HashSet::new();
        for a in &appointments {
            self.check_appointment(&state, a)?;
            if state.appointments.contains_key(&a.id)
                || state.holds.contains_key(&a.id)
                || !seen.insert(a.id.as_str())
            {
                return Err(Error::new(
                    ErrorCode::DuplicateId,
                    format!("appointment `{}` already exists", a.id),
                ));
            }
        }
        if appointments.is_empty() {
            return Ok(());
        }
        crate::integrity::next_seq(&state)?;
        state.appointments.reserve(appointments.len());
        let mut deltas = Vec::with_capacity(appointments.len() + appointments.len() / 4);
        for appointment in appointments {
            self.staff_put(&mut state, appointment, &mut deltas);
        }
        self.commit_applied(&mut state, deltas)?;
        Ok(())
    }

    /// Replaces an appointment (matched by id) with new details.
    pub fn update_appointment(&self, appointment: Appointment) -> Result<()> {
        let mut state = self.write();
        self.check_appointment(&state, &appointment)?;
        if !state.appointments.contains_key(&appointment.id) {
            return Err(Error::not_found("appointment", &appointment.id));
        }
        crate::integrity::next_seq(&state)?;
        let mut deltas = Vec::new();
        self.staff_put(&mut state, appointment, &mut deltas);
        self.commit_applied(&mut state, deltas)?;
        Ok(())
    }

    /// Removes an appointment and returns it.
    pub fn remove_appointment(&self, id: &str) -> Result<Appointment> {
        let mut state = self.write();
        let old = state
            .appointments
            .get(id)
            .ok_or_else(|| Error::not_found("appointment", id))?;
        self.commit(
            &mut state,
            vec![Delta::RemoveAppointment { id: id.to_owned() }],
        )?;
        Ok(old)
    }

    /// The appointment with this id.
    pub fn appointment(&self, id: &str) -> Result<Appointment> {
        self.read()
            .appointments
            .get(id)
            .ok_or_else(|| Error::not_found("appointment", id))
    }

    /// How many appointments the engine holds.
    pub fn appointment_count(&self) -> usize {
        self.read().appointments.len()
    }

    // -- availability --------------------------------------------------------------------

    /// The starts a portal user may book (docs/rules.md), as of `now`.
    pub fn search(&self, query: &SlotQuery, now: DateTime<Utc>) -> Result<Slots> {
        check_instant("now", now)?;
        let state = self.read();
        self.authorize_query(&state, query)?;
        availability::search(&state.practice, &state, query, now.timestamp())
    }

    /// Why `start` is or is not offered for `query`, as of `now` (docs/rules.md, "How
    /// explain decides"). Without a practitioner in the query, the practitioners are judged
    /// only until the answer is certain, and `practitioners` holds the one verdict the
    /// answer comes from; [`Engine::explain_all`] gives the same answer with every verdict.
    pub fn explain(
        &self,
        query: &SlotQuery,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Explanation> {
        self.explain_with(query, start, now, false)
    }

    /// [`Engine::explain`] with a verdict for every candidate practitioner, in
    /// configuration order.
    pub fn explain_all(
        &self,
        query: &SlotQuery,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Explanation> {
        self.explain_with(query, start, now, true)
    }

    fn explain_with(
        &self,
        query: &SlotQuery,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
        every: bool,
    ) -> Result<Explanation> {
        check_instant("now", now)?;
        check_instant("start", start)?;
        let state = self.read();
        self.authorize_query(&state, query)?;
        explain::explain(
            &state.practice,
            &state,
            query,
            start,
            now.timestamp(),
            every,
        )
    }

    /// Which practitioners can offer a service online, and why the others cannot.
    pub fn service_report(&self, service: &str) -> Result<ServiceReport> {
        let state = self.read();
        let si = *state
            .practice
            .service_ix
            .get(service)
            .ok_or_else(|| Error::not_found("service", service))?;
        Ok(explain::service_report(&state.practice, si))
    }

    /// The HTML of the embeddable "Book an appointment" button, linking to `booking_url`
    /// (or, when `None`, to `portal.login_url`).
    pub fn book_button_html(&self, booking_url: Option<&str>) -> Result<String> {
        let state = self.read();
        let url = booking_url
            .or(state.practice.config.portal.login_url.as_deref())
            .ok_or_else(|| {
                Error::invalid_input("no booking URL given and portal.login_url is not set")
            })?;
        state.practice.config.portal.widgets.book_button.html(url)
    }
}
