//! The names a module's imports take and the names it exports, as `queries::exports` checks
//! them, held compactly: kept for every module of the page (20,000 and more), each is one
//! string per module, not a string per name and a list per import (which cost the lazy-routes
//! app 7 MiB).

use serde::{Deserialize, Serialize};

/// Between the names of one import, and of one module's exports (no name holds it).
const NAME: char = '\u{1}';
/// After each import's entry.
const ENTRY: char = '\n';

/// For each static import or re-export of a module that takes names from it (in the order of
/// `CompiledModule::imports`, by index), the names it takes: `default` for a default import;
/// nothing for a namespace import or an `export *`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportNames(Option<Box<str>>);

impl ImportNames {
    /// From `(import index, names)` pairs.
    pub fn from_entries(entries: &[(usize, Vec<String>)]) -> ImportNames {
        let mut all = String::new();
        for (index, names) in entries.iter().filter(|(_, names)| !names.is_empty()) {
            all.push_str(&index.to_string());
            for name in names {
                all.push(NAME);
                // `default`, the most common by far, is written as nothing.
                if name != "default" {
                    all.push_str(name);
                }
            }
            all.push(ENTRY);
        }
        ImportNames((!all.is_empty()).then(|| all.into_boxed_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Each import that takes names: its index and its names.
    pub fn iter(&self) -> impl Iterator<Item = (usize, impl Iterator<Item = &str>)> {
        self.0
            .as_deref()
            .unwrap_or("")
            .split_terminator(ENTRY)
            .filter_map(|entry| {
                let mut parts = entry.split(NAME);
                let index = parts.next()?.parse().ok()?;
                Some((
                    index,
                    parts.map(|name| if name.is_empty() { "default" } else { name }),
                ))
            })
    }
}

/// What an ES module exports, found statically (`transform::analyze`). `None` in
/// `CompiledModule::exports` when that cannot be known: CommonJS, TypeScript's `export =`, a
/// module that also assigns `module.exports`, or what hotloop writes itself (JSON, assets,
/// stylesheets).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExportNames {
    /// Its own export names (`default` among them), sorted, one string.
    names: Box<str>,
    /// The specifiers of its `export * from '...'`, in source order.
    #[serde(default, skip_serializing_if = "<[_]>::is_empty")]
    star_from: Box<[Box<str>]>,
}

impl ExportNames {
    pub fn new(mut names: Vec<String>, star_from: Vec<String>) -> ExportNames {
        names.sort_unstable();
        names.dedup();
        let joined = names.join(&NAME.to_string());
        ExportNames {
            names: joined.into_boxed_str(),
            star_from: star_from.into_iter().map(String::into_boxed_str).collect(),
        }
    }

    /// Its own export names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.split(NAME).filter(|n| !n.is_empty())
    }

    /// A binary search of the sorted names: a package's index can export thousands
    /// (`lucide-react` exports 7,000 icon names), and every import from it is checked
    /// (`queries::exports`).
    pub fn contains(&self, name: &str) -> bool {
        if name.is_empty() {
            return false;
        }
        let all = self.names.as_bytes();
        let wanted = name.as_bytes();
        let separator = NAME as u8;
        // `all[lo..hi]` is whole names with a separator between each two.
        let (mut lo, mut hi) = (0, all.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = all[lo..mid]
                .iter()
                .rposition(|&b| b == separator)
                .map_or(lo, |i| lo + i + 1);
            let end = all[mid..hi]
                .iter()
                .position(|&b| b == separator)
                .map_or(hi, |i| mid + i);
            match all[start..end].cmp(wanted) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => lo = end + 1,
                std::cmp::Ordering::Greater => hi = start.saturating_sub(1).max(lo),
            }
        }
        false
    }

    /// The specifiers of its `export * from '...'`, in source order.
    pub fn star_from(&self) -> &[Box<str>] {
        &self.star_from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_names_round_trip_with_default_written_as_nothing() {
        let names = ImportNames::from_entries(&[
            (0, vec!["default".into(), "a".into()]),
            (2, vec![]),
            (3, vec!["a b".into()]),
            (12, vec!["default".into()]),
        ]);
        let read: Vec<(usize, Vec<&str>)> = names.iter().map(|(i, n)| (i, n.collect())).collect();
        assert_eq!(
            read,
            [
                (0, vec!["default", "a"]),
                (3, vec!["a b"]),
                (12, vec!["default"])
            ]
        );
        assert!(ImportNames::from_entries(&[(1, vec![])]).is_empty());
    }

    #[test]
    fn a_name_is_found_among_names_it_prefixes_or_follows() {
        let names: Vec<String> = [
            "a", "ab", "abc", "abd", "b", "ba", "default", "Z", "_x", "ü",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for n in 0..=names.len() {
            let e = ExportNames::new(names[..n].to_vec(), vec![]);
            for (i, name) in names.iter().enumerate() {
                assert_eq!(e.contains(name), i < n, "{name} among {:?}", &names[..n]);
            }
            for absent in ["", "aa", "abe", "c", "A", "defaults", "\u{1}", "ab\u{1}abc"] {
                assert!(!e.contains(absent), "{absent:?} among {:?}", &names[..n]);
            }
        }
    }

    #[test]
    fn export_names_are_sorted_once_each() {
        let e = ExportNames::new(vec!["b".into(), "a".into(), "b".into()], vec![]);
        assert_eq!(e.names().collect::<Vec<_>>(), ["a", "b"]);
        assert!(e.contains("a") && !e.contains("c"));
        assert_eq!(ExportNames::new(vec![], vec![]).names().count(), 0);
    }
}
