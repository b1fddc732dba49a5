//! Persistence input is untrusted: what a snapshot ([`Engine::restore`]) and a change
//! ([`Engine::apply`]) must satisfy before the engine takes them (see docs/persistence.md).
//!
//! Every delta is checked against the state as the deltas before it (of the same change,
//! or of the snapshot being restored) left it, with the rules the live operations apply:
//! references resolve, ids are unique and non-empty, instants lie in the range the
//! operations accept, ends follow starts, usernames are normalised and free, a patient has
//! at most one active `self` account, counters can still advance. Whatever the live API
//! could not have produced is refused, and nothing changes.
//!
//! Live changes go through the same checks when they are committed, so a snapshot the
//! engine writes always restores. A change is applied delta by delta, each checked first;
//! if one is refused, the deltas already applied are rolled back from an undo log
//! ([`apply_checked`]) before the write lock is released, so no reader ever sees a part of
//! a change.

use std::collections::HashMap;

use crate::accounts::{Account, AccountLink, ResetToken};
use crate::booking::{BookingDetails, ConsentRecord, Hold, IdempotencyEntry};
use crate::credentials::{is_email, normalize_username, username_skeleton};
use crate::engine::{check_instant, Outboxed, State, MAX_APPOINTMENT_DAYS};
use crate::invitation::Invitation;
use crate::journal::{duplicate, Delta, MAX_COUNTER};
use crate::merge::MergeRecord;
use crate::model::{Appointment, Patient};
use crate::program::{Registration, RegistrationStatus};
use crate::signup::Signup;
use crate::{Engine, Error, ErrorCode, Result};

// ---------------------------------------------------------------------------------------
// Counters.
// ---------------------------------------------------------------------------------------

/// The sequence number the next change gets: `limit_reached` once the sequence has reached
/// [`MAX_COUNTER`] (nothing can be committed any more).
pub(crate) fn next_seq(state: &State) -> Result<u64> {
    state
        .seq
        .checked_add(1)
        .filter(|&s| s <= MAX_COUNTER)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::LimitReached,
                format!(
                    "the change sequence has reached its maximum ({MAX_COUNTER}); no further \
                     change can be journaled (see docs/limits.md)"
                ),
            )
        })
}

/// `invalid_input` when a counter read from a snapshot is above [`MAX_COUNTER`].
pub(crate) fn check_counter(what: &str, value: u64) -> Result<()> {
    if value <= MAX_COUNTER {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} {value} is above the largest counter value {MAX_COUNTER} \
             (see docs/limits.md)"
        )))
    }
}

/// A notification id must be above every id already issued (so it is not queued either)
/// and leave room for the next one.
fn check_notification_id(state: &State, id: u64) -> Result<()> {
    let next = state.next_notification.max(1);
    if id < next || state.outbox.contains_key(&id) {
        return Err(Error::invalid_input(format!(
            "notification {id} is not above the notifications already issued (the next id \
             is {next})"
        )));
    }
    if id >= MAX_COUNTER {
        return Err(Error::invalid_input(format!(
            "notification id {id}: notification ids end below {MAX_COUNTER} \
             (see docs/limits.md)"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The rules, one function per entity.
// ---------------------------------------------------------------------------------------

fn non_empty(kind: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        Err(Error::invalid_input(format!(
            "a {kind} needs a non-empty id"
        )))
    } else {
        Ok(())
    }
}

fn exists(kind: &str, id: &str, found: bool) -> Result<()> {
    if found {
        Ok(())
    } else {
        Err(Error::not_found(kind, id))
    }
}

fn patient_exists(state: &State, id: &str) -> Result<()> {
    exists("patient", id, state.patients.contains_key(id))
}

fn account_exists(state: &State, id: &str) -> Result<()> {
    exists("account", id, state.accounts.contains_key(id))
}

/// A token digest as the engine stores it: SHA-256 as 64 lower-case hex digits.
fn check_digest(what: &str, digest: &str) -> Result<()> {
    if digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} has a token digest that is not a SHA-256 hex digest"
        )))
    }
}

