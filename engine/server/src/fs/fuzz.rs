//! Property test of the URL → file mapping (`parse_request_path` + `FsPolicy::resolve_file`):
//! a deterministic generator composes request paths from the pieces real exploits use (`..` in
//! every encoding, `%2f`/`%5c` separators, double encoding, overlong UTF-8, NUL, `#`, `?`,
//! mixed case, symlinks inside and out) and mutates them byte by byte. The property: whatever
//! is served is a file whose canonical path lies inside the root or an allowed directory, that
//! no deny pattern names, that is exactly the file the decoded path names, and whose contents
//! are not a secret. `HOTLOOP_LONG_TESTS=1` runs a million cases instead of 40 000.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{DEFAULT_FS_DENY, FsPolicy, PathRejection, denied_segment, parse_request_path};

/// Every file the server must never serve contains this.
const SECRET: &str = "zq9-leaked-bytes";

/// SplitMix64: small, deterministic, good enough to pick tokens.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    base: PathBuf,
    policy: FsPolicy,
    /// Files that may be served, relative to `base` (for the coverage check).
    public: Vec<&'static str>,
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = std::fs::canonicalize(dir.path()).expect("canonical");
    let root = base.join("app");
    let public = vec![
        "app/src/a.js",
        "app/src/sub/b.js",
        "app/public/p.txt",
        "app/node_modules/pkg/index.js",
        "packages/lp/index.js",
    ];
    for file in &public {
        write(&base.join(file), &format!("served: {file}"));
    }
    for secret in [
        "app/.env",
        "app/.env.local",
        "app/.git/config",
        "app/certs/server.pem",
        "app/src/id_rsa",
        "app/.npmrc",
        "app/public/.env",
        "outside/secret.txt",
        "app-evil/x.js",
        "packages/lp/.env",
    ] {
        write(&base.join(secret), &format!("{SECRET}: {secret}"));
    }
    let link = |target: &str, at: &str| symlink(base.join(target), base.join(at)).expect("symlink");
    link("app/src/a.js", "app/src/inside-link.js");
    link("app/.env", "app/src/env-link.txt");
    link("app/.git", "app/src/git-link");
    link("outside", "app/link-out");
    link("outside/secret.txt", "app/src/file-out.js");
    link("packages/lp", "app/node_modules/linked-pkg");
    link("outside", "app/node_modules/evil-pkg");
    link("app-evil", "app/public/evil");
    let policy = FsPolicy {
        public: Some(root.join("public")),
        root,
        allow: vec![base.join("packages")],
        deny: DEFAULT_FS_DENY.iter().map(|s| (*s).to_owned()).collect(),
    };
    Fixture {
        _dir: dir,
        base,
        policy,
        public,
    }
}

const NAMES: &[&str] = &[
    "src",
    "a.js",
    "A.JS",
    "sub",
    "b.js",
    "public",
    "p.txt",
    "node_modules",
    "pkg",
    "index.js",
    ".env",
    ".ENV",
    ".env.local",
    ".Env",
    ".git",
    ".GIT",
    "config",
    "certs",
    "server.pem",
    "server.PEM",
    "id_rsa",
    ".npmrc",
    "inside-link.js",
    "env-link.txt",
    "git-link",
    "link-out",
    "secret.txt",
    "file-out.js",
    "linked-pkg",
    "evil-pkg",
    "evil",
    "x.js",
    "outside",
    "app",
    "app-evil",
    "packages",
    "lp",
    "",
];

const SEPARATORS: &[&str] = &[
    "/",
    "//",
    "%2f",
    "%2F",
    "%252f",
    "%25252f",
    "\\",
    "%5c",
    "%5C",
    "%255c",
    "%c0%af",
    "%e0%80%af",
    "%c1%9c",
    "/./",
    "/../",
];

const DOTS: &[&str] = &[
    "..",
    ".",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%2e.",
    "%2e",
    "%252e%252e",
    "%25252e%25252e",
    "%252525252e",
    "%252E.",
    "%25%32%65%25%32%65",
    "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae",
    "%c0%2e",
    "%ef%bc%8e%ef%bc%8e",
    "...",
    "..;",
    ". .",
];

