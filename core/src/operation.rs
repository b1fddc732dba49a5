//! Mutating operations described as JSON, for hosts that are not written in Rust (the C,
//! Python and Node bindings): [`Operation`] names one mutating method of [`Engine`] and
//! carries its arguments; [`Engine::execute`] runs it and [`Engine::plan_operation`]
//! plans it (see [`Engine::plan`] and docs/persistence.md), both returning the outcome as
//! JSON.
//!
//! # The JSON shape
//!
//! An operation is one JSON object. Its `op` member is the method's name; every other
//! member is one of the method's parameters, **named exactly as the Rust parameter** and
//! holding the value that parameter takes (a request struct stays a nested object under
//! its parameter name, e.g. `request`; it is never flattened). `now` is never in the
//! JSON: it is an argument of [`Engine::execute`] like of every time-dependent call.
//! Unknown members are refused, missing optional members are `null`/absent. Passwords
//! and tokens are JSON strings.
//!
//! ```json
//! {"op": "book", "request": {"patient": "ana", "service": "physio-30",
//!                            "start": "2027-02-01T15:00:00Z", "practitioner": "dr-a"}}
//! {"op": "link_account", "account": "acct-1", "patient": "ana", "relationship": "guardian"}
//! {"op": "drain_outbox"}
//! ```
//!
//! | `op` | parameters (besides `now`) | outcome |
//! | --- | --- | --- |
//! | `upsert_patient` | `patient` | `null` |
//! | `remove_patient` | `id` | the removed patient |
//! | `add_appointment` | `appointment` | `null` |
//! | `add_appointments` | `appointments` (array) | `null` |
//! | `update_appointment` | `appointment` | `null` |
//! | `remove_appointment` | `id` | the removed appointment |
//! | `import_fhir_appointment` | `resource` (FHIR `Appointment` JSON, as a string) | the appointment added |
//! | `hold` | `request` ([`HoldRequest`]) | the hold |
//! | `release_hold` | `request` ([`ReleaseHoldRequest`]) | the released hold |
//! | `purge_expired_holds` | — | how many were purged (number) |
//! | `book` | `request` ([`BookRequest`]) | the booking (`appointment`, `details`) |
//! | `accept` | `request` ([`DecisionRequest`]) | the booking |
//! | `decline` | `request` ([`DecisionRequest`]) | the booking |
//! | `cancel` | `request` ([`CancelRequest`]) | the cancel outcome |
//! | `reschedule` | `request` ([`RescheduleRequest`]) | the reschedule outcome |
//! | `intake_form_completed` | `patient`, `form` | the notification id, or `null` |
//! | `drain_outbox` | — | the notifications (array; see below) |
//! | `register_program` | `request` ([`RegistrationRequest`]) | the registration |
//! | `cancel_program_registration` | `id`, `actor` (optional) | the registration |
//! | `create_account` | `request` ([`NewAccount`]) | the account (see below) |
//! | `login` | `username`, `password` | the account |
//! | `change_password` | `account`, `current`, `new` | the account |
//! | `link_account` | `account`, `patient`, `relationship` | the link |
//! | `confirm_link` | `account`, `patient` | the link |
//! | `revoke_link` | `account`, `patient` | the link |
//! | `request_password_reset` | `username` | `null` |
//! | `reset_password` | `token`, `new` | the account |
//! | `invite` | `request` ([`InviteRequest`]) | the issued invitation (see below) |
//! | `resend_invitation` | `id` | the issued invitation |
//! | `delete_invitation` | `id` | the invitation |
//! | `accept_invitation` | `request` ([`AcceptInvitation`]) | the account |
//! | `bulk_invite` | — | `{"invited": [issued invitations], "skipped": {patient: reason}}` |
//! | `signup` | `request` ([`SignupRequest`]) | `{"account", "patient", "signup"}` |
//! | `mark_signup_reviewed` | `id` | the signup |
//! | `merge_patients` | `keep`, `merge` | the merge outcome |
//! | `reconfigure` | `config` | the reconfiguration report |
//! | `put_closure` | `closure` | the reconfiguration report |
//! | `remove_closure` | `id` | the reconfiguration report |
//! | `join_waitlist` | `request` ([`WaitlistRequest`]) | the entry |
//! | `leave_waitlist` | `id`, `actor` (optional) | the removed entry |
//! | `decline_waitlist_offer` | `id`, `actor` (optional) | the entry, waiting again |
//! | `process_waitlist` | — | what it did ([`crate::WaitlistProcessed`]) |
//!
//! # Outcomes
//!
//! The outcome is the Rust result serialised as it is elsewhere (a patient as in a
//! snapshot, a booking as `{"appointment", "details"}`…), with these exceptions, so that
//! no secret verifier ever leaves the engine and every secret the host must deliver does:
//!
//! - An **account** is `{"id", "username", "created_at"}`: never its password hash.
//! - An **invitation** is its public fields (`id`, `patient`, `relationship`, `email`,
//!   `created_at`, `expires_at`, `accepted_at`, `accepted_by`): never its token digest.
//! - An **issued invitation** (`invite`, `resend_invitation`, each of `bulk_invite`'s
//!   `invited`) is `{"invitation", "token", "notification"}`, `token` being the link token
//!   as a string: the only time it is shown.
//! - A **notification** drained from the outbox has, besides its serialised fields, a
//!   `"token"` string when it carries a link token (invitations and password resets), so
//!   that the host can put it in the link. Like in Rust, a notification restored from a
//!   snapshot or a stored journal has no token.
//!
//! A failing operation is the same [`Error`] the Rust call gives and changes nothing. JSON
//! that is not an operation is `invalid_input` ([`Operation::from_json`]).
//!
//! # The host loop
//!
//! Plan, make the change durable at its sequence number, then apply it (docs/persistence.md):
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use clinic_portal::{Engine, ErrorCode, Operation};
//!
//! let engine = Engine::from_json(r#"{"clinics": [{"id": "c", "time_zone": "UTC"}]}"#)?;
//! let now = Utc.with_ymd_and_hms(2027, 1, 15, 12, 0, 0).unwrap();
//! // The host's journal table: (seq, change as JSON), seq a unique key.
//! let mut journal: Vec<(u64, String)> = Vec::new();
//!
//! let op = Operation::from_json(
//!     r#"{"op": "upsert_patient", "patient": {"id": "ana", "email": "ana@example.test"}}"#,
//! )?;
//! let outcome = loop {
//!     let planned = engine.plan_operation(&op, now)?; // nothing applied yet
//!     let Some(change) = planned.change else { break planned.outcome }; // a read or a retry
//!     if journal.iter().any(|(seq, _)| *seq == change.seq) {
//!         continue; // another process stored this seq first: apply its change, plan again
//!     }
//!     journal.push((change.seq, serde_json::to_string(&change).unwrap()));
//!     match engine.apply(&change) {
//!         Ok(_) => break planned.outcome,
//!         Err(e) if e.code() == ErrorCode::StaleSequence => continue,
//!         Err(e) => return Err(e),
//!     }
//! };
//! assert_eq!(outcome, serde_json::Value::Null);
//! assert_eq!(engine.patient("ana")?.email.as_deref(), Some("ana@example.test"));
//! assert_eq!(journal[0].0, 1);
//!
//! // An operation that fails changes nothing and plans nothing.
//! let op = Operation::from_json(r#"{"op": "remove_patient", "id": "nobody"}"#)?;
//! assert_eq!(engine.plan_operation(&op, now).unwrap_err().code(), ErrorCode::NotFound);
//! // JSON that is not an operation is `invalid_input`.
//! let err = Operation::from_json(r#"{"op": "remove_patient", "name": "ana"}"#).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::InvalidInput);
//! # Ok::<(), clinic_portal::Error>(())
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::{Account, NewAccount, Relationship};
use crate::booking::{
    BookRequest, CancelRequest, DecisionRequest, HoldRequest, ReleaseHoldRequest, RescheduleRequest,
};
use crate::config::{Closure, Config};
use crate::credentials::{Password, SecretToken};
use crate::invitation::{AcceptInvitation, Invitation, InviteRequest, IssuedInvitation};
use crate::journal::Planned;
use crate::model::{Appointment, Patient};
use crate::outbox::Notification;
use crate::program::RegistrationRequest;
use crate::signup::SignupRequest;
use crate::waitlist::WaitlistRequest;
use crate::{Engine, Error, ErrorCode, Result};

