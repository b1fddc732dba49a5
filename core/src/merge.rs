//! Duplicate profiles and their merge (docs/accounts.md).
//!
//! [`Engine::find_duplicates`] proposes existing patients that may be the same person as
//! a given one, each with a score and the reasons:
//!
//! | reason | rule | score |
//! | --- | --- | --- |
//! | `same_email` | the e-mails on file are equal after username normalisation | 50 |
//! | `same_name_and_birth_date` | first and last names equal after trimming and full lower-casing, and the same birth date | 40 |
//! | `similar_name_and_birth_date` | the same birth date and the lower-cased "first last" names within Levenshtein distance 1 (one letter added, removed or changed: "Jon Smith" / "John Smith") | 25 |
//! | `similar_name` | names within Levenshtein distance 1 (or equal), without the same known birth date (one is missing, or they differ) | 15 |
//!
//! Scores add up; candidates come highest score first, then by id.
//!
//! [`Engine::merge_patients`] folds one profile into another in one journaled change,
//! losing nothing: appointments, holds, account links, invitations, consents, program
//! registrations and signup records move to the kept patient; blank fields of the kept
//! patient (e-mail, birth date, insurance, referral type) are filled from the merged one;
//! the merged patient is removed and a [`MergeRecord`] says what replaced it.
//!
//! # A merge grants no access
//!
//! A duplicate score is a guess from data anyone can type: a public signup carrying
//! someone else's e-mail, name and birth date scores like the real person. So a merge
//! never lets an account act for the kept patient by itself:
//!
//! - Every link that moves from the merged patient to the kept one, from an account that
//!   had no active link to the kept patient, arrives **awaiting confirmation**
//!   ([`AccountLink::awaits_confirmation`]): inactive, it grants nothing — no booking, no
//!   appointments in [`Engine::appointments_for_account`]. An account that already had an
//!   active link to the kept patient keeps that link as it was. The outcome lists the
//!   accounts whose links await confirmation ([`MergeOutcome::awaiting_confirmation`]).
//! - A waiting link becomes active only in one of two ways: staff confirm it
//!   ([`Engine::confirm_link`], or [`Engine::link_account`]), or the account proves it
//!   owns the kept patient's e-mail on file by accepting a self invitation sent there
//!   ([`Engine::invite`] with [`crate::InviteRequest::own`], accepted with
//!   [`crate::AcceptInvitation::into_account`]). Staff may also [`Engine::revoke_link`] it.
//! - Live invitations of the merged patient move for the record but expire at the merge
//!   (they were addressed for the other profile); staff resend the ones they still want,
//!   a self invitation then going to the kept patient's e-mail on file. A self invitation
//!   is only ever accepted while its address is the patient's e-mail on file.
//! - The kept patient's e-mail on file is never filled from a profile created by public
//!   signup: that address was never verified (the [`MergeRecord`] keeps it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::AccountLink;
use crate::credentials::normalize_username;
use crate::engine::{check_instant, State};
use crate::journal::Delta;
use crate::model::{Appointment, Patient};
use crate::{Engine, Error, Result};

/// Why a patient may be a duplicate.
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
pub enum DuplicateReason {
    /// Same normalised e-mail.
    SameEmail,
    /// Same case-folded first and last names and the same birth date.
    SameNameAndBirthDate,
    /// Names within Levenshtein distance 1 (case-folded) and the same birth date.
    SimilarNameAndBirthDate,
    /// Names within Levenshtein distance 1 (case-folded, or equal) without the same known
    /// birth date: near-identical names alone.
    SimilarName,
}

impl DuplicateReason {
    fn score(self) -> u32 {
        match self {
            DuplicateReason::SameEmail => 50,
            DuplicateReason::SameNameAndBirthDate => 40,
            DuplicateReason::SimilarNameAndBirthDate => 25,
            DuplicateReason::SimilarName => 15,
        }
    }
}

/// An existing patient that may be the same person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DuplicateCandidate {
    /// The existing patient's id.
    pub patient: String,
    /// The sum of the reasons' scores (higher: more likely the same person).
    pub score: u32,
    /// Why.
    pub reasons: Vec<DuplicateReason>,
}

/// What replaced a merged patient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRecord {
    /// The merged (removed) patient id.
    pub merged: String,
    /// The patient it was folded into.
    pub replaced_by: String,
    /// When.
    pub merged_at: DateTime<Utc>,
    /// The merged patient as it was.
    pub patient: Patient,
}