/// An appointment (host-owned or portal) as [`Engine::check_appointment`] accepts it, with
/// an id no hold has.
///
/// A reconfiguration keeps appointments whose practitioner, service or clinic it removed
/// (reported as stranded; they occupy nothing): a snapshot being restored may hold them,
/// and a change may put one again unchanged in those references (a merge moves it).
pub(crate) fn check_appointment(engine: &Engine, state: &State, a: &Appointment) -> Result<()> {
    if let Err(e) = engine.check_appointment(state, a) {
        let practice = &state.practice;
        let orphan_refs_only = e.code() == ErrorCode::NotFound
            && a.patient
                .as_ref()
                .is_none_or(|p| state.patients.contains_key(p))
            && (!practice.practitioner_ix.contains_key(&a.practitioner)
                || a.service
                    .as_ref()
                    .is_some_and(|s| !practice.service_ix.contains_key(s))
                || a.clinic
                    .as_ref()
                    .is_some_and(|c| !practice.clinic_ix.contains_key(c)));
        let kept = state.restoring
            || state.appointments.get(&a.id).is_some_and(|old| {
                (&old.practitioner, &old.service, &old.clinic)
                    == (&a.practitioner, &a.service, &a.clinic)
            });
        if !(orphan_refs_only && kept) {
            return Err(e);
        }
        check_instant("appointment start", a.start)?;
        if a.end <= a.start {
            return Err(Error::invalid_input(format!(
                "appointment `{}` ends before it starts",
                a.id
            )));
        }
    }
    if state.holds.contains_key(&a.id) {
        return Err(duplicate("appointment", &a.id));
    }
    Ok(())
}

/// A hold as [`Engine::hold`] makes it: known practitioner, clinic, service and patient;
/// a start in the accepted range, an end after it (less than the longest appointment
/// later), and an expiry not before it was taken; an id no appointment has.
fn check_hold(engine: &Engine, state: &State, h: &Hold) -> Result<()> {
    let _ = engine;
    let practice = &state.practice;
    non_empty("hold", &h.id)?;
    if state.appointments.contains_key(&h.id) {
        return Err(duplicate("hold", &h.id));
    }
    exists(
        "practitioner",
        &h.practitioner,
        practice.practitioner_ix.contains_key(&h.practitioner),
    )?;
    exists(
        "clinic",
        &h.clinic,
        practice.clinic_ix.contains_key(&h.clinic),
    )?;
    exists(
        "service",
        &h.service,
        practice.service_ix.contains_key(&h.service),
    )?;
    if let Some(p) = &h.patient {
        patient_exists(state, p)?;
    }
    check_instant("hold start", h.start)?;
    check_instant("hold created_at", h.created_at)?;
    if h.end <= h.start {
        return Err(Error::invalid_input(format!(
            "hold `{}` ends before it starts",
            h.id
        )));
    }
    if (h.end - h.start).num_days() >= MAX_APPOINTMENT_DAYS {
        return Err(Error::invalid_input(format!(
            "hold `{}` is longer than {MAX_APPOINTMENT_DAYS} days",
            h.id
        )));
    }
    if h.expires_at < h.created_at {
        return Err(Error::invalid_input(format!(
            "hold `{}` expires before it was taken",
            h.id
        )));
    }
    Ok(())
}

/// A program registration: a known program, an existing patient, instants in range, and
/// a cancellation time exactly when it is cancelled.
fn check_registration(engine: &Engine, state: &State, r: &Registration) -> Result<()> {
    non_empty("registration", &r.id)?;
    let _ = engine;
    // A reconfiguration may remove a program that still has registrations: a restored
    // snapshot, or a registration put again unchanged, keeps naming it.
    let kept = state.restoring
        || state
            .registrations
            .get(&r.id)
            .is_some_and(|old| old.program == r.program);
    exists(
        "program",
        &r.program,
        kept || state
            .practice
            .config
            .programs
            .iter()
            .any(|p| p.id == r.program),
    )?;
    patient_exists(state, &r.patient)?;
    check_instant("registration session_start", r.session_start)?;
    check_instant("registration registered_at", r.registered_at)?;
    if (r.status == RegistrationStatus::Cancelled) != r.cancelled_at.is_some() {
        return Err(Error::invalid_input(format!(
            "registration `{}` has a cancellation time exactly when it is cancelled",
            r.id
        )));
    }
    Ok(())
}

