//! Portal accounts and their links to patients (docs/accounts.md).
//!
//! An [`Account`] logs in with a username (normally an e-mail; compared as described in
//! [`crate::credentials`]) and a password stored only as an Argon2id PHC string. It reaches
//! patients only through [`AccountLink`]s: `self` (at most one active per patient),
//! `guardian` or `carer` (any number). One account may be `self` for one patient and
//! guardian for several, so a family sharing one e-mail address uses one account.
//!
//! **Authorization.** Every patient-facing request ([`crate::SlotQuery`],
//! [`crate::HoldRequest`], [`crate::BookRequest`], [`crate::CancelRequest`] by the patient,
//! [`crate::RescheduleRequest`], [`crate::RegistrationRequest`]) carries an optional
//! `actor`: an account **id**, never a username. With `Some(account)` the engine requires
//! an active link from that account to the target patient (`not_authorized` otherwise);
//! `None` means the host's trusted staff side, which the host must never pass on behalf of
//! a portal user. Revoked links, and links awaiting confirmation after a merge
//! ([`crate::merge`]), grant nothing. Every other parameter that names an account
//! ([`Engine::link_account`], [`Engine::appointments_for_account`],
//! [`crate::AcceptInvitation::authenticated_account`], …) is an account id too; only
//! [`Engine::login`], [`Engine::account_by_username`] and
//! [`Engine::request_password_reset`] take a username.
//!
//! **Ids and usernames are separate namespaces.** No account's id may be another
//! account's username, nor may a username be another account's id, so neither can ever
//! be taken for the other. This is checked whenever an account is made, with a caller's
//! or a generated id ([`Engine::create_account`], [`Engine::signup`],
//! [`Engine::accept_invitation`]): an id that is, exactly or after username normalisation
//! and up to a look-alike ([`crate::credentials::username_skeleton`]), the username of an
//! existing account is `duplicate_id`; a username that is exactly the id of an existing
//! account is `email_in_use` (as is a username that is taken or looks like a taken one).
//! A generated id (`acct-N`) skips the numbers whose id would collide.
//!
//! **Login and reset.** A wrong password and an unknown username give the same
//! `credentials_invalid` and cost the same (an unknown username runs a dummy Argon2
//! verification). A password-reset request has the same outcome whether or not the
//! username exists; the token goes only to the stored address, through the outbox.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::booking::shift;
use crate::credentials::{
    self, digest_eq, is_email, normalize_username, username_skeleton, Password, SecretToken,
    Verified,
};
use crate::engine::{check_instant, State};
use crate::journal::Delta;
use crate::model::Appointment;
use crate::outbox::{NotificationData, NotificationKind, Recipients};
use crate::{Engine, Error, ErrorCode, Result};

/// How long a password-reset token stays valid, in minutes (docs/accounts.md: short expiry).
pub const RESET_TTL_MINUTES: i64 = 60;

/// A portal account (docs/accounts.md). Neither its `Debug` nor its JSON shows the
/// password hash: serialised, an account is `{"id", "username", "created_at"}`, safe to
/// hand to a web page or a log. Only the engine's own storage (snapshot and journal)
/// writes the hash, and reading an account back (`Deserialize`) needs it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Account id (the caller's, or generated `acct-N`).
    pub id: String,
    /// The normalised username.
    pub username: String,
    /// The Argon2id PHC string (storage only).
    #[serde(skip_serializing)]
    password_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An account as the engine stores it (snapshot, journal): with its password hash.
pub(crate) struct StoredAccount<'a>(pub(crate) &'a Account);

impl Serialize for StoredAccount<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let a = self.0;
        let mut st = s.serialize_struct("Account", 4)?;
        st.serialize_field("id", &a.id)?;
        st.serialize_field("username", &a.username)?;
        st.serialize_field("password_hash", &a.password_hash)?;
        st.serialize_field("created_at", &a.created_at)?;
        st.end()
    }
}

/// `serialize_with` for an owned account in storage.
pub(crate) fn serialize_stored<S: serde::Serializer>(
    a: &Account,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    StoredAccount(a).serialize(s)
}

/// `serialize_with` for a list of accounts in storage.
pub(crate) fn serialize_stored_list<S: serde::Serializer, A: std::borrow::Borrow<Account>>(
    list: &[A],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(|a| StoredAccount(a.borrow())))
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("created_at", &self.created_at)
            .finish()
    }
}

