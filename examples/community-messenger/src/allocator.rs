//! glibc malloc tuning for a server that hashes passwords with argon2.
//!
//! Each argon2id hash takes a 19 MiB block. glibc serves blocks that big
//! with mmap, but after the first one is freed it raises its mmap threshold
//! to that size, so later blocks come from the per-thread heaps and stay
//! resident: a few hundred logins left the idle server at over 250 MB.
//! A fixed threshold keeps big blocks on mmap, returned on free.

/// Fixes glibc's mmap threshold at its default, 128 KiB (setting it turns
/// the dynamic adjustment off). Call before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_large_blocks() {
    // SAFETY: mallopt only changes allocator parameters; it is called
    // before any other thread exists.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
    debug_assert_eq!(ok, 1, "mallopt(M_MMAP_THRESHOLD) is supported by glibc");
}

/// Other allocators return large blocks on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_large_blocks() {}
