//! W4 — state: snapshot and restore of an engine holding 1,000,000 appointments, its
//! memory per appointment, and the replay of 100,000 journal changes.
//!
//! - **1,000,000 appointments** ([`large_engine`]): the scaling configuration
//!   ([`crate::scaling::config_json`]) with [`LARGE_PRACTITIONERS`] practitioners, and
//!   appointments from the scaling generator ([`crate::scaling::appointments`]) spread over
//!   the three years before 2027-02-01, loaded with `add_appointments` in rounds of
//!   10,000 (20 per practitioner, each round with its own seed). After each round the
//!   engine's journal is compacted, as a host does once it has stored the changes: the
//!   journal would otherwise keep a second copy of every appointment.
//! - **Memory**: resident set size ([`rss_bytes`], Linux `/proc/self/statm` × page size)
//!   before and after loading ([`measure_large_engine`]).
//! - **Journal** ([`journal_workload`]): an engine restored from a snapshot of W2
//!   ([`crate::w2`]) makes changes — patients added, W3 portal bookings
//!   ([`crate::w3::sequential_requests`]), staff appointments added one by one — which are
//!   collected with `changes_since` and replayed with `apply` onto another restore of the
//!   same starting snapshot ([`replay`]); the final snapshots are byte-identical.

use clinic_portal::{Change, Engine};

use crate::{scaling, w2, w3};

/// Appointments of the large engine.
pub const LARGE_APPOINTMENTS: usize = 1_000_000;
/// Practitioners of the large engine.
pub const LARGE_PRACTITIONERS: usize = 500;
/// Appointments added per `add_appointments` call while loading.
pub const LOAD_ROUND: usize = 10_000;
/// Changes of the journal workload.
pub const JOURNAL_CHANGES: usize = 100_000;
/// Of which W3 bookings (each also adds its patient: two changes per booking).
pub const JOURNAL_BOOKINGS: usize = 10_000;

/// An engine with the scaling configuration of [`LARGE_PRACTITIONERS`] practitioners and
/// no appointments.
pub fn empty_large_engine() -> Engine {
    Engine::from_json(&scaling::config_json(LARGE_PRACTITIONERS))
        .unwrap_or_else(|e| panic!("W4 config: {e}"))
}

/// Loads `n` appointments (a multiple of [`LARGE_PRACTITIONERS`]) into `engine`, in rounds
/// of at most [`LOAD_ROUND`], compacting the journal after each round.
pub fn load(engine: &Engine, n: usize) {
    assert_eq!(n % LARGE_PRACTITIONERS, 0, "n must be a multiple of 500");
    let mut left = n;
    let mut round = 0u32;
    while left > 0 {
        let take = left.min(LOAD_ROUND);
        let batch = scaling::appointments(
            LARGE_PRACTITIONERS,
            take / LARGE_PRACTITIONERS,
            -3 * 365,
            3 * 365,
            100 + round,
        );
        engine
            .add_appointments(batch)
            .unwrap_or_else(|e| panic!("W4 appointments: {e}"));
        engine.compact_journal(engine.last_seq());
        left -= take;
        round += 1;
    }
}

/// An engine holding `n` appointments (see [`load`]); [`LARGE_APPOINTMENTS`] for W4.
pub fn large_engine(n: usize) -> Engine {
    let engine = empty_large_engine();
    load(&engine, n);
    engine
}

/// The system page size: `AT_PAGESZ` from `/proc/self/auxv`, else 4096.
pub fn page_size() -> u64 {
    const AT_PAGESZ: u64 = 6;
    std::fs::read("/proc/self/auxv")
        .ok()
        .and_then(|auxv| {
            auxv.chunks_exact(16).find_map(|pair| {
                let key = u64::from_ne_bytes(pair[..8].try_into().ok()?);
                let value = u64::from_ne_bytes(pair[8..].try_into().ok()?);
                (key == AT_PAGESZ).then_some(value)
            })
        })
        .filter(|&p| p > 0)
        .unwrap_or(4096)
}