impl Account {
    /// Whether the username is an e-mail address (only those can reset a password).
    pub fn has_email_username(&self) -> bool {
        is_email(&self.username)
    }
}

/// How an account relates to a patient (docs/accounts.md).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The patient's own account (`"self"`): at most one active per patient.
    #[serde(rename = "self")]
    Own,
    /// A parent or legal guardian.
    Guardian,
    /// A carer.
    Carer,
}

impl Relationship {
    /// The stable name: `self`, `guardian` or `carer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Own => "self",
            Relationship::Guardian => "guardian",
            Relationship::Carer => "carer",
        }
    }
}

/// A link from an account to a patient it may act for (docs/accounts.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountLink {
    /// Account id.
    pub account: String,
    /// Patient id.
    pub patient: String,
    /// How they relate.
    pub relationship: Relationship,
    /// Revoked links stay for the record but grant nothing.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When staff revoked it.
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Moved here by a merge and not yet confirmed: inactive, grants nothing until staff
    /// call [`Engine::confirm_link`] or the account accepts a self invitation sent to the
    /// patient's e-mail on file (see [`crate::merge`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaits_confirmation: bool,
}

impl AccountLink {
    /// An active `self` link: the patient's own account (at most one per patient).
    pub fn is_active_self(&self) -> bool {
        self.active && self.relationship == Relationship::Own
    }
}

/// A pending password reset: only the token's digest is kept (docs/accounts.md).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetToken {
    /// The account.
    pub account: String,
    /// SHA-256 of the token, hex.
    pub(crate) token_digest: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// From this instant on it is refused.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetToken")
            .field("account", &self.account)
            .field("token_digest", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Staff create an account by hand (docs/accounts.md, manual accounts).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// The account id; absent: generated (`acct-N`).
    #[serde(default)]
    pub id: Option<String>,
    /// The username (an e-mail, or any name — which then cannot use password reset).
    pub username: String,
    /// The password.
    pub password: Password,
    /// Link the account to this patient at once.
    #[serde(default)]
    pub patient: Option<String>,
    /// The link's relationship (default `self`).
    #[serde(default = "own_relationship")]
    pub relationship: Relationship,
}

fn own_relationship() -> Relationship {
    Relationship::Own
}

impl NewAccount {
    /// An account with this username and password, not yet linked.
    pub fn new(username: impl Into<String>, password: impl Into<Password>) -> NewAccount {
        NewAccount {
            id: None,
            username: username.into(),
            password: password.into(),
            patient: None,
            relationship: Relationship::Own,
        }
    }

    /// Linked to `patient` as `relationship`.
    pub fn linked(mut self, patient: impl Into<String>, relationship: Relationship) -> NewAccount {
        self.patient = Some(patient.into());
        self.relationship = relationship;
        self
    }
}

impl From<String> for Password {
    fn from(text: String) -> Password {
        Password::new(text)
    }
}

/// `email_in_use` when `username` (normalised), or a look-alike of it, is the username of
/// an account other than `except`, or when it is exactly the id of another account
/// (account ids and usernames are separate namespaces).
pub(crate) fn check_username_free(
    state: &State,
    username: &str,
    except: Option<&str>,
) -> Result<()> {
    let taken = state
        .usernames
        .get(username)
        .or_else(|| state.skeletons.get(&username_skeleton(username)));
    if let Some(id) = taken.filter(|id| Some(id.as_str()) != except) {
        return Err(Error::new(
            ErrorCode::EmailInUse,
            format!(
                "username `{username}` (or one that looks the same) is already used by \
                 another account (`{id}`)"
            ),
        ));
    }
    if state.accounts.contains_key(username) && Some(username) != except {
        return Err(Error::new(
            ErrorCode::EmailInUse,
            format!(
                "username `{username}` is the id of another account; account ids and \
                 usernames are separate namespaces"
            ),
        ));
    }
    Ok(())
}

/// Whether `id` would be confused with the username of an account other than `except`:
/// it is one exactly, or after username normalisation, or looks like one.
fn id_is_a_username(state: &State, id: &str, except: Option<&str>) -> bool {
    let other = |owner: &String| Some(owner.as_str()) != except;
    if state.usernames.get(id).is_some_and(other) {
        return true;
    }
    normalize_username(id).is_ok_and(|u| {
        state.usernames.get(&u).is_some_and(other)
            || state
                .skeletons
                .get(&username_skeleton(&u))
                .is_some_and(other)
    })
}

