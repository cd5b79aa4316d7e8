//! `.env` files as Vite reads them (the npm `dotenv` grammar, then `dotenv-expand`), so a
//! Vite project's files mean the same here. Written out because the Rust crates implement the
//! shell-like grammar instead: `dotenvy` refuses `KEY=two words`, which the npm grammar (and
//! every Vite project that relies on it) accepts.
//!
//! Grammar, per line: optional `export `, a name of `[A-Za-z0-9_.-]`, `=` (or `: `), then a
//! value: `'...'`, `"..."` or `` `...` `` (may span lines; in double quotes `\n` and `\r` are
//! newlines), or unquoted text up to `#` or the end of the line, trimmed. `#` starts a comment.
//! Lines that do not match are skipped (as npm `dotenv` does); [`parse`] reports them.
//! Expansion: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `\$` for a literal
//! `$`; names resolve to the process environment first, then to the files' values.

use std::collections::BTreeMap;

/// One `NAME=value` of a file, with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub value: String,
    pub line: u32,
}

/// What [`parse`] found: the entries in order and the lines it skipped (1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub skipped: Vec<u32>,
}

pub fn parse(src: &str) -> Parsed {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let text = src.replace("\r\n", "\n").replace('\r', "\n");
    let bytes = text.as_bytes();
    let mut out = Parsed::default();
    let mut pos = 0;
    let line_of = |at: usize| text[..at].matches('\n').count() as u32 + 1;
    while pos < bytes.len() {
        let line_end = text[pos..].find('\n').map_or(bytes.len(), |i| pos + i);
        match parse_line(&text, pos, line_end) {
            Some((name, value, end)) => {
                out.entries.push(Entry {
                    name,
                    value,
                    line: line_of(pos),
                });
                pos = end;
            }
            None => {
                let line = text[pos..line_end].trim();
                if !line.is_empty() && !line.starts_with('#') {
                    out.skipped.push(line_of(pos));
                }
                pos = line_end;
            }
        }
        // Past the newline that ends the entry or the skipped line.
        if pos < bytes.len() && bytes[pos] == b'\n' {
            pos += 1;
        }
    }
    out
}

/// Parses the entry starting at `start` (a line start); returns the name, the value and where
/// the entry ends (the end of its last line).
fn parse_line(text: &str, start: usize, line_end: usize) -> Option<(String, String, usize)> {
    let is_blank = |c: char| c == ' ' || c == '\t';
    let mut rest = text[start..line_end].trim_start_matches(is_blank);
    if let Some(after) = rest.strip_prefix("export")
        && after.starts_with(is_blank)
    {
        rest = after.trim_start_matches(is_blank);
    }
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let after_name = &rest[name_len..];
    let value_part = if let Some(v) = after_name.trim_start_matches(is_blank).strip_prefix('=') {
        v
    } else if let Some(v) = after_name.strip_prefix(':')
        && v.starts_with(is_blank)
    {
        v
    } else {
        return None;
    };
    let value_start = line_end - value_part.len();
    let leading = value_part.len() - value_part.trim_start_matches(is_blank).len();
    let quote_at = value_start + leading;
    if let Some(q) = text[quote_at..]
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
        && let Some(close) = closing_quote(text, quote_at + 1, q)
    {
        // The quoted form counts only if nothing but a comment follows on its last line.
        let tail_end = text[close..].find('\n').map_or(text.len(), |i| close + i);
        let tail = text[close + 1..tail_end].trim_start_matches(is_blank);
        if tail.is_empty() || tail.starts_with('#') {
            let inner = &text[quote_at + 1..close];
            let value = if q == '"' {
                inner.replace("\\n", "\n").replace("\\r", "\r")
            } else {
                inner.to_string()
            };
            return Some((name.to_string(), value, tail_end));
        }
    }
    let unquoted = value_part.split('#').next().unwrap_or_default().trim();
    let value = match unquoted.chars().next() {
        // `"a" b`: npm dotenv keeps such a value as written.
        Some(q @ ('\'' | '"' | '`')) if unquoted.len() >= 2 && unquoted.ends_with(q) => {
            unquoted[1..unquoted.len() - 1].to_string()
        }
        _ => unquoted.to_string(),
    };
    Some((name.to_string(), value, line_end))
}