const JUNK: &[&str] = &[
    "%00",
    "\0",
    "#",
    "%23",
    "%2523",
    "?",
    "%3f",
    "%3F",
    "%253f",
    "%",
    "%zz",
    "%2",
    " ",
    "%20",
    "\n",
    "%0a",
    "%0d",
    "~",
    ";",
    "%ff",
    "é",
    "%c3%a9",
    "\u{202e}",
    "%e2%80%ae",
    "*",
    ":",
    "@",
    "%40",
];

/// Percent-encodes every byte of `text`, in upper or lower case hex.
fn encode_all(text: &str, upper: bool) -> String {
    text.bytes()
        .map(|b| {
            if upper {
                format!("%{b:02X}")
            } else {
                format!("%{b:02x}")
            }
        })
        .collect()
}

fn name(rng: &mut Rng) -> String {
    let name = rng.pick(NAMES);
    match rng.below(10) {
        0 => encode_all(name, rng.chance(50)),
        1 => encode_all(&encode_all(name, true), false),
        2 => name
            .chars()
            .map(|c| {
                if c == '.' {
                    "%2e".to_owned()
                } else {
                    c.to_string()
                }
            })
            .collect(),
        _ => name.to_owned(),
    }
}

/// Paths that exist in the fixture (served or attacks), as `/`-separated segments.
const PATHS: &[&str] = &[
    "src/a.js",
    "src/sub/b.js",
    "p.txt",
    "public/p.txt",
    "node_modules/pkg/index.js",
    "node_modules/linked-pkg/index.js",
    "node_modules/linked-pkg/.env",
    "node_modules/evil-pkg/secret.txt",
    "src/inside-link.js",
    "src/env-link.txt",
    "src/git-link/config",
    "src/file-out.js",
    "link-out/secret.txt",
    "evil/x.js",
    ".env",
    ".git/config",
    "certs/server.pem",
    "src/id_rsa",
    "public/.env",
    "src/../.env",
    "src/sub/../../../outside/secret.txt",
];

/// One request path: a prefix, tokens, then a few byte-level mutations.
fn generate(rng: &mut Rng, base: &Path) -> String {
    if rng.chance(50) {
        return structured(rng);
    }
    let mut path = match rng.below(20) {
        0 => String::new(),
        1 => format!("/{}", base.display()),
        2 => "%2f".to_owned(),
        _ => "/".to_owned(),
    };
    let tokens = 1 + rng.below(8);
    for _ in 0..tokens {
        match rng.below(10) {
            0..=3 => path.push_str(&name(rng)),
            4..=6 => path.push_str(rng.pick(SEPARATORS)),
            7..=8 => path.push_str(rng.pick(DOTS)),
            _ => path.push_str(rng.pick(JUNK)),
        }
        if rng.chance(60) {
            path.push('/');
        }
    }
    for _ in 0..rng.below(3) {
        mutate(rng, &mut path);
    }
    path
}

/// A real path of the fixture, its segments variously encoded, sometimes with an extra dot
/// segment, separator or junk, then 0-2 mutations.
fn structured(rng: &mut Rng) -> String {
    let mut path = String::new();
    for segment in rng.pick(PATHS).split('/') {
        path.push_str(if rng.chance(85) {
            "/"
        } else {
            rng.pick(SEPARATORS)
        });
        if rng.chance(5) {
            path.push_str(rng.pick(DOTS));
            path.push('/');
        }
        path.push_str(&match rng.below(12) {
            0 => encode_all(segment, rng.chance(50)),
            1 => encode_all(&encode_all(segment, true), false),
            2 => segment.to_ascii_uppercase(),
            3 => segment.replace('.', "%2e"),
            _ => segment.to_owned(),
        });
    }
    if rng.chance(10) {
        path.push_str(rng.pick(JUNK));
    }
    for _ in 0..rng.below(3) {
        if rng.chance(40) {
            mutate(rng, &mut path);
        }
    }
    path
}

