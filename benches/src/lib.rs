//! Benchmark workloads of clinic-portal, generated deterministically so that tests and
//! benches need nothing outside the repository.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod scaling;
pub mod w1;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w5;
