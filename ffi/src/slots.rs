//! The typed slot search: an array of `cp_slot` structs, freed with one call.

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::hash::{BuildHasherDefault, Hasher};

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

/// Hashes a pointer address (already unique) with one multiplication.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The id strings of one answer as C strings, each made once. Ids are looked up by the
/// address of the engine's own string (no hashing of the text), after a check of the last
/// id of the same kind (consecutive slots mostly share their clinic and practitioner); the
/// same id reached through another address just gets a second, equal copy.
struct Names {
    owned: Vec<CString>,
    index: HashMap<usize, *const c_char, BuildHasherDefault<AddressHasher>>,
}

/// The last id looked up for one kind (clinic or practitioner): its address and C string.
type LastHit = (usize, *const c_char);

impl Names {
    #[inline(always)]
    fn get(&mut self, id: &str, last: &mut LastHit) -> *const c_char {
        let key = id.as_ptr() as usize;
        if last.0 == key {
            return last.1;
        }
        self.miss(id, key, last)
    }

    #[cold]
    #[inline(never)]
    fn miss(&mut self, id: &str, key: usize, last: &mut LastHit) -> *const c_char {
        let owned = &mut self.owned;
        let p = *self.index.entry(key).or_insert_with(|| {
            let text = CString::new(id).unwrap_or_default();
            // The heap buffer of a CString does not move when the CString is moved.
            let p = text.as_ptr();
            owned.push(text);
            p
        });
        *last = (key, p);
        p
    }
}

fn build(slots: &cp_core::Slots) -> Box<OwnedSlots> {
    let n = slots.len();
    let mut names = Names {
        owned: Vec::new(),
        index: HashMap::default(),
    };
    let (mut last_clinic, mut last_practitioner): (LastHit, LastHit) =
        ((0, std::ptr::null()), (0, std::ptr::null()));
    let mut practitioners = Vec::with_capacity(n);
    let mut remaining = Vec::with_capacity(n);
    let mut items = Vec::with_capacity(n);
    for slot in slots.iter() {
        let first = practitioners.len();
        for candidate in slot.practitioners() {
            practitioners.push(names.get(candidate.practitioner, &mut last_practitioner));
            remaining.push(candidate.remaining_capacity);
        }
        items.push(cp_slot {
            start_unix: slot.start_unix(),
            end_unix: slot.end_unix(),
            utc_offset_seconds: slot.utc_offset_seconds(),
            remaining_capacity: slot.remaining_capacity(),
            clinic: names.get(slot.clinic(), &mut last_clinic),
            practitioners: std::ptr::null(),
            practitioner_count: practitioners.len() - first,
            practitioner_remaining: std::ptr::null(),
        });
    }
    // The practitioner pointers are set once the vectors are complete (they may reallocate
    // while growing); each slot's practitioners follow the previous slot's.
    let mut first = 0;
    for item in &mut items {
        // SAFETY: `first + practitioner_count <= len` of both vectors, which are never
        // resized afterwards (they move into the owner, their buffers do not).
        unsafe {
            item.practitioners = practitioners.as_ptr().add(first);
            item.practitioner_remaining = remaining.as_ptr().add(first);
        }
        first += item.practitioner_count;
    }
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
