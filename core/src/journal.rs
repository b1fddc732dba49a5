//! Persistence: the journal of changes and the versioned snapshot (docs/persistence.md).
//!
//! Every successful mutation is one [`Change`]: a gap-free sequence number and the state
//! deltas it made (the resulting entities, never the command), so replaying a change is
//! deterministic and needs no clock. [`crate::Engine::snapshot`] writes the whole state —
//! configuration included — as JSON with sorted keys and lists, so equal states give
//! byte-identical snapshots; [`crate::Engine::restore`] reads it back, and
//! [`crate::Engine::apply`] replays changes onto it.
//!
//! Both treat their input as untrusted: a snapshot or change must hold only what the live
//! operations could have produced (references resolve, ids are unique, instants are in
//! range, counters can advance, at most one active `self` account per patient…), checked
//! with the same rules the operations apply; anything else is refused and nothing changes.
//! A change is applied whole or not at all. Live changes pass the same checks when they
//! are committed, so every snapshot the engine writes restores. See docs/persistence.md.

use serde::{Deserialize, Serialize};

use crate::accounts::{Account, AccountLink, ResetToken};
use crate::booking::{BookingDetails, ConsentRecord, Hold, IdempotencyEntry};
use crate::config::{Closure, Config};
use crate::credentials::username_skeleton;
use crate::engine::{Outboxed, State};
use crate::integrity;
use crate::invitation::Invitation;
use crate::merge::MergeRecord;
use crate::model::{Appointment, Patient};
use crate::occupancy::Occupied;
use crate::outbox::Notification;
use crate::practice::Practice;
use crate::program::Registration;
use crate::signup::Signup;
use crate::stored::StoredRef;
use crate::waitlist::{WaitlistEntry, WaitlistReport};
use crate::{Engine, Error, ErrorCode, Result};

/// The snapshot format this engine writes, and the newest it reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// The largest value of every counter the engine keeps: the change sequence number, the
/// counter behind generated ids and the notification ids (2^53 − 1, the largest integer a
/// JSON number holds exactly in every language). A snapshot or change above it is
/// `invalid_input`; once the sequence reaches it, every further change is `limit_reached`.
pub const MAX_COUNTER: u64 = (1 << 53) - 1;

/// One successful mutation: its sequence number and the state it produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// Gap-free sequence number: the first change after an empty engine is 1.
    pub seq: u64,
    /// The state deltas, applied in order.
    pub deltas: Vec<Delta>,
}

/// One state delta: an entity as it is after the change, or its removal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Delta {
    /// A patient added or replaced.
    PutPatient {
        /// The patient.
        patient: Patient,
    },
    /// A patient removed, with their scheduling consent.
    RemovePatient {
        /// Patient id.
        id: String,
    },
    /// An appointment added or replaced.
    PutAppointment {
        /// The appointment.
        appointment: Appointment,
    },
    /// An appointment removed, with its portal details.
    RemoveAppointment {
        /// Appointment id.
        id: String,
    },
    /// The portal details of an appointment added or replaced.
    PutBooking {
        /// The details.
        booking: Box<BookingDetails>,
    },
    /// A hold added or replaced.
    PutHold {
        /// The hold.
        hold: Hold,
    },
    /// A hold removed (converted into a booking, or purged after expiry).
    RemoveHold {
        /// Hold id.
        id: String,
    },
    /// A patient's scheduling consent recorded.
    PutConsent {
        /// Patient id.
        patient: String,
        /// The consent.
        consent: ConsentRecord,
    },
    /// The first outcome of an idempotent request recorded.
    PutIdempotency {
        /// The idempotency key.
        key: String,
        /// The request's fingerprint and outcome.
        entry: Box<IdempotencyEntry>,
    },
    /// A program registration added or replaced.
    PutRegistration {
        /// The registration.
        registration: Registration,
    },
    /// A notification put in the outbox.
    Notify {
        /// The notification.
        notification: Notification,
    },
    /// Notifications up to this id handed to the host and removed from the outbox.
    Drained {
        /// The last drained id.
        through: u64,
    },
    /// A portal account added or replaced (docs/accounts.md; the password only as a PHC string).
    PutAccount {
        /// The account, with its password hash.
        #[serde(serialize_with = "crate::accounts::serialize_stored")]
        account: Account,
    },
    /// An account link added or replaced (revoking is a replace with `active: false`).
    PutLink {
        /// The link.
        link: AccountLink,
    },
    /// An account link removed (moved by a merge).
    RemoveLink {
        /// Account id.
        account: String,
        /// Patient id.
        patient: String,
    },
    /// An invitation added or replaced (token digest only).
    PutInvitation {
        /// The invitation, with its token digest.
        #[serde(serialize_with = "crate::invitation::serialize_stored")]
        invitation: Invitation,
    },
    /// An invitation deleted.
    RemoveInvitation {
        /// Invitation id.
        id: String,
    },
    /// A password reset issued (token digest only), replacing the account's earlier one.
    PutResetToken {
        /// The reset.
        reset: ResetToken,
    },
    /// A password reset used or cancelled.
    RemoveResetToken {
        /// Account id.
        account: String,
    },
    /// A public signup recorded or updated (reviewed, merged).
    PutSignup {
        /// The signup.
        signup: Signup,
    },
    /// A merged patient's replaced-by record.
    PutMerge {
        /// The record.
        record: MergeRecord,
    },
    /// The whole configuration replaced ([`Engine::reconfigure`]).
    Reconfigure {
        /// The new configuration.
        config: Box<Config>,
    },
    /// A closure added or replaced by id ([`Engine::put_closure`]).
    PutClosure {
        /// The closure.
        closure: Closure,
    },
    /// A closure removed by id ([`Engine::remove_closure`]).
    RemoveClosure {
        /// Closure id.
        id: String,
    },
    /// A waitlist entry added or replaced (docs/waitlist.md).
    PutWaitlistEntry {
        /// The entry.
        entry: Box<WaitlistEntry>,
    },
    /// A waitlist entry removed (left, removed by staff, fulfilled or over).
    RemoveWaitlistEntry {
        /// Entry id.
        id: String,
    },
    /// The waitlist's counts replaced.
    PutWaitlistReport {
        /// The counts.
        report: WaitlistReport,
    },
    /// The counter behind generated ids advanced.
    NextId {
        /// The next value.
        next_id: u64,
    },
}

