//! The typed slot search: an array of `cp_slot` structs, freed with one call.

use std::collections::HashMap;
use std::ffi::{c_char, CString};

use cp_core::SlotQuery;

use crate::wrapper::{
    cp_engine, cp_error, cp_status, ffi_call, ffi_infallible, instant, json, out, Failure,
};

/// One offered slot.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct cp_slot {
    /// Start, Unix seconds.
    pub start_unix: i64,
    /// End (start + service duration), Unix seconds.
    pub end_unix: i64,
    /// The clinic's UTC offset at the start, in seconds (e.g. -18000 for EST).
    pub utc_offset_seconds: i32,
    /// Places left at this start, summed over its practitioners.
    pub remaining_capacity: u32,
    /// The clinic's id (NUL-terminated UTF-8, owned by the `cp_slots`).
    pub clinic: *const c_char,
    /// The ids of the practitioners who can take the slot, in configuration order
    /// (`practitioner_count` pointers, owned by the `cp_slots`).
    pub practitioners: *const *const c_char,
    /// How many entries `practitioners` has (at least 1).
    pub practitioner_count: usize,
    /// For each practitioner, the places left with them (`practitioner_count` entries,
    /// owned by the `cp_slots`).
    pub practitioner_remaining: *const u32,
}

/// The answer of `cp_engine_search_slots`: `len` slots in start order. Everything it
/// points to is owned by it and freed by `cp_slots_free`.
#[repr(C)]
#[derive(Debug)]
pub struct cp_slots {
    /// The slots (NULL when `len` is 0).
    pub items: *const cp_slot,
    /// How many slots.
    pub len: usize,
    /// Whether more slots match than the query's `limit` let through.
    pub truncated: bool,
    /// When `truncated`: the start (Unix seconds) to pass as the query's `after` for the
    /// next page; 0 otherwise.
    pub next_after_unix: i64,
}

/// The owner of a `cp_slots` and what it points to. `public` is the first field of a
/// `repr(C)` struct, so a `*mut cp_slots` handed out is also a pointer to its owner.
#[repr(C)]
struct OwnedSlots {
    public: cp_slots,
    items: Vec<cp_slot>,
    names: Vec<CString>,
    practitioners: Vec<*const c_char>,
    remaining: Vec<u32>,
}

/// The id strings of one answer, each stored once.
struct Names<'a> {
    owned: Vec<CString>,
    index: HashMap<&'a str, *const c_char>,
}

impl<'a> Names<'a> {
    fn get(&mut self, id: &'a str) -> *const c_char {
        if let Some(p) = self.index.get(id) {
            return *p;
        }
        let owned = CString::new(id).unwrap_or_default();
        // The heap buffer of a CString does not move when the CString is moved.
        let p = owned.as_ptr();
        self.owned.push(owned);
        self.index.insert(id, p);
        p
    }
}

fn build(slots: &cp_core::Slots) -> Box<OwnedSlots> {
    let mut names = Names {
        owned: Vec::new(),
        index: HashMap::new(),
    };
    let candidates_total: usize = slots.iter().map(|s| s.practitioners().len()).sum();
    let mut practitioners = Vec::with_capacity(candidates_total);
    let mut remaining = Vec::with_capacity(candidates_total);
    let mut spans = Vec::with_capacity(slots.len());
    for slot in slots.iter() {
        let first = practitioners.len();
        for candidate in slot.practitioners() {
            practitioners.push(names.get(candidate.practitioner));
            remaining.push(candidate.remaining_capacity);
        }
        spans.push((first, practitioners.len() - first, names.get(slot.clinic())));
    }
    let items: Vec<cp_slot> = slots
        .iter()
        .zip(&spans)
        .map(|(slot, &(first, count, clinic))| cp_slot {
            start_unix: slot.start_unix(),
            end_unix: slot.end_unix(),
            utc_offset_seconds: slot.utc_offset_seconds(),
            remaining_capacity: slot.remaining_capacity(),
            clinic,
            // SAFETY: `first + count <= len`; the vectors are never resized afterwards.
            practitioners: unsafe { practitioners.as_ptr().add(first) },
            practitioner_count: count,
            practitioner_remaining: unsafe { remaining.as_ptr().add(first) },
        })
        .collect();
    let mut owned = Box::new(OwnedSlots {
        public: cp_slots {
            items: std::ptr::null(),
            len: items.len(),
            truncated: slots.truncated(),
            next_after_unix: slots.next_after().map_or(0, |t| t.timestamp()),
        },
        items,
        names: names.owned,
        practitioners,
        remaining,
    });
    if !owned.items.is_empty() {
        owned.public.items = owned.items.as_ptr();
    }
    owned
}

/// Searches the offered slots (`Engine::search`) and returns them as structs: the fast
/// path, the same slots as `cp_engine_search`.
///
/// - `query_json`: `SlotQuery` JSON (UTF-8, borrowed for the call).
/// - `now`: the current instant, Unix seconds.
/// - `out_slots`: receives the answer, owned by the caller and freed with one
///   `cp_slots_free` (which frees every string and array it points to); NULL on failure.
///
/// Ownership: nothing passed in is retained; the answer does not borrow from the engine.
/// Lifetime: the answer stays valid after the engine is freed, until `cp_slots_free`.
/// Thread-safety: the engine may be shared by threads; searches run concurrently.
/// Errors: `invalid_input`, `not_found`, `not_authorized`, `portal_disabled`;
/// `invalid_input` for a NULL, non-UTF-8, oversized or malformed argument or a NULL
/// `out_slots`; `internal` if the engine is poisoned.
///
/// # Safety
/// Every pointer is NULL or valid as documented; `engine` comes from this library.
#[no_mangle]
pub unsafe extern "C" fn cp_engine_search_slots(
    engine: *const cp_engine,
    query_json: *const c_char,
    now: i64,
    out_slots: *mut *mut cp_slots,
    error: *mut *mut cp_error,
) -> cp_status {
    ffi_call(error, engine, |engine| {
        // SAFETY: the pointer contract above.
        let slot = unsafe { out(out_slots, "out_slots") }?;
        *slot = std::ptr::null_mut();
        let query: SlotQuery = unsafe { json(query_json, "query_json") }?;
        let now = instant(now, "now")?;
        let slots = engine.search(&query, now).map_err(Failure::from)?;
        *slot = Box::into_raw(build(&slots)).cast::<cp_slots>();
        Ok(())
    })
}

/// Frees an answer of `cp_engine_search_slots`. NULL is allowed and does nothing.
///
/// Ownership: takes ownership of `slots` and everything it points to.
/// Lifetime: `slots`, its items and their strings are invalid after the call.
/// Thread-safety: safe from any thread, once.
/// Errors: none.
///
/// # Safety
/// `slots` is NULL or an unfreed answer of `cp_engine_search_slots`.
#[no_mangle]
pub unsafe extern "C" fn cp_slots_free(slots: *mut cp_slots) {
    ffi_infallible((), || {
        if !slots.is_null() {
            // SAFETY: made by `Box::into_raw` of an `OwnedSlots` whose first field it is.
            drop(unsafe { Box::from_raw(slots.cast::<OwnedSlots>()) });
        }
    })
}
