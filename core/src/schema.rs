//! JSON Schemas (draft 2020-12) of the configuration and of every request and result the
//! engine takes or gives as JSON, generated from the Rust types with `schemars`.
//!
//! The repository commits them under `schema/` (one file per [`SCHEMAS`] entry, e.g.
//! `schema/config.json`), and a test regenerates them and fails on any difference
//! (`UPDATE_SCHEMA=1 cargo test -p clinic-portal --test schema` rewrites them). They
//! describe exactly what serde reads and writes: field names, which fields may be left
//! out and the default they then take, enumerations, and each type's documentation.
//! Bindings and hosts in other languages can validate against them or generate types.

use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;

use crate::accounts::{AccountLink, NewAccount};
use crate::availability::SlotQuery;
use crate::booking::{
    BookRequest, Booking, CancelOutcome, CancelRequest, DecisionRequest, Hold, HoldRequest,
    ReleaseHoldRequest, RescheduleOutcome, RescheduleRequest,
};
use crate::config::Config;
use crate::explain::{Explanation, ServiceReport};
use crate::invitation::{AcceptInvitation, InviteRequest};
use crate::journal::{Change, Snapshot};
use crate::merge::{DuplicateCandidate, MergeOutcome};
use crate::model::{Appointment, Patient};
use crate::operation::{AccountView, InvitationView, IssuedView, NotificationView, Operation};
use crate::program::{ProgramSession, Registration, RegistrationRequest};
use crate::reconfigure::Reconfiguration;
use crate::report::{AppointmentFilter, PendingItem, ReferralCount};
use crate::signup::{Signup, SignupRequest};
use crate::validate::Diagnostic;
use crate::waitlist::{
    WaitlistEntry, WaitlistFilter, WaitlistProcessed, WaitlistReport, WaitlistRequest,
};
use crate::widget::BookButton;

/// One offered slot as `Slots` and `Slot` serialise it (written by hand in
/// `availability.rs`; the schema test checks that the two agree).
#[derive(Serialize, JsonSchema)]
#[allow(dead_code)]
struct SlotJson {
    /// The clinic's id.
    clinic: String,
    /// The start, RFC 3339 in the clinic's zone (e.g. `2027-03-09T09:30:00-05:00`).
    start: String,
    /// The end, RFC 3339 in the clinic's zone.
    end: String,
    /// The start as Unix seconds.
    start_unix: i64,
    /// The end as Unix seconds.
    end_unix: i64,
    /// Places left at this start, over every practitioner who can take it.
    remaining_capacity: u32,
    /// The practitioners who can take it, in configuration order.
    practitioners: Vec<SlotCandidateJson>,
}

/// A practitioner who can take a slot.
#[derive(Serialize, JsonSchema)]
#[allow(dead_code)]
struct SlotCandidateJson {
    /// Practitioner id.
    practitioner: String,
    /// Places left at that start with this practitioner.
    remaining_capacity: u32,
}

/// One page of a search, as `Slots::to_page_json` writes it.
#[derive(Serialize, JsonSchema)]
#[allow(dead_code)]
struct SlotPage {
    /// The slots of this page, in start order.
    slots: Vec<SlotJson>,
    /// Whether more starts exist after this page (`SlotQuery::limit`).
    truncated: bool,
    /// The instant to continue from with `SlotQuery::after`, when truncated.
    next_after: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// A schema: its file name under `schema/` (without `.json`) and the generator.
pub type SchemaEntry = (&'static str, fn() -> serde_json::Value);

fn schema<T: JsonSchema>() -> serde_json::Value {
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

/// Every schema the repository commits, by file name.
pub const SCHEMAS: &[SchemaEntry] = &[
    ("config", schema::<Config>),
    ("diagnostic", schema::<Diagnostic>),
    ("slot-query", schema::<SlotQuery>),
    ("slots", schema::<Vec<SlotJson>>),
    ("slot-page", schema::<SlotPage>),
    ("explanation", schema::<Explanation>),
    ("service-report", schema::<ServiceReport>),
    ("patient", schema::<Patient>),
    ("appointment", schema::<Appointment>),
    ("hold-request", schema::<HoldRequest>),
    ("hold", schema::<Hold>),
    ("release-hold-request", schema::<ReleaseHoldRequest>),
    ("book-request", schema::<BookRequest>),
    ("booking", schema::<Booking>),
    ("decision-request", schema::<DecisionRequest>),
    ("cancel-request", schema::<CancelRequest>),
    ("cancel-outcome", schema::<CancelOutcome>),
    ("reschedule-request", schema::<RescheduleRequest>),
    ("reschedule-outcome", schema::<RescheduleOutcome>),
    ("registration-request", schema::<RegistrationRequest>),
    ("registration", schema::<Registration>),
    ("program-session", schema::<ProgramSession>),
    ("new-account", schema::<NewAccount>),
    ("account", schema::<AccountView<'static>>),
    ("account-link", schema::<AccountLink>),
    ("invite-request", schema::<InviteRequest>),
    ("invitation", schema::<InvitationView<'static>>),
    ("issued-invitation", schema::<IssuedView<'static>>),
    ("accept-invitation", schema::<AcceptInvitation>),
    ("signup-request", schema::<SignupRequest>),
    ("signup", schema::<Signup>),
    ("duplicate-candidate", schema::<DuplicateCandidate>),
    ("merge-outcome", schema::<MergeOutcome>),
    ("appointment-filter", schema::<AppointmentFilter>),
    ("pending-item", schema::<PendingItem>),
    ("referral-count", schema::<ReferralCount>),
    ("reconfiguration", schema::<Reconfiguration>),
    ("notification", schema::<NotificationView<'static>>),
    ("operation", schema::<Operation>),
    ("change", schema::<Change>),
    ("snapshot", schema::<Snapshot>),
    ("book-button", schema::<BookButton>),
    ("waitlist-request", schema::<WaitlistRequest>),
    ("waitlist-entry", schema::<WaitlistEntry>),
    ("waitlist-filter", schema::<WaitlistFilter>),
    ("waitlist-report", schema::<WaitlistReport>),
    ("waitlist-processed", schema::<WaitlistProcessed>),
];

/// The schema with this file name (see [`SCHEMAS`]), pretty-printed as committed.
pub fn schema_json(name: &str) -> Option<String> {
    SCHEMAS
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, make)| serde_json::to_string_pretty(&make()).ok())
        .map(|mut s| {
            s.push('\n');
            s
        })
}
