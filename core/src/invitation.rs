//! Portal invitations (docs/accounts.md): `self` (to the patient's e-mail on file) or
//! `guardian`/`carer` (to any e-mail), and bulk invitations.
//!
//! The link token is 256 random bits (see [`crate::credentials`]); only its SHA-256 digest
//! is stored and it is compared in constant time. It is valid while
//! `now < created_at + portal.invitation_ttl_hours` (72 hours: still valid at 71:59:59,
//! `invitation_expired` at 72:00:00), works once — even under concurrent redemption, as
//! checking and using it is one atomic step — and dies when it is resent (a new token
//! replaces it) or deleted (`invitation_invalid` from then on).
//!
//! The token exists only in the return value of [`Engine::invite`] /
//! [`Engine::resend_invitation`] and in the outbox notification's
//! [`crate::Notification::token`], which is never written to a snapshot or a serialised
//! journal: a notification restored from either has no token, and the host resends.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::{check_account_identity, check_username_free, Account, Relationship};
use crate::booking::shift;
use crate::credentials::{self, digest_eq, is_email, normalize_username, Password, SecretToken};
use crate::engine::{check_instant, State};
use crate::journal::Delta;
use crate::outbox::{NotificationData, NotificationKind, Recipients};
use crate::{Engine, Error, ErrorCode, Result};

/// A portal invitation. Its `Debug` does not show the token digest, and neither does its
/// JSON: only snapshots and the journal store the digest.
#[derive(Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// Invitation id (the caller's, or generated `inv-N`).
    pub id: String,
    /// The patient the accepting account will be linked to.
    pub patient: String,
    /// The link it makes.
    pub relationship: Relationship,
    /// Where it was sent (the normalised address).
    pub email: String,
    /// SHA-256 of the live token, hex.
    pub(crate) token_digest: String,
    /// When the live token was issued (resend moves it).
    pub created_at: DateTime<Utc>,
    /// From this instant on the token is refused.
    pub expires_at: DateTime<Utc>,
    /// When it was accepted (it is then used up).
    #[serde(default)]
    pub accepted_at: Option<DateTime<Utc>>,
    /// The account that accepted it.
    #[serde(default)]
    pub accepted_by: Option<String>,
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invitation")
            .field("id", &self.id)
            .field("patient", &self.patient)
            .field("relationship", &self.relationship)
            .field("email", &self.email)
            .field("token_digest", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("accepted_at", &self.accepted_at)
            .field("accepted_by", &self.accepted_by)
            .finish()
    }
}

/// An invitation as snapshots and the journal store it: with its token digest.
pub(crate) struct StoredInvitation<'a>(pub(crate) &'a Invitation);

impl Invitation {
    fn write<S: serde::Serializer>(
        &self,
        s: S,
        digest: bool,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Invitation", 8 + usize::from(digest))?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("patient", &self.patient)?;
        st.serialize_field("relationship", &self.relationship)?;
        st.serialize_field("email", &self.email)?;
        if digest {
            st.serialize_field("token_digest", &self.token_digest)?;
        }
        st.serialize_field("created_at", &self.created_at)?;
        st.serialize_field("expires_at", &self.expires_at)?;
        st.serialize_field("accepted_at", &self.accepted_at)?;
        st.serialize_field("accepted_by", &self.accepted_by)?;
        st.end()
    }
}

/// Without the token digest.
impl Serialize for Invitation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.write(s, false)
    }
}

impl Serialize for StoredInvitation<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.write(s, true)
    }
}

/// `serialize_with` for an owned invitation in storage.
pub(crate) fn serialize_stored<S: serde::Serializer>(
    i: &Invitation,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    StoredInvitation(i).serialize(s)
}

/// `serialize_with` for a list of invitations in storage.
pub(crate) fn serialize_stored_list<S: serde::Serializer>(
    list: &[&Invitation],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(|i| StoredInvitation(i)))
}

impl Invitation {
    /// Whether the token can still be redeemed at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && now < self.expires_at
    }
}

/// Ask to invite someone to the portal (docs/accounts.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The invitation id; absent: generated.
    #[serde(default)]
    pub id: Option<String>,
    /// The patient.
    pub patient: String,
    /// `self`: sent to the patient's e-mail on file; `guardian` / `carer`: to `email`.
    pub relationship: Relationship,
    /// The address for a guardian or carer (ignored for `self`).
    #[serde(default)]
    pub email: Option<String>,
}

impl InviteRequest {
    /// Invite the patient themself, at their e-mail on file.
    pub fn own(patient: impl Into<String>) -> InviteRequest {
        InviteRequest {
            id: None,
            patient: patient.into(),
            relationship: Relationship::Own,
            email: None,
        }
    }

