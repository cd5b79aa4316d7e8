//! The allocator's own figures for `Memory` samples: mimalloc's committed and peak-committed
//! bytes (`mi_process_info`), and giving freed memory back after the cold build. Meaningful when mimalloc is the global allocator (the `hotloop`
//! binary); in tests it reports what mimalloc itself holds, usually next to nothing.

use engine::AllocatorStats;

/// Reads mimalloc's process figures (cheap: a few counters, no heap walk).
pub fn mimalloc_stats() -> AllocatorStats {
    let mut current_commit: usize = 0;
    let mut peak_commit: usize = 0;
    // SAFETY: every out-parameter is either null (not wanted) or a valid `usize` we own;
    // `mi_process_info` only writes through the non-null ones.
    unsafe {
        libmimalloc_sys::mi_process_info(
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut current_commit,
            &mut peak_commit,
            std::ptr::null_mut(),
        );
    }
    AllocatorStats {
        committed: current_commit as u64,
        peak: peak_commit as u64,
    }
}

/// Returns memory mimalloc holds but no longer uses to the OS. The cold build compiles every
/// module on several threads and frees most of what it allocated; without this the freed pages
/// stay in the process (RSS) for the whole session.
pub fn release_free_memory() {
    // SAFETY: `mi_collect` takes no pointers; forcing a collection is always allowed.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_at_least_current() {
        // Allocate through mimalloc directly so the figures move even without the global
        // allocator installed.
        let block = unsafe { libmimalloc_sys::mi_malloc(8 << 20) };
        assert!(!block.is_null());
        let stats = mimalloc_stats();
        unsafe { libmimalloc_sys::mi_free(block) };
        assert!(stats.committed >= 8 << 20, "{stats:?}");
        assert!(stats.peak >= stats.committed, "{stats:?}");
    }
}
