//! The allocator's own figures for `Memory` samples: mimalloc's committed and peak-committed
//! bytes (`mi_process_info`: address space it made usable; on Linux a purge gives pages back
//! with `MADV_DONTNEED` and does not count them out, so "committed" stays near its peak and can
//! exceed the peak RSS: it is not memory in use), and giving freed memory back after the cold
//! build. Meaningful when mimalloc is the global allocator (the `hotloop`
//! binary); in tests it reports what mimalloc itself holds, usually next to nothing.
//!
//! Also here: mimalloc's options (`configure_allocator`, run from the binary's `.init_array`
//! before anything allocates: arenas committed on demand, a finished thread's pages reclaimed by
//! whoever frees into them, freed memory purged at once except during the cold build), and
//! `release_free_memory` (`mi_collect`), which `dev.rs` calls after the cold build and the dev
//! loop after a lazy compile and the warm-up. The `system-allocator` feature builds the binary
//! without mimalloc, for heaptrack.

use engine::AllocatorStats;

/// `mi_option_arena_eager_commit` (mimalloc v3's `mi_option_e`; the `libmimalloc-sys` crate
/// names only the stable options).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// `mi_option_purge_delay` (mimalloc v3's `mi_option_e`).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// `mi_option_page_reclaim_on_free` (mimalloc v3's `mi_option_e`).
const PAGE_RECLAIM_ON_FREE: libmimalloc_sys::mi_option_t = 35;

/// Sets mimalloc's options for a long-lived process that should hold what it keeps, not what
/// it once used. `MIMALLOC_*` environment variables still win, for experiments.
/// - arenas committed on demand (`arena_eager_commit` 0, default: eagerly on Linux): ~3 MB
///   less at 10k modules. It is read when an arena is reserved, and the first one is reserved
///   by the first allocation, before `main`: so the binary runs this from its `.init_array`
///   (`main.rs`), before Rust's runtime allocates. It must not allocate itself.
/// - `purge_delay` 0 (mimalloc's default: 1000 ms): freed memory goes back to the OS at once,
///   except during the cold build ([`purge_later`], [`purge_at_once`]). A delayed purge only
///   happens when mimalloc is next called after the delay, so what a thread freed after its
///   last burst of work stays in the process while the session sits idle, and no `mi_collect`
///   from another thread gives it back (before the cold build: the last session's page, read
///   on a thread of its own, and the page's pieces, built per request on the server's). The
///   10k-module benchmark fixture with its page loaded: 63.7 MB instead of 66.3 (3 runs each;
///   purging at once for the whole session, the build too: 61.7); at the end of
///   `benches/browser/run.mjs`'s edits, 62.1 MB instead of 67.4 (4 interleaved rounds).
/// - a page a finished thread left behind is taken over by the thread that frees a block of it
///   (`page_reclaim_on_free` 1; default 0: only by the thread that allocated it). The cold
///   build's and the warm-up's threads end when their work is done, and the pages holding what
///   they compiled stayed abandoned with their free space never reused or given back: the
///   lazy-routes app (10k modules) with its first page loaded held 80–83 MB instead of 96 (10k
///   plain modules: about 1 MB less), with the cold build's CPU time unchanged (402 vs 428 ms,
///   6 runs each). After every route is visited the benchmark's end measured the same as
///   without it (107 vs 105 MB, 2 rounds).
pub fn configure_allocator() {
    // mimalloc reads every option (its environment variable, or the default) when the process
    // loads: `mi_option_set_default` could come too late, so set it unless the variable is.
    for &(variable, option, value) in START_OPTIONS {
        // SAFETY: `getenv` reads a NUL-terminated name and allocates nothing (`std::env` would
        // allocate, through mimalloc); `mi_option_set` takes plain integers and stores them.
        unsafe {
            if libc::getenv(variable.as_ptr()).is_null() {
                libmimalloc_sys::mi_option_set(option, value);
            }
        }
    }
}

