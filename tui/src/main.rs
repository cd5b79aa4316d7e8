//! The `hotloop` binary: parses the command line and runs the command, printing an error's
//! chain of causes on one line. It also makes mimalloc the global allocator (not with the
//! `system-allocator` feature), sets mimalloc's options before anything allocates (on Linux
//! from an `.init_array` entry: `alloc_stats::configure_allocator`), and turns transparent huge
//! pages off for the process (`PR_SET_THP_DISABLE`).

use std::io::Write;
use std::process::ExitCode;

use hotloop_tui::cli::{Cli, run};

#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options, set before anything allocates (see `configure_allocator`): an
/// `.init_array` entry runs when the binary loads, before Rust's runtime and `main`.
#[cfg(all(target_os = "linux", not(feature = "system-allocator")))]
#[used]
#[unsafe(link_section = ".init_array")]
static CONFIGURE_ALLOCATOR: extern "C" fn() = {
    extern "C" fn configure() {
        hotloop_tui::alloc_stats::configure_allocator();
    }
    configure
};

fn main() -> ExitCode {
    // Elsewhere, as early as Rust lets us: arenas reserved before this stay eagerly committed.
    #[cfg(all(not(target_os = "linux"), not(feature = "system-allocator")))]
    hotloop_tui::alloc_stats::configure_allocator();
    disable_transparent_huge_pages();
    match run(Cli::from_env()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the chain of causes on one line, without a backtrace.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// mimalloc asks the kernel for 2 MB transparent huge pages for its arenas. A dev server's heap
/// is many small, long-lived objects: huge pages inflated its RSS by ~70 % (27 → 45 MB on a
/// 1k-module React app) and each first touch zeroes (and may compact) 2 MB, which slowed the
/// cold build. Turned off for this process only; the allocations made before `main` are a few
/// KB.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments only and touches no memory of
    // ours; a failure (old kernel) just leaves THP as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