/// The byte offset of the quote `q` closing a value that starts at `from`; `\q` does not close.
fn closing_quote(text: &str, from: usize, q: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() && bytes[i + 1] == q as u8 => i += 2,
            b if b == q as u8 => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Expands `$NAME`-style references in every value of `vars` (see the module docs); `lookup`
/// is the process environment. A reference cycle expands to the empty string.
pub fn expand(
    vars: &BTreeMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in vars.keys() {
        let mut visiting = Vec::new();
        out.insert(name.clone(), expand_var(name, vars, lookup, &mut visiting));
    }
    out
}

fn expand_var(
    name: &str,
    vars: &BTreeMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    visiting: &mut Vec<String>,
) -> String {
    if let Some(value) = lookup(name) {
        return value;
    }
    let Some(raw) = vars.get(name) else {
        return String::new();
    };
    if visiting.iter().any(|v| v == name) {
        return String::new();
    }
    visiting.push(name.to_string());
    let value = expand_value(raw, vars, lookup, visiting);
    visiting.pop();
    value
}

fn expand_value(
    raw: &str,
    vars: &BTreeMap<String, String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    visiting: &mut Vec<String>,
) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['$', '\\']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("\\$") {
            out.push('$');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('\\') {
            out.push('\\');
            rest = after;
        } else if let Some(braced) = tail.strip_prefix("${")
            && let Some(close) = braced.find('}')
        {
            let inner = &braced[..close];
            let (name, default) = match inner.find(":-").or_else(|| inner.find('-')) {
                Some(at) => {
                    let skip = if inner[at..].starts_with(":-") { 2 } else { 1 };
                    (&inner[..at], Some(&inner[at + skip..]))
                }
                None => (inner, None),
            };
            let value = expand_var(name, vars, lookup, visiting);
            match default {
                Some(d) if value.is_empty() => {
                    out.push_str(&expand_value(d, vars, lookup, visiting));
                }
                _ => out.push_str(&value),
            }
            rest = &braced[close + 1..];
        } else {
            let name_len = tail[1..].find(|c| !is_name(c)).unwrap_or(tail.len() - 1);
            if name_len == 0 {
                out.push('$');
            } else {
                out.push_str(&expand_var(&tail[1..=name_len], vars, lookup, visiting));
            }
            rest = &tail[1 + name_len..];
        }
    }
    out.push_str(rest);
    out
}

/// `.env` or `.env.<anything>`: a name Vite reads in some mode.
pub fn is_env_file_name(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(src: &str) -> Vec<(String, String)> {
        parse(src)
            .entries
            .into_iter()
            .map(|e| (e.name, e.value))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_npm_dotenv_grammar() {
        let src = "# comment\n\
                   BASIC=basic\n\
                   SPACES=two words here   \n\
                   COMMENTED=value # trailing comment\n\
                   HASH_CUT=abc#def\n\
                   EMPTY=\n\
                   \n\
                   export EXPORTED=yes\n\
                   SINGLE='single # not a comment'\n\
                   DOUBLE=\"line\\nbreak\"\n\
                   BACKTICK=`back'tick\"`\n\
                   ESCAPED=\"say \\\"hi\\\"\"\n\
                   MULTI=\"first\nsecond\"\n\
                   COLON: colon value\n\
                   dotted.name-x=ok\n\
                   NOT A LINE\n\
                   \tINDENTED = spaced  \n\
                   CRLF=windows\r\n\
                   LAST=end";
        assert_eq!(
            values(src),
            pairs(&[
                ("BASIC", "basic"),
                ("SPACES", "two words here"),
                ("COMMENTED", "value"),
                ("HASH_CUT", "abc"),
                ("EMPTY", ""),
                ("EXPORTED", "yes"),
                ("SINGLE", "single # not a comment"),
                ("DOUBLE", "line\nbreak"),
                ("BACKTICK", "back'tick\""),
                ("ESCAPED", "say \\\"hi\\\""),
                ("MULTI", "first\nsecond"),
                ("COLON", "colon value"),
                ("dotted.name-x", "ok"),
                ("INDENTED", "spaced"),
                ("CRLF", "windows"),
                ("LAST", "end"),
            ])
        );
        let parsed = parse(src);
        assert_eq!(
            parsed.skipped,
            vec![17],
            "NOT A LINE is skipped, with its line"
        );
        let multi = parsed.entries.iter().find(|e| e.name == "MULTI").unwrap();
        assert_eq!(multi.line, 13);
        let last = parsed.entries.iter().find(|e| e.name == "LAST").unwrap();
        assert_eq!(
            last.line, 20,
            "lines after a multi-line value still count right"
        );
    }

    #[test]
    fn an_unclosed_quote_is_an_unquoted_value() {
        assert_eq!(
            values("A=\"open\nB=2\n"),
            pairs(&[("A", "\"open"), ("B", "2")])
        );
        assert_eq!(values("A=\"x\" y\n"), pairs(&[("A", "\"x\" y")]));
    }

    #[test]
    fn expansion_uses_the_process_environment_first_then_the_files() {
        let vars: BTreeMap<String, String> = [
            ("HOST", "files.test"),
            ("URL", "https://${HOST}/$PATH_PART"),
            ("PATH_PART", "v1"),
            ("FROM_PROCESS", "$HOME_DIR/x"),
            ("DEFAULTED", "${MISSING:-fallback}-${ALSO_MISSING-other}"),
            ("LITERAL", "cost \\$5"),
            ("LOOP_A", "$LOOP_B"),
            ("LOOP_B", "${LOOP_A}!"),
            ("OVERRIDDEN", "from file"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let process = |name: &str| match name {
            "HOME_DIR" => Some("/home/me".to_string()),
            "OVERRIDDEN" => Some("from process".to_string()),
            _ => None,
        };
        let out = expand(&vars, &process);
        assert_eq!(out["URL"], "https://files.test/v1");
        assert_eq!(out["FROM_PROCESS"], "/home/me/x");
        assert_eq!(out["DEFAULTED"], "fallback-other");
        assert_eq!(out["LITERAL"], "cost $5");
        assert_eq!(out["LOOP_A"], "!");
        assert_eq!(out["OVERRIDDEN"], "from process");
    }
}
