//! Request path → file on disk, safely. Everything a URL can name goes through here:
//!
//! 1. `parse_request_path` works on the raw (still percent-encoded) path of the request target;
//!    the query is never part of it, so `?raw??`-style tricks cannot change which file is
//!    checked or opened. It percent-decodes repeatedly until the text is stable (so `%252e%252e`
//!    is seen as `..`), and at every stage refuses NUL, `\`, `#`, `?`, control characters and
//!    `.`/`..` segments; each stage must be valid UTF-8 (overlong forms such as `%c0%ae` are
//!    invalid UTF-8). The file opened is the once-decoded path, i.e. standard URL semantics;
//!    every further decoding stage only has to be harmless.
//! 2. The deny list (`.env*`, keys, `.git/`, ...) is matched, ASCII case-insensitively, against
//!    every segment of the requested path.
//! 3. `resolve_file` joins the segments to `<root>/public` and then `<root>`, canonicalizes, and
//!    requires the canonical path to lie inside the canonical root (or an extra allowed
//!    directory); this also covers symlinks that point outside. The deny list is matched again
//!    against the canonical path, so a symlink inside the root cannot expose `.env` either. The
//!    canonical path that passed these checks is exactly the path that is opened.
//!
//! A symlink swapped in between the check and the open by someone who can already write into
//! the project is out of scope.
//!
//! Under `/@fs/<absolute path>` a file may also lie in a source directory the engine publishes
//! (`Served::source_roots`: linked workspace packages) or a served directory (`public/`,
//! `server.fs.allow`: a workspace's hoisted `node_modules`); the same checks apply.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use percent_encoding::percent_decode_str;

/// Files never served, whatever the path: matched against each path segment; `*` is a
/// wildcard, a trailing `/` marks a directory name (matched like any segment).
pub const DEFAULT_FS_DENY: &[&str] = &[
    ".env*",
    "*.pem",
    "*.key",
    "*.crt",
    "*.p12",
    "*.pfx",
    "id_rsa*",
    "id_ed25519*",
    ".git/",
    ".npmrc",
    ".hg/",
    ".svn/",
];

/// How many times a path may be percent-encoded before it is refused as suspicious.
const MAX_DECODE_ROUNDS: usize = 4;

/// Why a request path was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathRejection {
    #[error("the path does not start with '/'")]
    NotAbsolute,
    #[error("the path is not valid percent-encoded UTF-8")]
    BadEncoding,
    #[error("the path is percent-encoded too many times")]
    TooManyEncodings,
    #[error("the path contains a forbidden character ({0})")]
    ForbiddenChar(&'static str),
    #[error("the path contains a '.' or '..' segment")]
    DotSegment,
    #[error("'{0}' matches the deny list")]
    Denied(String),
    #[error("the path leads outside the project root")]
    OutsideRoot,
}

/// A request path that passed every syntactic check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestPath {
    /// `/`-joined decoded segments with a leading `/` (the module id it would be).
    pub id: String,
    pub segments: Vec<String>,
}

fn check_stage(stage: &str) -> Result<(), PathRejection> {
    for c in stage.chars() {
        let bad = match c {
            '\0' => "NUL",
            '\\' => "backslash",
            '#' => "'#'",
            '?' => "'?'",
            c if c.is_control() => "control character",
            _ => continue,
        };
        return Err(PathRejection::ForbiddenChar(bad));
    }
    if stage.split('/').any(|s| s == "." || s == "..") {
        return Err(PathRejection::DotSegment);
    }
    Ok(())
}

/// Checks and decodes the raw path of a request target (without its query).
pub fn parse_request_path(raw: &str) -> Result<RequestPath, PathRejection> {
    if !raw.starts_with('/') {
        return Err(PathRejection::NotAbsolute);
    }
    check_stage(raw)?;
    let mut once: Option<String> = None;
    let mut stage = raw.to_owned();
    let mut rounds = 0;
    loop {
        let decoded = percent_decode_str(&stage)
            .decode_utf8()
            .map_err(|_| PathRejection::BadEncoding)?
            .into_owned();
        if decoded == stage {
            break;
        }
        rounds += 1;
        if rounds > MAX_DECODE_ROUNDS {
            return Err(PathRejection::TooManyEncodings);
        }
        check_stage(&decoded)?;
        if once.is_none() {
            once = Some(decoded.clone());
        }
        stage = decoded;
    }
    let once = once.unwrap_or(stage);
    let segments: Vec<String> = once
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let id = format!("/{}", segments.join("/"));
    Ok(RequestPath { id, segments })
}

