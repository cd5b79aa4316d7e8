//! The page's chunk as a few scripts ("pieces") at content-addressed URLs, so that Chromium
//! compiles them on several threads while they stream in, and a reload after an edit fetches
//! and compiles only the pieces that changed (the others come from the HTTP cache with their V8
//! code cache).
//!
//! - **Cutting** (`cut`): runs of define statements in chunk order, content-defined so that an
//!   edit moves no boundary but its own piece's: a run ends after a module once it holds the
//!   minimum size and the module id's hash picks it (one id in `CUT_EVERY`), or at four times
//!   that whatever the id. The minimum is an eighth of the chunk rounded up to a power of two
//!   (at least `MIN_PIECE`), so a page has about four to eight pieces at any size and the
//!   boundaries move only when the chunk's size crosses a power of two. Few and large on
//!   purpose: on the 2-core benchmark machine, 16 or 40 pieces of a 10k-module chunk made the
//!   cold start up to twice as slow as one script, 4 pieces about as fast, while a reload after
//!   an edit took half the time. Then one last piece holds only the start statement (it names
//!   the revision, so it changes with every publish and nothing else does with it).
//! - **URLs**: `/_hotloop/piece/<xxh3-64 of the piece's statements>.js`, served `immutable`, each
//!   ending with its own `sourceMappingURL` (`….js.map`, an index map over its modules).
//! - **Compile hint**: each piece of define statements starts with [`COMPILE_HINT`], V8's
//!   `//# allFunctionsCalledOnLoad`: every function in it is compiled eagerly, off the main
//!   thread while the piece streams in, where V8 would otherwise compile the factories' small
//!   functions (an export's getter `() => local`, ten thousand of them at 10k modules) lazily on
//!   the main thread when they first run. Every factory of the page runs on load. Measured with
//!   the page's pieces served statically (`benches/browser/.scratch`-style A/B, 15 interleaved
//!   loads each, quiet machine): plain 10k cold load 942 → 805 and 854 → 820 ms, reload 633 →
//!   582 and 658 → 596 ms; React 1k unchanged (544 / 552 ms). The map starts a line later.
//! - **The page** lists them as `<script defer>` tags where `index.html` had the chunk's tag,
//!   so they run in order before `DOMContentLoaded`, as module scripts do (`http::index`).
//! - **Races**: a page may ask for the pieces of a snapshot the engine has replaced since it
//!   got its HTML; pieces are looked up in the last `KEEP` snapshots' sets, so that page still
//!   loads whole (its runtime then catches up through the WebSocket's revision check).
//! - **The last session's page** (`Served::last_session`, served while the cold build runs)
//!   is cut like any other; once the build's page is cut and holds all its pieces, it is
//!   dropped (it holds a copy of every module's code), else it stays for the pages that
//!   loaded it until `KEEP` newer snapshots pushed it out.
//!
//! - **Lazy chunks in parts**: a lazy chunk of `LAZY_PARTS_FROM` bytes or more is cut the same
//!   way into about `LAZY_PARTS` parts, which the page loads at once after the chunk's request
//!   named them (`http::lazy_js`). One script of a route of 1,000 components (1.3 MB) was
//!   compiled by one V8 background thread for ~40 ms after its last byte arrived, the main
//!   thread idle; in parts, Chromium compiles them side by side. The parts of the last
//!   `KEEP_LAZY` chunks asked for stay servable (a load whose parts straddle a rebuild).
//!
//! SSR pages (the app's server's HTML) and web workers keep the one `chunk.js`.

use std::collections::VecDeque;
use std::hash::Hasher as _;
use std::ops::Range;
use std::sync::Arc;

use axum::body::Bytes;
use hotloop_protocol::served::{Chunk, Parts, Served, ServedModules};
use rustc_hash::FxHasher;
use xxhash_rust::xxh3::Xxh3;

/// The smallest minimum size of a piece.
const MIN_PIECE: usize = 64 * 1024;
/// A run ends once it holds the minimum at a module whose id hash is 0 modulo this.
const CUT_EVERY: u64 = 8;
/// About how many pieces a page has.
const PIECES: usize = 8;
/// The first line of every piece of define statements (see the header).
pub(crate) const COMPILE_HINT: &str = "//# allFunctionsCalledOnLoad\n";
/// The line a piece's first statement is on (0-based): after [`COMPILE_HINT`].
pub(crate) const FIRST_LINE: usize = 1;
/// Snapshots whose pieces stay servable.
const KEEP: usize = 4;
/// A lazy chunk of fewer bytes is served as one script.
const LAZY_PARTS_FROM: usize = 256 * 1024;
/// About how many parts a bigger lazy chunk has.
const LAZY_PARTS: usize = 4;
/// Lazy chunks whose parts stay servable (the most recently asked for).
const KEEP_LAZY: usize = 16;