/// What a merge moved.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MergeOutcome {
    /// The kept patient after the merge.
    pub kept: Patient,
    /// The record left for the merged one.
    pub record: MergeRecord,
    /// Appointment ids moved.
    pub appointments: Vec<String>,
    /// Account ids whose links moved.
    pub links: Vec<String>,
    /// Invitation ids moved.
    pub invitations: Vec<String>,
    /// Account ids whose moved link awaits confirmation (see the
    /// [module documentation](crate::merge)): they cannot act for the kept patient yet.
    pub awaiting_confirmation: Vec<String>,
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether the Levenshtein distance over characters is at most 1.
fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Names longer than this are not compared (the distance is quadratic in the length).
    const MAX_NAME_CHARS: usize = 256;
    if a.len().abs_diff(b.len()) > 1 || a.len() > MAX_NAME_CHARS {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0) <= 1
}

fn reasons(p: &Patient, q: &Patient) -> Vec<DuplicateReason> {
    let mut out = Vec::new();
    let email = |x: &Patient| x.email.as_deref().and_then(|e| normalize_username(e).ok());
    if let (Some(a), Some(b)) = (email(p), email(q)) {
        if a == b {
            out.push(DuplicateReason::SameEmail);
        }
    }
    let same_birth_date = p.birth_date.is_some() && p.birth_date == q.birth_date;
    let same = fold(&p.first_name) == fold(&q.first_name)
        && fold(&p.last_name) == fold(&q.last_name)
        && !fold(&p.last_name).is_empty();
    let full = |x: &Patient| format!("{} {}", fold(&x.first_name), fold(&x.last_name));
    let similar = !fold(&p.last_name).is_empty() && (same || within_one_edit(&full(p), &full(q)));
    if same_birth_date && same {
        out.push(DuplicateReason::SameNameAndBirthDate);
    } else if same_birth_date && similar {
        out.push(DuplicateReason::SimilarNameAndBirthDate);
    } else if similar {
        out.push(DuplicateReason::SimilarName);
    }
    out
}