/// ASCII case-insensitive glob with `*` only.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_matches(rest, &text[i..])),
        Some((p, rest)) => text
            .split_first()
            .is_some_and(|(t, text)| p.eq_ignore_ascii_case(t) && glob_matches(rest, text)),
    }
}

/// The first deny pattern matching a segment, if any.
pub fn denied_segment<'a>(
    deny: &[String],
    segments: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    for segment in segments {
        for pattern in deny {
            let pattern = pattern.trim_end_matches('/');
            if glob_matches(pattern.as_bytes(), segment.as_bytes()) {
                return Some(segment.to_owned());
            }
        }
    }
    None
}

/// Where files may be served from.
#[derive(Clone, Debug)]
pub struct FsPolicy {
    /// Canonical project root.
    pub root: PathBuf,
    /// The public directory (`publicDir`), looked in before the root; may be outside it.
    pub public: Option<PathBuf>,
    /// Canonical extra directories (outside the root) that may be served.
    pub allow: Vec<PathBuf>,
    pub deny: Vec<String>,
}

/// A file found and opened for a request.
#[derive(Debug)]
pub struct OpenedFile {
    /// The canonical path that was checked and opened.
    pub path: PathBuf,
    pub len: u64,
    /// Modification time in nanoseconds since the epoch (0 if unknown).
    pub mtime_ns: u128,
    pub file: File,
}

impl OpenedFile {
    /// Strong validator from size and modification time.
    pub fn etag(&self) -> String {
        format!("\"{:x}-{:x}\"", self.len, self.mtime_ns)
    }

    pub fn read_all(mut self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.len as usize);
        self.file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

impl FsPolicy {
    /// Finds the file for `path`: under `/@fs/<absolute path>`, a file inside one of `sources`
    /// (the source directories outside the root the engine publishes: linked workspace
    /// packages) or of the served directories (the root, `public/`, `allow`: a workspace's
    /// hoisted `node_modules`, whose fonts and images package CSS names, as Vite's
    /// `server.fs.allow`); otherwise `public/` first, then the root. `Ok(None)` when there
    /// is no such file, an error when the request must be refused. Blocking: call off the
    /// runtime.
    pub fn resolve_file(
        &self,
        path: &RequestPath,
        sources: &[PathBuf],
    ) -> Result<Option<OpenedFile>, PathRejection> {
        if let Some(segment) = denied_segment(&self.deny, path.segments.iter().map(String::as_str))
        {
            return Err(PathRejection::Denied(segment));
        }
        if path.segments.is_empty() {
            return Ok(None);
        }
        let (bases, segments, allowed): (Vec<PathBuf>, &[String], Vec<&PathBuf>) =
            match path.segments.split_first() {
                Some((first, rest)) if first == "@fs" => (
                    vec![PathBuf::from("/")],
                    rest,
                    sources.iter().chain(self.served_dirs()).collect(),
                ),
                _ => (
                    self.public.iter().chain([&self.root]).cloned().collect(),
                    &path.segments[..],
                    self.served_dirs(),
                ),
            };
        for base in bases {
            let mut candidate = base;
            for segment in segments {
                // Parsing guarantees plain names, but a segment is only ever pushed when it is
                // exactly one normal component (never absolute, never a prefix).
                let mut components = Path::new(segment).components();
                match (components.next(), components.next()) {
                    (Some(Component::Normal(_)), None) => candidate.push(segment),
                    _ => return Err(PathRejection::DotSegment),
                }
            }
            let canonical = match std::fs::canonicalize(&candidate) {
                Ok(c) => c,
                Err(_) => continue,
            };
            self.check_inside(&canonical, &allowed)?;
            let Ok(file) = File::open(&canonical) else {
                continue;
            };
            let Ok(meta) = file.metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            return Ok(Some(OpenedFile {
                path: canonical,
                len: meta.len(),
                mtime_ns,
                file,
            }));
        }
        Ok(None)
    }
}

impl FsPolicy {
    /// Whether a file a plugin named (an `/@id/` answer) may be served: canonical, inside the
    /// root, the public directory or an allowed one, no segment denied below it. Blocking.
    pub fn may_serve(&self, file: &Path) -> bool {
        std::fs::canonicalize(file)
            .is_ok_and(|canonical| self.check_inside(&canonical, &self.served_dirs()).is_ok())
    }

    /// Whether `path` (as `resolve_file` found it) is a file of the public directory, served
    /// as it is.
    pub fn in_public(&self, path: &Path) -> bool {
        self.public
            .as_ref()
            .is_some_and(|public| path.starts_with(public))
    }

