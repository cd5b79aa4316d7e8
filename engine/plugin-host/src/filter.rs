//! Hook filters evaluated in Rust, so a module no plugin would touch costs no round trip.
//! Strings in `id` filters are picomatch globs (globset, `*` not crossing `/`); strings in
//! `code` filters are substrings; RegExps are translated to the `regex` crate's syntax when
//! that keeps their meaning, and otherwise answer "maybe" (the host evaluates them itself).
//!
//! A filter's verdict is three-valued: [`Verdict::No`] skips the plugin with certainty;
//! [`Verdict::Maybe`] sends it to the host with a request to re-check there.

use globset::{GlobBuilder, GlobMatcher};
use regex::{Regex, RegexBuilder};

use crate::config::{HookFilter, Pattern, PatternFilter};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    No,
    Yes,
    Maybe,
}

#[derive(Debug)]
enum Matcher {
    Glob(GlobMatcher),
    Regex(Regex),
    Substring(String),
    /// A pattern Rust cannot evaluate faithfully.
    Unknown,
}

impl Matcher {
    fn id(p: &Pattern) -> Matcher {
        match p {
            Pattern::String(glob) => GlobBuilder::new(glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map(|g| Matcher::Glob(g.compile_matcher()))
                .unwrap_or(Matcher::Unknown),
            Pattern::RegExp { source, flags } => regexp(source, flags),
        }
    }

    fn code(p: &Pattern) -> Matcher {
        match p {
            Pattern::String(s) => Matcher::Substring(s.clone()),
            Pattern::RegExp { source, flags } => regexp(source, flags),
        }
    }

    /// `Some(matched)`, or `None` when unknown.
    fn test(&self, value: &str) -> Option<bool> {
        match self {
            Matcher::Glob(g) => Some(g.is_match(value)),
            Matcher::Regex(r) => Some(r.is_match(value)),
            Matcher::Substring(s) => Some(value.contains(s.as_str())),
            Matcher::Unknown => None,
        }
    }
}

#[derive(Debug)]
struct Compiled {
    include: Vec<Matcher>,
    exclude: Vec<Matcher>,
}

impl Compiled {
    fn new(f: &PatternFilter, make: fn(&Pattern) -> Matcher) -> Compiled {
        Compiled {
            include: f.include.iter().map(make).collect(),
            exclude: f.exclude.iter().map(make).collect(),
        }
    }

    /// Vite's rule: an exclude match rejects; then an empty include accepts, else one include
    /// must match.
    fn verdict(&self, value: &str) -> Verdict {
        let mut maybe = false;
        for m in &self.exclude {
            match m.test(value) {
                Some(true) => return Verdict::No,
                Some(false) => {}
                None => maybe = true,
            }
        }
        if self.include.is_empty() {
            return if maybe { Verdict::Maybe } else { Verdict::Yes };
        }
        let mut any_unknown = false;
        for m in &self.include {
            match m.test(value) {
                Some(true) => return if maybe { Verdict::Maybe } else { Verdict::Yes },
                Some(false) => {}
                None => any_unknown = true,
            }
        }
        if any_unknown {
            Verdict::Maybe
        } else {
            Verdict::No
        }
    }
}

/// A hook's filter, compiled. `None` parts always pass.
#[derive(Debug, Default)]
pub struct CompiledFilter {
    id: Option<Compiled>,
    code: Option<Compiled>,
}

impl CompiledFilter {
    pub fn new(f: &HookFilter) -> CompiledFilter {
        CompiledFilter {
            id: f.id.as_ref().map(|f| Compiled::new(f, Matcher::id)),
            code: f.code.as_ref().map(|f| Compiled::new(f, Matcher::code)),
        }
    }

    /// Whether the filter looks at the code (a `transform` hook's `code` filter).
    pub fn has_code(&self) -> bool {
        self.code.is_some()
    }

