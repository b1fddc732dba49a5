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
//! The availability rules are numbered as in the project's design (§4); each lives in one
//! function of [`availability`], cited in its doc comment.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod availability;
pub mod config;
mod engine;
pub mod error;
pub mod explain;
pub mod model;
mod occupancy;
mod practice;
mod recurrence;
pub mod validate;
pub mod widget;
mod zone;

pub use availability::{Refusal, Slot, SlotCandidate, SlotCandidates, SlotQuery, Slots};
pub use config::Config;
pub use engine::Engine;
pub use error::{Error, ErrorCode, Result};
pub use explain::{Explanation, PractitionerVerdict, ServiceReport};
pub use model::{Appointment, AppointmentStatus, Patient, Source};
pub use validate::{Diagnostic, Severity};

/// The README's Rust quickstart, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeQuickstart;
