//! # clinic-portal
//!
//! An embeddable engine that lets a practice-management system offer patient-portal online
//! booking: which times a patient may book online, with whom, for what, under which clinic
//! policies — and why a time is not offered.
//!
//! The host keeps its database, staff UI and delivery. It builds one [`Engine`] per
//! practice from a [`Config`], loads its patients and appointments, and calls
//! [`Engine::search`] and [`Engine::explain`] with an explicit `now`. Nothing here does I/O
//! or reads the clock.
//!
//! The availability rules are numbered as in docs/rules.md; each lives in one
//! function of [`availability`], cited in its doc comment.
//!
//! The booking lifecycle (docs/booking.md) lives in [`booking`] ([`Engine::hold`], [`Engine::book`],
//! [`Engine::accept`], [`Engine::decline`], [`Engine::cancel`], [`Engine::reschedule`]) and
//! [`program`]; portal accounts, invitations and family links (docs/accounts.md) in [`accounts`],
//! [`credentials`], [`invitation`], [`signup`] and [`merge`]; notifications go to the [`outbox`]; every change is journaled and the whole
//! state can be snapshotted ([`journal`]); [`operation`] describes every mutating call as
//! JSON for hosts in other languages; staff reports are in [`report`]; the [`waitlist`] offers freed starts to waiting patients.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accounts;
pub mod availability;
pub mod booking;
pub mod config;
pub mod credentials;
mod engine;
pub mod error;
pub mod explain;
pub mod fhir;
pub mod ical;
mod integrity;
pub mod invitation;
pub mod journal;
pub mod merge;
pub mod model;
mod occupancy;
pub mod operation;
pub mod outbox;
mod policy;
mod practice;
pub mod program;
pub mod reconfigure;
mod recurrence;
pub mod report;
pub mod schema;
pub mod signup;
mod stored;
mod sweep;
pub mod validate;
pub mod waitlist;
pub mod widget;
mod zone;

pub use accounts::{Account, AccountLink, NewAccount, Relationship, ResetToken};
pub use availability::{Refusal, Slot, SlotCandidate, SlotCandidates, SlotQuery, Slots};
pub use booking::{
    BookRequest, Booking, BookingDetails, CancelOutcome, CancelRequest, Canceller, ConsentRecord,
    DecisionRequest, Hold, HoldRequest, ReleaseHoldRequest, RescheduleOutcome, RescheduleRequest,
};
pub use config::Config;
pub use credentials::{Password, SecretToken};
pub use engine::Engine;
pub use error::{Error, ErrorCode, Result};
pub use explain::{Explanation, PractitionerVerdict, ServiceReport};
pub use invitation::{
    AcceptInvitation, BulkInviteReport, Invitation, InviteRequest, IssuedInvitation, SkipReason,
};
pub use journal::{Change, Delta, Planned};
pub use merge::{DuplicateCandidate, DuplicateReason, MergeOutcome, MergeRecord};
pub use model::{Appointment, AppointmentStatus, Patient, Source};
pub use operation::Operation;
pub use outbox::{
    BookingNotice, CancellationNotice, DecisionNotice, IntakeFormNotice, InvitationNotice,
    Notification, NotificationData, NotificationKind, PasswordResetNotice, PatientName,
    ProgramRegistrationNotice, RescheduleNotice, SignupNotice,
};
pub use program::{ProgramSession, Registration, RegistrationRequest, RegistrationStatus};
pub use reconfigure::{Reconfiguration, StrandReason, StrandedAppointment};
pub use report::{AppointmentFilter, PendingItem, ReferralCount};
pub use signup::{Signup, SignupOutcome, SignupRequest};
pub use validate::{Diagnostic, Severity};
pub use waitlist::{
    PassedOffer, TimeWindow, WaitlistEntry, WaitlistFilter, WaitlistOffer, WaitlistOfferNotice,
    WaitlistProcessed, WaitlistReport, WaitlistRequest,
};

/// The README's Rust quickstart, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeQuickstart;