    /// The root, the public directory and the allowed ones.
    fn served_dirs(&self) -> Vec<&PathBuf> {
        std::iter::once(&self.root)
            .chain(&self.public)
            .chain(&self.allow)
            .collect()
    }

    /// `canonical` is inside one of `allowed`, and no path segment below it is denied.
    fn check_inside(&self, canonical: &Path, allowed: &[&PathBuf]) -> Result<(), PathRejection> {
        let Some(relative) = allowed
            .iter()
            .find_map(|dir| canonical.strip_prefix(dir).ok())
        else {
            return Err(PathRejection::OutsideRoot);
        };
        let segments = relative.components().filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        });
        match denied_segment(&self.deny, segments) {
            Some(segment) => Err(PathRejection::Denied(segment)),
            None => Ok(()),
        }
    }
}

/// `Content-Type` for a served file.
pub fn content_type(path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "js" | "mjs" | "cjs" => return "text/javascript; charset=utf-8".into(),
        // Raw sources (for devtools); never `video/mp2t` and never executable as a script.
        "ts" | "tsx" | "mts" | "cts" | "jsx" => return "text/plain; charset=utf-8".into(),
        "map" | "json" => return "application/json".into(),
        _ => {}
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    }
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    fn deny() -> Vec<String> {
        DEFAULT_FS_DENY.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_plain_and_encoded_paths() {
        let p = parse_request_path("/src/my%20file.js").unwrap();
        assert_eq!(p.id, "/src/my file.js");
        assert_eq!(p.segments, ["src", "my file.js"]);
        let p = parse_request_path("//src///a.js").unwrap();
        assert_eq!(p.id, "/src/a.js");
        // A file whose name merely starts with dots is not a dot segment.
        assert_eq!(
            parse_request_path("/src/..foo.js").unwrap().id,
            "/src/..foo.js"
        );
        assert_eq!(
            parse_request_path("/").unwrap().segments,
            Vec::<String>::new()
        );
    }

    #[test]
    fn refuses_traversal_in_every_encoding() {
        use PathRejection::*;
        let cases: &[(&str, PathRejection)] = &[
            ("/../etc/passwd", DotSegment),
            ("/src/../../x", DotSegment),
            ("/./x", DotSegment),
            ("/%2e%2e/x", DotSegment),
            ("/%2E%2E%2Fx", DotSegment),
            ("/..%2fx", DotSegment),
            ("/.%2e/x", DotSegment),
            ("/%252e%252e/x", DotSegment),
            ("/%25252e%25252e/x", DotSegment),
            ("/%c0%ae%c0%ae/x", BadEncoding),
            ("/%e0%80%ae%e0%80%ae/x", BadEncoding),
            ("/%ff/x", BadEncoding),
            ("/a\\..\\x", ForbiddenChar("backslash")),
            ("/a%5c..%5cx", ForbiddenChar("backslash")),
            ("/a%255c..", ForbiddenChar("backslash")),
            ("/x.js%00.png", ForbiddenChar("NUL")),
            ("/x%23y", ForbiddenChar("'#'")),
            ("/x%3fraw", ForbiddenChar("'?'")),
            ("/x%0a", ForbiddenChar("control character")),
            ("x", NotAbsolute),
            ("/%2525252525252e", TooManyEncodings),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_request_path(raw).as_ref(), Err(expected), "{raw}");
        }
    }

    #[test]
    fn deny_list_matches_segments_case_insensitively() {
        let deny = deny();
        let m = |p: &str| denied_segment(&deny, p.split('/').filter(|s| !s.is_empty()));
        assert_eq!(m("/.env"), Some(".env".into()));
        assert_eq!(m("/.ENV.local"), Some(".ENV.local".into()));
        assert_eq!(m("/certs/server.PEM"), Some("server.PEM".into()));
        assert_eq!(m("/.git/config"), Some(".git".into()));
        assert_eq!(m("/a/.svn/x"), Some(".svn".into()));
        assert_eq!(m("/home/id_rsa.pub"), Some("id_rsa.pub".into()));
        assert_eq!(m("/src/env.js"), None);
        assert_eq!(m("/src/environment.ts"), None);
        assert_eq!(m("/src/keys.js"), None);
        assert_eq!(m("/src/monkey.js"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.ts")), "text/plain; charset=utf-8");
        assert_eq!(content_type(Path::new("a.css")), "text/css; charset=utf-8");
        assert_eq!(content_type(Path::new("a.svg")), "image/svg+xml");
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
