//! Public signup and its review queue (docs/accounts.md).
//!
//! Only when `portal.allow_public_signup` (`signup_disabled` otherwise): a visitor gives an
//! e-mail (the username), a password, their name and birth date and, optionally, how they
//! heard of the clinic — one of the referral types marked `show_at_signup`
//! ([`Engine::signup_referral_types`]). The engine creates the account, a new patient and
//! the `self` link in one change, and records a [`Signup`] that waits in the review queue
//! ([`Engine::review_queue`]) until staff mark it reviewed or merge the new profile into an
//! existing one ([`crate::merge`]). With `notifications.signup_to_clinic`, the clinic is
//! notified.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::{check_account_identity, check_username_free, Account, Relationship};
use crate::config::ReferralType;
use crate::credentials::{self, is_email, normalize_username, Password};
use crate::engine::check_instant;
use crate::journal::Delta;
use crate::model::Patient;
use crate::outbox::{clinic_address, NotificationData, NotificationKind, Recipients};
use crate::{Engine, Error, ErrorCode, Result};

/// A public signup as it waits for review (docs/accounts.md: a new patient flagged for review).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    /// The id of the patient the signup created (stays the key after a merge).
    pub id: String,
    /// The patient now holding the signup's data (the kept one after a merge).
    pub patient: String,
    /// The account it created.
    pub account: String,
    /// The referral type chosen on the form.
    #[serde(default)]
    pub referral_type: Option<String>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// When staff reviewed it (or merged it); `None`: in the review queue.
    #[serde(default)]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A public signup form (docs/accounts.md).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The e-mail address: the username and the patient's e-mail on file.
    pub email: String,
    /// The password.
    pub password: Password,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Birth date.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// How they heard of the clinic: a referral type with `show_at_signup`.
    #[serde(default)]
    pub referral_type: Option<String>,
    /// The new patient's id; absent: generated (`pat-N`).
    #[serde(default)]
    pub patient_id: Option<String>,
    /// The new account's id; absent: generated (`acct-N`).
    #[serde(default)]
    pub account_id: Option<String>,
}

impl SignupRequest {
    /// A signup with the required fields.
    pub fn new(
        email: impl Into<String>,
        password: impl Into<Password>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        birth_date: Option<NaiveDate>,
    ) -> SignupRequest {
        SignupRequest {
            email: email.into(),
            password: password.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            birth_date,
            referral_type: None,
            patient_id: None,
            account_id: None,
        }
    }
}

/// What a signup created.
#[derive(Clone, Debug, PartialEq)]
pub struct SignupOutcome {
    /// The account.
    pub account: Account,
    /// The new patient.
    pub patient: Patient,
    /// The review record.
    pub signup: Signup,
}

impl Engine {
    /// The referral types offered on the signup form (`show_at_signup`), in configuration
    /// order.
    pub fn signup_referral_types(&self) -> Vec<ReferralType> {
        self.practice()
            .config
            .referral_types
            .iter()
            .filter(|r| r.show_at_signup)
            .cloned()
            .collect()
    }