pub(crate) const PIECE_PREFIX: &str = "/_hotloop/piece/";

/// One script of the page.
#[derive(Clone, Debug)]
pub(crate) struct Piece {
    /// 16 hex digits: the URL's name.
    pub(crate) hash: Arc<str>,
    /// The define statements it holds (indices into the chunk's parts); empty for the start
    /// piece.
    pub(crate) range: Range<usize>,
}

impl Piece {
    pub(crate) fn url(&self) -> String {
        format!("{PIECE_PREFIX}{}.js", self.hash)
    }

    /// What is served: the statements and the map line, or the start statement. Built per
    /// request from `chunk` (the one it was cut from): a copy kept per piece would hold the
    /// chunk's text twice, and a page asks for each piece once.
    pub(crate) fn bytes(&self, chunk: &Chunk) -> Bytes {
        if self.range.is_empty() {
            return Bytes::from(chunk.start().to_owned());
        }
        let statements = || {
            chunk
                .parts
                .iter()
                .skip(self.range.start)
                .take(self.range.len())
        };
        let len = statements().map(|(_, s)| s.len()).sum::<usize>();
        let mut out = String::with_capacity(len + 64);
        out.push_str(COMPILE_HINT);
        for (_, statement) in statements() {
            statement.push_to(&mut out);
        }
        push_map_line(&mut out, &self.hash);
        Bytes::from(out)
    }
}

/// The pieces of one chunk: a snapshot's page chunk, or a lazy chunk as one snapshot served it.
pub(crate) struct SnapshotPieces {
    chunk: Arc<Chunk>,
    /// The modules of the snapshot that served it: a piece's map is made of theirs.
    modules: ServedModules,
    /// The chunk is the last session's page (`Served::last_session`).
    last_session: bool,
    pub(crate) pieces: Arc<[Piece]>,
}

/// A piece found by its name: the chunk it was cut from, the modules of the snapshot that
/// served it.
pub(crate) struct Found {
    pub(crate) modules: ServedModules,
    pub(crate) chunk: Arc<Chunk>,
    pub(crate) piece: Piece,
}

/// The pieces of the last `KEEP` snapshots' pages, newest first, and of the last `KEEP_LAZY`
/// lazy chunks served in parts.
#[derive(Default)]
pub(crate) struct PieceCache {
    recent: VecDeque<SnapshotPieces>,
    lazy: VecDeque<SnapshotPieces>,
}

impl PieceCache {
    /// The pieces of `served`'s chunk, cut and named on first use.
    pub(crate) fn pieces_of(&mut self, served: &Arc<Served>) -> Arc<[Piece]> {
        if let Some(found) = self
            .recent
            .iter()
            .find(|s| Arc::ptr_eq(&s.chunk, &served.chunk))
        {
            return found.pieces.clone();
        }
        let pieces: Arc<[Piece]> = build(&served.chunk).into();
        if !served.last_session {
            // The last session's page, when this one is the same: its pieces are these.
            self.recent.retain(|s| {
                !s.last_session
                    || !s
                        .pieces
                        .iter()
                        .all(|p| pieces.iter().any(|q| q.hash == p.hash))
            });
        }
        self.recent.push_front(SnapshotPieces {
            chunk: served.chunk.clone(),
            modules: served.modules.clone(),
            last_session: served.last_session,
            pieces: pieces.clone(),
        });
        self.recent.truncate(KEEP);
        pieces
    }

    /// The parts of the lazy chunk `chunk`, served by the snapshot whose modules are `modules`
    /// (for the parts' maps), cut and named on first use; `None` when it is too small to be
    /// worth more than one script (see the module docs).
    pub(crate) fn lazy_parts_of(
        &mut self,
        modules: &ServedModules,
        chunk: &Arc<Chunk>,
    ) -> Option<Arc<[Piece]>> {
        if let Some(at) = self.lazy.iter().position(|s| Arc::ptr_eq(&s.chunk, chunk)) {
            // The most recently asked for stay.
            let found = self.lazy.remove(at)?;
            let pieces = found.pieces.clone();
            self.lazy.push_front(found);
            return Some(pieces);
        }
        let total: usize = chunk.parts.iter().map(|(_, s)| s.len()).sum();
        if total < LAZY_PARTS_FROM {
            return None;
        }
        let pieces: Arc<[Piece]> = name(chunk, cut_into(&chunk.parts, LAZY_PARTS)).into();
        self.lazy.push_front(SnapshotPieces {
            chunk: chunk.clone(),
            modules: modules.clone(),
            last_session: false,
            pieces: pieces.clone(),
        });
        self.lazy.truncate(KEEP_LAZY);
        Some(pieces)
    }