/// What [`configure_allocator`] sets: the environment variable that wins over it, the option,
/// its value.
const START_OPTIONS: &[(
    &std::ffi::CStr,
    libmimalloc_sys::mi_option_t,
    std::ffi::c_long,
)] = &[
    (c"MIMALLOC_ARENA_EAGER_COMMIT", ARENA_EAGER_COMMIT, 0),
    (c"MIMALLOC_PAGE_RECLAIM_ON_FREE", PAGE_RECLAIM_ON_FREE, 1),
    (c"MIMALLOC_PURGE_DELAY", PURGE_DELAY, 0),
];

/// mimalloc's own `purge_delay`, for the cold build.
const BUILD_PURGE_DELAY: std::ffi::c_long = 1000;

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

/// Until [`purge_at_once`], gives freed memory back to the OS only after mimalloc's own delay
/// (1 s), unless `MIMALLOC_PURGE_DELAY` says otherwise: for the cold build, whose compiles on
/// every core free and allocate a lot at once. Purging at once there made a first start (an
/// empty compile cache) at 10k modules build in 410 ms instead of 330 (3 runs each).
pub fn purge_later() {
    set_purge_delay(BUILD_PURGE_DELAY);
}

/// From now on, gives memory back to the OS as soon as it is free (`purge_delay` 0), unless
/// `MIMALLOC_PURGE_DELAY` says otherwise: after the cold build (see [`configure_allocator`]).
/// Warm reloads at 10k measured the same with it (280 vs 275 ms, 3 interleaved rounds; an
/// earlier session measured them slower, under mimalloc v2).
pub fn purge_at_once() {
    set_purge_delay(0);
}

fn set_purge_delay(ms: std::ffi::c_long) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` takes plain integers and stores them; mimalloc reads the option
    // at every purge it schedules.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An option's value.
    fn option(option: libmimalloc_sys::mi_option_t) -> std::ffi::c_long {
        // SAFETY: reads an integer option.
        unsafe { libmimalloc_sys::mi_option_get(option) }
    }

    /// The environment does not set `variable` (which would win over hotloop's setting).
    fn unset(variable: &str) -> bool {
        std::env::var_os(variable).is_none()
    }

    /// Held by the tests that set options (they run on parallel threads of one process).
    static OPTIONS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn options_are_set_unless_the_environment_sets_them() {
        let _options = OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
        configure_allocator();
        if unset("MIMALLOC_ARENA_EAGER_COMMIT") {
            assert_eq!(option(ARENA_EAGER_COMMIT), 0);
        }
        if unset("MIMALLOC_PAGE_RECLAIM_ON_FREE") {
            assert_eq!(option(PAGE_RECLAIM_ON_FREE), 1);
        }
        if unset("MIMALLOC_PURGE_DELAY") {
            assert_eq!(option(PURGE_DELAY), 0);
        }
    }

    #[test]
    fn the_option_numbers_are_mimalloc_v3s() {
        // The defaults of the options around `page_reclaim_on_free` pin its number: the next
        // two are `page_full_retain` (2) and `page_max_candidates` (4).
        if unset("MIMALLOC_PAGE_FULL_RETAIN") && unset("MIMALLOC_PAGE_MAX_CANDIDATES") {
            assert_eq!(
                (
                    option(PAGE_RECLAIM_ON_FREE + 1),
                    option(PAGE_RECLAIM_ON_FREE + 2)
                ),
                (2, 4)
            );
        }
        // And `purge_delay`'s: `deprecated_eager_commit_delay` (1) before it, `os_tag` (100)
        // three after it.
        assert_eq!((option(PURGE_DELAY - 1), option(PURGE_DELAY + 3)), (1, 100));
    }

    #[test]
    fn purging_waits_only_during_the_cold_build_unless_the_environment_says() {
        let _options = OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
        purge_later();
        if unset("MIMALLOC_PURGE_DELAY") {
            assert_eq!(option(PURGE_DELAY), BUILD_PURGE_DELAY);
        }
        purge_at_once();
        if unset("MIMALLOC_PURGE_DELAY") {
            assert_eq!(option(PURGE_DELAY), 0);
        }
    }

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
