//! Portal accounts and their links to patients (DESIGN §6).
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
//! `actor` (an account id, or its username): with `Some(account)` the
//! engine requires an active link from that account to the target patient
//! (`not_authorized` otherwise); `None` means the host's trusted staff side, which the host
//! must never pass on behalf of a portal user. Revoked links grant nothing.
//!
//! **Login and reset.** A wrong password and an unknown username give the same
//! `credentials_invalid` and cost the same (an unknown username runs a dummy Argon2
//! verification). A password-reset request has the same outcome whether or not the
//! username exists; the token goes only to the stored address, through the outbox.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::booking::shift;
use crate::credentials::{
    self, digest_eq, is_email, normalize_username, username_skeleton, Password, SecretToken,
    Verified,
};
use crate::engine::{check_instant, State};
use crate::journal::Delta;
use crate::model::Appointment;
use crate::outbox::{NotificationKind, Recipients};
use crate::{Engine, Error, ErrorCode, Result};

/// How long a password-reset token stays valid, in minutes (DESIGN §6: short expiry).
pub const RESET_TTL_MINUTES: i64 = 60;

/// A portal account (DESIGN §6). Its `Debug` never shows the password hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Account id (the caller's, or generated `acct-N`).
    pub id: String,
    /// The normalised username.
    pub username: String,
    /// The Argon2id PHC string.
    password_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
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

/// How an account relates to a patient (DESIGN §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// A link from an account to a patient it may act for (DESIGN §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl AccountLink {
    /// An active `self` link: the patient's own account (at most one per patient).
    pub fn is_active_self(&self) -> bool {
        self.active && self.relationship == Relationship::Own
    }
}

/// A pending password reset: only the token's digest is kept (DESIGN §6).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Staff create an account by hand (DESIGN §6, manual accounts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The account id; absent: generated (`acct-N`).
    pub id: Option<String>,
    /// The username (an e-mail, or any name — which then cannot use password reset).
    pub username: String,
    /// The password.
    pub password: Password,
    /// Link the account to this patient at once.
    pub patient: Option<String>,
    /// The link's relationship (default `self`).
    pub relationship: Relationship,
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

/// `credentials_invalid`, the same for every login failure.
fn bad_credentials() -> Error {
    Error::new(
        ErrorCode::CredentialsInvalid,
        "the username or password is wrong (DESIGN §6)",
    )
}

impl Engine {
    // -- lookups and indexes -------------------------------------------------------------

    /// The account an actor names: by account id, else by (normalised) username.
    pub(crate) fn resolve_account<'s>(&self, state: &'s State, actor: &str) -> Option<&'s Account> {
        state.accounts.get(actor).or_else(|| {
            normalize_username(actor)
                .ok()
                .and_then(|u| state.usernames.get(&u))
                .and_then(|id| state.accounts.get(id))
        })
    }

    /// `email_in_use` when the username, or a look-alike of it, belongs to another account.
    pub(crate) fn check_username_free(
        &self,
        state: &State,
        username: &str,
        except: Option<&str>,
    ) -> Result<()> {
        let taken = state
            .usernames
            .get(username)
            .or_else(|| state.skeletons.get(&username_skeleton(username)));
        match taken {
            Some(id) if Some(id.as_str()) != except => Err(Error::new(
                ErrorCode::EmailInUse,
                format!(
                    "username `{username}` (or one that looks the same) is already used by \
                     another account (DESIGN §6)"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// DESIGN §6 authorization: `None` is the trusted staff side; `Some(actor)` needs an
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
        let linked = self.resolve_account(state, actor).is_some_and(|a| {
            state
                .links
                .get(&(a.id.clone(), patient.to_owned()))
                .is_some_and(|l| l.active)
        });
        if linked {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::NotAuthorized,
                format!("account `{actor}` has no active link to patient `{patient}` (DESIGN §6)"),
            ))
        }
    }

    /// DESIGN §6 for an existing appointment: the actor needs an active link to its
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
                     (DESIGN §6)"
                ),
            )),
        }
    }

    /// DESIGN §6 for a search: a query with an actor must name a patient linked to it.
    pub(crate) fn authorize_query(&self, state: &State, query: &crate::SlotQuery) -> Result<()> {
        let Some(actor) = &query.actor else {
            return Ok(());
        };
        let patient = query.patient.as_deref().ok_or_else(|| {
            Error::new(
                ErrorCode::NotAuthorized,
                format!("account `{actor}` must name the patient it searches for (DESIGN §6)"),
            )
        })?;
        self.authorize(state, Some(actor), patient)
    }

    /// The caller's account id, checked, or a fresh `acct-N` (the counter in `deltas`).
    pub(crate) fn new_account_id(
        &self,
        state: &State,
        given: Option<&str>,
        deltas: &mut Vec<Delta>,
    ) -> Result<String> {
        self.new_id(
            state,
            given,
            ("account", "acct"),
            |s: &State, id: &str| s.accounts.contains_key(id),
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
                     (DESIGN §6)",
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
                     most one (DESIGN §6)",
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
        };
        deltas.push(Delta::PutLink { link: link.clone() });
        Ok(link)
    }

    // -- accounts ------------------------------------------------------------------------

    /// Staff create an account with a username and password (DESIGN §6, manual accounts),
    /// optionally linked to a patient. `email_in_use` when the username or a look-alike is
    /// taken.
    pub fn create_account(&self, request: &NewAccount, now: DateTime<Utc>) -> Result<Account> {
        check_instant("now", now)?;
        let username = normalize_username(&request.username)?;
        let hash = credentials::hash_password(&request.password)?;
        let mut guard = self.write();
        let state = &mut *guard;
        self.check_username_free(state, &username, None)?;
        let mut deltas = Vec::new();
        let id = self.new_account_id(state, request.id.as_deref(), &mut deltas)?;
        let account = Account {
            id,
            username,
            password_hash: hash,
            created_at: now,
        };
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

    /// Logs in (DESIGN §6): the account, or `credentials_invalid` — the same error, after
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

    /// Staff link an existing account to a patient (DESIGN §6).
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

    /// Staff revoke a link: it stays for the record and grants nothing from now on.
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
            .filter(|l| l.active)
            .cloned()
            .ok_or_else(|| Error::not_found("active link", &format!("{account} → {patient}")))?;
        let link = AccountLink {
            active: false,
            revoked_at: Some(now),
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

    /// The appointments an account may see (DESIGN §6): those of every patient it has an
    /// active link to — a guardian sees exactly their dependents' — ordered by start, then
    /// id. An unknown account is `not_found`.
    pub fn appointments_for_account(&self, account: &str) -> Result<Vec<Appointment>> {
        let state = self.read();
        let acct = self
            .resolve_account(&state, account)
            .ok_or_else(|| Error::not_found("account", account))?;
        let mut out: Vec<Appointment> = state
            .links
            .values()
            .filter(|l| l.account == acct.id && l.active)
            .filter_map(|l| state.patient_appointments.get(&l.patient))
            .flatten()
            .filter_map(|id| state.appointments.get(id))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    // -- password reset ------------------------------------------------------------------

    /// Asks for a password reset (DESIGN §6). The outcome is `Ok(())` whether or not the
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
        let data = json!({"account": account.id, "expires_at": expires_at});
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
                "the password-reset link is unknown, used or replaced (DESIGN §6)",
            )
        })?;
        if now >= reset.expires_at {
            return Err(Error::new(
                ErrorCode::InvitationExpired,
                format!(
                    "the password-reset link expired at {} (DESIGN §6)",
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