    /// The verdict for `id` (with `\` as `/`, as Vite normalises it) and, for `transform`,
    /// `code`.
    pub fn verdict(&self, id: &str, code: Option<&str>) -> Verdict {
        let id = if id.contains('\\') {
            std::borrow::Cow::Owned(id.replace('\\', "/"))
        } else {
            std::borrow::Cow::Borrowed(id)
        };
        let a = self.id.as_ref().map_or(Verdict::Yes, |c| c.verdict(&id));
        if a == Verdict::No {
            return Verdict::No;
        }
        let b = match (code, &self.code) {
            (Some(code), Some(c)) => c.verdict(code),
            _ => Verdict::Yes,
        };
        match (a, b) {
            (_, Verdict::No) => Verdict::No,
            (Verdict::Yes, Verdict::Yes) => Verdict::Yes,
            _ => Verdict::Maybe,
        }
    }
}

/// A JS RegExp as a Rust regex, or [`Matcher::Unknown`] when the translation could change
/// which strings match. `\d \w \s \b` and their negations become JS's exact (ASCII, or JS's
/// whitespace) sets; `.` matches a superset of JS's (a false "yes" costs only a round trip);
/// lookaround, back-references, `\p{..}` and the sticky and `v` flags give "unknown".
fn regexp(source: &str, flags: &str) -> Matcher {
    if flags.contains('y') || flags.contains('v') {
        return Matcher::Unknown;
    }
    let Some(translated) = translate(source) else {
        return Matcher::Unknown;
    };
    RegexBuilder::new(&translated)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .build()
        .map(Matcher::Regex)
        .unwrap_or(Matcher::Unknown)
}

/// JS's `\\s`, as the body of a class.
const JS_SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

fn translate(source: &str) -> Option<String> {
    let mut out = String::with_capacity(source.len() + 8);
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                match e {
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    'd' | 'w' | 's' => {
                        let set = match e {
                            'd' => "0-9",
                            'w' => "A-Za-z0-9_",
                            _ => JS_SPACE,
                        };
                        if in_class {
                            out.push_str(set);
                        } else {
                            out.push('[');
                            out.push_str(set);
                            out.push(']');
                        }
                    }
                    'D' | 'W' | 'S' if !in_class => {
                        out.push_str("[^");
                        out.push_str(match e {
                            'D' => "0-9",
                            'W' => "A-Za-z0-9_",
                            _ => JS_SPACE,
                        });
                        out.push(']');
                    }
                    'D' | 'W' | 'S' | 'b' | 'B' | 'c' | 'k' | 'p' | 'P' => return None,
                    '1'..='9' => return None,
                    '0' if !chars.peek().is_some_and(|c| c.is_ascii_digit()) => {
                        out.push_str("\\x00")
                    }
                    'u' => {
                        if chars.peek() == Some(&'{') {
                            chars.next();
                            let hex: String = chars.by_ref().take_while(|c| *c != '}').collect();
                            out.push_str(&format!("\\x{{{hex}}}"));
                        } else {
                            let hex: String = chars.by_ref().take(4).collect();
                            if hex.len() != 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                                return None;
                            }
                            out.push_str(&format!("\\x{{{hex}}}"));
                        }
                    }
                    '/' => out.push('/'),
                    e if e.is_ascii_alphanumeric() => {
                        out.push('\\');
                        out.push(e);
                    }
                    e => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if in_class => out.push_str("\\["),
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next()?);
                }
                // `[]` matches nothing and `[^]` anything in JS; Rust reads them otherwise.
                if chars.peek() == Some(&']') {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.peek() == Some(&'-') => return None,
            '(' if chars.peek() == Some(&'?') => {
                // lookaround and named groups: `regex` has named groups only
                let mut look = chars.clone();
                look.next();
                match look.next() {
                    Some(':') => out.push('('),
                    Some('<') if !matches!(look.peek(), Some('=') | Some('!')) => out.push('('),
                    _ => return None,
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(source: &str, flags: &str) -> Pattern {
        Pattern::RegExp {
            source: source.into(),
            flags: flags.into(),
        }
    }

    fn id_filter(include: Vec<Pattern>, exclude: Vec<Pattern>) -> CompiledFilter {
        CompiledFilter::new(&HookFilter {
            id: Some(PatternFilter { include, exclude }),
            code: None,
        })
    }

    #[test]
    fn globs_are_picomatch_like() {
        let f = id_filter(vec![Pattern::String("/p/src/**/*.vue".into())], vec![]);
        assert_eq!(f.verdict("/p/src/App.vue", None), Verdict::Yes);
        assert_eq!(f.verdict("/p/src/a/b/C.vue", None), Verdict::Yes);
        assert_eq!(f.verdict("/p/src/App.ts", None), Verdict::No);
        let star = id_filter(vec![Pattern::String("/p/*.js".into())], vec![]);
        assert_eq!(star.verdict("/p/a.js", None), Verdict::Yes);
        assert_eq!(
            star.verdict("/p/sub/a.js", None),
            Verdict::No,
            "* stays in one segment"
        );
    }

    #[test]
    fn regexps_translate_and_exclude_wins() {
        let f = id_filter(
            vec![re(r"\.vue$", ""), re(r"[?&]vue\b", "")],
            vec![re(r"node_modules", "")],
        );
        assert_eq!(f.verdict("/p/App.vue", None), Verdict::Yes);
        assert_eq!(f.verdict("/p/App.vue?vue&type=style", None), Verdict::Yes);
        assert_eq!(f.verdict("/p/App.ts", None), Verdict::No);
        assert_eq!(
            f.verdict("/p/App.ts?vueish", None),
            Verdict::No,
            "\\b is a word boundary"
        );
        assert_eq!(f.verdict("/p/node_modules/x/App.vue", None), Verdict::No);
        let virt = id_filter(
            vec![re(r"^\0virtual:", ""), re(r"^virtual:x$", "i")],
            vec![],
        );
        assert_eq!(virt.verdict("\0virtual:routes", None), Verdict::Yes);
        assert_eq!(virt.verdict("VIRTUAL:X", None), Verdict::Yes);
        assert_eq!(virt.verdict("/p/virtual.js", None), Verdict::No);
    }

    #[test]
    fn untranslatable_regexps_are_maybe() {
        for (source, flags) in [
            (r"(?<=a)b", ""),
            (r"(a)\1", ""),
            (r"\p{L}", "u"),
            (r"a", "y"),
            (r"[^]", ""),
        ] {
            let f = id_filter(vec![re(source, flags)], vec![]);
            assert_eq!(f.verdict("zzz", None), Verdict::Maybe, "{source}/{flags}");
        }
    }

    #[test]
    fn js_classes_keep_their_ascii_meaning() {
        let f = id_filter(vec![re(r"^\w+\s\d$", "")], vec![]);
        assert_eq!(f.verdict("ab 1", None), Verdict::Yes);
        assert_eq!(
            f.verdict("ab\u{feff}1", None),
            Verdict::Yes,
            "JS's \\s has U+FEFF"
        );
        assert_eq!(f.verdict("é 1", None), Verdict::No, "JS's \\w is ASCII");
        assert_eq!(f.verdict("ab ١", None), Verdict::No, "JS's \\d is ASCII");
    }

    #[test]
    fn js_escapes_translate() {
        let f = id_filter(vec![re(r"^\/src\/\u0041[\-&a]\.js$", "")], vec![]);
        assert_eq!(f.verdict("/src/A&.js", None), Verdict::Yes);
        assert_eq!(f.verdict("/src/A-.js", None), Verdict::Yes);
        assert_eq!(f.verdict("/src/B&.js", None), Verdict::No);
    }

    #[test]
    fn code_strings_are_substrings() {
        let f = CompiledFilter::new(&HookFilter {
            id: Some(PatternFilter {
                include: vec![re(r"\.js$", "")],
                exclude: vec![],
            }),
            code: Some(PatternFilter {
                include: vec![Pattern::String("import.meta.env".into())],
                exclude: vec![],
            }),
        });
        assert_eq!(
            f.verdict("/a.js", Some("x = import.meta.env.MODE")),
            Verdict::Yes
        );
        assert_eq!(f.verdict("/a.js", Some("x = 1")), Verdict::No);
        assert_eq!(f.verdict("/a.ts", Some("import.meta.env")), Verdict::No);
        // resolveId and load have no code: the code part passes
        assert_eq!(f.verdict("/a.js", None), Verdict::Yes);
    }
}