/// `duplicate_id` when an account id would be confused with another account's username.
fn check_id_free(state: &State, id: &str, except: Option<&str>) -> Result<()> {
    if id_is_a_username(state, id, except) {
        return Err(Error::new(
            ErrorCode::DuplicateId,
            format!(
                "account id `{id}` is (or looks like) the username of another account; \
                 account ids and usernames are separate namespaces"
            ),
        ));
    }
    Ok(())
}

/// The identity invariants of one account about to be stored in `state` (by a live
/// operation, a restore or a journal apply): a non-empty id; a username in normalised form
/// (`invalid_input`); unchanged if the account already exists (`invalid_input`: the live
/// API never renames an account); a username that is neither another account's username,
/// nor a look-alike of one, nor another account's id (`email_in_use`); and an id that is
/// not another account's username (`duplicate_id`). `state` is what the account is being
/// added to; the account itself may already be in it (an update).
pub(crate) fn check_account_identity(state: &State, account: &Account) -> Result<()> {
    if account.id.trim().is_empty() {
        return Err(Error::invalid_input("an account needs a non-empty id"));
    }
    let normal = normalize_username(&account.username)?;
    if normal != account.username {
        return Err(Error::invalid_input(format!(
            "account `{}` has username `{}`, which is not in normalised form (`{normal}`)",
            account.id, account.username
        )));
    }
    if let Some(old) = state.accounts.get(&account.id) {
        if old.username != account.username {
            return Err(Error::invalid_input(format!(
                "account `{}` cannot change its username from `{}` to `{}`",
                account.id, old.username, account.username
            )));
        }
    }
    check_username_free(state, &account.username, Some(&account.id))?;
    check_id_free(state, &account.id, Some(&account.id))
}

/// `credentials_invalid`, the same for every login failure.
fn bad_credentials() -> Error {
    Error::new(
        ErrorCode::CredentialsInvalid,
        "the username or password is wrong (see docs/accounts.md)",
    )
}

impl Engine {
    // -- lookups and indexes -------------------------------------------------------------