/// An account: a non-empty id, a username in normal form that neither it nor a look-alike
/// belongs to another account.
fn check_account(engine: &Engine, state: &State, a: &Account) -> Result<()> {
    non_empty("account", &a.id)?;
    let normal = normalize_username(&a.username)?;
    if normal != a.username {
        return Err(Error::invalid_input(format!(
            "account `{}` has username `{}`, which is not in normal form (`{normal}`)",
            a.id, a.username
        )));
    }
    check_instant("account created_at", a.created_at)?;
    let _ = engine;
    crate::accounts::check_username_free(state, &a.username, Some(&a.id))?;
    crate::accounts::check_account_identity(state, a)
}

/// A link's references: an existing account and patient; revoked exactly when inactive
/// (unless it awaits confirmation after a merge).
pub(crate) fn check_link_refs(state: &State, l: &AccountLink) -> Result<()> {
    account_exists(state, &l.account)?;
    patient_exists(state, &l.patient)?;
    check_instant("link created_at", l.created_at)?;
    // A link a merge moved awaits confirmation: inactive, yet never revoked.
    let waiting = l.awaits_confirmation && !l.active;
    if !waiting && l.active == l.revoked_at.is_some() {
        return Err(Error::invalid_input(format!(
            "link `{}` → `{}` has a revocation time exactly when it is inactive",
            l.account, l.patient
        )));
    }
    Ok(())
}

/// The one-`self` rule of a link (see [`Engine::link_deltas`]): an account is the active
/// self account of one patient at most, and a patient has one active self account at most.
fn check_self_link(state: &State, l: &AccountLink) -> Result<()> {
    if !l.is_active_self() {
        return Ok(());
    }
    for other in state.links.values().filter(|o| o.is_active_self()) {
        self_conflict(l, other)?;
    }
    Ok(())
}

fn self_conflict(l: &AccountLink, other: &AccountLink) -> Result<()> {
    if other.account == l.account && other.patient != l.patient {
        return Err(Error::invalid_input(format!(
            "account `{}` is already the self account of patient `{}`",
            l.account, other.patient
        )));
    }
    if other.patient == l.patient && other.account != l.account {
        return Err(Error::invalid_input(format!(
            "patient `{}` already has a self account (`{}`)",
            l.patient, other.account
        )));
    }
    Ok(())
}

/// An invitation: an existing patient, a valid normalised address, a stored digest, an
/// expiry not before its issue, and an accepting account exactly when accepted.
fn check_invitation(state: &State, i: &Invitation) -> Result<()> {
    non_empty("invitation", &i.id)?;
    patient_exists(state, &i.patient)?;
    let normal = normalize_username(&i.email)?;
    if normal != i.email || !is_email(&i.email) {
        return Err(Error::invalid_input(format!(
            "invitation `{}` is addressed to `{}`, which is not a normalised e-mail address",
            i.id, i.email
        )));
    }
    check_digest(&format!("invitation `{}`", i.id), &i.token_digest)?;
    check_instant("invitation created_at", i.created_at)?;
    if i.expires_at < i.created_at {
        return Err(Error::invalid_input(format!(
            "invitation `{}` expires before it was issued",
            i.id
        )));
    }
    match (&i.accepted_at, &i.accepted_by) {
        (None, None) => Ok(()),
        (Some(_), Some(a)) => account_exists(state, a),
        _ => Err(Error::invalid_input(format!(
            "invitation `{}` names an accepting account exactly when it was accepted",
            i.id
        ))),
    }
}

fn check_reset(state: &State, r: &ResetToken) -> Result<()> {
    account_exists(state, &r.account)?;
    check_digest(
        &format!("the password reset of `{}`", r.account),
        &r.token_digest,
    )?;
    check_instant("password reset created_at", r.created_at)?;
    if r.expires_at < r.created_at {
        return Err(Error::invalid_input(format!(
            "the password reset of `{}` expires before it was issued",
            r.account
        )));
    }
    Ok(())
}

/// A signup: an existing account and a known referral type. Its patient is history (it
/// may have been removed since).
fn check_signup(_engine: &Engine, state: &State, s: &Signup) -> Result<()> {
    non_empty("signup", &s.id)?;
    non_empty("signup patient", &s.patient)?;
    account_exists(state, &s.account)?;
    if let Some(r) = &s.referral_type {
        exists(
            "referral type",
            r,
            state.restoring
                || state
                    .practice
                    .config
                    .referral_types
                    .iter()
                    .any(|t| &t.id == r),
        )?;
    }
    check_instant("signup created_at", s.created_at)
}

