//! Benchmark workloads of clinic-portal, generated deterministically so that tests and
//! benches need nothing outside the repository.
#![deny(unsafe_code)] // one audited exception: `heap::trim`
#![deny(missing_docs)]

pub mod heap;
pub mod scaling;
pub mod w1;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w5;