    /// Public signup (docs/accounts.md): `signup_disabled` unless `portal.allow_public_signup`;
    /// `email_in_use` when the address (or a look-alike) is an account's username or is an
    /// account's id; `duplicate_id` when `account_id` is taken or is (or looks like) an
    /// account's username (see [`crate::accounts`]). Creates the account, a new patient
    /// linked `self`, and a review-queue entry, in one change. The account has proven
    /// nothing about who it is: a merge into an existing patient does not give it access
    /// by itself (see [`crate::merge`]).
    pub fn signup(&self, request: &SignupRequest, now: DateTime<Utc>) -> Result<SignupOutcome> {
        check_instant("now", now)?;
        if !self.practice().config.portal.allow_public_signup {
            return Err(Error::new(
                ErrorCode::SignupDisabled,
                "public signup is switched off (portal.allow_public_signup = false)",
            ));
        }
        let email = normalize_username(&request.email)?;
        if !is_email(&email) {
            return Err(Error::invalid_input(format!(
                "`{email}` is not a valid e-mail address"
            )));
        }
        if request.first_name.trim().is_empty() || request.last_name.trim().is_empty() {
            return Err(Error::invalid_input(
                "a signup needs a first and a last name",
            ));
        }
        if let Some(r) = &request.referral_type {
            if !self.signup_referral_types().iter().any(|t| &t.id == r) {
                return Err(Error::invalid_input(format!(
                    "referral type `{r}` is not offered at signup (show_at_signup)"
                )));
            }
        }
        {
            let state = self.read();
            check_username_free(&state, &email, None)?;
        }
        let hash = credentials::hash_password(&request.password)?;
        let mut guard = self.write();
        let state = &mut *guard;
        check_username_free(state, &email, None)?;
        let mut deltas = Vec::new();
        let patient_id = match &request.patient_id {
            Some(id) if id.trim().is_empty() => {
                return Err(Error::invalid_input("a patient id must not be empty"))
            }
            Some(id) if state.patients.contains_key(id) || state.merges.contains_key(id) => {
                return Err(crate::journal::duplicate("patient", id))
            }
            Some(id) => id.clone(),
            None => loop {
                let id = self.generate_id(state, "pat", &mut deltas);
                if !state.patients.contains_key(&id) && !state.merges.contains_key(&id) {
                    break id;
                }
            },
        };
        let account_id = self.new_account_id(state, request.account_id.as_deref(), &mut deltas)?;
        let patient = Patient {
            id: patient_id.clone(),
            first_name: request.first_name.trim().to_owned(),
            last_name: request.last_name.trim().to_owned(),
            birth_date: request.birth_date,
            email: Some(email.clone()),
            allowed_practitioners: Vec::new(),
            default_insurance: None,
            referral_type: request.referral_type.clone(),
        };
        let account = Account::from_parts(account_id.clone(), email, hash, now);
        check_account_identity(state, &account)?;
        let signup = Signup {
            id: patient_id.clone(),
            patient: patient_id.clone(),
            account: account_id.clone(),
            referral_type: request.referral_type.clone(),
            created_at: now,
            reviewed_at: None,
        };
        deltas.push(Delta::PutPatient {
            patient: patient.clone(),
        });
        deltas.push(Delta::PutAccount {
            account: account.clone(),
        });
        deltas.push(Delta::PutLink {
            link: crate::accounts::AccountLink {
                account: account_id,
                patient: patient_id,
                relationship: Relationship::Own,
                active: true,
                created_at: now,
                revoked_at: None,
                awaits_confirmation: false,
            },
        });
        deltas.push(Delta::PutSignup {
            signup: signup.clone(),
        });
        if state.practice.config.portal.notifications.signup_to_clinic {
            let mut to = Recipients::default();
            to.add(clinic_address(&state.practice, None));
            let data = NotificationData::Signup(Box::new(crate::outbox::SignupNotice {
                patient: patient.clone(),
                account: account.id.clone(),
                referral_type: signup.referral_type.clone(),
            }));
            self.notify(state, &mut deltas, NotificationKind::Signup, to, data);
        }
        self.commit(state, deltas)?;
        Ok(SignupOutcome {
            account,
            patient,
            signup,
        })
    }

    /// The signups waiting for review, oldest first.
    pub fn review_queue(&self) -> Vec<Signup> {
        let mut out: Vec<Signup> = self
            .read()
            .signups
            .values()
            .filter(|s| s.reviewed_at.is_none())
            .cloned()
            .collect();
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        out
    }

    /// Staff mark a signup reviewed: it leaves the review queue.
    pub fn mark_signup_reviewed(&self, id: &str, now: DateTime<Utc>) -> Result<Signup> {
        check_instant("now", now)?;
        let mut guard = self.write();
        let state = &mut *guard;
        let signup = state
            .signups
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("signup", id))?;
        let signup = Signup {
            reviewed_at: Some(now),
            ..signup
        };
        self.commit(
            state,
            vec![Delta::PutSignup {
                signup: signup.clone(),
            }],
        )?;
        Ok(signup)
    }
}