    /// docs/accounts.md, authorization: `None` is the trusted staff side; `Some(actor)` needs an
    /// active link from that account to `patient`.
    pub(crate) fn authorize(
        &self,
        state: &State,
        actor: Option<&str>,
        patient: &str,
    ) -> Result<()> {
        let Some(actor) = actor else {
            return Ok(());
        };
        // By account id only: a username never names an actor.
        let linked = state.accounts.contains_key(actor)
            && state
                .links
                .get(&(actor.to_owned(), patient.to_owned()))
                .is_some_and(|l| l.active);
        if linked {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::NotAuthorized,
                format!("account `{actor}` has no active link to patient `{patient}` (see docs/accounts.md)"),
            ))
        }
    }

    /// docs/accounts.md for an existing appointment: the actor needs an active link to its
    /// patient; an appointment without a patient is staff-only. An unknown appointment is
    /// `not_found`.
    pub(crate) fn authorize_appointment(
        &self,
        state: &State,
        actor: &str,
        appointment: &str,
    ) -> Result<()> {
        let a = state
            .appointments
            .get(appointment)
            .ok_or_else(|| Error::not_found("appointment", appointment))?;
        match &a.patient {
            Some(p) => self.authorize(state, Some(actor), p),
            None => Err(Error::new(
                ErrorCode::NotAuthorized,
                format!(
                    "appointment `{appointment}` has no patient; only staff can change it \
                     (see docs/accounts.md)"
                ),
            )),
        }
    }

    /// docs/accounts.md, for a search: a query with an actor must name a patient linked to it.
    pub(crate) fn authorize_query(&self, state: &State, query: &crate::SlotQuery) -> Result<()> {
        let Some(actor) = &query.actor else {
            return Ok(());
        };
        let patient = query.patient.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotAuthorized,
                format!("account `{actor}` must name the patient it searches for (see docs/accounts.md)"),
            )
        })?;
        self.authorize(state, Some(actor), patient)
    }

    /// The caller's account id, checked (`duplicate_id` when taken or when it is, or looks
    /// like, an existing username), or a fresh `acct-N` that is neither (the counter in
    /// `deltas`).
    pub(crate) fn new_account_id(
        &self,
        state: &State,
        given: Option<&str>,
        deltas: &mut Vec<Delta>,
    ) -> Result<String> {
        if let Some(id) = given {
            if !state.accounts.contains_key(id) {
                check_id_free(state, id, None)?;
            }
        }
        self.new_id(
            state,
            given,
            ("account", "acct"),
            |s: &State, id: &str| s.accounts.contains_key(id) || id_is_a_username(s, id, None),
            deltas,
        )
    }

    /// The deltas that link `account` to `patient`, checking the one-`self` rule.
    pub(crate) fn link_deltas(
        &self,
        state: &State,
        account: &str,
        patient: &str,
        relationship: Relationship,
        now: DateTime<Utc>,
        deltas: &mut Vec<Delta>,
    ) -> Result<AccountLink> {
        if !state.patients.contains_key(patient) {
            return Err(Error::not_found("patient", patient));
        }
        if relationship == Relationship::Own {
            if let Some(mine) = state
                .links
                .values()
                .find(|l| l.account == account && l.is_active_self() && l.patient != patient)
            {
                return Err(Error::invalid_input(format!(
                    "account `{account}` is already the self account of patient `{}`; an \
                     account is self for one patient and guardian or carer for others \
                     (see docs/accounts.md)",
                    mine.patient
                )));
            }
            if let Some(other) = state
                .links
                .values()
                .find(|l| l.patient == patient && l.is_active_self() && l.account != account)
            {
                return Err(Error::invalid_input(format!(
                    "patient `{patient}` already has a self account (`{}`); a patient has at \
                     most one (see docs/accounts.md)",
                    other.account
                )));
            }
        }
        let link = AccountLink {
            account: account.to_owned(),
            patient: patient.to_owned(),
            relationship,
            active: true,
            created_at: now,
            revoked_at: None,
            awaits_confirmation: false,
        };
        deltas.push(Delta::PutLink { link: link.clone() });
        Ok(link)
    }

    // -- accounts ------------------------------------------------------------------------

    /// Staff create an account with a username and password (docs/accounts.md, manual accounts),
    /// optionally linked to a patient. `email_in_use` when the username or a look-alike is
    /// taken, or is another account's id; `duplicate_id` when the id is taken or is (or
    /// looks like) another account's username (see the [module documentation](self)).
    pub fn create_account(&self, request: &NewAccount, now: DateTime<Utc>) -> Result<Account> {
        check_instant("now", now)?;
        let username = normalize_username(&request.username)?;
        let hash = credentials::hash_password(&request.password)?;
        let mut guard = self.write();
        let state = &mut *guard;
        check_username_free(state, &username, None)?;
        let mut deltas = Vec::new();
        let id = self.new_account_id(state, request.id.as_deref(), &mut deltas)?;
        let account = Account {
            id,
            username,
            password_hash: hash,
            created_at: now,
        };
        check_account_identity(state, &account)?;
        deltas.push(Delta::PutAccount {
            account: account.clone(),
        });
        if let Some(p) = &request.patient {
            self.link_deltas(
                state,
                &account.id,
                p,
                request.relationship,
                now,
                &mut deltas,
            )?;
        }
        self.commit(state, deltas)?;
        Ok(account)
    }

    /// A new account row (used by invitations and signup) with a hashed password.
    pub(crate) fn new_account(
        id: String,
        username: String,
        hash: String,
        now: DateTime<Utc>,
    ) -> Account {
        Account {
            id,
            username,
            password_hash: hash,
            created_at: now,
        }
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Result<Account> {
        self.read()
            .accounts
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("account", id))
    }

    /// The account with this username (normalised first).
    pub fn account_by_username(&self, username: &str) -> Result<Account> {
        let u = normalize_username(username)?;
        let state = self.read();
        state
            .usernames
            .get(&u)
            .and_then(|id| state.accounts.get(id))
            .cloned()
            .ok_or_else(|| Error::not_found("account with username", &u))
    }

    /// Every account, by id.
    pub fn accounts(&self) -> Vec<Account> {
        self.read().accounts.values().cloned().collect()
    }

    /// Logs in (docs/accounts.md): the account, or `credentials_invalid` — the same error, after
    /// the same work, for an unknown username and a wrong password. When the stored hash
    /// is weaker than the current Argon2id parameters it is replaced (journaled).
    pub fn login(
        &self,
        username: &str,
        password: &Password,
        now: DateTime<Utc>,
    ) -> Result<Account> {
        check_instant("now", now)?;
        let found = normalize_username(username).ok().and_then(|u| {
            let state = self.read();
            state
                .usernames
                .get(&u)
                .and_then(|id| state.accounts.get(id))
                .cloned()
        });
        let Some(account) = found else {
            credentials::dummy_verify();
            return Err(bad_credentials());
        };
        match credentials::verify_password(password, &account.password_hash) {
            Verified::No => Err(bad_credentials()),
            Verified::Yes => Ok(account),
            Verified::YesRehash => {
                let hash = credentials::hash_password(password)?;
                let mut guard = self.write();
                let state = &mut *guard;
                match state.accounts.get(&account.id) {
                    Some(current) if current.password_hash == account.password_hash => {
                        let updated = Account {
                            password_hash: hash,
                            ..current.clone()
                        };
                        self.commit(
                            state,
                            vec![Delta::PutAccount {
                                account: updated.clone(),
                            }],
                        )?;
                        Ok(updated)
                    }
                    // Changed meanwhile (a password change): the login stands as checked.
                    _ => Ok(account),
                }
            }
        }
    }

    /// Changes a password after checking the current one (`credentials_invalid`).
    pub fn change_password(
        &self,
        account: &str,
        current: &Password,
        new: &Password,
        now: DateTime<Utc>,
    ) -> Result<Account> {
        check_instant("now", now)?;
        let stored = self.read().accounts.get(account).cloned();
        let Some(stored) = stored else {
            credentials::dummy_verify();
            return Err(bad_credentials());
        };
        if credentials::verify_password(current, &stored.password_hash) == Verified::No {
            return Err(bad_credentials());
        }
        let hash = credentials::hash_password(new)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let current = state
            .accounts
            .get(account)
            .cloned()
            .ok_or_else(bad_credentials)?;
        if current.password_hash != stored.password_hash {
            return Err(bad_credentials());
        }
        let updated = Account {
            password_hash: hash,
            ..current
        };
        let mut deltas = vec![Delta::PutAccount {
            account: updated.clone(),
        }];
        if state.resets.contains_key(account) {
            deltas.push(Delta::RemoveResetToken {
                account: account.to_owned(),
            });
        }
        self.commit(state, deltas)?;
        Ok(updated)
    }

    // -- links ---------------------------------------------------------------------------

    /// The links of an account (active and revoked), by patient id.
    pub fn links_of_account(&self, account: &str) -> Vec<AccountLink> {
        self.read()
            .links
            .values()
            .filter(|l| l.account == account)
            .cloned()
            .collect()
    }

    /// The links to a patient (active and revoked), by account id.
    pub fn links_of_patient(&self, patient: &str) -> Vec<AccountLink> {
        self.read()
            .links
            .values()
            .filter(|l| l.patient == patient)
            .cloned()
            .collect()
    }

    /// Staff link an existing account (by id) to a patient. Replaces any earlier
    /// link of that account to that patient, so it also confirms a link awaiting
    /// confirmation (with the relationship given here).
    pub fn link_account(
        &self,
        account: &str,
        patient: &str,
        relationship: Relationship,
        now: DateTime<Utc>,
    ) -> Result<AccountLink> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if !state.accounts.contains_key(account) {
            return Err(Error::not_found("account", account));
        }
        let mut deltas = Vec::new();
        let link = self.link_deltas(state, account, patient, relationship, now, &mut deltas)?;
        self.commit(state, deltas)?;
        Ok(link)
    }

    /// Staff confirm a link that a merge moved to `patient` ([`crate::merge`]): from now on
    /// it is active and grants access, with the relationship it had. `not_found` when the
    /// account has no link to the patient awaiting confirmation (a revoked link is not
    /// confirmed: link the account again with [`Engine::link_account`]); `invalid_input`
    /// when a `self` link would break the one-self rule.
    pub fn confirm_link(
        &self,
        account: &str,
        patient: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountLink> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let pending = state
            .links
            .get(&(account.to_owned(), patient.to_owned()))
            .filter(|l| l.awaits_confirmation)
            .cloned()
            .ok_or_else(|| {
                Error::not_found(
                    "link awaiting confirmation",
                    &format!("{account} → {patient}"),
                )
            })?;
        let mut deltas = Vec::new();
        let link = self.link_deltas(
            state,
            account,
            patient,
            pending.relationship,
            now,
            &mut deltas,
        )?;
        self.commit(state, deltas)?;
        Ok(link)
    }

    /// Staff revoke a link, active or awaiting confirmation: it stays for the record and
    /// grants nothing from now on.
    pub fn revoke_link(
        &self,
        account: &str,
        patient: &str,
        now: DateTime<Utc>,
    ) -> Result<AccountLink> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let key = (account.to_owned(), patient.to_owned());
        let link = state
            .links
            .get(&key)
            .filter(|l| l.active || l.awaits_confirmation)
            .cloned()
            .ok_or_else(|| Error::not_found("active link", &format!("{account} → {patient}")))?;
        let link = AccountLink {
            active: false,
            revoked_at: Some(now),
            awaits_confirmation: false,
            ..link
        };
        self.commit(state, vec![Delta::PutLink { link: link.clone() }])?;
        Ok(link)
    }

    /// The patients an account may act for (active links), by id.
    pub fn patients_of_account(&self, account: &str) -> Vec<String> {
        self.read()
            .links
            .values()
            .filter(|l| l.account == account && l.active)
            .map(|l| l.patient.clone())
            .collect()
    }

    /// The appointments an account (by id) may see: those of every patient it
    /// has an active link to — a guardian sees exactly their dependents' — ordered by
    /// start, then id. An unknown account id is `not_found` (a username is not an id).
    pub fn appointments_for_account(&self, account: &str) -> Result<Vec<Appointment>> {
        let state = self.read();
        let acct = state
            .accounts
            .get(account)
            .ok_or_else(|| Error::not_found("account", account))?;
        let mut out: Vec<Appointment> = state
            .links
            .values()
            .filter(|l| l.account == acct.id && l.active)
            .filter_map(|l| state.patient_appointments.get(&l.patient))
            .flatten()
            .filter_map(|id| state.appointments.get(id))
            .collect();
        out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    // -- password reset ------------------------------------------------------------------

    /// Asks for a password reset (docs/accounts.md). The outcome is `Ok(())` whether or not the
    /// username exists (and for a username that is not an e-mail, which cannot reset).
    /// When it exists and is an e-mail, a single-use token valid for
    /// [`RESET_TTL_MINUTES`] replaces any earlier one and goes, through the outbox
    /// ([`crate::Notification::token`]), only to the stored address.
    pub fn request_password_reset(&self, username: &str, now: DateTime<Utc>) -> Result<()> {
        check_instant("now", now)?;
        let expires_at = shift(now, Duration::minutes(RESET_TTL_MINUTES))?;
        // Made whether or not it is used, so both paths do the same work.
        let token = SecretToken::generate()?;
        let Ok(u) = normalize_username(username) else {
            return Ok(());
        };
        let mut guard = self.write();
        let state = &mut *guard;
        let Some(account) = state
            .usernames
            .get(&u)
            .and_then(|id| state.accounts.get(id))
            .filter(|a| a.has_email_username())
            .cloned()
        else {
            return Ok(());
        };
        let reset = ResetToken {
            account: account.id.clone(),
            token_digest: token.digest(),
            created_at: now,
            expires_at,
        };
        let mut deltas = vec![Delta::PutResetToken { reset }];
        let mut to = Recipients::default();
        to.add(Some(&account.username));
        let data = NotificationData::PasswordReset(Box::new(crate::outbox::PasswordResetNotice {
            account: account.id.clone(),
            expires_at,
        }));
        self.notify_with_token(
            state,
            &mut deltas,
            NotificationKind::PasswordReset,
            to,
            data,
            token,
        );
        self.commit(state, deltas)?;
        Ok(())
    }

    /// Sets a new password with a reset token: single use; `invitation_invalid` for an
    /// unknown, used or replaced token, `invitation_expired` from its expiry on.
    pub fn reset_password(
        &self,
        token: &SecretToken,
        new: &Password,
        now: DateTime<Utc>,
    ) -> Result<Account> {
        check_instant("now", now)?;
        let hash = credentials::hash_password(new)?;
        let digest = token.digest();
        let mut guard = self.write();
        let state = &mut *guard;
        let mut found = None;
        for r in state.resets.values() {
            if digest_eq(&r.token_digest, &digest) {
                found = Some(r.clone());
            }
        }
        let reset = found.ok_or_else(|| {
            Error::new(
                ErrorCode::InvitationInvalid,
                "the password-reset link is unknown, used or replaced (see docs/accounts.md)",
            )
        })?;
        if now >= reset.expires_at {
            return Err(Error::new(
                ErrorCode::InvitationExpired,
                format!(
                    "the password-reset link expired at {} (see docs/accounts.md)",
                    reset.expires_at.to_rfc3339()
                ),
            ));
        }
        let account = state
            .accounts
            .get(&reset.account)
            .cloned()
            .ok_or_else(|| Error::not_found("account", &reset.account))?;
        let updated = Account {
            password_hash: hash,
            ..account
        };
        self.commit(
            state,
            vec![
                Delta::PutAccount {
                    account: updated.clone(),
                },
                Delta::RemoveResetToken {
                    account: reset.account,
                },
            ],
        )?;
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine_with(accounts: &[(&str, &str)]) -> Engine {
        let e = Engine::from_json(
            r#"{"clinics": [{"id": "main", "time_zone": "America/Toronto"}],
                "schedule_types": [{"id": "treat", "name": "Treatment"}],
                "practitioners": [{"id": "dr", "schedule_types": ["treat"], "availability": []}],
                "services": [{"id": "s", "duration_minutes": 30, "schedule_types": ["treat"]}]}"#,
        )
        .expect("engine");
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("now");
        {
            let state = &mut *e.write();
            for (id, username) in accounts {
                let account =
                    Account::from_parts((*id).into(), (*username).into(), "x".into(), now);
                check_account_identity(state, &account).expect("valid");
                e.commit(state, vec![Delta::PutAccount { account }])
                    .expect("commit");
            }
        }
        e
    }

    fn code(state: &State, id: &str, username: &str) -> Option<ErrorCode> {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("now");
        let account = Account::from_parts(id.into(), username.into(), "x".into(), now);
        check_account_identity(state, &account)
            .err()
            .map(|e| e.code())
    }

    #[test]
    fn account_identity_checks_namespaces_normal_form_and_renames() {
        let e = engine_with(&[("acct-1", "ann@x.test"), ("acct-2", "frontdesk")]);
        let state = e.read();
        // An update of an existing account is fine; a rename is not.
        assert_eq!(code(&state, "acct-1", "ann@x.test"), None);
        assert_eq!(
            code(&state, "acct-1", "bob@x.test"),
            Some(ErrorCode::InvalidInput)
        );
        // A new account.
        assert_eq!(code(&state, "acct-3", "bob@x.test"), None);
        assert_eq!(
            code(&state, "", "bob@x.test"),
            Some(ErrorCode::InvalidInput)
        );
        assert_eq!(
            code(&state, "acct-3", "Bob@x.test"),
            Some(ErrorCode::InvalidInput),
            "not in normalised form"
        );
        assert_eq!(
            code(&state, "acct-3", "a\u{200B}b@x.test"),
            Some(ErrorCode::InvalidInput)
        );
        // Username taken, looking like a taken one, or another account's id.
        assert_eq!(
            code(&state, "acct-3", "ann@x.test"),
            Some(ErrorCode::EmailInUse)
        );
        assert_eq!(
            code(&state, "acct-3", "\u{430}nn@x.test"),
            Some(ErrorCode::InvalidInput),
            "mixed scripts"
        );
        assert_eq!(
            code(&state, "acct-3", "acct-1"),
            Some(ErrorCode::EmailInUse)
        );
        // An id that is (or normalises to, or looks like) another account's username.
        assert_eq!(
            code(&state, "ann@x.test", "c@x.test"),
            Some(ErrorCode::DuplicateId)
        );
        assert_eq!(
            code(&state, "ANN@x.test", "c@x.test"),
            Some(ErrorCode::DuplicateId)
        );
        assert_eq!(
            code(&state, "FrontDesk", "c@x.test"),
            Some(ErrorCode::DuplicateId)
        );
        assert_eq!(
            code(&state, "frontdesk", "frontdesk"),
            Some(ErrorCode::EmailInUse)
        );
        // Its own username as its own id is no confusion.
        assert_eq!(code(&state, "carl@x.test", "carl@x.test"), None);
    }
}
