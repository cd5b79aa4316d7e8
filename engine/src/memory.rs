//! Memory figures for the dashboard and the profile: the process's resident set (from
//! `/proc/self/status`), the allocator's own figures through a probe that the binary installs
//! (the engine does not choose the global allocator), salsa's memo counts and sizes per query,
//! and the bytes of emitted code and source maps the engine holds.

use crate::db::EngineDb;

/// The allocator's committed and peak bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocatorStats {
    pub committed: u64,
    pub peak: u64,
}

/// Reads the global allocator's figures; installed by the binary (mimalloc).
pub type AllocatorProbe = fn() -> AllocatorStats;

/// Gives the memory the global allocator holds but no longer uses back to the OS; installed by
/// the binary (mimalloc's `mi_collect`). The dev loop calls it after work that allocates and
/// frees a lot on other threads (a lazy chunk's compile, the background warm-up), so RSS
/// follows what is kept, not what compiling it took.
pub type MemoryRelease = fn();

/// The resident set size of this process in bytes (0 where `/proc` is unavailable).
pub fn rss_bytes() -> u64 {
    rss_in("/proc/self/status").unwrap_or(0)
}

/// The resident set of process `pid` (`VmRSS` of `/proc/<pid>/status`); `None` when it is
/// gone or unreadable.
pub fn rss_bytes_of(pid: u32) -> Option<u64> {
    rss_in(&format!("/proc/{pid}/status"))
}

fn rss_in(status_path: &str) -> Option<u64> {
    std::fs::read_to_string(status_path)
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kib = line.strip_prefix("VmRSS:")?;
                kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
            })
        })
        .map(|kib| kib * 1024)
}

/// `(name, count, bytes)` per query (memos) and per salsa struct (inputs, interned values),
/// largest first. Bytes are what salsa can see: the memo's or struct's inline size plus its
/// metadata, plus heap sizes where a query declares `heap_size` (none does yet; the code and
/// source maps are counted separately, see `EngineHost::held_bytes`).
///
/// Takes `&mut`: like a write, it cancels and waits for other database handles. It walks
/// every memo, so it costs O(memos): `hotloop profile` reports its time (1k modules: 1.1 ms in
/// a release build, 5–14 ms in a debug build; 10k modules: 89 ms in a release build).
pub fn query_memory(db: &mut EngineDb) -> Vec<(String, usize, usize)> {
    let db: &mut dyn salsa::Database = db;
    let info = db.memory_usage();
    let bytes = |i: &salsa::IngredientInfo| {
        i.size_of_fields() + i.size_of_metadata() + i.heap_size_of_fields().unwrap_or(0)
    };
    let mut out: Vec<(String, usize, usize)> = info
        .queries
        .iter()
        .map(|(name, i)| ((*name).to_owned(), i.count(), bytes(i)))
        .chain(
            info.structs
                .iter()
                .filter(|i| i.count() > 0)
                .map(|i| (i.debug_name().to_owned(), i.count(), bytes(i))),
        )
        .collect();
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_is_read_from_proc() {
        if std::path::Path::new("/proc/self/status").exists() {
            let rss = rss_bytes();
            assert!(
                rss > 1024 * 1024,
                "a test process holds more than 1 MiB: {rss}"
            );
        }
    }
}