    /// Invite a guardian of the patient at `email`.
    pub fn guardian(patient: impl Into<String>, email: impl Into<String>) -> InviteRequest {
        InviteRequest {
            id: None,
            patient: patient.into(),
            relationship: Relationship::Guardian,
            email: Some(email.into()),
        }
    }
}

/// A freshly issued invitation and its token (shown once; only its digest is kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedInvitation {
    /// The invitation.
    pub invitation: Invitation,
    /// The token for the link.
    pub token: SecretToken,
    /// The id of the outbox notification that carries it.
    pub notification: u64,
}

/// Redeem an invitation (docs/accounts.md).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the link.
    pub token: SecretToken,
    /// For a new account: its password (the username is the invitation's address).
    #[serde(default)]
    pub password: Option<Password>,
    /// For an existing account the host has authenticated: its id; the link is added to it.
    #[serde(default)]
    pub authenticated_account: Option<String>,
    /// For a new account: its id; absent: generated.
    #[serde(default)]
    pub account_id: Option<String>,
}

impl AcceptInvitation {
    /// Accept by creating an account with this password.
    pub fn with_password(
        token: impl Into<SecretToken>,
        password: impl Into<Password>,
    ) -> AcceptInvitation {
        AcceptInvitation {
            token: token.into(),
            password: Some(password.into()),
            authenticated_account: None,
            account_id: None,
        }
    }

    /// Accept into an account the host has already authenticated.
    pub fn into_account(
        token: impl Into<SecretToken>,
        account: impl Into<String>,
    ) -> AcceptInvitation {
        AcceptInvitation {
            token: token.into(),
            password: None,
            authenticated_account: Some(account.into()),
            account_id: None,
        }
    }
}

impl From<&SecretToken> for SecretToken {
    fn from(t: &SecretToken) -> SecretToken {
        t.clone()
    }
}

/// Who an invitation goes to and what it links.
struct Target<'a> {
    patient: &'a str,
    relationship: Relationship,
    email: String,
}

/// Why bulk invite skipped a patient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No e-mail on file, or not a valid address.
    InvalidEmail,
    /// Several patients share the address: invite one and link the others as guardian.
    SharedEmail,
    /// The patient already has an active `self` account.
    HasAccount,
    /// A live invitation is already out.
    LiveInvitation,
    /// The address is already the username of an account.
    EmailInUse,
}

/// The outcome of [`Engine::bulk_invite`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkInviteReport {
    /// The invitations sent, by patient id.
    pub invited: Vec<IssuedInvitation>,
    /// The patients skipped and why, by patient id.
    pub skipped: BTreeMap<String, SkipReason>,
}

fn invalid_token() -> Error {
    Error::new(
        ErrorCode::InvitationInvalid,
        "the invitation link is unknown, used or revoked (see docs/accounts.md)",
    )
}

impl Engine {
    /// The invitation whose digest matches the token; every stored digest is compared in
    /// constant time.
    fn find_invitation(&self, state: &State, token: &SecretToken) -> Option<Invitation> {
        let digest = token.digest();
        let mut found = None;
        for inv in state.invitations.values() {
            if digest_eq(&inv.token_digest, &digest) {
                found = Some(inv.clone());
            }
        }
        found
    }

    /// `Ok` when the invitation can be redeemed at `now`. A self invitation is redeemable
    /// only while it was sent to the patient's current e-mail on file: receiving it is
    /// what proves the account owns that address.
    fn check_redeemable(&self, state: &State, inv: &Invitation, now: DateTime<Utc>) -> Result<()> {
        if inv.accepted_at.is_some() {
            return Err(invalid_token());
        }
        if inv.relationship == Relationship::Own
            && self.email_on_file(state, &inv.patient).as_deref() != Some(inv.email.as_str())
        {
            return Err(Error::new(
                ErrorCode::InvitationInvalid,
                format!(
                    "self invitation `{}` went to an address that is not the e-mail on file \
                     of patient `{}`; ask the clinic to resend it",
                    inv.id, inv.patient
                ),
            ));
        }
        if now >= inv.expires_at {
            return Err(Error::new(
                ErrorCode::InvitationExpired,
                format!(
                    "invitation `{}` expired at {} (portal.invitation_ttl_hours = {}); ask the \
                     clinic to resend it",
                    inv.id,
                    inv.expires_at.to_rfc3339(),
                    state.practice.config.portal.invitation_ttl_hours
                ),
            ));
        }
        Ok(())
    }