/// A merge record: the merged patient as it was, folded into another one. Both are
/// history (either may be gone or re-created since).
fn check_merge(m: &MergeRecord) -> Result<()> {
    non_empty("merged patient", &m.merged)?;
    non_empty("kept patient", &m.replaced_by)?;
    if m.merged == m.replaced_by || m.patient.id != m.merged {
        return Err(Error::invalid_input(format!(
            "the merge record of `{}` must hold that patient, folded into another one",
            m.merged
        )));
    }
    Ok(())
}

/// [`Engine::remove_patient`]'s rule: a patient is removed only when nothing that grants or
/// occupies refers to them any more — no appointment, hold, account link (active or
/// revoked), invitation or program registration. (Their consent goes with them.)
fn check_patient_removable(state: &State, id: &str) -> Result<()> {
    patient_exists(state, id)?;
    let refused = |what: &str, which: &str| {
        Err(Error::invalid_input(format!(
            "patient `{id}` still has {what} `{which}`"
        )))
    };
    if let Some(a) = state
        .patient_appointments
        .get(id)
        .and_then(|set| set.iter().next())
    {
        return refused("appointment", a);
    }
    if let Some(h) = state
        .holds
        .values()
        .find(|h| h.patient.as_deref() == Some(id))
    {
        return refused("hold", &h.id);
    }
    if let Some(l) = state.links.values().find(|l| l.patient == id) {
        return refused("a link from account", &l.account);
    }
    if let Some(i) = state.invitations.values().find(|i| i.patient == id) {
        return refused("invitation", &i.id);
    }
    if let Some(r) = state.registrations.values().find(|r| r.patient == id) {
        return refused("program registration", &r.id);
    }
    if let Some(e) = state.waitlist.entries.values().find(|e| e.patient == id) {
        return refused("waitlist entry", &e.id);
    }
    Ok(())
}

