//! Giving freed heap memory back to the operating system, for the W5 memory figures.
//!
//! glibc's allocator keeps memory freed in the middle of its heap for reuse, so dropping
//! engines lowers the process's resident set only once `malloc_trim` returns the free pages.
//! A host that drops idle practices can call it the same way (for instance from a timer).

/// Asks glibc to return free heap pages to the system (`malloc_trim(0)`); whether it
/// released any. Always `false` where the allocator is not glibc's.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn trim() -> bool {
    // SAFETY: `malloc_trim` takes no pointers and has no preconditions; it only walks
    // glibc's own arenas, under their locks.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Asks glibc to return free heap pages to the system; always `false` here, where the
/// allocator is not glibc's.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() -> bool {
    false
}
