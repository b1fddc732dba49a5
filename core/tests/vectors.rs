//! Runs the shared test vectors in `core/tests/vectors/*.json` (format: `vectors/README.md`).
//!
//! Every vector is one scenario: a configuration, patients, appointments and a list of
//! steps (search, explain, validate, changes, the booking lifecycle: hold, book,
//! accept, decline, cancel, reschedule, programs, outbox, journal; and the accounts,
//! invitations and families of docs/accounts.md). The same files are meant
//! for the C, Python and Node runners, so this runner only uses what every binding exposes,
//! and lifecycle requests are the engine's own request JSON, deserialized with serde.
//!
//! On top of what each step expects, the runner cross-checks search and explain:
//! every start a search returns must be explained as offered (same query, same `now`), by
//! each of its candidate practitioners at the slot's clinic; and every start an explain
//! step expects offered must come back from a search around it. Every step that expects
//! an error must leave the engine's snapshot unchanged, and after the last step the journal
//! must replay onto the initial snapshots to the current state. Random one-time tokens are
//! saved under names (`save_token_as`) and presented by name (`token_ref`); no password or
//! token a vector handled may ever appear in a snapshot, the journal or an error message.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clinic_portal::{
    AcceptInvitation, Account, Appointment, BookRequest, CancelRequest, Config, DecisionRequest,
    Engine, Error, HoldRequest, InviteRequest, IssuedInvitation, NewAccount, Password, Patient,
    RegistrationRequest, Relationship, RescheduleRequest, SecretToken, Severity, SignupRequest,
    SlotQuery,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A folder with fewer vectors than this is a broken checkout, not a passing suite.