    /// The piece named `hash` of a recent snapshot's page or lazy chunk, with its chunk and the
    /// modules of the snapshot that served it (theirs make the piece's map).
    pub(crate) fn find(&self, hash: &str) -> Option<Found> {
        self.recent.iter().chain(&self.lazy).find_map(|s| {
            let piece = s.pieces.iter().find(|p| &*p.hash == hash)?;
            Some(Found {
                modules: s.modules.clone(),
                chunk: s.chunk.clone(),
                piece: piece.clone(),
            })
        })
    }
}

/// The URL of the page's one chunk, in its tag (`Served::injection`'s `chunk_tag`).
const CHUNK_URL: &str = "/_hotloop/chunk.js";

/// The `<script defer>` tags of `pieces`, in order: each the page's `chunk_tag` with the
/// piece's URL in the chunk's, so they carry what it carries (the nonce of `html.cspNonce`).
pub(crate) fn script_tags(pieces: &[Piece], chunk_tag: &str) -> String {
    let (open, close) = chunk_tag
        .split_once(CHUNK_URL)
        .unwrap_or(("<script defer src=\"", "\"></script>"));
    let mut tags = String::new();
    for piece in pieces {
        tags.push_str(open);
        tags.push_str(&piece.url());
        tags.push_str(close);
    }
    tags
}

/// Cuts `chunk` and names each piece by its statements' hash; then the start piece.
fn build(chunk: &Chunk) -> Vec<Piece> {
    let mut pieces = name(chunk, cut_into(&chunk.parts, PIECES));
    let start = chunk.start();
    let hash: Arc<str> = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(start.as_bytes())).into();
    let end = chunk.parts.len();
    pieces.push(Piece {
        hash,
        range: end..end,
    });
    pieces
}

/// The pieces of `chunk` that `runs` cut, each named by its statements' hash.
fn name(chunk: &Chunk, runs: Vec<Range<usize>>) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(runs.len() + 1);
    for range in runs {
        let mut hasher = Xxh3::new();
        // The piece's bytes start with it: a piece cached from a build without it (or with
        // another) has another name.
        hasher.update(COMPILE_HINT.as_bytes());
        for (_, statement) in chunk.parts.iter().skip(range.start).take(range.len()) {
            for text in statement.pieces() {
                hasher.update(text.as_bytes());
            }
        }
        let hash: Arc<str> = format!("{:016x}", hasher.digest()).into();
        pieces.push(Piece { hash, range });
    }
    pieces
}

fn push_map_line(out: &mut String, hash: &str) {
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    // Relative to the piece's own URL: under Vite's `base` when the page asked for it there.
    out.push_str("//# sourceMappingURL=");
    out.push_str(hash);
    out.push_str(".js.map\n");
}