fn mutate(rng: &mut Rng, path: &mut String) {
    let boundaries: Vec<usize> = (0..=path.len())
        .filter(|&i| path.is_char_boundary(i))
        .collect();
    let at = boundaries[rng.below(boundaries.len())];
    match rng.below(5) {
        0 => path.insert_str(at, rng.pick(DOTS)),
        1 => path.insert_str(at, rng.pick(SEPARATORS)),
        2 => path.insert_str(at, rng.pick(JUNK)),
        3 => {
            // Encode the character at `at` once more.
            if let Some(c) = path[at..].chars().next() {
                let encoded = encode_all(&c.to_string(), rng.chance(50));
                path.replace_range(at..at + c.len_utf8(), &encoded);
            }
        }
        _ => {
            if let Some(c) = path[at..].chars().next() {
                path.replace_range(at..at + c.len_utf8(), "");
            }
        }
    }
}

/// Where a case ended up.
#[derive(Default)]
struct Tally {
    executions: usize,
    served: BTreeMap<PathBuf, usize>,
    missing: usize,
    refused: BTreeMap<&'static str, usize>,
}

fn rejection_name(r: &PathRejection) -> &'static str {
    match r {
        PathRejection::NotAbsolute => "not absolute",
        PathRejection::BadEncoding => "bad encoding",
        PathRejection::TooManyEncodings => "too many encodings",
        PathRejection::ForbiddenChar(_) => "forbidden char",
        PathRejection::DotSegment => "dot segment",
        PathRejection::Denied(_) => "denied",
        PathRejection::OutsideRoot => "outside root",
    }
}

/// Checks one case; `Err` describes a violation.
fn check_case(f: &Fixture, raw: &str, tally: &mut Tally) -> Result<(), String> {
    tally.executions += 1;
    let request = match parse_request_path(raw) {
        Ok(request) => request,
        Err(why) => {
            *tally.refused.entry(rejection_name(&why)).or_default() += 1;
            return Ok(());
        }
    };
    // What parsing accepted is plain: no segment is empty, `.`/`..`, or holds a separator,
    // NUL, `#`, `?` or a control character, and encoding it again gives the same path.
    for segment in &request.segments {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment
                .chars()
                .any(|c| matches!(c, '/' | '\\' | '\0' | '#' | '?') || c.is_control())
        {
            return Err(format!("parsed segment {segment:?}"));
        }
    }
    let opened = match f.policy.resolve_file(&request, &[]) {
        Ok(Some(opened)) => opened,
        Ok(None) => {
            tally.missing += 1;
            return Ok(());
        }
        Err(why) => {
            *tally.refused.entry(rejection_name(&why)).or_default() += 1;
            return Ok(());
        }
    };
    let path = opened.path.clone();
    let canonical = std::fs::canonicalize(&path).map_err(|e| format!("{e}"))?;
    if canonical != path {
        return Err(format!("opened a non-canonical path {}", path.display()));
    }
    let relative = std::iter::once(&f.policy.root)
        .chain(&f.policy.allow)
        .find_map(|dir| path.strip_prefix(dir).ok())
        .ok_or_else(|| format!("served {} outside the allowed dirs", path.display()))?;
    let segments: Vec<&str> = relative.iter().filter_map(|s| s.to_str()).collect();
    if let Some(denied) = denied_segment(&f.policy.deny, segments.iter().copied()) {
        return Err(format!("served {} ({denied} is denied)", path.display()));
    }
    // The file opened is the file the decoded request names (public/ first, then the root).
    let named = [f.policy.root.join("public"), f.policy.root.clone()]
        .into_iter()
        .find_map(|base| {
            let candidate = request
                .segments
                .iter()
                .fold(base, |p, segment| p.join(segment));
            std::fs::canonicalize(candidate)
                .ok()
                .filter(|c| c.is_file())
        });
    if named.as_ref() != Some(&path) {
        return Err(format!(
            "opened {} but the request names {named:?}",
            path.display()
        ));
    }
    let text = opened.read_all().map_err(|e| format!("{e}"))?;
    if String::from_utf8_lossy(&text).contains(SECRET) {
        return Err(format!("served a secret from {}", path.display()));
    }
    *tally.served.entry(path).or_default() += 1;
    Ok(())
}