/// Checks one delta against the state as the deltas before it left it.
pub(crate) fn check_delta(engine: &Engine, state: &State, delta: &Delta) -> Result<()> {
    match delta {
        Delta::PutPatient { patient } => non_empty("patient", &patient.id),
        Delta::RemovePatient { id } => check_patient_removable(state, id),
        Delta::PutAppointment { appointment } => check_appointment(engine, state, appointment),
        Delta::RemoveAppointment { id } => {
            exists("appointment", id, state.appointments.contains_key(id))
        }
        Delta::PutBooking { booking } => exists(
            "appointment",
            &booking.appointment,
            state.appointments.contains_key(&booking.appointment),
        ),
        Delta::PutHold { hold } => check_hold(engine, state, hold),
        Delta::RemoveHold { id } => exists("hold", id, state.holds.contains_key(id)),
        Delta::PutConsent { patient, consent } => {
            patient_exists(state, patient)?;
            check_instant("consent accepted_at", consent.accepted_at)
        }
        Delta::PutIdempotency { key, .. } => {
            if key.trim().is_empty() {
                Err(Error::invalid_input("an idempotency key must not be empty"))
            } else {
                Ok(())
            }
        }
        Delta::PutRegistration { registration } => check_registration(engine, state, registration),
        Delta::Notify { notification } => {
            if !notification.data.fits(notification.kind) {
                return Err(Error::new(
                    ErrorCode::InvalidInput,
                    format!(
                        "notification {}: its data is not the payload of a {} notification",
                        notification.id,
                        notification.kind.as_str()
                    ),
                ));
            }
            check_notification_id(state, notification.id)
        }
        Delta::Drained { through } => {
            if *through < state.next_notification {
                Ok(())
            } else {
                Err(Error::invalid_input(format!(
                    "notifications through {through} cannot be drained: the last one issued \
                     is {}",
                    state.next_notification.saturating_sub(1)
                )))
            }
        }
        Delta::PutAccount { account } => check_account(engine, state, account),
        Delta::PutLink { link } => {
            check_link_refs(state, link)?;
            check_self_link(state, link)
        }
        Delta::RemoveLink { account, patient } => exists(
            "link",
            &format!("{account} → {patient}"),
            state
                .links
                .contains_key(&(account.clone(), patient.clone())),
        ),
        Delta::PutInvitation { invitation } => check_invitation(state, invitation),
        Delta::RemoveInvitation { id } => {
            exists("invitation", id, state.invitations.contains_key(id))
        }
        Delta::PutResetToken { reset } => check_reset(state, reset),
        Delta::RemoveResetToken { account } => exists(
            "password reset of account",
            account,
            state.resets.contains_key(account),
        ),
        Delta::PutSignup { signup } => check_signup(engine, state, signup),
        Delta::PutMerge { record } => check_merge(record),
        Delta::Reconfigure { .. } | Delta::PutClosure { .. } | Delta::RemoveClosure { .. } => {
            engine.check_config_delta(state, delta)
        }
        Delta::PutWaitlistEntry { entry } => crate::waitlist::check_entry(state, entry),
        Delta::RemoveWaitlistEntry { id } => exists(
            "waitlist entry",
            id,
            state.waitlist.entries.contains_key(id),
        ),
        Delta::PutWaitlistReport { .. } => Ok(()),
        Delta::NextId { next_id } => {
            check_counter("next_id", *next_id)?;
            if *next_id < state.next_id {
                return Err(Error::invalid_input(format!(
                    "next_id {next_id} would move the id counter back from {}",
                    state.next_id
                )));
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Whole snapshots.
// ---------------------------------------------------------------------------------------

/// `duplicate_id`: a snapshot lists an entity twice.
pub(crate) fn listed_twice(kind: &str, id: &str) -> Error {
    Error::new(
        ErrorCode::DuplicateId,
        format!("the snapshot lists {kind} `{id}` twice"),
    )
}

/// [`listed_twice`] when `already`.
pub(crate) fn once(kind: &str, id: &str, already: bool) -> Result<()> {
    if already {
        Err(listed_twice(kind, id))
    } else {
        Ok(())
    }
}

/// The one-`self` rule over all the links of a restored snapshot in one pass (the
/// per-delta check scans every link, which would make a restore quadratic).
pub(crate) fn check_self_links<'a>(links: impl Iterator<Item = &'a AccountLink>) -> Result<()> {
    let mut by_patient: HashMap<&str, &AccountLink> = HashMap::new();
    let mut by_account: HashMap<&str, &AccountLink> = HashMap::new();
    for l in links.filter(|l| l.is_active_self()) {
        if let Some(other) = by_patient.insert(&l.patient, l) {
            self_conflict(l, other)?;
        }
        if let Some(other) = by_account.insert(&l.account, l) {
            self_conflict(l, other)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Applying a change all or nothing.
// ---------------------------------------------------------------------------------------

/// What a delta replaced, to put it back.
enum Step {
    Practice(std::sync::Arc<crate::practice::Practice>),
    Patient(String, Option<Patient>),
    Consent(String, Option<ConsentRecord>),
    Appointment(String, Option<Appointment>),
    Booking(String, Option<BookingDetails>),
    Hold(String, Option<Hold>),
    Idempotency(String, Option<Box<IdempotencyEntry>>),
    Registration(String, Option<Registration>),
    Notified { id: u64, next_notification: u64 },
    Drained(Vec<(u64, Outboxed)>),
    NextId(u64),
    Account(String, Option<Account>),
    Link((String, String), Option<AccountLink>),
    Invitation(String, Option<Invitation>),
    Reset(String, Option<ResetToken>),
    Signup(String, Option<Signup>),
    Merge(String, Option<MergeRecord>),
    WaitlistEntry(String, Option<crate::waitlist::WaitlistEntry>),
    WaitlistReport(crate::waitlist::WaitlistReport),
}

/// The steps that undo `delta` on `state` as it is before the delta.
fn record(state: &State, delta: &Delta, undo: &mut Vec<Step>) {
    let get = |id: &str| state.appointments.get(id);
    match delta {
        Delta::PutPatient { patient } => undo.push(Step::Patient(
            patient.id.clone(),
            state.patients.get(&patient.id).cloned(),
        )),
        Delta::RemovePatient { id } => {
            undo.push(Step::Patient(id.clone(), state.patients.get(id).cloned()));
            undo.push(Step::Consent(id.clone(), state.consents.get(id).cloned()));
        }
        Delta::PutAppointment { appointment } => undo.push(Step::Appointment(
            appointment.id.clone(),
            get(&appointment.id),
        )),
        Delta::RemoveAppointment { id } => {
            undo.push(Step::Appointment(id.clone(), get(id)));
            undo.push(Step::Booking(id.clone(), state.bookings.get(id).cloned()));
        }
        Delta::PutBooking { booking } => undo.push(Step::Booking(
            booking.appointment.clone(),
            state.bookings.get(&booking.appointment).cloned(),
        )),
        Delta::PutHold { hold } => undo.push(Step::Hold(
            hold.id.clone(),
            state.holds.get(&hold.id).cloned(),
        )),
        Delta::RemoveHold { id } => undo.push(Step::Hold(id.clone(), state.holds.get(id).cloned())),
        Delta::PutConsent { patient, .. } => undo.push(Step::Consent(
            patient.clone(),
            state.consents.get(patient).cloned(),
        )),
        Delta::PutIdempotency { key, .. } => undo.push(Step::Idempotency(
            key.clone(),
            state.idempotency.get(key).cloned().map(Box::new),
        )),
        Delta::PutRegistration { registration } => undo.push(Step::Registration(
            registration.id.clone(),
            state.registrations.get(&registration.id).cloned(),
        )),
        Delta::Notify { notification } => undo.push(Step::Notified {
            id: notification.id,
            next_notification: state.next_notification,
        }),
        Delta::Drained { through } => undo.push(Step::Drained(
            state
                .outbox
                .range(..=*through)
                .map(|(&id, entry)| (id, entry.clone()))
                .collect(),
        )),
        Delta::NextId { .. } => undo.push(Step::NextId(state.next_id)),
        Delta::Reconfigure { .. } | Delta::PutClosure { .. } | Delta::RemoveClosure { .. } => {
            undo.push(Step::Practice(std::sync::Arc::clone(&state.practice)));
        }
        Delta::PutAccount { account } => undo.push(Step::Account(
            account.id.clone(),
            state.accounts.get(&account.id).cloned(),
        )),
        Delta::PutLink { link } => {
            let key = (link.account.clone(), link.patient.clone());
            let old = state.links.get(&key).cloned();
            undo.push(Step::Link(key, old));
        }
        Delta::RemoveLink { account, patient } => {
            let key = (account.clone(), patient.clone());
            let old = state.links.get(&key).cloned();
            undo.push(Step::Link(key, old));
        }
        Delta::PutInvitation { invitation } => undo.push(Step::Invitation(
            invitation.id.clone(),
            state.invitations.get(&invitation.id).cloned(),
        )),
        Delta::RemoveInvitation { id } => undo.push(Step::Invitation(
            id.clone(),
            state.invitations.get(id).cloned(),
        )),
        Delta::PutResetToken { reset } => undo.push(Step::Reset(
            reset.account.clone(),
            state.resets.get(&reset.account).cloned(),
        )),
        Delta::RemoveResetToken { account } => undo.push(Step::Reset(
            account.clone(),
            state.resets.get(account).cloned(),
        )),
        Delta::PutSignup { signup } => undo.push(Step::Signup(
            signup.id.clone(),
            state.signups.get(&signup.id).cloned(),
        )),
        Delta::PutMerge { record } => undo.push(Step::Merge(
            record.merged.clone(),
            state.merges.get(&record.merged).cloned(),
        )),
        Delta::PutWaitlistEntry { entry } => undo.push(Step::WaitlistEntry(
            entry.id.clone(),
            state.waitlist.entries.get(&entry.id).cloned(),
        )),
        Delta::RemoveWaitlistEntry { id } => undo.push(Step::WaitlistEntry(
            id.clone(),
            state.waitlist.entries.get(id).cloned(),
        )),
        Delta::PutWaitlistReport { .. } => {
            undo.push(Step::WaitlistReport(state.waitlist.report.clone()))
        }
    }
}

/// Sets a map entry back to what it was.
fn put_back<K: Ord, V>(map: &mut std::collections::BTreeMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// Checks and applies `deltas` one by one as [`apply_checked`] does, then puts everything
/// back: whether the change would apply, leaving the state as it was (planning).
pub(crate) fn check_and_roll_back(
    engine: &Engine,
    state: &mut State,
    deltas: &[Delta],
) -> Result<()> {
    let mut undo = Vec::new();
    let mut result = Ok(());
    for delta in deltas {
        if let Err(e) = check_delta(engine, state, delta) {
            result = Err(e);
            break;
        }
        record(state, delta, &mut undo);
        engine.apply_delta(state, delta);
    }
    rollback(engine, state, undo);
    result
}

/// Deltas applied to the state for a look ahead (the waitlist offers starts a change
/// frees, against the state after it), each checked like [`apply_checked`] does, until
/// [`Trial::roll_back`] puts everything back.
#[derive(Default)]
pub(crate) struct Trial {
    undo: Vec<Step>,
}

impl Trial {
    /// Checks and applies `deltas` in order; on a refusal, stops with its error (what was
    /// applied stays until the roll back).
    pub(crate) fn apply(
        &mut self,
        engine: &Engine,
        state: &mut State,
        deltas: &[Delta],
    ) -> Result<()> {
        for delta in deltas {
            check_delta(engine, state, delta)?;
            record(state, delta, &mut self.undo);
            engine.apply_delta(state, delta);
        }
        Ok(())
    }

    /// Puts back everything applied, newest first.
    pub(crate) fn roll_back(self, engine: &Engine, state: &mut State) {
        rollback(engine, state, self.undo);
    }
}

/// Undoes the recorded steps, newest first, indexes included.
fn rollback(engine: &Engine, state: &mut State, undo: Vec<Step>) {
    for step in undo.into_iter().rev() {
        match step {
            Step::Practice(practice) => engine.install_practice(state, practice, true),
            Step::Patient(id, old) => match old {
                Some(p) => {
                    state.patients.insert(id, p);
                }
                None => {
                    state.patients.remove(&id);
                }
            },
            Step::Consent(id, old) => put_back(&mut state.consents, id, old),
            Step::Appointment(id, old) => {
                if let Some(current) = state.appointments.remove(&id) {
                    engine.unindex(state, &current);
                }
                if let Some(old) = old {
                    state.appointments.insert(&old);
                    engine.index(state, &old);
                }
            }
            Step::Booking(id, old) => put_back(&mut state.bookings, id, old),
            Step::Hold(id, old) => {
                if let Some(current) = state.holds.remove(&id) {
                    engine.unindex_hold(state, &current);
                }
                if let Some(old) = old {
                    engine.index_hold(state, &old);
                    state.holds.insert(id, old);
                }
            }
            Step::Idempotency(key, old) => put_back(&mut state.idempotency, key, old.map(|b| *b)),
            Step::Registration(id, old) => put_back(&mut state.registrations, id, old),
            Step::Notified {
                id,
                next_notification,
            } => {
                state.outbox.remove(&id);
                state.next_notification = next_notification;
            }
            Step::Drained(entries) => state.outbox.extend(entries),
            Step::NextId(old) => state.next_id = old,
            Step::Account(id, old) => {
                if let Some(current) = state.accounts.remove(&id) {
                    state.usernames.remove(&current.username);
                    state
                        .skeletons
                        .remove(&username_skeleton(&current.username));
                }
                if let Some(old) = old {
                    state.usernames.insert(old.username.clone(), id.clone());
                    state
                        .skeletons
                        .insert(username_skeleton(&old.username), id.clone());
                    state.accounts.insert(id, old);
                }
            }
            Step::Link(key, old) => put_back(&mut state.links, key, old),
            Step::Invitation(id, old) => put_back(&mut state.invitations, id, old),
            Step::Reset(id, old) => put_back(&mut state.resets, id, old),
            Step::Signup(id, old) => put_back(&mut state.signups, id, old),
            Step::Merge(id, old) => put_back(&mut state.merges, id, old),
            Step::WaitlistEntry(id, old) => put_back(&mut state.waitlist.entries, id, old),
            Step::WaitlistReport(old) => state.waitlist.report = old,
        }
    }
}

/// Applies `deltas` in order with `apply`, each checked ([`check_delta`]) against the state
/// the ones before it left. When one is refused, those already applied are undone and its
/// error returned: the change is applied whole or not at all.
pub(crate) fn apply_checked(
    engine: &Engine,
    state: &mut State,
    deltas: &[Delta],
    mut apply: impl FnMut(&mut State, &Delta),
) -> Result<()> {
    let mut undo = Vec::new();
    for delta in deltas {
        if let Err(e) = check_delta(engine, state, delta) {
            rollback(engine, state, undo);
            return Err(e);
        }
        record(state, delta, &mut undo);
        apply(state, delta);
    }
    Ok(())
}