/// One mutating operation of [`Engine`] and its arguments, read from JSON (see the
/// [module documentation](self) for the shape and every outcome). Each variant is the
/// method of the same name; its fields are the method's parameters, by name, except `now`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operation {
    /// [`Engine::upsert_patient`].
    UpsertPatient {
        /// The patient.
        patient: Patient,
    },
    /// [`Engine::remove_patient`].
    RemovePatient {
        /// Patient id.
        id: String,
    },
    /// [`Engine::add_appointment`].
    AddAppointment {
        /// The appointment.
        appointment: Appointment,
    },
    /// [`Engine::add_appointments`].
    AddAppointments {
        /// The appointments, in order.
        appointments: Vec<Appointment>,
    },
    /// [`Engine::update_appointment`].
    UpdateAppointment {
        /// The appointment.
        appointment: Appointment,
    },
    /// [`Engine::remove_appointment`].
    RemoveAppointment {
        /// Appointment id.
        id: String,
    },
    /// [`Engine::hold`].
    Hold {
        /// The request.
        request: HoldRequest,
    },
    /// [`Engine::release_hold`].
    ReleaseHold {
        /// The request.
        request: ReleaseHoldRequest,
    },
    /// [`Engine::purge_expired_holds`].
    PurgeExpiredHolds {},
    /// [`Engine::book`].
    Book {
        /// The request.
        request: BookRequest,
    },
    /// [`Engine::accept`].
    Accept {
        /// The request.
        request: DecisionRequest,
    },
    /// [`Engine::decline`].
    Decline {
        /// The request.
        request: DecisionRequest,
    },
    /// [`Engine::cancel`].
    Cancel {
        /// The request.
        request: CancelRequest,
    },
    /// [`Engine::reschedule`].
    Reschedule {
        /// The request.
        request: RescheduleRequest,
    },
    /// [`Engine::intake_form_completed`].
    IntakeFormCompleted {
        /// Patient id.
        patient: String,
        /// The form's name.
        form: String,
    },
    /// [`Engine::drain_outbox`].
    DrainOutbox {},
    /// [`Engine::register_program`].
    RegisterProgram {
        /// The request.
        request: RegistrationRequest,
    },
    /// [`Engine::cancel_program_registration`].
    CancelProgramRegistration {
        /// Registration id.
        id: String,
        /// The portal account acting; absent: the host's trusted staff side.
        #[serde(default)]
        actor: Option<String>,
    },
    /// [`Engine::create_account`].
    CreateAccount {
        /// The request.
        request: NewAccount,
    },
    /// [`Engine::login`].
    Login {
        /// The username.
        username: String,
        /// The password.
        password: Password,
    },
    /// [`Engine::change_password`].
    ChangePassword {
        /// Account id.
        account: String,
        /// The current password.
        current: Password,
        /// The new password.
        new: Password,
    },
    /// [`Engine::link_account`].
    LinkAccount {
        /// Account id.
        account: String,
        /// Patient id.
        patient: String,
        /// How they relate.
        relationship: Relationship,
    },
    /// [`Engine::confirm_link`].
    ConfirmLink {
        /// Account id.
        account: String,
        /// Patient id.
        patient: String,
    },
    /// [`Engine::revoke_link`].
    RevokeLink {
        /// Account id.
        account: String,
        /// Patient id.
        patient: String,
    },
    /// [`Engine::request_password_reset`].
    RequestPasswordReset {
        /// The username.
        username: String,
    },
    /// [`Engine::reset_password`].
    ResetPassword {
        /// The token from the link.
        token: SecretToken,
        /// The new password.
        new: Password,
    },
    /// [`Engine::invite`].
    Invite {
        /// The request.
        request: InviteRequest,
    },
    /// [`Engine::resend_invitation`].
    ResendInvitation {
        /// Invitation id.
        id: String,
    },
    /// [`Engine::delete_invitation`].
    DeleteInvitation {
        /// Invitation id.
        id: String,
    },
    /// [`Engine::accept_invitation`].
    AcceptInvitation {
        /// The request.
        request: AcceptInvitation,
    },
    /// [`Engine::bulk_invite`].
    BulkInvite {},
    /// [`Engine::signup`].
    Signup {
        /// The request.
        request: SignupRequest,
    },
    /// [`Engine::mark_signup_reviewed`].
    MarkSignupReviewed {
        /// Signup id.
        id: String,
    },
    /// [`Engine::merge_patients`].
    MergePatients {
        /// The patient kept.
        keep: String,
        /// The patient folded into it and removed.
        merge: String,
    },
    /// [`Engine::reconfigure`].
    Reconfigure {
        /// The new configuration.
        config: Box<Config>,
    },
    /// [`Engine::put_closure`].
    PutClosure {
        /// The closure (replaces the one with its id).
        closure: Closure,
    },
    /// [`Engine::remove_closure`].
    RemoveClosure {
        /// Closure id.
        id: String,
    },
    /// [`Engine::join_waitlist`].
    JoinWaitlist {
        /// The request.
        request: WaitlistRequest,
    },
    /// [`Engine::leave_waitlist`].
    LeaveWaitlist {
        /// Entry id.
        id: String,
        /// The portal account acting; absent: staff.
        #[serde(default)]
        actor: Option<String>,
    },
    /// [`Engine::decline_waitlist_offer`].
    DeclineWaitlistOffer {
        /// Entry id.
        id: String,
        /// The portal account acting; absent: staff.
        #[serde(default)]
        actor: Option<String>,
    },
    /// [`Engine::process_waitlist`].
    ProcessWaitlist {},
    /// [`Engine::import_fhir_appointment`].
    ImportFhirAppointment {
        /// The FHIR `Appointment` resource as JSON text.
        resource: String,
    },
}