/// The runs of define statements, about `pieces` of them (see the module docs); empty
/// statements (modules that never compiled) count as nothing and cut nowhere.
fn cut_into(parts: &Parts, pieces: usize) -> Vec<Range<usize>> {
    let total: usize = parts.iter().map(|(_, s)| s.len()).sum();
    let min = (total / pieces).next_power_of_two().max(MIN_PIECE);
    let max = 4 * min;
    let mut runs = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, (id, statement)) in parts.iter().enumerate() {
        bytes += statement.len();
        let picked = || {
            let mut hasher = FxHasher::default();
            hasher.write(id.as_bytes());
            hasher.finish().is_multiple_of(CUT_EVERY)
        };
        if bytes >= max || (bytes >= min && picked()) {
            runs.push(start..i + 1);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < parts.len() {
        runs.push(start..parts.len());
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_protocol::served::Statement;

    fn parts(n: usize, size: usize) -> Parts {
        (0..n)
            .map(|i| {
                let id: Arc<str> = format!("/src/m{i}.js").into();
                let body = format!("define(\"{id}\", v0);{}\n", "x".repeat(size));
                (id, Statement::whole(body))
            })
            .collect()
    }

    fn chunk(parts: Parts, revision: u32) -> Chunk {
        Chunk::new(
            parts,
            format!(
                "__hotloop.start([], {{\"revision\":{revision}}});\n//# sourceMappingURL=chunk.js.map\n"
            ),
        )
    }

    #[test]
    fn runs_cover_every_statement_in_order_within_the_size_bounds() {
        let parts = parts(5000, 200);
        let total: usize = parts.iter().map(|(_, s)| s.len()).sum();
        let min = (total / PIECES).next_power_of_two();
        let runs = cut_into(&parts, PIECES);
        assert!((3..=PIECES + 1).contains(&runs.len()), "{runs:?}");
        assert_eq!(runs.first().unwrap().start, 0);
        assert_eq!(runs.last().unwrap().end, parts.len());
        for pair in runs.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for run in &runs[..runs.len() - 1] {
            let bytes: usize = parts
                .iter()
                .skip(run.start)
                .take(run.len())
                .map(|(_, s)| s.len())
                .sum();
            assert!((min..4 * min + 300).contains(&bytes), "{run:?}: {bytes}");
        }
    }

    #[test]
    fn an_edit_changes_its_own_piece_and_the_start_piece_only() {
        let before = chunk(parts(5000, 200), 1);
        let mut edited = before.parts.clone();
        let (id, statement) = edited[2500].clone();
        edited.set(
            2500,
            (
                id,
                Statement::whole(format!("{statement}// edited, a little longer\n")),
            ),
        );
        let after = chunk(edited, 2);
        let old = build(&before);
        let new = build(&after);
        assert_eq!(old.len(), new.len());
        let changed: Vec<usize> = (0..old.len())
            .filter(|&i| old[i].hash != new[i].hash)
            .collect();
        let holding = new.iter().position(|p| p.range.contains(&2500)).unwrap();
        assert_eq!(changed, vec![holding, new.len() - 1]);
        // The start piece is the start statement alone, without the chunk's map line.
        let start = new.last().unwrap().bytes(&after);
        let start = std::str::from_utf8(&start).unwrap();
        assert_eq!(start, "__hotloop.start([], {\"revision\":2});\n");
        // A statement piece names its own map.
        let first = new[0].bytes(&after);
        let first = std::str::from_utf8(&first).unwrap();
        assert!(first.ends_with(&format!("//# sourceMappingURL={}.js.map\n", new[0].hash)));
    }

    #[test]
    fn a_module_bigger_than_a_piece_is_a_piece_of_its_own() {
        let mut parts = parts(3, 10);
        parts.insert(
            1,
            (
                Arc::from("/big.js"),
                Statement::whole("y".repeat(4 * MIN_PIECE)),
            ),
        );
        assert_eq!(cut_into(&parts, PIECES), vec![0..2, 2..4]);
    }

    #[test]
    fn a_big_lazy_chunk_is_cut_into_parts_found_with_it_and_a_small_one_is_not() {
        let mut cache = PieceCache::default();
        let modules = ServedModules::default();
        let small = Arc::new(chunk(parts(10, 100), 1));
        assert!(cache.lazy_parts_of(&modules, &small).is_none());
        let big = Arc::new(chunk(parts(4000, 200), 1));
        let parts = cache.lazy_parts_of(&modules, &big).expect("in parts");
        assert!((2..=LAZY_PARTS + 1).contains(&parts.len()), "{parts:?}");
        assert_eq!(parts.first().unwrap().range.start, 0);
        assert_eq!(parts.last().unwrap().range.end, big.parts.len());
        assert!(parts.iter().all(|p| !p.range.is_empty()), "no start piece");
        let found = cache.find(&parts[1].hash).expect("found by its name");
        assert!(Arc::ptr_eq(&found.chunk, &big));
        assert_eq!(found.piece.range, parts[1].range);
        let text = found.piece.bytes(&found.chunk);
        let text = std::str::from_utf8(&text).unwrap();
        assert!(text.starts_with(COMPILE_HINT));
        assert!(text.contains(&format!("define(\"/src/m{}.js\"", parts[1].range.start)));
        // Asking again does not cut it again; the page's pieces are kept apart.
        assert!(Arc::ptr_eq(
            &cache.lazy_parts_of(&modules, &big).unwrap(),
            &parts
        ));
        for revision in 0..KEEP as u32 + 1 {
            cache.pieces_of(&Arc::new(Served {
                chunk: Arc::new(chunk(parts_named(revision), revision)),
                ..Served::empty(Arc::from("s"))
            }));
        }
        assert!(
            cache.find(&parts[0].hash).is_some(),
            "pages do not push it out"
        );
    }

    fn parts_named(revision: u32) -> Parts {
        (0..3)
            .map(|i| {
                let id: Arc<str> = format!("/src/p{revision}-{i}.js").into();
                (id.clone(), Statement::whole(format!("define(\"{id}\");\n")))
            })
            .collect()
    }

    #[test]
    fn recent_snapshots_keep_their_pieces() {
        let mut cache = PieceCache::default();
        let served = |revision| {
            Arc::new(Served {
                chunk: Arc::new(chunk(parts(10, 10), revision)),
                ..Served::empty(Arc::from("s"))
            })
        };
        let first = served(1);
        let first_start = cache.pieces_of(&first).last().unwrap().hash.clone();
        for revision in 2..=KEEP as u32 {
            cache.pieces_of(&served(revision));
        }
        assert!(
            cache.find(&first_start).is_some(),
            "kept for {KEEP} snapshots"
        );
        cache.pieces_of(&served(KEEP as u32 + 1));
        assert!(cache.find(&first_start).is_none());
        // Asking again for a snapshot's pieces does not cut it again.
        let latest = served(9);
        let a = cache.pieces_of(&latest);
        let b = cache.pieces_of(&latest);
        assert!(Arc::ptr_eq(&a, &b));
    }
}