/// The snapshot document.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snapshot {
    format_version: u32,
    seq: u64,
    next_id: u64,
    next_notification: u64,
    config: Config,
    patients: Vec<Patient>,
    appointments: Vec<Appointment>,
    bookings: Vec<BookingDetails>,
    holds: Vec<Hold>,
    consents: std::collections::BTreeMap<String, ConsentRecord>,
    idempotency: std::collections::BTreeMap<String, IdempotencyEntry>,
    registrations: Vec<Registration>,
    outbox: Vec<Notification>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(serialize_with = "crate::accounts::serialize_stored_list")]
    accounts: Vec<Account>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    account_links: Vec<AccountLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    invitations: Vec<Invitation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    password_resets: Vec<ResetToken>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    signups: Vec<Signup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    merges: Vec<MergeRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    waitlist: Vec<WaitlistEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waitlist_report: Option<WaitlistReport>,
}

/// [`Snapshot`] borrowed from the state, for writing: the same fields in the same order,
/// so it serialises to the same bytes without cloning anything.
#[derive(Serialize, schemars::JsonSchema)]
struct SnapshotRef<'a> {
    format_version: u32,
    seq: u64,
    next_id: u64,
    next_notification: u64,
    config: &'a Config,
    patients: Vec<&'a Patient>,
    #[schemars(with = "Vec<Appointment>")]
    appointments: Vec<StoredRef<'a>>,
    bookings: Vec<&'a BookingDetails>,
    holds: Vec<&'a Hold>,
    consents: &'a std::collections::BTreeMap<String, ConsentRecord>,
    idempotency: &'a std::collections::BTreeMap<String, IdempotencyEntry>,
    registrations: Vec<&'a Registration>,
    outbox: Vec<&'a Notification>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(serialize_with = "crate::accounts::serialize_stored_list")]
    accounts: Vec<&'a Account>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    account_links: Vec<&'a AccountLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(serialize_with = "crate::invitation::serialize_stored_list")]
    invitations: Vec<&'a Invitation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    password_resets: Vec<&'a ResetToken>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    signups: Vec<&'a Signup>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    merges: Vec<&'a MergeRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    waitlist: Vec<&'a WaitlistEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waitlist_report: Option<&'a WaitlistReport>,
}