const MIN_VECTORS: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    #[allow(dead_code)]
    description: String,
    config: serde_json::Value,
    #[serde(default)]
    patients: Vec<Patient>,
    #[serde(default)]
    appointments: Vec<Appointment>,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Step {
    Search {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        query: SlotQuery,
        expect: SearchExpect,
    },
    Explain {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        query: SlotQuery,
        start: DateTime<Utc>,
        expect: ExplainExpect,
    },
    Validate {
        #[serde(default)]
        note: Option<String>,
        expect: ValidateExpect,
    },
    AddAppointment {
        #[serde(default)]
        note: Option<String>,
        appointment: Appointment,
        #[serde(default)]
        expect: OpExpect,
    },
    UpdateAppointment {
        #[serde(default)]
        note: Option<String>,
        appointment: Appointment,
        #[serde(default)]
        expect: OpExpect,
    },
    RemoveAppointment {
        #[serde(default)]
        note: Option<String>,
        id: String,
        #[serde(default)]
        expect: OpExpect,
    },
    UpsertPatient {
        #[serde(default)]
        note: Option<String>,
        patient: Patient,
        #[serde(default)]
        expect: OpExpect,
    },
    Hold {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: HoldRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Book {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: BookRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Accept {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: DecisionRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Decline {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: DecisionRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Cancel {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: CancelRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Reschedule {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: RescheduleRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    RegisterProgram {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: RegistrationRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    CancelProgramRegistration {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        actor: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    JoinWaitlist {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: clinic_portal::WaitlistRequest,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    LeaveWaitlist {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        actor: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    DeclineWaitlistOffer {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        actor: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ProcessWaitlist {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Waitlist {
        #[serde(default)]
        note: Option<String>,
        expect: Map<String, Value>,
    },
    DrainOutbox {
        #[serde(default)]
        note: Option<String>,
        expect: Vec<NotificationExpect>,
    },
    JournalReplay {
        #[serde(default)]
        note: Option<String>,
    },
    CreateAccount {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: NewAccountJson,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Login {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        username: String,
        password: Text,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ChangePassword {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        account: String,
        current: Text,
        new: Text,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    LinkAccount {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        account: String,
        patient: String,
        relationship: Relationship,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    RevokeLink {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        account: String,
        patient: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ConfirmLink {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        account: String,
        patient: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    AppointmentsForAccount {
        #[serde(default)]
        note: Option<String>,
        account: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    FhirAppointment {
        #[serde(default)]
        note: Option<String>,
        id: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ImportFhirAppointment {
        #[serde(default)]
        note: Option<String>,
        resource: Value,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    IcalAppointment {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        actor: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Invite {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: InviteRequest,
        #[serde(default)]
        save_token_as: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ResendInvitation {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        save_token_as: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    DeleteInvitation {
        #[serde(default)]
        note: Option<String>,
        id: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    AcceptInvitation {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        #[serde(default)]
        token_ref: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        password: Option<Text>,
        #[serde(default)]
        authenticated_account: Option<String>,
        #[serde(default)]
        account_id: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    BulkInvite {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        /// Patient id → the name its invitation's token is saved under.
        #[serde(default)]
        save_tokens_as: BTreeMap<String, String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    RequestPasswordReset {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        username: String,
        #[serde(default)]
        save_token_as: Option<String>,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ResetPassword {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        #[serde(default)]
        token_ref: Option<String>,
        #[serde(default)]
        token: Option<String>,
        password: Text,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    Signup {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        request: SignupJson,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    ReviewQueue {
        #[serde(default)]
        note: Option<String>,
        expect: Map<String, Value>,
    },
    MarkSignupReviewed {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        id: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
    FindDuplicates {
        #[serde(default)]
        note: Option<String>,
        patient: String,
        expect: Map<String, Value>,
    },
    MergePatients {
        #[serde(default)]
        note: Option<String>,
        now: DateTime<Utc>,
        keep: String,
        merge: String,
        #[serde(default)]
        expect: Map<String, Value>,
    },
}

impl Step {
    fn op(&self) -> &'static str {
        match self {
            Step::Search { .. } => "search",
            Step::Explain { .. } => "explain",
            Step::Validate { .. } => "validate",
            Step::AddAppointment { .. } => "add_appointment",
            Step::UpdateAppointment { .. } => "update_appointment",
            Step::RemoveAppointment { .. } => "remove_appointment",
            Step::UpsertPatient { .. } => "upsert_patient",
            Step::Hold { .. } => "hold",
            Step::Book { .. } => "book",
            Step::Accept { .. } => "accept",
            Step::Decline { .. } => "decline",
            Step::Cancel { .. } => "cancel",
            Step::Reschedule { .. } => "reschedule",
            Step::RegisterProgram { .. } => "register_program",
            Step::CancelProgramRegistration { .. } => "cancel_program_registration",
            Step::JoinWaitlist { .. } => "join_waitlist",
            Step::LeaveWaitlist { .. } => "leave_waitlist",
            Step::DeclineWaitlistOffer { .. } => "decline_waitlist_offer",
            Step::ProcessWaitlist { .. } => "process_waitlist",
            Step::Waitlist { .. } => "waitlist",
            Step::DrainOutbox { .. } => "drain_outbox",
            Step::JournalReplay { .. } => "journal_replay",
            Step::CreateAccount { .. } => "create_account",
            Step::Login { .. } => "login",
            Step::ChangePassword { .. } => "change_password",
            Step::LinkAccount { .. } => "link_account",
            Step::RevokeLink { .. } => "revoke_link",
            Step::ConfirmLink { .. } => "confirm_link",
            Step::AppointmentsForAccount { .. } => "appointments_for_account",
            Step::FhirAppointment { .. } => "fhir_appointment",
            Step::ImportFhirAppointment { .. } => "import_fhir_appointment",
            Step::IcalAppointment { .. } => "ical_appointment",
            Step::Invite { .. } => "invite",
            Step::ResendInvitation { .. } => "resend_invitation",
            Step::DeleteInvitation { .. } => "delete_invitation",
            Step::AcceptInvitation { .. } => "accept_invitation",
            Step::BulkInvite { .. } => "bulk_invite",
            Step::RequestPasswordReset { .. } => "request_password_reset",
            Step::ResetPassword { .. } => "reset_password",
            Step::Signup { .. } => "signup",
            Step::ReviewQueue { .. } => "review_queue",
            Step::MarkSignupReviewed { .. } => "mark_signup_reviewed",
            Step::FindDuplicates { .. } => "find_duplicates",
            Step::MergePatients { .. } => "merge_patients",
        }
    }

    fn note(&self) -> Option<&str> {
        match self {
            Step::Search { note, .. }
            | Step::Explain { note, .. }
            | Step::Validate { note, .. }
            | Step::AddAppointment { note, .. }
            | Step::UpdateAppointment { note, .. }
            | Step::RemoveAppointment { note, .. }
            | Step::UpsertPatient { note, .. }
            | Step::Hold { note, .. }
            | Step::Book { note, .. }
            | Step::Accept { note, .. }
            | Step::Decline { note, .. }
            | Step::Cancel { note, .. }
            | Step::Reschedule { note, .. }
            | Step::RegisterProgram { note, .. }
            | Step::CancelProgramRegistration { note, .. }
            | Step::JoinWaitlist { note, .. }
            | Step::LeaveWaitlist { note, .. }
            | Step::DeclineWaitlistOffer { note, .. }
            | Step::ProcessWaitlist { note, .. }
            | Step::Waitlist { note, .. }
            | Step::DrainOutbox { note, .. }
            | Step::JournalReplay { note }
            | Step::CreateAccount { note, .. }
            | Step::Login { note, .. }
            | Step::ChangePassword { note, .. }
            | Step::LinkAccount { note, .. }
            | Step::RevokeLink { note, .. }
            | Step::ConfirmLink { note, .. }
            | Step::AppointmentsForAccount { note, .. }
            | Step::FhirAppointment { note, .. }
            | Step::ImportFhirAppointment { note, .. }
            | Step::IcalAppointment { note, .. }
            | Step::Invite { note, .. }
            | Step::ResendInvitation { note, .. }
            | Step::DeleteInvitation { note, .. }
            | Step::AcceptInvitation { note, .. }
            | Step::BulkInvite { note, .. }
            | Step::RequestPasswordReset { note, .. }
            | Step::ResetPassword { note, .. }
            | Step::Signup { note, .. }
            | Step::ReviewQueue { note, .. }
            | Step::MarkSignupReviewed { note, .. }
            | Step::FindDuplicates { note, .. }
            | Step::MergePatients { note, .. } => note.as_deref(),
        }
    }

    /// Whether the step expects the operation to fail: the runner then checks that the
    /// engine's snapshot is the same before and after (docs/errors.md: a failed operation
    /// changes nothing).
    fn expects_error(&self) -> bool {
        match self {
            Step::Search { expect, .. } => expect.error.is_some(),
            Step::Explain { expect, .. } => expect.error.is_some(),
            Step::AddAppointment { expect, .. }
            | Step::UpdateAppointment { expect, .. }
            | Step::RemoveAppointment { expect, .. }
            | Step::UpsertPatient { expect, .. } => expect.error.is_some(),
            Step::Hold { expect, .. }
            | Step::Book { expect, .. }
            | Step::Accept { expect, .. }
            | Step::Decline { expect, .. }
            | Step::Cancel { expect, .. }
            | Step::Reschedule { expect, .. }
            | Step::RegisterProgram { expect, .. }
            | Step::CancelProgramRegistration { expect, .. }
            | Step::JoinWaitlist { expect, .. }
            | Step::LeaveWaitlist { expect, .. }
            | Step::DeclineWaitlistOffer { expect, .. }
            | Step::ProcessWaitlist { expect, .. }
            | Step::Waitlist { expect, .. }
            | Step::CreateAccount { expect, .. }
            | Step::Login { expect, .. }
            | Step::ChangePassword { expect, .. }
            | Step::LinkAccount { expect, .. }
            | Step::RevokeLink { expect, .. }
            | Step::ConfirmLink { expect, .. }
            | Step::AppointmentsForAccount { expect, .. }
            | Step::FhirAppointment { expect, .. }
            | Step::ImportFhirAppointment { expect, .. }
            | Step::IcalAppointment { expect, .. }
            | Step::Invite { expect, .. }
            | Step::ResendInvitation { expect, .. }
            | Step::DeleteInvitation { expect, .. }
            | Step::AcceptInvitation { expect, .. }
            | Step::BulkInvite { expect, .. }
            | Step::RequestPasswordReset { expect, .. }
            | Step::ResetPassword { expect, .. }
            | Step::Signup { expect, .. }
            | Step::ReviewQueue { expect, .. }
            | Step::MarkSignupReviewed { expect, .. }
            | Step::FindDuplicates { expect, .. }
            | Step::MergePatients { expect, .. } => expect.contains_key("error"),
            Step::Validate { .. } | Step::DrainOutbox { .. } | Step::JournalReplay { .. } => false,
        }
    }
}

/// One expected notification of a `drain_outbox` step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationExpect {
    kind: String,
    recipients: Vec<String>,
    /// A subset of the notification's `data`.
    #[serde(default)]
    data: Option<Value>,
    /// The notification must carry the token saved under this name.
    #[serde(default)]
    token_ref: Option<String>,
    /// Save the notification's token under this name.
    #[serde(default)]
    save_token_as: Option<String>,
}

/// A password or other text: a plain string, or `{"repeat": "ab", "times": 3}` for
/// `"ababab"` (long passwords without kilobyte-long literals).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Text {
    Plain(String),
    Repeat(RepeatText),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepeatText {
    repeat: String,
    times: usize,
}

impl Text {
    fn text(&self) -> String {
        match self {
            Text::Plain(s) => s.clone(),
            Text::Repeat(r) => r.repeat.repeat(r.times),
        }
    }
}

/// `NewAccount` (not `Deserialize` in the engine: its password is a `Password`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccountJson {
    #[serde(default)]
    id: Option<String>,
    username: String,
    password: Text,
    #[serde(default)]
    patient: Option<String>,
    #[serde(default)]
    relationship: Option<Relationship>,
}

/// `SignupRequest` (not `Deserialize` in the engine: its password is a `Password`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignupJson {
    email: String,
    password: Text,
    first_name: String,
    last_name: String,
    #[serde(default)]
    birth_date: Option<NaiveDate>,
    #[serde(default)]
    referral_type: Option<String>,
    #[serde(default)]
    patient_id: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchExpect {
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    starts: Option<Vec<String>>,
    #[serde(default)]
    practitioners: Option<Vec<Vec<String>>>,
    #[serde(default)]
    clinics: Option<Vec<String>>,
    #[serde(default)]
    remaining: Option<Vec<u32>>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainExpect {
    #[serde(default)]
    offered: Option<bool>,
    #[serde(default)]
    rule: Option<u8>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateExpect {
    errors: Vec<String>,
    warnings: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpExpect {
    #[serde(default)]
    error: Option<String>,
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Every `*.json` directly in `dir`, sorted by name.
fn vector_files_in(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read the vectors folder {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())))
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn vector_files() -> Vec<PathBuf> {
    vector_files_in(&vectors_dir())
}

fn code(e: &Error) -> &'static str {
    e.code().as_str()
}

/// Compares an outcome with an expected error code (`None`: success expected).
fn check_error<T>(result: &Result<T, Error>, expected: Option<&str>) -> Result<(), String> {
    match (result, expected) {
        (Ok(_), None) => Ok(()),
        (Ok(_), Some(want)) => Err(format!("expected error `{want}`, got success")),
        (Err(e), None) => Err(format!("unexpected error {e}")),
        (Err(e), Some(want)) if code(e) == want => Ok(()),
        (Err(e), Some(want)) => Err(format!("expected error `{want}`, got {e}")),
    }
}

struct Run<'a> {
    file: &'a str,
    config: Config,
    built: Result<Engine, Error>,
    /// Snapshots to replay the journal onto (`journal_replay`): the engine right after
    /// `Engine::new`, and right after loading the vector's patients and appointments.
    initial: Vec<(&'static str, String)>,
    /// One-time tokens saved by `save_token_as`, by name.
    tokens: RefCell<BTreeMap<String, SecretToken>>,
    /// Every password and token a step handed to or got from the engine: none may ever
    /// appear in a snapshot.
    secrets: RefCell<Vec<String>>,
}

/// `want` must be a subset of `got`: every key of an expected object exists in the
/// outcome with a matching value (recursively), arrays match element by element, and two
/// strings that are both RFC 3339 instants match when they are the same instant.
fn subset(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, value) in w {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let actual = g
                    .get(key)
                    .ok_or_else(|| format!("the outcome has no field `{at}`"))?;
                subset(value, actual, &at)?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!(
                    "`{path}`: expected {} item(s), got {}: {got}",
                    w.len(),
                    g.len()
                ));
            }
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                subset(a, b, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::String(w), Value::String(g)) if w != g => {
            match (
                DateTime::parse_from_rfc3339(w),
                DateTime::parse_from_rfc3339(g),
            ) {
                (Ok(a), Ok(b)) if a == b => Ok(()),
                _ => Err(format!("`{path}`: expected {want}, got {got}")),
            }
        }
        _ if want == got => Ok(()),
        _ => Err(format!("`{path}`: expected {want}, got {got}")),
    }
}

/// Checks the outcome of a booking-lifecycle step against its `expect`: either
/// `{"error": "code"}` (with an optional `"rule": N`, which the message must cite as
/// `rule N (name):`), or a subset of the outcome's JSON (see [`subset`]).
fn check_outcome<T>(
    result: Result<T, Error>,
    expect: &Map<String, Value>,
    view: impl FnOnce(&T) -> Value,
) -> Result<(), String> {
    if let Some(want) = expect.get("error") {
        if let Some(extra) = expect.keys().find(|k| *k != "error" && *k != "rule") {
            return Err(format!(
                "an `expect` with `error` may only add `rule`, not `{extra}`"
            ));
        }
        let want = want.as_str().ok_or("`error` must be a string")?;
        check_error(&result, Some(want))?;
        if let (Some(rule), Err(e)) = (expect.get("rule"), &result) {
            let rule = rule.as_u64().ok_or("`rule` must be a number")?;
            let cite = format!("rule {rule} (");
            if !e.message().contains(&cite) {
                return Err(format!("expected the message to cite `{cite}`, got {e}"));
            }
        }
        return Ok(());
    }
    if expect.contains_key("rule") {
        return Err("`rule` goes with `error` only".to_owned());
    }
    let value = result.map_err(|e| format!("unexpected error {e}"))?;
    let got = view(&value);
    subset(&Value::Object(expect.clone()), &got, "")
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The JSON of a value without its stored secrets (`password_hash`, `token_digest`), at any
/// depth: outcomes are compared on their non-secret fields only.
fn public_json<T: Serialize>(value: &T) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("password_hash");
                m.remove("token_digest");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = to_json(value);
    strip(&mut v);
    v
}

fn account_view(account: &Account) -> Value {
    public_json(account)
}

/// An issued invitation without its token: `{"invitation": {…}, "notification": id}`.
fn issued_view(issued: &IssuedInvitation) -> Value {
    json!({"invitation": public_json(&issued.invitation), "notification": issued.notification})
}

impl Run<'_> {
    fn engine(&self) -> Result<&Engine, String> {
        self.built
            .as_ref()
            .map_err(|e| format!("the configuration does not load: {e}"))
    }

    fn step(&self, step: &Step) -> Result<(), String> {
        match step {
            Step::Search {
                now, query, expect, ..
            } => self.search(query, *now, expect),
            Step::Explain {
                now,
                query,
                start,
                expect,
                ..
            } => self.explain(query, *start, *now, expect),
            Step::Validate { expect, .. } => self.validate(expect),
            Step::AddAppointment {
                appointment,
                expect,
                ..
            } => check_error(
                &self.engine()?.add_appointment(appointment.clone()),
                expect.error.as_deref(),
            ),
            Step::UpdateAppointment {
                appointment,
                expect,
                ..
            } => check_error(
                &self.engine()?.update_appointment(appointment.clone()),
                expect.error.as_deref(),
            ),
            Step::RemoveAppointment { id, expect, .. } => check_error(
                &self.engine()?.remove_appointment(id),
                expect.error.as_deref(),
            ),
            Step::UpsertPatient {
                patient, expect, ..
            } => check_error(
                &self.engine()?.upsert_patient(patient.clone()),
                expect.error.as_deref(),
            ),
            Step::Hold {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.hold(request, *now), expect, to_json),
            Step::Book {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.book(request, *now), expect, to_json),
            Step::Accept {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.accept(request, *now), expect, to_json),
            Step::Decline {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.decline(request, *now), expect, to_json),
            Step::Cancel {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.cancel(request, *now), expect, to_json),
            Step::Reschedule {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.reschedule(request, *now), expect, to_json),
            Step::RegisterProgram {
                now,
                request,
                expect,
                ..
            } => check_outcome(
                self.engine()?.register_program(request, *now),
                expect,
                to_json,
            ),
            Step::CancelProgramRegistration {
                now,
                id,
                actor,
                expect,
                ..
            } => check_outcome(
                self.engine()?
                    .cancel_program_registration(id, actor.as_deref(), *now),
                expect,
                to_json,
            ),
            Step::JoinWaitlist {
                now,
                request,
                expect,
                ..
            } => check_outcome(self.engine()?.join_waitlist(request, *now), expect, to_json),
            Step::LeaveWaitlist {
                now,
                id,
                actor,
                expect,
                ..
            } => check_outcome(
                self.engine()?.leave_waitlist(id, actor.as_deref(), *now),
                expect,
                to_json,
            ),
            Step::DeclineWaitlistOffer {
                now,
                id,
                actor,
                expect,
                ..
            } => check_outcome(
                self.engine()?
                    .decline_waitlist_offer(id, actor.as_deref(), *now),
                expect,
                to_json,
            ),
            Step::ProcessWaitlist { now, expect, .. } => {
                check_outcome(self.engine()?.process_waitlist(*now), expect, to_json)
            }
            Step::Waitlist { expect, .. } => check_outcome(
                Ok(self
                    .engine()?
                    .waitlist(&clinic_portal::WaitlistFilter::default())),
                expect,
                |entries| json!({"entries": entries}),
            ),
            Step::DrainOutbox { expect, .. } => self.drain_outbox(expect),
            Step::JournalReplay { .. } => self.journal_replay(),
            _ => self.account_step(step),
        }
    }

    /// The account operations of docs/accounts.md.
    fn account_step(&self, step: &Step) -> Result<(), String> {
        let engine = self.engine()?;
        match step {
            Step::CreateAccount {
                now,
                request,
                expect,
                ..
            } => {
                let mut new = NewAccount::new(request.username.clone(), self.secret(&request.password));
                new.id = request.id.clone();
                new.patient = request.patient.clone();
                if let Some(r) = request.relationship {
                    new.relationship = r;
                }
                self.outcome(engine.create_account(&new, *now), expect, account_view)
            }
            Step::Login {
                now,
                username,
                password,
                expect,
                ..
            } => self.outcome(
                engine.login(username, &self.secret(password), *now),
                expect,
                account_view,
            ),
            Step::ChangePassword {
                now,
                account,
                current,
                new,
                expect,
                ..
            } => self.outcome(
                engine.change_password(account, &self.secret(current), &self.secret(new), *now),
                expect,
                account_view,
            ),
            Step::LinkAccount {
                now,
                account,
                patient,
                relationship,
                expect,
                ..
            } => self.outcome(
                engine.link_account(account, patient, *relationship, *now),
                expect,
                to_json,
            ),
            Step::RevokeLink {
                now,
                account,
                patient,
                expect,
                ..
            } => self.outcome(engine.revoke_link(account, patient, *now), expect, to_json),
            Step::ConfirmLink {
                now,
                account,
                patient,
                expect,
                ..
            } => self.outcome(engine.confirm_link(account, patient, *now), expect, to_json),
            Step::AppointmentsForAccount {
                account, expect, ..
            } => self.outcome(engine.appointments_for_account(account), expect, |list| {
                json!({"appointments": list.iter().map(|a| a.id.as_str()).collect::<Vec<_>>()})
            }),
            Step::FhirAppointment { id, expect, .. } => {
                self.outcome(engine.fhir_appointment(id), expect, |text| {
                    serde_json::from_str(text).unwrap_or(Value::Null)
                })
            }
            Step::ImportFhirAppointment {
                resource, expect, ..
            } => self.outcome(
                engine.import_fhir_appointment(&resource.to_string()),
                expect,
                to_json,
            ),
            Step::IcalAppointment {
                now,
                id,
                actor,
                expect,
                ..
            } => self.outcome(
                engine.ical_appointment(id, actor.as_deref(), *now),
                expect,
                |text| json!({"lines": text.split("\r\n").filter(|l| !l.is_empty()).collect::<Vec<_>>()}),
            ),
            Step::Invite {
                now,
                request,
                save_token_as,
                expect,
                ..
            } => {
                let result = engine.invite(request, *now);
                if let (Ok(issued), Some(name)) = (&result, save_token_as) {
                    self.save_token(name, &issued.token)?;
                }
                self.outcome(result, expect, issued_view)
            }
            Step::ResendInvitation {
                now,
                id,
                save_token_as,
                expect,
                ..
            } => {
                let result = engine.resend_invitation(id, *now);
                if let (Ok(issued), Some(name)) = (&result, save_token_as) {
                    self.save_token(name, &issued.token)?;
                }
                self.outcome(result, expect, issued_view)
            }
            Step::DeleteInvitation { id, expect, .. } => {
                self.outcome(engine.delete_invitation(id), expect, public_json)
            }
            Step::AcceptInvitation {
                now,
                token_ref,
                token,
                password,
                authenticated_account,
                account_id,
                expect,
                ..
            } => {
                let request = AcceptInvitation {
                    token: self.token(token_ref, token)?,
                    password: password.as_ref().map(|p| self.secret(p)),
                    authenticated_account: authenticated_account.clone(),
                    account_id: account_id.clone(),
                };
                self.outcome(engine.accept_invitation(&request, *now), expect, account_view)
            }
            Step::BulkInvite {
                now,
                save_tokens_as,
                expect,
                ..
            } => {
                let result = engine.bulk_invite(*now);
                if let Ok(report) = &result {
                    for (patient, name) in save_tokens_as {
                        let issued = report
                            .invited
                            .iter()
                            .find(|i| &i.invitation.patient == patient)
                            .ok_or_else(|| {
                                format!("save_tokens_as: patient `{patient}` was not invited")
                            })?;
                        self.save_token(name, &issued.token)?;
                    }
                }
                self.outcome(result, expect, |report| {
                    let invited: Vec<Value> = report
                        .invited
                        .iter()
                        .map(|i| public_json(&i.invitation))
                        .collect();
                    let skipped: Vec<Value> = report
                        .skipped
                        .iter()
                        .map(|(p, r)| json!({"patient": p, "reason": r}))
                        .collect();
                    json!({"invited": invited, "skipped": skipped})
                })
            }
            Step::RequestPasswordReset {
                now,
                username,
                save_token_as,
                expect,
                ..
            } => {
                let last = engine.outbox().last().map_or(0, |n| n.id);
                let result = engine.request_password_reset(username, *now);
                if let (Ok(()), Some(name)) = (&result, save_token_as) {
                    let sent: Vec<SecretToken> = engine
                        .outbox()
                        .into_iter()
                        .filter(|n| n.id > last && n.kind.as_str() == "password_reset")
                        .filter_map(|n| n.token)
                        .collect();
                    match sent.as_slice() {
                        [token] => self.save_token(name, token)?,
                        _ => {
                            return Err(format!(
                                "save_token_as: expected one new password_reset notification \
                                 with a token, found {}",
                                sent.len()
                            ))
                        }
                    }
                }
                self.outcome(result, expect, |()| json!({}))
            }
            Step::ResetPassword {
                now,
                token_ref,
                token,
                password,
                expect,
                ..
            } => self.outcome(
                engine.reset_password(&self.token(token_ref, token)?, &self.secret(password), *now),
                expect,
                account_view,
            ),
            Step::Signup {
                now,
                request,
                expect,
                ..
            } => {
                let signup = SignupRequest {
                    email: request.email.clone(),
                    password: self.secret(&request.password),
                    first_name: request.first_name.clone(),
                    last_name: request.last_name.clone(),
                    birth_date: request.birth_date,
                    referral_type: request.referral_type.clone(),
                    patient_id: request.patient_id.clone(),
                    account_id: request.account_id.clone(),
                };
                self.outcome(engine.signup(&signup, *now), expect, |o| {
                    json!({"account": account_view(&o.account),
                           "patient": to_json(&o.patient),
                           "signup": to_json(&o.signup)})
                })
            }
            Step::ReviewQueue { expect, .. } => {
                self.outcome(Ok(engine.review_queue()), expect, |q| json!({"signups": q}))
            }
            Step::MarkSignupReviewed {
                now, id, expect, ..
            } => self.outcome(engine.mark_signup_reviewed(id, *now), expect, to_json),
            Step::FindDuplicates {
                patient, expect, ..
            } => self.outcome(engine.find_duplicates(patient), expect, |c| {
                json!({"candidates": c})
            }),
            Step::MergePatients {
                now,
                keep,
                merge,
                expect,
                ..
            } => self.outcome(engine.merge_patients(keep, merge, *now), expect, |o| {
                json!({"kept": o.kept, "record": o.record, "appointments": o.appointments,
                       "links": o.links, "invitations": o.invitations,
                       "awaiting_confirmation": o.awaiting_confirmation})
            }),
            _ => Err(format!("`{}` is not an account operation", step.op())),
        }
    }

    /// A password for the engine; its text is remembered as a secret (see `no_secrets`).
    fn secret(&self, text: &Text) -> Password {
        let text = text.text();
        if text.chars().count() >= 8 {
            self.secrets.borrow_mut().push(text.clone());
        }
        Password::new(text)
    }

    /// Saves a token under a name (each name once per vector).
    fn save_token(&self, name: &str, token: &SecretToken) -> Result<(), String> {
        let mut tokens = self.tokens.borrow_mut();
        if tokens.contains_key(name) {
            return Err(format!(
                "token name `{name}` is already used in this vector"
            ));
        }
        tokens.insert(name.to_owned(), token.clone());
        self.secrets.borrow_mut().push(token.expose().to_owned());
        Ok(())
    }

    /// The token a step presents: a saved one (`token_ref`) or a literal (`token`).
    fn token(
        &self,
        token_ref: &Option<String>,
        token: &Option<String>,
    ) -> Result<SecretToken, String> {
        match (token_ref, token) {
            (Some(name), None) => self
                .tokens
                .borrow()
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no token was saved as `{name}`")),
            (None, Some(literal)) => Ok(SecretToken::new(literal.clone())),
            _ => Err("give exactly one of `token_ref` and `token`".to_owned()),
        }
    }

    /// [`check_outcome`], after checking that an error message shows no secret.
    fn outcome<T>(
        &self,
        result: Result<T, Error>,
        expect: &Map<String, Value>,
        view: impl FnOnce(&T) -> Value,
    ) -> Result<(), String> {
        if let Err(e) = &result {
            self.no_secrets(&e.to_string(), "the error message")?;
        }
        check_outcome(result, expect, view)
    }

    /// No password or token seen so far may appear in `text`.
    fn no_secrets(&self, text: &str, what: &str) -> Result<(), String> {
        match self
            .secrets
            .borrow()
            .iter()
            .find(|s| text.contains(s.as_str()))
        {
            Some(s) => Err(format!(
                "{what} contains a password or token ({} characters)",
                s.chars().count()
            )),
            None => Ok(()),
        }
    }

    /// Runs a step; when it expects an error, also checks that the engine's snapshot is
    /// byte-identical before and after (docs/errors.md: a failed operation changes nothing).
    fn checked_step(&self, step: &Step) -> Result<(), String> {
        self.unchanged_on_error(step)?;
        if let Ok(engine) = &self.built {
            if !self.secrets.borrow().is_empty() {
                let snapshot = engine.snapshot();
                self.no_secrets(&snapshot, "the snapshot")?;
                let journal = engine
                    .changes_since(0)
                    .map_err(|e| format!("changes_since(0) failed: {e}"))?;
                self.no_secrets(&to_json(&journal).to_string(), "the journal")?;
                // docs/accounts.md: passwords are stored only as Argon2id hashes (in the
                // snapshot; an account's own JSON never shows the hash).
                let stored: Value = serde_json::from_str(&snapshot).map_err(|e| e.to_string())?;
                for account in stored["accounts"].as_array().into_iter().flatten() {
                    let hash = account["password_hash"].as_str().unwrap_or_default();
                    if !hash.starts_with("$argon2id$") {
                        return Err(format!(
                            "account `{}` does not store an Argon2id hash",
                            account["id"]
                        ));
                    }
                }
                for account in engine.accounts() {
                    if to_json(&account).get("password_hash").is_some() {
                        return Err(format!("account `{}` shows its hash", account.id));
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs a step; when it expects an error, also checks that the engine's snapshot is
    /// byte-identical before and after.
    fn unchanged_on_error(&self, step: &Step) -> Result<(), String> {
        let engine = match (&self.built, step.expects_error()) {
            (Ok(engine), true) => engine,
            _ => return self.step(step),
        };
        let before = engine.snapshot();
        self.step(step)?;
        let after = engine.snapshot();
        if before == after {
            Ok(())
        } else {
            Err(format!(
                "the operation failed as expected but changed the engine's snapshot\n  \
                 before {}\n  after  {}",
                first_difference(&before, &after),
                first_difference(&after, &before)
            ))
        }
    }

    fn drain_outbox(&self, expect: &[NotificationExpect]) -> Result<(), String> {
        let drained = self.engine()?.drain_outbox();
        let got: Vec<(&str, &[String])> = drained
            .iter()
            .map(|n| (n.kind.as_str(), n.recipients.as_slice()))
            .collect();
        let want: Vec<(&str, &[String])> = expect
            .iter()
            .map(|n| (n.kind.as_str(), n.recipients.as_slice()))
            .collect();
        if got != want {
            return Err(format!(
                "notifications differ\n  expected {want:?}\n  got      {got:?}"
            ));
        }
        for (i, (n, w)) in drained.iter().zip(expect).enumerate() {
            if let Some(data) = &w.data {
                subset(data, &n.data.to_json(), "data")
                    .map_err(|e| format!("notification {i} ({}): {e}", w.kind))?;
            }
            if let Some(name) = &w.token_ref {
                let want = self.token(&Some(name.clone()), &None)?;
                if n.token.as_ref() != Some(&want) {
                    return Err(format!(
                        "notification {i} ({}) does not carry the token saved as `{name}`",
                        w.kind
                    ));
                }
            }
            if let Some(name) = &w.save_token_as {
                let token = n.token.as_ref().ok_or_else(|| {
                    format!("notification {i} ({}) carries no token to save", w.kind)
                })?;
                self.save_token(name, token)?;
            }
        }
        Ok(())
    }

    /// Restores each initial snapshot, replays the journal since it, and compares with the
    /// engine's current snapshot.
    fn journal_replay(&self) -> Result<(), String> {
        let engine = self.engine()?;
        let now = engine.snapshot();
        for (label, snapshot) in &self.initial {
            let seq = serde_json::from_str::<Value>(snapshot)
                .ok()
                .and_then(|v| v["seq"].as_u64())
                .ok_or_else(|| format!("the {label} snapshot has no `seq`"))?;
            let replica = Engine::restore(snapshot)
                .map_err(|e| format!("restoring the {label} snapshot failed: {e}"))?;
            let changes = engine
                .changes_since(seq)
                .map_err(|e| format!("changes_since({seq}) failed: {e}"))?;
            for change in &changes {
                replica.apply(change).map_err(|e| {
                    format!(
                        "applying change {} onto the {label} snapshot failed: {e}",
                        change.seq
                    )
                })?;
            }
            let replayed = replica.snapshot();
            if replayed != now {
                return Err(format!(
                    "replaying {} change(s) onto the {label} snapshot does not reproduce the \
                     engine\n  engine   {}\n  replayed {}",
                    changes.len(),
                    first_difference(&now, &replayed),
                    first_difference(&replayed, &now)
                ));
            }
        }
        Ok(())
    }

    fn search(
        &self,
        query: &SlotQuery,
        now: DateTime<Utc>,
        expect: &SearchExpect,
    ) -> Result<(), String> {
        let engine = self.engine()?;
        let result = engine.search(query, now);
        if expect.error.is_some() {
            return check_error(&result, expect.error.as_deref());
        }
        let count = expect
            .count
            .ok_or("a search step expects `count` or `error`")?;
        let slots = result.map_err(|e| format!("unexpected error {e}"))?;
        let got_starts: Vec<String> = slots.iter().map(|s| s.start().to_rfc3339()).collect();
        if slots.len() != count {
            return Err(format!(
                "expected {count} slots, got {}: {got_starts:?}",
                slots.len()
            ));
        }
        if let Some(starts) = &expect.starts {
            if *starts != got_starts {
                return Err(format!(
                    "starts differ\n  expected {starts:?}\n  got      {got_starts:?}"
                ));
            }
        }
        if let Some(want) = &expect.practitioners {
            let got: Vec<Vec<String>> = slots
                .iter()
                .take(want.len())
                .map(|s| s.practitioner_ids().iter().map(|p| p.to_string()).collect())
                .collect();
            if *want != got {
                return Err(format!(
                    "practitioners differ\n  expected {want:?}\n  got      {got:?}"
                ));
            }
        }
        if let Some(want) = &expect.clinics {
            let got: Vec<&str> = slots.iter().take(want.len()).map(|s| s.clinic()).collect();
            if *want != got {
                return Err(format!(
                    "clinics differ\n  expected {want:?}\n  got      {got:?}"
                ));
            }
        }
        if let Some(want) = &expect.remaining {
            let got: Vec<u32> = slots
                .iter()
                .take(want.len())
                .map(|s| s.remaining_capacity())
                .collect();
            if *want != got {
                return Err(format!(
                    "remaining capacities differ\n  expected {want:?}\n  got      {got:?}"
                ));
            }
        }
        self.cross_check_search(engine, query, now, &slots)
    }

    /// Every returned start must be explained as offered.
    fn cross_check_search(
        &self,
        engine: &Engine,
        query: &SlotQuery,
        now: DateTime<Utc>,
        slots: &clinic_portal::Slots,
    ) -> Result<(), String> {
        for slot in slots.iter() {
            let label = slot.start().to_rfc3339();
            let start = slot.start().with_timezone(&Utc);
            let why = engine
                .explain(query, start, now)
                .map_err(|e| format!("cross-check: explain of {label} failed: {e}"))?;
            if !why.offered {
                return Err(format!(
                    "cross-check: search returned {label} but explain refuses it: {why:?}"
                ));
            }
            for candidate in slot.practitioner_ids() {
                let mut named = query.clone();
                named.practitioner = Some(candidate.to_owned());
                named.clinic = Some(slot.clinic().to_owned());
                let why = engine.explain(&named, start, now).map_err(|e| {
                    format!(
                        "cross-check: explain of {label} with {} failed: {e}",
                        candidate
                    )
                })?;
                let at = why
                    .practitioners
                    .iter()
                    .find(|v| v.practitioner == candidate);
                let clinic_ok = at.is_some_and(|v| v.clinic.as_deref() == Some(slot.clinic()));
                if !why.offered || !clinic_ok {
                    return Err(format!(
                        "cross-check: search offers {label} with `{}` at `{}`, explain says \
                         {why:?}",
                        candidate,
                        slot.clinic()
                    ));
                }
            }
        }
        Ok(())
    }

    fn explain(
        &self,
        query: &SlotQuery,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
        expect: &ExplainExpect,
    ) -> Result<(), String> {
        let engine = self.engine()?;
        let result = engine.explain(query, start, now);
        if expect.error.is_some() {
            return check_error(&result, expect.error.as_deref());
        }
        let why = result.map_err(|e| format!("unexpected error {e}"))?;
        let offered = expect
            .offered
            .ok_or("an explain step expects `offered` or `error`")?;
        if why.offered != offered {
            return Err(format!("expected offered = {offered}, got {why:?}"));
        }
        if offered {
            if expect.rule.is_some() {
                return Err("an offered start has no rule: drop `rule`".to_owned());
            }
            return self.cross_check_offered(engine, query, start, now);
        }
        let rule = expect
            .rule
            .ok_or("an explain step that expects a refusal must give `rule`")?;
        if why.rule != Some(rule) {
            return Err(format!(
                "expected rule {rule}, got rule {:?}: {} ({why:?})",
                why.rule, why.message
            ));
        }
        Ok(())
    }

    /// A start explained as offered must come back from a search of the days around it.
    fn cross_check_offered(
        &self,
        engine: &Engine,
        query: &SlotQuery,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let mut around = query.clone();
        let day = start.date_naive();
        around.from = day - Duration::days(1);
        around.to = day + Duration::days(1);
        let slots = engine
            .search(&around, now)
            .map_err(|e| format!("cross-check: search around {start} failed: {e}"))?;
        if slots.iter().any(|s| s.start_unix() == start.timestamp()) {
            Ok(())
        } else {
            Err(format!(
                "cross-check: explain offers {start} but a search of {} to {} does not return it",
                around.from, around.to
            ))
        }
    }

    fn validate(&self, expect: &ValidateExpect) -> Result<(), String> {
        let diagnostics = Engine::validate(&self.config);
        let paths = |severity: Severity| -> BTreeSet<String> {
            diagnostics
                .iter()
                .filter(|d| d.severity == severity)
                .map(|d| d.path.clone())
                .collect()
        };
        let (errors, warnings) = (paths(Severity::Error), paths(Severity::Warning));
        let want_errors: BTreeSet<String> = expect.errors.iter().cloned().collect();
        let want_warnings: BTreeSet<String> = expect.warnings.iter().cloned().collect();
        let listing = || {
            diagnostics
                .iter()
                .map(|d| format!("\n    {d}"))
                .collect::<String>()
        };
        if errors != want_errors || warnings != want_warnings {
            return Err(format!(
                "diagnostics differ\n  expected errors {want_errors:?}, warnings \
                 {want_warnings:?}\n  got{}",
                listing()
            ));
        }
        match (&self.built, want_errors.is_empty()) {
            (Ok(_), false) => Err("the configuration has errors but the engine was built".into()),
            (Err(e), false) if code(e) != "invalid_config" => Err(format!(
                "building the engine must fail with invalid_config, got {e}"
            )),
            (Err(e), true) => Err(format!("no errors expected, but the engine fails: {e}")),
            (Ok(engine), true) => {
                let live: BTreeSet<String> =
                    engine.warnings().iter().map(|d| d.path.clone()).collect();
                if live == want_warnings {
                    Ok(())
                } else {
                    Err(format!(
                        "Engine::warnings() {live:?} differ from validate's {want_warnings:?}"
                    ))
                }
            }
            (Err(_), false) => Ok(()),
        }
    }
}

/// Runs one vector; returns one message per failed step (or one for a broken file).
fn run_vector(path: &Path) -> Vec<String> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{file}: cannot read: {e}")],
    };
    let vector: Vector = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return vec![format!("{file}: not a valid vector: {e}")],
    };
    if vector.steps.is_empty() {
        return vec![format!("{file}: has no steps")];
    }
    let config = match Config::from_json(&vector.config.to_string()) {
        Ok(c) => c,
        Err(e) => return vec![format!("{file}: config: {e}")],
    };
    let built = Engine::new(config.clone());
    let mut run = Run {
        file: &file,
        config,
        built,
        initial: Vec::new(),
        tokens: RefCell::new(BTreeMap::new()),
        secrets: RefCell::new(Vec::new()),
    };
    if let Ok(engine) = &run.built {
        run.initial.push(("empty", engine.snapshot()));
    }
    let mut failures = Vec::new();
    if !vector.patients.is_empty() || !vector.appointments.is_empty() {
        let loaded = run.engine().and_then(|engine| {
            for p in &vector.patients {
                engine
                    .upsert_patient(p.clone())
                    .map_err(|e| format!("patient `{}`: {e}", p.id))?;
            }
            engine
                .add_appointments(vector.appointments.clone())
                .map_err(|e| format!("appointments: {e}"))
        });
        if let Err(e) = loaded {
            return vec![format!("{file} ({}): loading data: {e}", vector.name)];
        }
    }
    if let Ok(engine) = &run.built {
        run.initial.push(("loaded", engine.snapshot()));
    }
    for (i, step) in vector.steps.iter().enumerate() {
        if let Err(e) = run.checked_step(step) {
            let note = step.note().map(|n| format!(" [{n}]")).unwrap_or_default();
            failures.push(format!(
                "{} ({}) step {i} ({}){note}: {e}",
                run.file,
                vector.name,
                step.op()
            ));
        }
    }
    // Whatever the steps did, the journal must replay onto the initial snapshots.
    if run.built.is_ok() {
        if let Err(e) = run.journal_replay() {
            failures.push(format!(
                "{} ({}) after the last step (journal replay): {e}",
                run.file, vector.name
            ));
        }
    }
    failures
}

/// Up to 160 characters of `a` from a little before where it first differs from `b`.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    let from = a[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
    format!("…{}…", a[from..].chars().take(160).collect::<String>())
}

#[test]
fn shared_vectors() {
    let files = vector_files();
    assert!(
        files.len() >= MIN_VECTORS,
        "expected at least {MIN_VECTORS} vectors in {}, found {}",
        vectors_dir().display(),
        files.len()
    );
    let failures: Vec<String> = files.iter().flat_map(|f| run_vector(f)).collect();
    assert!(
        failures.is_empty(),
        "{} vector step(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn vector_names_are_unique_and_match_files() {
    let mut names = BTreeSet::new();
    for path in vector_files() {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let name = value["name"].as_str().unwrap_or_default().to_owned();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(
            name,
            stem,
            "{}: `name` must equal the file name",
            path.display()
        );
        assert!(names.insert(name), "{}: duplicate name", path.display());
    }
}