#[test]
fn accepted_paths_stay_inside_the_allowed_dirs_and_never_name_a_denied_file() {
    let f = fixture();
    let cases = if std::env::var("HOTLOOP_LONG_TESTS").is_ok_and(|v| v == "1") {
        1_000_000
    } else {
        40_000
    };
    let mut rng = Rng(0x005e_ed0f_f00d);
    let mut tally = Tally::default();
    let mut violations = Vec::new();
    for _ in 0..cases {
        let raw = generate(&mut rng, &f.base);
        if let Err(violation) = check_case(&f, &raw, &mut tally) {
            violations.push(format!("{raw:?}: {violation}"));
        }
    }
    // Known attacks, always.
    for raw in [
        "/src/env-link.txt",
        "/src/git-link/config",
        "/link-out/secret.txt",
        "/src/file-out.js",
        "/node_modules/evil-pkg/secret.txt",
        "/evil/x.js",
        "/node_modules/linked-pkg/.env",
        "/.env%00.js",
        "/%2e%2e/outside/secret.txt",
    ] {
        if let Err(violation) = check_case(&f, raw, &mut tally) {
            violations.push(format!("{raw:?}: {violation}"));
        }
    }
    let served: usize = tally.served.values().sum();
    let summary = format!(
        "{} executions: {served} served, {} missing, refused {:?}; served files {:?}",
        tally.executions,
        tally.missing,
        tally.refused,
        tally
            .served
            .iter()
            .map(|(p, n)| (
                p.strip_prefix(&f.base).unwrap_or(p).display().to_string(),
                *n
            ))
            .collect::<Vec<_>>()
    );
    eprintln!("url→path fuzz: {summary}");
    assert!(
        violations.is_empty(),
        "{summary}\n{}",
        violations.join("\n")
    );
    // The generator must reach every servable file and every kind of refusal, or it proves
    // little.
    for file in &f.public {
        let path = std::fs::canonicalize(f.base.join(file)).expect("canonical");
        assert!(
            tally.served.contains_key(&path),
            "never served {file}: {summary}"
        );
    }
    for reason in [
        "not absolute",
        "bad encoding",
        "too many encodings",
        "forbidden char",
        "dot segment",
        "denied",
        "outside root",
    ] {
        assert!(
            tally.refused.contains_key(reason),
            "never refused as {reason}: {summary}"
        );
    }
}

/// The same generator over real HTTP: every response of a real server, whatever the target
/// (hyper may refuse it before the router sees it), is free of secrets.
#[tokio::test]
async fn no_request_target_leaks_a_secret_over_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let f = fixture();
    let mut config = crate::ServerConfig::new(&f.policy.root);
    config.port = 0;
    config.fs_allow = f.policy.allow.clone();
    let bound = crate::bind(config).await.expect("bind");
    let addr = bound.local_addr();
    let served = hotloop_protocol::Served::empty(Arc::from("fuzz"));
    let (_served_tx, served_rx) = tokio::sync::watch::channel(Arc::new(served));
    let (updates, _) = tokio::sync::broadcast::channel(4);
    let (events, _events_rx) = crossbeam_channel::unbounded();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(bound.run(served_rx, updates, events, async move {
        let _ = stop_rx.await;
    }));
    let cases = if std::env::var("HOTLOOP_LONG_TESTS").is_ok_and(|v| v == "1") {
        20_000
    } else {
        1_500
    };
    let mut rng = Rng(0xdead_beef);
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for i in 0..cases {
        let target = generate(&mut rng, &f.base);
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            addr.port()
        );
        let reply = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.write_all(request.as_bytes()).await.expect("send");
            let mut buf = Vec::new();
            let _ = stream.read_to_end(&mut buf).await;
            buf
        })
        .await
        .unwrap_or_else(|_| panic!("case {i} ({target:?}): no reply"));
        let text = String::from_utf8_lossy(&reply);
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        *statuses.entry(status).or_default() += 1;
        assert!(
            !text.contains(SECRET),
            "case {i} ({target:?}) leaked:\n{text}"
        );
    }
    eprintln!("url→path fuzz over HTTP: {cases} requests, statuses {statuses:?}");
    assert!(statuses.get(&200).is_some_and(|&n| n > 0), "{statuses:?}");
    assert!(statuses.get(&403).is_some_and(|&n| n > 0), "{statuses:?}");
    let _ = stop_tx.send(());
    let _ = server.await;
}