/// The start of a snapshot as far as [`Engine::restore`] needs it first: the format
/// version of a JSON object, every other member skipped unparsed.
struct Header {
    format_version: Option<u64>,
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Header, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Header;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a snapshot object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Header, A::Error> {
                let mut format_version = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "format_version" {
                        // The last one counts, as in a parsed JSON object; a value that is
                        // not an unsigned integer counts as none.
                        let v: serde_json::Value = map.next_value()?;
                        format_version = v.as_u64();
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Header { format_version })
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A change computed by [`Engine::plan`] and not applied, with the outcome the operation
/// will have once it is: store `change` first (conditioned on its `seq`), then
/// [`Engine::apply`] it. `change` is `None` when the operation changes nothing (an
/// idempotent retry, a read).
#[derive(Clone, Debug, PartialEq)]
pub struct Planned<T> {
    /// The change to store and apply, if the operation changes anything.
    pub change: Option<Change>,
    /// What the operation returns once its change is applied.
    pub outcome: T,
}

/// What an operation planned on this thread has committed so far (see [`Engine::plan`]).
#[derive(Default)]
struct Planning {
    changes: Vec<Change>,
    undo: Vec<Undo>,
}

/// The entity an operation being planned applied before its commit (a staff import sees
/// the earlier appointments of its batch), to be put back afterwards.
enum Undo {
    Appointment(String, Option<Appointment>),
    Booking(String, Option<BookingDetails>),
}

thread_local! {
    /// Set while [`Engine::plan`] runs an operation on this thread: the operation's
    /// commit is captured here instead of applied. The engine's lock is held by the
    /// operation itself, so no other thread sees anything of a planned change.
    static PLANNING: std::cell::RefCell<Option<Planning>> = const { std::cell::RefCell::new(None) };
}

/// Clears [`PLANNING`] however the planned operation ends.
struct PlanningGuard;

impl Drop for PlanningGuard {
    fn drop(&mut self) {
        PLANNING.with(|p| p.borrow_mut().take());
    }
}

fn planning() -> bool {
    PLANNING.with(|p| p.borrow().is_some())
}

impl Engine {
    /// Computes the change an operation would make **without applying it**, so that the
    /// host can make it durable before anyone sees it (docs/persistence.md):
    ///
    /// 1. `let planned = engine.plan(|e| e.book(&request, now))?` — runs every check of
    ///    the operation against the current state and returns its change and outcome;
    ///    the engine is left exactly as it was.
    /// 2. The host inserts `planned.change` into its journal table at `change.seq`
    ///    (a unique key per practice). On a conflict another process got there first:
    ///    read the newer changes, [`Engine::apply`] them, and plan again.
    /// 3. [`Engine::apply`] the stored change: the engine now holds what was promised.
    ///    `stale_sequence` there means a change of this process slipped in between
    ///    (plan again).
    ///
    /// An operation that fails in step 1 changes nothing and stores nothing. `plan` may
    /// wrap any one mutating operation of the engine; reads pass through with no change.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use clinic_portal::{Engine, Patient};
    ///
    /// let engine = Engine::from_json(r#"{"clinics": [{"id": "c", "time_zone": "UTC"}]}"#)?;
    /// let other = Engine::restore(&engine.snapshot())?;
    /// let patient: Patient = serde_json::from_str(r#"{"id": "ana"}"#).unwrap();
    /// let planned = engine.plan(|e| e.upsert_patient(patient.clone()))?;
    /// assert!(engine.patient("ana").is_err()); // not applied yet
    /// let change = planned.change.expect("a change");
    /// // … the host stores `change` at seq 1, then both engines apply it:
    /// engine.apply(&change)?;
    /// other.apply(&change)?;
    /// assert_eq!(engine.snapshot(), other.snapshot());
    /// # Ok::<(), clinic_portal::Error>(())
    /// ```
    pub fn plan<T>(&self, operation: impl FnOnce(&Engine) -> Result<T>) -> Result<Planned<T>> {
        if planning() {
            return Err(Error::invalid_input(
                "plan cannot be called inside an operation being planned",
            ));
        }
        PLANNING.with(|p| *p.borrow_mut() = Some(Planning::default()));
        let guard = PlanningGuard;
        let outcome = operation(self);
        let captured = PLANNING.with(|p| p.borrow_mut().take()).unwrap_or_default();
        drop(guard);
        let outcome = outcome?;
        let mut changes = captured.changes;
        match changes.len() {
            0 => Ok(Planned {
                change: None,
                outcome,
            }),
            1 => Ok(Planned {
                change: changes.pop(),
                outcome,
            }),
            n => Err(Error::new(
                ErrorCode::Internal,
                format!("the planned closure made {n} changes; plan one operation at a time"),
            )),
        }
    }

    /// While planning: captures the change instead of journaling it; returns its number.
    fn capture(&self, state: &State, deltas: Vec<Delta>) -> u64 {
        PLANNING.with(|p| {
            let mut p = p.borrow_mut();
            let planning = p.get_or_insert_with(Planning::default);
            let seq = state.seq + 1 + planning.changes.len() as u64;
            planning.changes.push(Change { seq, deltas });
            seq
        })
    }

    /// While planning, remembers an appointment (and its portal details) as it was before
    /// an operation applies it ahead of its commit.
    pub(crate) fn remember_for_undo(&self, state: &State, appointment: &str) {
        PLANNING.with(|p| {
            if let Some(planning) = p.borrow_mut().as_mut() {
                planning.undo.push(Undo::Appointment(
                    appointment.to_owned(),
                    state.appointments.get(appointment),
                ));
                planning.undo.push(Undo::Booking(
                    appointment.to_owned(),
                    state.bookings.get(appointment).cloned(),
                ));
            }
        });
    }

    /// Puts back what [`Engine::remember_for_undo`] remembered, newest first.
    fn undo_applied(&self, state: &mut State) {
        let undo = PLANNING.with(|p| {
            p.borrow_mut()
                .as_mut()
                .map(|planning| std::mem::take(&mut planning.undo))
                .unwrap_or_default()
        });
        for entry in undo.into_iter().rev() {
            match entry {
                Undo::Appointment(id, old) => {
                    if let Some(now) = state.appointments.remove(&id) {
                        self.unindex(state, &now);
                    }
                    if let Some(old) = old {
                        state.appointments.insert(&old);
                        self.index(state, &old);
                    }
                }
                Undo::Booking(id, old) => match old {
                    Some(b) => {
                        state.bookings.insert(id, b);
                    }
                    None => {
                        state.bookings.remove(&id);
                    }
                },
            }
        }
    }

    /// Applies deltas and journals them as one change; returns its sequence number. Each
    /// delta is checked first against the state the ones before it left
    /// ([`crate::integrity`]): when one is refused, nothing changes and its error is
    /// returned (as for a change from [`Engine::apply`]).
    ///
    /// While an operation is being planned ([`Engine::plan`]), the deltas are checked the
    /// same way, put back at once, and the change is captured instead of journaled.
    pub(crate) fn commit(&self, state: &mut State, deltas: Vec<Delta>) -> Result<u64> {
        let seq = integrity::next_seq(state)?;
        if planning() {
            integrity::check_and_roll_back(self, state, &deltas)?;
            return Ok(self.capture(state, deltas));
        }
        integrity::apply_checked(self, state, &deltas, |state, d| match d {
            // Kept once, in the journal: the outbox refers to it (see `Outboxed`).
            Delta::Notify { notification } => {
                state.next_notification = state
                    .next_notification
                    .max(notification.id.saturating_add(1));
                state
                    .outbox
                    .insert(notification.id, Outboxed::Journaled { seq });
            }
            _ => self.apply_delta(state, d),
        })?;
        state.seq = seq;
        state.journal.push(Change { seq, deltas });
        Ok(seq)
    }

    /// What a hold occupies: like a pending booking of its service (buffers included),
    /// until it expires (docs/booking.md, holds).
    fn hold_occupied(&self, practice: &Practice, hold: &Hold) -> Occupied {
        let (start, end) = (hold.start.timestamp(), hold.end.timestamp());
        let (start, end) = match practice.service_ix.get(&hold.service) {
            Some(&si) => crate::availability::occupied_span(&practice.services[si], start, end),
            None => (start, end),
        };
        Occupied {
            start,
            end,
            id: std::sync::Arc::from(hold.id.as_str()),
            expires: Some(hold.expires_at.timestamp()),
        }
    }

    pub(crate) fn index_hold(&self, state: &mut State, hold: &Hold) {
        if let Some(&p) = state.practice.practitioner_ix.get(&hold.practitioner) {
            if let Some(t) = state.occupancy.timeline_mut(p) {
                t.insert(self.hold_occupied(&state.practice, hold));
            }
        }
    }

    pub(crate) fn unindex_hold(&self, state: &mut State, hold: &Hold) {
        let occ = self.hold_occupied(&state.practice, hold);
        if let Some(&p) = state.practice.practitioner_ix.get(&hold.practitioner) {
            if let Some(t) = state.occupancy.timeline_mut(p) {
                t.remove(occ.start, &occ.id);
            }
        }
    }

    /// Journals deltas that were already applied one by one (see
    /// [`Engine::staff_put`]), after the caller checked them and that the sequence can
    /// advance ([`integrity::next_seq`]) before applying the first. Returns the change's
    /// sequence number. While planning, puts them back and captures the change instead.
    pub(crate) fn commit_applied(&self, state: &mut State, deltas: Vec<Delta>) -> Result<u64> {
        let seq = integrity::next_seq(state)?;
        if planning() {
            let seq = self.capture(state, deltas);
            self.undo_applied(state);
            return Ok(seq);
        }
        state.seq = seq;
        state.journal.push(Change { seq, deltas });
        Ok(seq)
    }

    pub(crate) fn apply_delta(&self, state: &mut State, delta: &Delta) {
        match delta {
            Delta::PutPatient { patient } => {
                state.patients.insert(patient.id.clone(), patient.clone());
            }
            Delta::RemovePatient { id } => {
                state.patients.remove(id);
                state.consents.remove(id);
            }
            Delta::PutAppointment { appointment } => {
                let old = state.appointments.insert(appointment);
                if let Some(old) = old {
                    self.unindex(state, &old);
                }
                self.index(state, appointment);
            }
            Delta::RemoveAppointment { id } => {
                if let Some(old) = state.appointments.remove(id) {
                    self.unindex(state, &old);
                }
                state.bookings.remove(id);
            }
            Delta::PutBooking { booking } => {
                state
                    .bookings
                    .insert(booking.appointment.clone(), (**booking).clone());
            }
            Delta::PutHold { hold } => {
                if let Some(old) = state.holds.remove(&hold.id) {
                    self.unindex_hold(state, &old);
                }
                self.index_hold(state, hold);
                state.holds.insert(hold.id.clone(), hold.clone());
            }
            Delta::RemoveHold { id } => {
                if let Some(old) = state.holds.remove(id) {
                    self.unindex_hold(state, &old);
                }
            }
            Delta::PutConsent { patient, consent } => {
                state.consents.insert(patient.clone(), consent.clone());
            }
            Delta::PutIdempotency { key, entry } => {
                state.idempotency.insert(key.clone(), (**entry).clone());
            }
            Delta::PutRegistration { registration } => {
                state
                    .registrations
                    .insert(registration.id.clone(), registration.clone());
            }
            Delta::Notify { notification } => {
                state.next_notification = state
                    .next_notification
                    .max(notification.id.saturating_add(1));
                state
                    .outbox
                    .insert(notification.id, Outboxed::Owned(notification.clone()));
            }
            Delta::Drained { through } => {
                state.outbox.retain(|&id, _| id > *through);
            }
            Delta::NextId { next_id } => {
                state.next_id = state.next_id.max(*next_id);
            }
            Delta::PutAccount { account } => {
                if let Some(old) = state.accounts.remove(&account.id) {
                    state.usernames.remove(&old.username);
                    state.skeletons.remove(&username_skeleton(&old.username));
                }
                state
                    .usernames
                    .insert(account.username.clone(), account.id.clone());
                state
                    .skeletons
                    .insert(username_skeleton(&account.username), account.id.clone());
                state.accounts.insert(account.id.clone(), account.clone());
            }
            Delta::PutLink { link } => {
                state
                    .links
                    .insert((link.account.clone(), link.patient.clone()), link.clone());
            }
            Delta::RemoveLink { account, patient } => {
                state.links.remove(&(account.clone(), patient.clone()));
            }
            Delta::PutInvitation { invitation } => {
                state
                    .invitations
                    .insert(invitation.id.clone(), invitation.clone());
            }
            Delta::RemoveInvitation { id } => {
                state.invitations.remove(id);
            }
            Delta::PutResetToken { reset } => {
                state.resets.insert(reset.account.clone(), reset.clone());
            }
            Delta::RemoveResetToken { account } => {
                state.resets.remove(account);
            }
            Delta::PutSignup { signup } => {
                state.signups.insert(signup.id.clone(), signup.clone());
            }
            Delta::PutMerge { record } => {
                state.merges.insert(record.merged.clone(), record.clone());
            }
            Delta::Reconfigure { .. } | Delta::PutClosure { .. } | Delta::RemoveClosure { .. } => {
                self.apply_config_delta(state, delta);
            }
            Delta::PutWaitlistEntry { entry } => {
                state
                    .waitlist
                    .entries
                    .insert(entry.id.clone(), (**entry).clone());
            }
            Delta::RemoveWaitlistEntry { id } => {
                state.waitlist.entries.remove(id);
            }
            Delta::PutWaitlistReport { report } => {
                state.waitlist.report = report.clone();
            }
        }
    }

    /// The sequence number of the last change (0 for a new engine).
    pub fn last_seq(&self) -> u64 {
        self.read().seq
    }

    /// The changes after `seq`, oldest first. The engine keeps the changes made since it
    /// was built or restored; asking for older ones is `invalid_input`.
    pub fn changes_since(&self, seq: u64) -> Result<Vec<Change>> {
        let state = self.read();
        let first = state
            .journal
            .first()
            .map_or(state.seq.saturating_add(1), |c| c.seq);
        if seq < first.saturating_sub(1) {
            return Err(Error::invalid_input(format!(
                "the journal starts at change {first}; changes after {seq} are no longer kept"
            )));
        }
        Ok(state
            .journal
            .iter()
            .filter(|c| c.seq > seq)
            .cloned()
            .collect())
    }

    /// Forgets the kept changes up to `seq` once the host has stored them (the journal in
    /// memory grows with every change otherwise). Returns how many were dropped.
    pub fn compact_journal(&self, seq: u64) -> usize {
        let mut guard = self.write();
        let state = &mut *guard;
        let dropped = state.journal.partition_point(|c| c.seq <= seq);
        for change in state.journal.drain(..dropped) {
            for d in change.deltas {
                if let Delta::Notify { notification } = d {
                    // Not yet drained: the outbox takes the journal's copy over.
                    if let Some(entry) = state.outbox.get_mut(&notification.id) {
                        if matches!(entry, Outboxed::Journaled { seq } if *seq == change.seq) {
                            *entry = Outboxed::Owned(notification);
                        }
                    }
                }
            }
        }
        dropped
    }

    /// Applies a change: one [`Engine::plan`]ned here or by another process, or read
    /// back from the host's journal. Its sequence number must be exactly the next one:
    /// `stale_sequence` otherwise (the engine already has that change or a later one —
    /// plan again — or changes before it are missing — catch up first).
    pub fn apply(&self, change: &Change) -> Result<u64> {
        let mut state = self.write();
        if change.seq != state.seq.saturating_add(1) {
            let why = if change.seq <= state.seq {
                "it is already taken: catch up and plan again"
            } else {
                "changes before it are missing: apply those first"
            };
            return Err(Error::new(
                ErrorCode::StaleSequence,
                format!(
                    "change {} does not follow change {}, the engine's last; {why}",
                    change.seq, state.seq
                ),
            ));
        }
        self.commit(&mut state, change.deltas.clone())
    }

    /// The whole state, configuration included, as versioned JSON. Equal states give
    /// byte-identical snapshots (every list is sorted by id).
    pub fn snapshot(&self) -> String {
        let state = self.read();
        // Serialised straight from the state: references sorted by id, nothing cloned.
        let patients = sorted_by_id(state.patients.values(), |p| &p.id);
        let appointments = sorted_by_id(state.appointments.stored(), |a| a.id())
            .into_iter()
            .map(|a| state.appointments.serializable(a))
            .collect();
        let (waitlist, waitlist_report) = crate::waitlist::snapshot_parts(&state.waitlist);
        let snapshot = SnapshotRef {
            format_version: SNAPSHOT_FORMAT_VERSION,
            seq: state.seq,
            next_id: state.next_id,
            next_notification: state.next_notification,
            config: &state.practice.config,
            patients,
            appointments,
            bookings: state.bookings.values().collect(),
            holds: state.holds.values().collect(),
            consents: &state.consents,
            idempotency: &state.idempotency,
            registrations: state.registrations.values().collect(),
            outbox: state.outbox_notifications().collect(),
            accounts: state.accounts.values().collect(),
            account_links: state.links.values().collect(),
            invitations: state.invitations.values().collect(),
            password_resets: state.resets.values().collect(),
            signups: state.signups.values().collect(),
            merges: state.merges.values().collect(),
            waitlist,
            waitlist_report,
        };
        // Sized for the bulk of a snapshot (about 220 bytes per appointment), so that the
        // buffer does not grow by doubling; pages never written are never touched.
        let hint = 64 * 1024
            + 256 * state.appointments.len()
            + 256 * state.patients.len()
            + 256 * state.bookings.len()
            + 1024 * state.outbox.len();
        let mut out = Vec::with_capacity(hint);
        if serde_json::to_writer(&mut out, &snapshot).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Rebuilds an engine from [`Engine::snapshot`] output. A snapshot from a newer
    /// engine (unknown `format_version`) is `invalid_input`; a configuration that no longer
    /// validates is `invalid_config`.
    ///
    /// The snapshot is untrusted input: it must hold only what the live operations could
    /// have produced — every reference resolves, no entity is listed twice, instants are
    /// in range, counters can advance (see docs/persistence.md). Anything else is refused
    /// with the first offending entity's error.
    pub fn restore(json: &str) -> Result<Engine> {
        // Parsed once, straight into the typed snapshot; only when that fails (or the
        // version is not one this engine reads) does `restore_error` look at the document
        // again, to say why in the same order as always: not JSON, no or an unknown
        // `format_version`, then anything else.
        let snapshot: Snapshot = match serde_json::from_str(json) {
            Ok(s) => s,
            Err(e) => return Err(restore_error(json, Some(e))),
        };
        if !(1..=SNAPSHOT_FORMAT_VERSION).contains(&snapshot.format_version) {
            return Err(restore_error(json, None));
        }
        integrity::check_counter("snapshot seq", snapshot.seq)?;
        integrity::check_counter("snapshot next_id", snapshot.next_id)?;
        integrity::check_counter("snapshot next_notification", snapshot.next_notification)?;
        let engine = Engine::new(snapshot.config)?;
        {
            let mut guard = engine.write();
            let state = &mut *guard;
            state.restoring = true;
            // Each entity is checked against what is restored before it (patients before
            // what refers to them, accounts before links…), then put in.
            let put = |state: &mut State, delta: Delta| -> Result<()> {
                integrity::check_delta(&engine, state, &delta)?;
                engine.apply_delta(state, &delta);
                Ok(())
            };
            for patient in snapshot.patients {
                integrity::once(
                    "patient",
                    &patient.id,
                    state.patients.contains_key(&patient.id),
                )?;
                put(state, Delta::PutPatient { patient })?;
            }
            // Appointments are checked and stored (the set reserved once), then indexed in
            // bulk: each timeline is filled and sorted once instead of one insert at a time.
            state.appointments.reserve(snapshot.appointments.len());
            for appointment in &snapshot.appointments {
                integrity::check_appointment(&engine, state, appointment)?;
                if state.appointments.contains_key(&appointment.id) {
                    return Err(integrity::listed_twice("appointment", &appointment.id));
                }
                state.appointments.insert(appointment);
            }
            drop(snapshot.appointments);
            engine.index_all_appointments(state);
            for booking in snapshot.bookings {
                let id = &booking.appointment;
                integrity::once(
                    "the booking details of",
                    id,
                    state.bookings.contains_key(id),
                )?;
                let booking = Box::new(booking);
                put(state, Delta::PutBooking { booking })?;
            }
            for hold in snapshot.holds {
                integrity::once("hold", &hold.id, state.holds.contains_key(&hold.id))?;
                put(state, Delta::PutHold { hold })?;
            }
            for (patient, consent) in snapshot.consents {
                put(state, Delta::PutConsent { patient, consent })?;
            }
            for (key, entry) in snapshot.idempotency {
                let entry = Box::new(entry);
                put(state, Delta::PutIdempotency { key, entry })?;
            }
            for registration in snapshot.registrations {
                let id = &registration.id;
                integrity::once("registration", id, state.registrations.contains_key(id))?;
                put(state, Delta::PutRegistration { registration })?;
            }
            // In id order, each above the one before (a repeated id is refused too).
            for notification in snapshot.outbox {
                put(state, Delta::Notify { notification })?;
            }
            for account in snapshot.accounts {
                integrity::once(
                    "account",
                    &account.id,
                    state.accounts.contains_key(&account.id),
                )?;
                put(state, Delta::PutAccount { account })?;
            }
            for link in snapshot.account_links {
                let key = (link.account.clone(), link.patient.clone());
                let what = format!("{} → {}", link.account, link.patient);
                integrity::once("link", &what, state.links.contains_key(&key))?;
                // The one-self rule is checked for all links at once, below.
                integrity::check_link_refs(state, &link)?;
                engine.apply_delta(state, &Delta::PutLink { link });
            }
            integrity::check_self_links(state.links.values())?;
            for invitation in snapshot.invitations {
                let id = &invitation.id;
                integrity::once("invitation", id, state.invitations.contains_key(id))?;
                put(state, Delta::PutInvitation { invitation })?;
            }
            for reset in snapshot.password_resets {
                let id = &reset.account;
                integrity::once("the password reset of", id, state.resets.contains_key(id))?;
                put(state, Delta::PutResetToken { reset })?;
            }
            for signup in snapshot.signups {
                integrity::once("signup", &signup.id, state.signups.contains_key(&signup.id))?;
                put(state, Delta::PutSignup { signup })?;
            }
            for record in snapshot.merges {
                let id = &record.merged;
                integrity::once("the merge record of", id, state.merges.contains_key(id))?;
                put(state, Delta::PutMerge { record })?;
            }
            for entry in snapshot.waitlist {
                let id = &entry.id;
                integrity::once(
                    "waitlist entry",
                    id,
                    state.waitlist.entries.contains_key(id),
                )?;
                let entry = Box::new(entry);
                put(state, Delta::PutWaitlistEntry { entry })?;
            }
            if let Some(report) = snapshot.waitlist_report {
                put(state, Delta::PutWaitlistReport { report })?;
            }
            if snapshot.next_notification < state.next_notification {
                return Err(Error::invalid_input(format!(
                    "snapshot next_notification {} is not above the notifications in its \
                     outbox",
                    snapshot.next_notification
                )));
            }
            state.next_notification = snapshot.next_notification;
            state.next_id = snapshot.next_id;
            state.seq = snapshot.seq;
            state.restoring = false;
        }
        Ok(engine)
    }
}

/// Why a snapshot cannot be restored: `parsed` is the error of parsing it as a
/// [`Snapshot`], `None` when it parsed but its `format_version` is not one this engine
/// reads.
fn restore_error(json: &str, parsed: Option<serde_json::Error>) -> Error {
    // Only `format_version` is read (every other member is skipped, not built).
    let header: Header = match serde_json::from_str(json) {
        Ok(h) => h,
        Err(e) if e.is_data() => {
            return Error::invalid_input("snapshot has no numeric format_version")
        }
        Err(e) => return Error::invalid_input(format!("snapshot is not JSON: {e}")),
    };
    let Some(version) = header.format_version else {
        return Error::invalid_input("snapshot has no numeric format_version");
    };
    if version > u64::from(SNAPSHOT_FORMAT_VERSION) {
        return Error::invalid_input(format!(
            "snapshot format_version {version} is newer than this engine reads \
             ({SNAPSHOT_FORMAT_VERSION}); upgrade clinic-portal"
        ));
    }
    if version == 0 {
        return Error::invalid_input("snapshot format_version 0 is not valid");
    }
    match parsed {
        Some(e) => Error::invalid_input(format!("snapshot does not parse: {e}")),
        None => Error::invalid_input("snapshot does not parse"),
    }
}

/// Entities (with distinct ids) in the order of their ids, by reference.
///
/// Sorted on the first 16 bytes of the id held next to the reference, so that most
/// comparisons do not follow the pointer: padding with zero bytes keeps the byte order
/// (if `a < b` then `pad(a) <= pad(b)`), and equal prefixes fall back to the whole ids.
fn sorted_by_id<'a, T: 'a>(
    items: impl ExactSizeIterator<Item = &'a T>,
    id: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    let mut keyed: Vec<(u128, &'a T)> = Vec::with_capacity(items.len());
    for item in items {
        let bytes = id(item).as_bytes();
        let mut prefix = [0u8; 16];
        let n = bytes.len().min(16);
        prefix[..n].copy_from_slice(&bytes[..n]);
        keyed.push((u128::from_be_bytes(prefix), item));
    }
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(a.1).cmp(id(b.1))));
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// `duplicate_id` for an id already taken by an appointment or a hold.
pub(crate) fn duplicate(kind: &str, id: &str) -> Error {
    Error::new(
        ErrorCode::DuplicateId,
        format!("{kind} `{id}` already exists"),
    )
}

#[cfg(test)]
mod tests {
    use super::sorted_by_id;

    #[test]
    fn sorted_by_id_is_the_byte_order_of_the_ids() {
        let ids: Vec<String> = [
            "b",
            "a",
            "",
            "ab",
            "a\0",
            "a\0\0",
            "a\0b",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnop\0",
            "abcdefghijklmnoq",
            "abcdefghijklmnopa",
            "s-10-2",
            "s-1-20",
            "s-1-2",
            "zzzzzzzzzzzzzzzzzzzz",
            "zzzzzzzzzzzzzzzzzzzy",
            "é",
            "e\u{301}",
            "ÿ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let got: Vec<&String> = sorted_by_id(ids.iter(), |s| s.as_str());
        let mut want: Vec<&String> = ids.iter().collect();
        want.sort();
        assert_eq!(got, want);
    }
}