    /// The patient's e-mail on file, normalised, if it is a valid address.
    fn email_on_file(&self, state: &State, patient: &str) -> Option<String> {
        state
            .patients
            .get(patient)?
            .email
            .as_deref()
            .and_then(|e| normalize_username(e).ok())
            .filter(|e| is_email(e))
    }

    /// The address an invitation goes to, normalised and checked.
    fn invitation_address(&self, state: &State, request: &InviteRequest) -> Result<String> {
        let raw = match request.relationship {
            Relationship::Own => state
                .patients
                .get(&request.patient)
                .ok_or_else(|| Error::not_found("patient", &request.patient))?
                .email
                .clone()
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "patient `{}` has no e-mail on file for a self invitation",
                        request.patient
                    ))
                })?,
            _ => request.email.clone().ok_or_else(|| {
                Error::invalid_input("a guardian or carer invitation needs an e-mail address")
            })?,
        };
        let email = normalize_username(&raw)?;
        if !is_email(&email) {
            return Err(Error::invalid_input(format!(
                "`{email}` is not a valid e-mail address"
            )));
        }
        Ok(email)
    }

    /// Builds the deltas of a new or renewed invitation and its notification.
    fn issue(
        &self,
        state: &State,
        id: String,
        target: Target<'_>,
        now: DateTime<Utc>,
        deltas: &mut Vec<Delta>,
    ) -> Result<IssuedInvitation> {
        let Target {
            patient,
            relationship,
            email,
        } = target;
        let token = SecretToken::generate()?;
        let hours = i64::from(state.practice.config.portal.invitation_ttl_hours);
        let invitation = Invitation {
            id,
            patient: patient.to_owned(),
            relationship,
            email,
            token_digest: token.digest(),
            created_at: now,
            expires_at: shift(now, Duration::hours(hours))?,
            accepted_at: None,
            accepted_by: None,
        };
        deltas.push(Delta::PutInvitation {
            invitation: invitation.clone(),
        });
        let mut to = Recipients::default();
        to.add(Some(&invitation.email));
        let data = NotificationData::Invitation(Box::new(crate::outbox::InvitationNotice {
            invitation: invitation.id.clone(),
            patient: patient.to_owned(),
            relationship,
            expires_at: invitation.expires_at,
            login_url: state.practice.config.portal.login_url.clone(),
        }));
        let notification = self.notify_with_token(
            state,
            deltas,
            NotificationKind::Invitation,
            to,
            data,
            token.clone(),
        );
        Ok(IssuedInvitation {
            invitation,
            token,
            notification,
        })
    }

    /// Invites someone to the portal (docs/accounts.md). A self invitation goes to the patient's
    /// e-mail on file and is refused when the patient already has a self account; a
    /// guardian or carer invitation goes to any address. A live invitation for the same
    /// patient, relationship and address must be resent instead (`invalid_input`).
    pub fn invite(&self, request: &InviteRequest, now: DateTime<Utc>) -> Result<IssuedInvitation> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        if !state.patients.contains_key(&request.patient) {
            return Err(Error::not_found("patient", &request.patient));
        }
        let email = self.invitation_address(state, request)?;
        if request.relationship == Relationship::Own
            && self.has_self_account(state, &request.patient)
        {
            return Err(Error::invalid_input(format!(
                "patient `{}` already has a self account (see docs/accounts.md)",
                request.patient
            )));
        }
        if let Some(live) = state.invitations.values().find(|i| {
            i.patient == request.patient
                && i.relationship == request.relationship
                && i.email == email
                && i.is_live(now)
        }) {
            return Err(Error::invalid_input(format!(
                "invitation `{}` to `{email}` is still live; resend it instead",
                live.id
            )));
        }
        let mut deltas = Vec::new();
        let id = self.new_invitation_id(state, request.id.as_deref(), &mut deltas)?;
        let issued = self.issue(
            state,
            id,
            Target {
                patient: &request.patient,
                relationship: request.relationship,
                email,
            },
            now,
            &mut deltas,
        )?;
        self.commit(state, deltas)?;
        Ok(issued)
    }

    fn new_invitation_id(
        &self,
        state: &State,
        given: Option<&str>,
        deltas: &mut Vec<Delta>,
    ) -> Result<String> {
        self.new_id(
            state,
            given,
            ("invitation", "inv"),
            |s: &State, id: &str| s.invitations.contains_key(id),
            deltas,
        )
    }

    pub(crate) fn has_self_account(&self, state: &State, patient: &str) -> bool {
        state
            .links
            .values()
            .any(|l| l.patient == patient && l.is_active_self())
    }

    /// Resends an invitation that was not accepted: a new token replaces the old one (which
    /// is `invitation_invalid` from now on) and the validity starts again. A self invitation
    /// goes to the patient's e-mail on file as it is now.
    pub fn resend_invitation(&self, id: &str, now: DateTime<Utc>) -> Result<IssuedInvitation> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let old = state
            .invitations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("invitation", id))?;
        if old.accepted_at.is_some() {
            return Err(Error::new(
                ErrorCode::InvalidTransition,
                format!("invitation `{id}` was already accepted"),
            ));
        }
        // A self invitation always goes to the patient's e-mail on file as it is now (it
        // may have changed, or the invitation may have moved with a merge).
        let email = match old.relationship {
            Relationship::Own => {
                self.invitation_address(state, &InviteRequest::own(&old.patient))?
            }
            _ => old.email,
        };
        let mut deltas = Vec::new();
        let issued = self.issue(
            state,
            old.id,
            Target {
                patient: &old.patient,
                relationship: old.relationship,
                email,
            },
            now,
            &mut deltas,
        )?;
        self.commit(state, deltas)?;
        Ok(issued)
    }

    /// Deletes an invitation: its token is `invitation_invalid` from now on.
    pub fn delete_invitation(&self, id: &str) -> Result<Invitation> {
        let mut guard = self.write();
        let state = &mut *guard;
        let old = state
            .invitations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("invitation", id))?;
        self.commit(state, vec![Delta::RemoveInvitation { id: id.to_owned() }])?;
        Ok(old)
    }

    /// The invitation with this id.
    pub fn invitation(&self, id: &str) -> Result<Invitation> {
        self.read()
            .invitations
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("invitation", id))
    }

    /// The invitations of a patient, by id.
    pub fn invitations_of(&self, patient: &str) -> Vec<Invitation> {
        self.read()
            .invitations
            .values()
            .filter(|i| i.patient == patient)
            .cloned()
            .collect()
    }

    /// Redeems an invitation (docs/accounts.md): with a password, creates the account (username:
    /// the invitation's address; `email_in_use` if an account has it — the host should
    /// authenticate that account and pass it as `authenticated_account` — or if it is an
    /// account's id; `duplicate_id` when `account_id` is taken or is an account's
    /// username); with an `authenticated_account` (an account id, never a username), adds
    /// the link to it, replacing a link awaiting confirmation after a merge. A self
    /// invitation is `invitation_invalid` once its address is no longer the patient's
    /// e-mail on file. Returns the account. The token works
    /// once: of any number of concurrent redemptions exactly one succeeds, the others get
    /// `invitation_invalid`.
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use clinic_portal::{AcceptInvitation, Engine, ErrorCode, InviteRequest, Password, Patient};
    ///
    /// let engine = Engine::from_json(r#"{
    ///   "clinics": [{"id": "main", "time_zone": "America/Toronto"}],
    ///   "schedule_types": [{"id": "treat", "name": "Treatment"}],
    ///   "practitioners": [{"id": "dr-lee", "schedule_types": ["treat"], "availability": []}],
    ///   "services": [{"id": "physio-30", "duration_minutes": 30, "schedule_types": ["treat"]}]
    /// }"#)?;
    /// let kid: Patient = serde_json::from_str(r#"{"id": "kid", "first_name": "Bo"}"#)
    ///     .expect("patient JSON");
    /// engine.upsert_patient(kid)?;
    /// let now = Utc.with_ymd_and_hms(2027, 1, 25, 12, 0, 0).unwrap();
    ///
    /// // Staff invite a parent; the host sends the outbox notification with the token.
    /// let issued = engine.invite(&InviteRequest::guardian("kid", "Parent@Example.com"), now)?;
    /// let token = engine.drain_outbox().pop().and_then(|n| n.token).expect("token");
    /// assert_eq!(token, issued.token);
    ///
    /// // The parent opens the link within 72 hours and picks a password.
    /// let accept = AcceptInvitation::with_password(&token, "a long passphrase");
    /// let account = engine.accept_invitation(&accept, now + Duration::hours(1))?;
    /// assert_eq!(account.username, "parent@example.com");
    /// assert_eq!(engine.patients_of_account(&account.id), ["kid"]);
    ///
    /// // The link works once.
    /// let again = engine.accept_invitation(&accept, now + Duration::hours(2)).unwrap_err();
    /// assert_eq!(again.code(), ErrorCode::InvitationInvalid);
    /// assert!(engine.login("parent@example.com", &Password::new("a long passphrase"), now).is_ok());
    /// # Ok::<(), clinic_portal::Error>(())
    /// ```
    pub fn accept_invitation(
        &self,
        request: &AcceptInvitation,
        now: DateTime<Utc>,
    ) -> Result<Account> {
        check_instant("now", now)?;
        // Check cheaply first, and hash the password outside the lock.
        let hash = {
            let state = self.read();
            let inv = self
                .find_invitation(&state, &request.token)
                .ok_or_else(invalid_token)?;
            self.check_redeemable(&state, &inv, now)?;
            match (&request.authenticated_account, &request.password) {
                (Some(_), _) => None,
                (None, Some(p)) => {
                    check_username_free(&state, &inv.email, None)?;
                    drop(state);
                    Some(credentials::hash_password(p)?)
                }
                (None, None) => {
                    return Err(Error::invalid_input(
                        "accepting an invitation needs a password or an authenticated account",
                    ))
                }
            }
        };
        let mut guard = self.write();
        let state = &mut *guard;
        let inv = self
            .find_invitation(state, &request.token)
            .ok_or_else(invalid_token)?;
        self.check_redeemable(state, &inv, now)?;
        let mut deltas = Vec::new();
        let account = match (&request.authenticated_account, hash) {
            (Some(a), _) => state
                .accounts
                .get(a)
                .cloned()
                .ok_or_else(|| Error::not_found("account", a))?,
            (None, Some(hash)) => {
                check_username_free(state, &inv.email, None)?;
                let id = self.new_account_id(state, request.account_id.as_deref(), &mut deltas)?;
                let account = Account::from_parts(id, inv.email.clone(), hash, now);
                check_account_identity(state, &account)?;
                deltas.push(Delta::PutAccount {
                    account: account.clone(),
                });
                account
            }
            (None, None) => return Err(invalid_token()),
        };
        self.link_deltas(
            state,
            &account.id,
            &inv.patient,
            inv.relationship,
            now,
            &mut deltas,
        )?;
        deltas.push(Delta::PutInvitation {
            invitation: Invitation {
                accepted_at: Some(now),
                accepted_by: Some(account.id.clone()),
                ..inv
            },
        });
        self.commit(state, deltas)?;
        Ok(account)
    }

    /// Bulk invite (docs/accounts.md): a self invitation to every patient with a valid e-mail, no
    /// self account and no live invitation. Skipped patients are reported with the reason;
    /// an address shared by several patients is never invited in bulk (invite one and link
    /// the others as guardian). All invitations are one change.
    pub fn bulk_invite(&self, now: DateTime<Utc>) -> Result<BulkInviteReport> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
        let mut candidates: Vec<(String, Option<String>)> = state
            .patients
            .values()
            .map(|p| {
                let email = p
                    .email
                    .as_deref()
                    .and_then(|e| normalize_username(e).ok())
                    .filter(|e| is_email(e));
                (p.id.clone(), email)
            })
            .collect();
        candidates.sort();
        for (_, e) in &candidates {
            if let Some(e) = e {
                *by_email.entry(e.clone()).or_default() += 1;
            }
        }
        let mut report = BulkInviteReport::default();
        let mut deltas = Vec::new();
        for (patient, email) in candidates {
            let reason = match &email {
                None => Some(SkipReason::InvalidEmail),
                Some(e) if by_email.get(e).copied().unwrap_or(0) > 1 => {
                    Some(SkipReason::SharedEmail)
                }
                Some(_) if self.has_self_account(state, &patient) => Some(SkipReason::HasAccount),
                Some(_)
                    if state
                        .invitations
                        .values()
                        .any(|i| i.patient == patient && i.is_live(now)) =>
                {
                    Some(SkipReason::LiveInvitation)
                }
                Some(e) if check_username_free(state, e, None).is_err() => {
                    Some(SkipReason::EmailInUse)
                }
                Some(_) => None,
            };
            match (reason, email) {
                (Some(r), _) => {
                    report.skipped.insert(patient, r);
                }
                (None, Some(email)) => {
                    let id = self.new_invitation_id(state, None, &mut deltas)?;
                    let issued = self.issue(
                        state,
                        id,
                        Target {
                            patient: &patient,
                            relationship: Relationship::Own,
                            email,
                        },
                        now,
                        &mut deltas,
                    )?;
                    report.invited.push(issued);
                }
                (None, None) => {}
            }
        }
        if !deltas.is_empty() {
            self.commit(state, deltas)?;
        }
        Ok(report)
    }
}

impl Account {
    pub(crate) fn from_parts(
        id: String,
        username: String,
        hash: String,
        now: DateTime<Utc>,
    ) -> Account {
        Engine::new_account(id, username, hash, now)
    }
}