/// The resident set size of this process in bytes (`/proc/self/statm`, second field, ×
/// page size); `None` where that file does not exist (not Linux).
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// Resident set size around loading an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryReport {
    /// Appointments loaded.
    pub appointments: usize,
    /// RSS with the empty engine built, before generating and loading appointments.
    pub before: u64,
    /// RSS after loading (the generated batches are consumed by the engine).
    pub after: u64,
}

impl MemoryReport {
    /// Growth of the RSS per appointment, in bytes.
    pub fn bytes_per_appointment(&self) -> f64 {
        self.after.saturating_sub(self.before) as f64 / self.appointments.max(1) as f64
    }
}

/// [`large_engine`]`(n)` with its RSS before and after loading; `None` for the report where
/// the RSS cannot be read.
pub fn measure_large_engine(n: usize) -> (Engine, Option<MemoryReport>) {
    let engine = empty_large_engine();
    let before = rss_bytes();
    load(&engine, n);
    let after = rss_bytes();
    let report = before.zip(after).map(|(before, after)| MemoryReport {
        appointments: n,
        before,
        after,
    });
    (engine, report)
}

/// The journal workload: a starting snapshot, the changes made after it, and the snapshot
/// of the engine that made them.
#[derive(Clone, Debug)]
pub struct JournalWorkload {
    /// Where the changes start.
    pub start: String,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// The snapshot of the engine that made the changes.
    pub end: String,
}

/// Restores `start` and makes `bookings` W3 bookings (each after adding its patient) and
/// `adds` staff appointments (`add_appointment`, one change each, from the scaling
/// generator for W2's practitioners in the year before 2027-02-01; `adds` a multiple of
/// 200): `2 × bookings + adds` changes in all.
pub fn journal_workload_from(start: String, bookings: usize, adds: usize) -> JournalWorkload {
    assert_eq!(
        adds % w2::PRACTITIONERS,
        0,
        "adds must be a multiple of 200"
    );
    let engine = Engine::restore(&start).unwrap_or_else(|e| panic!("restore: {e}"));
    let seq0 = engine.last_seq();
    let requests = w3::sequential_requests(&engine, bookings);
    let now = w2::now();
    for (i, r) in requests.iter().enumerate() {
        engine
            .upsert_patient(w3::patient(&w3::patient_id(i)))
            .unwrap_or_else(|e| panic!("patient {i}: {e}"));
        engine.book(r, now).unwrap_or_else(|e| panic!("{r:?}: {e}"));
    }
    let staff = scaling::appointments(w2::PRACTITIONERS, adds / w2::PRACTITIONERS, -365, 365, 7);
    for a in staff {
        engine
            .add_appointment(a)
            .unwrap_or_else(|e| panic!("add_appointment: {e}"));
    }
    let changes = engine
        .changes_since(seq0)
        .unwrap_or_else(|e| panic!("changes_since: {e}"));
    JournalWorkload {
        start,
        changes,
        end: engine.snapshot(),
    }
}

/// [`journal_workload_from`] the W2 snapshot; [`JOURNAL_BOOKINGS`] bookings and the rest
/// of [`JOURNAL_CHANGES`] as staff appointments for W4.
pub fn journal_workload(bookings: usize, adds: usize) -> JournalWorkload {
    journal_workload_from(w2::engine().snapshot(), bookings, adds)
}

/// Applies `changes` in order to `engine`.
pub fn apply_all(engine: &Engine, changes: &[Change]) {
    for c in changes {
        engine
            .apply(c)
            .unwrap_or_else(|e| panic!("apply change {}: {e}", c.seq));
    }
}

/// Restores `start` and applies `changes` to it.
pub fn replay(start: &str, changes: &[Change]) -> Engine {
    let engine = Engine::restore(start).unwrap_or_else(|e| panic!("restore: {e}"));
    apply_all(&engine, changes);
    engine
}