impl Operation {
    /// Parses an operation from JSON: `invalid_input`, with the parser's message, when it
    /// is not JSON, names no known `op`, misses a parameter, has an unknown member or a
    /// value of the wrong type. A password or token is never quoted in the message.
    pub fn from_json(json: &str) -> Result<Operation> {
        serde_json::from_str(json)
            .map_err(|e| Error::invalid_input(format!("operation JSON does not parse: {e}")))
    }

    /// The operation's name, as in its `op` member (e.g. `"book"`).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::UpsertPatient { .. } => "upsert_patient",
            Operation::RemovePatient { .. } => "remove_patient",
            Operation::AddAppointment { .. } => "add_appointment",
            Operation::AddAppointments { .. } => "add_appointments",
            Operation::UpdateAppointment { .. } => "update_appointment",
            Operation::RemoveAppointment { .. } => "remove_appointment",
            Operation::Hold { .. } => "hold",
            Operation::ReleaseHold { .. } => "release_hold",
            Operation::PurgeExpiredHolds {} => "purge_expired_holds",
            Operation::Book { .. } => "book",
            Operation::Accept { .. } => "accept",
            Operation::Decline { .. } => "decline",
            Operation::Cancel { .. } => "cancel",
            Operation::Reschedule { .. } => "reschedule",
            Operation::IntakeFormCompleted { .. } => "intake_form_completed",
            Operation::DrainOutbox {} => "drain_outbox",
            Operation::RegisterProgram { .. } => "register_program",
            Operation::CancelProgramRegistration { .. } => "cancel_program_registration",
            Operation::CreateAccount { .. } => "create_account",
            Operation::Login { .. } => "login",
            Operation::ChangePassword { .. } => "change_password",
            Operation::LinkAccount { .. } => "link_account",
            Operation::ConfirmLink { .. } => "confirm_link",
            Operation::RevokeLink { .. } => "revoke_link",
            Operation::RequestPasswordReset { .. } => "request_password_reset",
            Operation::ResetPassword { .. } => "reset_password",
            Operation::Invite { .. } => "invite",
            Operation::ResendInvitation { .. } => "resend_invitation",
            Operation::DeleteInvitation { .. } => "delete_invitation",
            Operation::AcceptInvitation { .. } => "accept_invitation",
            Operation::BulkInvite {} => "bulk_invite",
            Operation::Signup { .. } => "signup",
            Operation::MarkSignupReviewed { .. } => "mark_signup_reviewed",
            Operation::MergePatients { .. } => "merge_patients",
            Operation::Reconfigure { .. } => "reconfigure",
            Operation::PutClosure { .. } => "put_closure",
            Operation::RemoveClosure { .. } => "remove_closure",
            Operation::JoinWaitlist { .. } => "join_waitlist",
            Operation::LeaveWaitlist { .. } => "leave_waitlist",
            Operation::DeclineWaitlistOffer { .. } => "decline_waitlist_offer",
            Operation::ProcessWaitlist {} => "process_waitlist",
            Operation::ImportFhirAppointment { .. } => "import_fhir_appointment",
        }
    }
}