impl Engine {
    /// Existing patients that may be the same person as `patient` (docs/accounts.md; the rules
    /// are in the [module documentation](crate::merge)), highest score first.
    pub fn find_duplicates(&self, patient: &str) -> Result<Vec<DuplicateCandidate>> {
        let state = self.read();
        let p = state
            .patients
            .get(patient)
            .ok_or_else(|| Error::not_found("patient", patient))?;
        let mut out: Vec<DuplicateCandidate> = state
            .patients
            .values()
            .filter(|q| q.id != p.id)
            .filter_map(|q| {
                let reasons = reasons(p, q);
                (!reasons.is_empty()).then(|| DuplicateCandidate {
                    patient: q.id.clone(),
                    score: reasons.iter().map(|r| r.score()).sum(),
                    reasons,
                })
            })
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.patient.cmp(&b.patient)));
        Ok(out)
    }

    /// The patient a merged one was folded into, if it was.
    pub fn replaced_by(&self, patient: &str) -> Option<MergeRecord> {
        self.read().merges.get(patient).cloned()
    }

    /// Folds patient `merge` into patient `keep`, losing nothing but granting
    /// no access (see the [module documentation](crate::merge)): moved links of accounts
    /// not already linked to `keep` await confirmation. Refused (`invalid_input`) when both
    /// have an active `self` account from different accounts: revoke one first.
    pub fn merge_patients(
        &self,
        keep: &str,
        merge: &str,
        now: DateTime<Utc>,
    ) -> Result<MergeOutcome> {
        check_instant("now", now)?;
        if keep == merge {
            return Err(Error::invalid_input(
                "a patient cannot be merged into itself",
            ));
        }
        let mut guard = self.write();
        let state = &mut *guard;
        let kept = state
            .patients
            .get(keep)
            .cloned()
            .ok_or_else(|| Error::not_found("patient", keep))?;
        let merged = state
            .patients
            .get(merge)
            .cloned()
            .ok_or_else(|| Error::not_found("patient", merge))?;
        let own = |state: &State, p: &str| {
            state
                .links
                .values()
                .find(|l| l.patient == p && l.is_active_self())
                .map(|l| l.account.clone())
        };
        if let (Some(a), Some(b)) = (own(state, keep), own(state, merge)) {
            if a != b {
                return Err(Error::invalid_input(format!(
                    "patients `{keep}` and `{merge}` both have a self account (`{a}`, `{b}`); \
                     a patient has at most one (see docs/accounts.md): revoke one link first"
                )));
            }
        }
        let mut deltas = Vec::new();
        // Appointments (and with them the patient index).
        let moved: Vec<Appointment> = state
            .patient_appointments
            .get(merge)
            .into_iter()
            .flatten()
            .filter_map(|id| state.appointments.get(id))
            .map(|a| Appointment {
                patient: Some(keep.to_owned()),
                ..a
            })
            .collect();
        let appointments: Vec<String> = moved.iter().map(|a| a.id.clone()).collect();
        for appointment in moved {
            deltas.push(Delta::PutAppointment { appointment });
        }
        for h in state
            .holds
            .values()
            .filter(|h| h.patient.as_deref() == Some(merge))
        {
            let mut hold = h.clone();
            hold.patient = Some(keep.to_owned());
            deltas.push(Delta::PutHold { hold });
        }
        for e in state
            .waitlist
            .entries
            .values()
            .filter(|e| e.patient == merge)
        {
            let mut entry = Box::new(e.clone());
            entry.patient = keep.to_owned();
            deltas.push(Delta::PutWaitlistEntry { entry });
        }
        // Links: an account already linked to the kept patient keeps its active link; any
        // other moved link that granted (or awaited) access now awaits confirmation, and a
        // revoked one stays revoked.
        let mut links = Vec::new();
        let mut awaiting_confirmation = Vec::new();
        for l in state.links.values().filter(|l| l.patient == merge) {
            deltas.push(Delta::RemoveLink {
                account: l.account.clone(),
                patient: merge.to_owned(),
            });
            let existing = state.links.get(&(l.account.clone(), keep.to_owned()));
            let waits = l.active || l.awaits_confirmation;
            let replace = match existing {
                None => true,
                Some(e) => !e.active && !e.awaits_confirmation && waits,
            };
            if replace {
                deltas.push(Delta::PutLink {
                    link: AccountLink {
                        patient: keep.to_owned(),
                        active: false,
                        awaits_confirmation: waits,
                        ..l.clone()
                    },
                });
                if waits {
                    awaiting_confirmation.push(l.account.clone());
                }
            }
            links.push(l.account.clone());
        }
        let mut invitations = Vec::new();
        for i in state.invitations.values().filter(|i| i.patient == merge) {
            let mut invitation = i.clone();
            invitation.patient = keep.to_owned();
            if invitation.is_live(now) {
                invitation.created_at = invitation.created_at.min(now);
                invitation.expires_at = now;
            }
            invitations.push(invitation.id.clone());
            deltas.push(Delta::PutInvitation { invitation });
        }
        if let Some(c) = state.consents.get(merge) {
            if state
                .consents
                .get(keep)
                .is_none_or(|k| k.accepted_at < c.accepted_at)
            {
                deltas.push(Delta::PutConsent {
                    patient: keep.to_owned(),
                    consent: c.clone(),
                });
            }
        }
        for r in state.registrations.values().filter(|r| r.patient == merge) {
            let mut registration = r.clone();
            registration.patient = keep.to_owned();
            deltas.push(Delta::PutRegistration { registration });
        }
        for s in state.signups.values().filter(|s| s.patient == merge) {
            let mut signup = s.clone();
            signup.patient = keep.to_owned();
            signup.reviewed_at = signup.reviewed_at.or(Some(now));
            deltas.push(Delta::PutSignup { signup });
        }
        for r in state.merges.values().filter(|r| r.replaced_by == merge) {
            let mut record = r.clone();
            record.replaced_by = keep.to_owned();
            deltas.push(Delta::PutMerge { record });
        }
        let mut new_kept = kept.clone();
        // A signup's address was never verified: it does not become the e-mail on file
        // (to which self invitations, and so access, would go).
        let from_signup = state.signups.get(merge).is_some_and(|s| s.patient == merge);
        if !from_signup
            && new_kept
                .email
                .as_deref()
                .is_none_or(|e| e.trim().is_empty())
        {
            new_kept.email = merged.email.clone();
        }
        new_kept.birth_date = new_kept.birth_date.or(merged.birth_date);
        new_kept.default_insurance = new_kept
            .default_insurance
            .or_else(|| merged.default_insurance.clone());
        new_kept.referral_type = new_kept
            .referral_type
            .or_else(|| merged.referral_type.clone());
        if new_kept != kept {
            deltas.push(Delta::PutPatient {
                patient: new_kept.clone(),
            });
        }
        let record = MergeRecord {
            merged: merge.to_owned(),
            replaced_by: keep.to_owned(),
            merged_at: now,
            patient: merged,
        };
        deltas.push(Delta::PutMerge {
            record: record.clone(),
        });
        deltas.push(Delta::RemovePatient {
            id: merge.to_owned(),
        });
        self.commit(state, deltas)?;
        Ok(MergeOutcome {
            kept: new_kept,
            record,
            appointments,
            links,
            invitations,
            awaiting_confirmation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::within_one_edit;

    #[test]
    fn one_edit_means_one_insert_delete_or_change() {
        assert!(within_one_edit("jon smith", "john smith"));
        assert!(within_one_edit("john smith", "jon smith"));
        assert!(within_one_edit("john smith", "joan smith"));
        assert!(within_one_edit("ann", "ann"));
        assert!(!within_one_edit("jon smyth", "john smith"));
        assert!(!within_one_edit("ann", "anna lee"));
    }
}