/// An account as an outcome: never its password hash.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct AccountView<'a> {
    /// Account id.
    id: &'a str,
    /// The normalised username.
    username: &'a str,
    /// When it was created.
    created_at: DateTime<Utc>,
}

impl<'a> From<&'a Account> for AccountView<'a> {
    fn from(a: &'a Account) -> AccountView<'a> {
        AccountView {
            id: &a.id,
            username: &a.username,
            created_at: a.created_at,
        }
    }
}

/// An invitation as an outcome: never its token digest.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct InvitationView<'a> {
    /// Invitation id.
    id: &'a str,
    /// The patient it gives access to.
    patient: &'a str,
    /// The relationship the accepted invitation creates.
    relationship: Relationship,
    /// The invited address.
    email: &'a str,
    /// When it was sent (or last resent).
    created_at: DateTime<Utc>,
    /// When the link stops working.
    expires_at: DateTime<Utc>,
    /// When it was accepted, if it was.
    accepted_at: Option<DateTime<Utc>>,
    /// The account that accepted it, if any.
    accepted_by: Option<&'a str>,
}

impl<'a> From<&'a Invitation> for InvitationView<'a> {
    fn from(i: &'a Invitation) -> InvitationView<'a> {
        InvitationView {
            id: &i.id,
            patient: &i.patient,
            relationship: i.relationship,
            email: &i.email,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            accepted_by: i.accepted_by.as_deref(),
        }
    }
}

/// An issued invitation as an outcome: the token, as a string, for the link.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct IssuedView<'a> {
    /// The invitation.
    invitation: InvitationView<'a>,
    /// The one-time token for the link (shown once; only its digest is kept).
    token: &'a str,
    /// The id of the outbox notification that carries it.
    notification: u64,
}

impl<'a> From<&'a IssuedInvitation> for IssuedView<'a> {
    fn from(i: &'a IssuedInvitation) -> IssuedView<'a> {
        IssuedView {
            invitation: (&i.invitation).into(),
            token: i.token.expose(),
            notification: i.notification,
        }
    }
}

/// A drained notification as an outcome: its link token, when it has one, for the host
/// to deliver.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NotificationView<'a> {
    #[serde(flatten)]
    notification: &'a Notification,
    /// The one-time link token of an invitation or password reset; absent otherwise, and
    /// absent for a notification restored from storage (tokens are never stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

fn json<T: Serialize>(outcome: T) -> Result<Value> {
    serde_json::to_value(outcome).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("the outcome does not serialise: {e}"),
        )
    })
}

fn account(a: &Account) -> Result<Value> {
    json(AccountView::from(a))
}

impl Engine {
    /// Runs one [`Operation`] at `now` (ignored by the operations that take no `now`) and
    /// returns its outcome as JSON (see the [operation module](crate::operation) for each
    /// shape). It is exactly the Rust call: the same checks, the same error, the same
    /// change; a failing operation changes nothing.
    pub fn execute(&self, op: &Operation, now: DateTime<Utc>) -> Result<Value> {
        match op {
            Operation::UpsertPatient { patient } => json(self.upsert_patient(patient.clone())?),
            Operation::RemovePatient { id } => json(self.remove_patient(id)?),
            Operation::AddAppointment { appointment } => {
                json(self.add_appointment(appointment.clone())?)
            }
            Operation::AddAppointments { appointments } => {
                json(self.add_appointments(appointments.clone())?)
            }
            Operation::UpdateAppointment { appointment } => {
                json(self.update_appointment(appointment.clone())?)
            }
            Operation::RemoveAppointment { id } => json(self.remove_appointment(id)?),
            Operation::Hold { request } => json(self.hold(request, now)?),
            Operation::ReleaseHold { request } => json(self.release_hold(request)?),
            Operation::PurgeExpiredHolds {} => json(self.purge_expired_holds(now)),
            Operation::Book { request } => json(self.book(request, now)?),
            Operation::Accept { request } => json(self.accept(request, now)?),
            Operation::Decline { request } => json(self.decline(request, now)?),
            Operation::Cancel { request } => json(self.cancel(request, now)?),
            Operation::Reschedule { request } => json(self.reschedule(request, now)?),
            Operation::IntakeFormCompleted { patient, form } => {
                json(self.intake_form_completed(patient, form, now)?)
            }
            Operation::DrainOutbox {} => {
                let drained = self.drain_outbox();
                json(
                    drained
                        .iter()
                        .map(|n| NotificationView {
                            notification: n,
                            token: n.token.as_ref().map(SecretToken::expose),
                        })
                        .collect::<Vec<_>>(),
                )
            }
            Operation::RegisterProgram { request } => json(self.register_program(request, now)?),
            Operation::CancelProgramRegistration { id, actor } => {
                json(self.cancel_program_registration(id, actor.as_deref(), now)?)
            }
            Operation::CreateAccount { request } => account(&self.create_account(request, now)?),
            Operation::Login { username, password } => {
                account(&self.login(username, password, now)?)
            }
            Operation::ChangePassword {
                account: id,
                current,
                new,
            } => account(&self.change_password(id, current, new, now)?),
            Operation::LinkAccount {
                account,
                patient,
                relationship,
            } => json(self.link_account(account, patient, *relationship, now)?),
            Operation::ConfirmLink { account, patient } => {
                json(self.confirm_link(account, patient, now)?)
            }
            Operation::RevokeLink { account, patient } => {
                json(self.revoke_link(account, patient, now)?)
            }
            Operation::RequestPasswordReset { username } => {
                json(self.request_password_reset(username, now)?)
            }
            Operation::ResetPassword { token, new } => {
                account(&self.reset_password(token, new, now)?)
            }
            Operation::Invite { request } => json(IssuedView::from(&self.invite(request, now)?)),
            Operation::ResendInvitation { id } => {
                json(IssuedView::from(&self.resend_invitation(id, now)?))
            }
            Operation::DeleteInvitation { id } => {
                json(InvitationView::from(&self.delete_invitation(id)?))
            }
            Operation::AcceptInvitation { request } => {
                account(&self.accept_invitation(request, now)?)
            }
            Operation::BulkInvite {} => {
                #[derive(Serialize, schemars::JsonSchema)]
                struct BulkView<'a> {
                    invited: Vec<IssuedView<'a>>,
                    skipped: &'a std::collections::BTreeMap<String, crate::SkipReason>,
                }
                let report = self.bulk_invite(now)?;
                json(BulkView {
                    invited: report.invited.iter().map(IssuedView::from).collect(),
                    skipped: &report.skipped,
                })
            }
            Operation::Signup { request } => {
                #[derive(Serialize, schemars::JsonSchema)]
                struct SignupView<'a> {
                    account: AccountView<'a>,
                    patient: &'a Patient,
                    signup: &'a crate::Signup,
                }
                let outcome = self.signup(request, now)?;
                json(SignupView {
                    account: (&outcome.account).into(),
                    patient: &outcome.patient,
                    signup: &outcome.signup,
                })
            }
            Operation::MarkSignupReviewed { id } => json(self.mark_signup_reviewed(id, now)?),
            Operation::MergePatients { keep, merge } => {
                json(self.merge_patients(keep, merge, now)?)
            }
            Operation::Reconfigure { config } => json(self.reconfigure((**config).clone(), now)?),
            Operation::PutClosure { closure } => json(self.put_closure(closure.clone(), now)?),
            Operation::RemoveClosure { id } => json(self.remove_closure(id, now)?),
            Operation::JoinWaitlist { request } => json(self.join_waitlist(request, now)?),
            Operation::LeaveWaitlist { id, actor } => {
                json(self.leave_waitlist(id, actor.as_deref(), now)?)
            }
            Operation::DeclineWaitlistOffer { id, actor } => {
                json(self.decline_waitlist_offer(id, actor.as_deref(), now)?)
            }
            Operation::ProcessWaitlist {} => json(self.process_waitlist(now)?),
            Operation::ImportFhirAppointment { resource } => {
                json(self.import_fhir_appointment(resource)?)
            }
        }
    }

    /// Plans one [`Operation`] without applying it: `self.plan(|e| e.execute(op, now))`
    /// (see [`Engine::plan`] and the host loop in the [operation module](crate::operation)).
    pub fn plan_operation(&self, op: &Operation, now: DateTime<Utc>) -> Result<Planned<Value>> {
        self.plan(|e| e.execute(op, now))
    }
}
