//! The command line (parsing, help, the stub commands) and writing the demo app.

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use engine::testing::TempProject;
use hotloop_tui::cli::{Cli, Command, DevArgs, Given, LogFormat, ServeArgs};
use hotloop_tui::demo::{DEMO_FILES, edit_hint, write_demo};

fn hotloop(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_hotloop"))
        .args(args)
        .output()
        .expect("run the hotloop binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse(args: &[&str]) -> Command {
    let argv = std::iter::once("hotloop").chain(args.iter().copied());
    match Cli::parse_from_args(argv) {
        Ok(cli) => cli.into_command(),
        Err(error) => panic!("{args:?} does not parse: {error}"),
    }
}

fn default_serve() -> ServeArgs {
    ServeArgs {
        port: 5173,
        strict_port: false,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        clear_screen: None,
        no_tui: false,
        open: false,
        allowed_hosts: Vec::new(),
        allow_any_origin: false,
        fs_allow: Vec::new(),
        proxy: Vec::new(),
        https_cert: None,
        https_key: None,
        headers: Vec::new(),
        https_from_config: None,
        no_fs_deny: false,
        fs_deny: Vec::new(),
        public_dir: Default::default(),
        app_type: Default::default(),
        env_prefixes: Vec::new(),
        base: "/".to_string(),
        mode: "development".to_string(),
        given: Given::default(),
        server: None,
        config: None,
        node: None,
        no_cache: false,
        verbose: 0,
        log_format: LogFormat::Text,
    }
}

#[test]
fn help_lists_the_commands_and_their_flags() {
    let output = hotloop(&["--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for command in ["dev", "demo", "profile"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "`{command}` missing from:\n{help}"
        );
    }
    let output = hotloop(&["dev", "--help"]);
    assert!(output.status.success());
    let help = text(&output.stdout);
    for flag in [
        "[ROOT]",
        "--port <N>",
        "[default: 5173]",
        "--host [<ADDR>]",
        "--force",
        "[default: 127.0.0.1]",
        "--no-tui",
        "--open",
        "--allowed-host <H>",
        "--allow-any-origin",
        "--fs-allow <DIR>",
        "--no-fs-deny",
        "--env-prefix <PREFIX>",
        "--no-cache",
        "--verbose",
        "--log-format <FORMAT>",
        "json",
    ] {
        assert!(help.contains(flag), "`{flag}` missing from:\n{help}");
    }
    // --no-fs-deny names every pattern it stops protecting.
    for pattern in hotloop_server::DEFAULT_FS_DENY {
        assert!(
            help.contains(&format!("`{pattern}`")),
            "deny pattern `{pattern}` missing from:\n{help}"
        );
    }
    let help = text(&hotloop(&["demo", "--help"]).stdout);
    for flag in ["[DIR]", "[default: hotloop-demo]", "--force", "--port <N>"] {
        assert!(help.contains(flag), "`{flag}` missing from:\n{help}");
    }
    let help = text(&hotloop(&["profile", "--help"]).stdout);
    for flag in [
        "--touch <FILE>...",
        "--repeat <N>",
        "--json <OUT>",
        "--trace <OUT>",
    ] {
        assert!(help.contains(flag), "`{flag}` missing from:\n{help}");
    }
}

#[test]
fn dev_defaults_to_the_current_dir_on_localhost_port_5173_as_vite() {
    assert_eq!(
        parse(&["dev"]),
        Command::Dev(DevArgs {
            root: PathBuf::from("."),
            force: false,
            serve: default_serve(),
        })
    );
}

#[test]
fn no_command_means_dev_with_the_same_arguments() {
    assert_eq!(parse(&[]), parse(&["dev"]));
    assert_eq!(
        parse(&["app", "--port", "4000", "--no-tui"]),
        parse(&["dev", "app", "--port", "4000", "--no-tui"])
    );
    // A command still wins over a ROOT of the same name only when it comes first.
    assert!(matches!(parse(&["demo"]), Command::Demo(_)));
}

#[test]
fn dev_parses_every_flag() {
    let command = parse(&[
        "dev",
        "site",
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--no-tui",
        "--open",
        "--allowed-host",
        "a.example",
        "--allowed-host",
        "b.example",
        "--allow-any-origin",
        "--fs-allow",
        "../packages",
        "--proxy",
        "/api=http://localhost:8080",
        "--proxy",
        "/ws=ws://127.0.0.1:9000/socket",
        "--no-fs-deny",
        "--https-cert",
        "certs/dev.pem",
        "--https-key",
        "certs/dev-key.pem",
        "--strict-port",
        "--env-prefix",
        "APP_",
        "--env-prefix",
        "PUBLIC_",
        "--mode",
        "staging",
        "--base",
        "app",
        "--no-cache",
        "-vv",
        "--log-format",
        "json",
        "--server",
        "src/server.ts",
        "-c",
        "vite.dev.ts",
        "--node",
        "/opt/node22/bin/node",
    ]);
    assert_eq!(
        command,
        Command::Dev(DevArgs {
            root: PathBuf::from("site"),
            force: false,
            serve: ServeArgs {
                port: 0,
                strict_port: true,
                host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                clear_screen: None,
                no_tui: true,
                open: true,
                allowed_hosts: vec!["a.example".to_string(), "b.example".to_string()],
                allow_any_origin: true,
                fs_allow: vec![PathBuf::from("../packages")],
                proxy: vec![
                    "/api=http://localhost:8080".parse().unwrap(),
                    "/ws=ws://127.0.0.1:9000/socket".parse().unwrap(),
                ],
                https_cert: Some(PathBuf::from("certs/dev.pem")),
                https_key: Some(PathBuf::from("certs/dev-key.pem")),
                headers: Vec::new(),
                https_from_config: None,
                no_fs_deny: true,
                fs_deny: Vec::new(),
                public_dir: Default::default(),
                app_type: Default::default(),
                env_prefixes: vec!["APP_".to_string(), "PUBLIC_".to_string()],
                base: "/app/".to_string(),
                mode: "staging".to_string(),
                given: Given {
                    port: true,
                    host: true,
                    base: true,
                    mode: true,
                },
                server: Some(PathBuf::from("src/server.ts")),
                config: Some(PathBuf::from("vite.dev.ts")),
                node: Some(PathBuf::from("/opt/node22/bin/node")),
                no_cache: true,
                verbose: 2,
                log_format: LogFormat::Json,
            },
        })
    );
}

/// What a package.json's `"dev": "vite --host"` and the like say works when `vite` is
/// `hotloop`: `--host` alone is every address, `--strictPort`, `--force` (a run without the
/// compile cache), `--clearScreen false` (taken, ignored).
#[test]
fn vites_own_spellings_parse() {
    let Command::Dev(args) = parse(&[
        "--host",
        "--strictPort",
        "--force",
        "--clearScreen",
        "false",
    ]) else {
        panic!("not dev");
    };
    assert_eq!(args.serve.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert!(args.serve.strict_port);
    assert!(args.force);
    assert_eq!(args.serve.clear_screen, Some(false));
    let Command::Dev(args) = parse(&["app", "--host"]) else {
        panic!("not dev");
    };
    assert_eq!(args.root, PathBuf::from("app"));
    assert_eq!(args.serve.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
}

#[test]
fn bad_values_are_refused() {
    for args in [
        &["dev", "--port", "70000"][..],
        &["dev", "--host", "not an address"],
        &["dev", "--log-format", "xml"],
        &["dev", "--env-prefix", ""],
        &["dev", "--proxy", "/api"],
        &["dev", "--mode", "local"],
        &["dev", "--mode", "../x"],
        &["dev", "--mode", ""],
        &["dev", "--proxy", "/api=https://example.com"],
        // A certificate without its key, or a key without its certificate.
        &["dev", "--https-cert", "cert.pem"],
        &["dev", "--https-key", "key.pem"],
        &["profile"],
        &["dev", "one", "two"],
        &["one", "two"],
    ] {
        let argv = std::iter::once("hotloop").chain(args.iter().copied());
        assert!(Cli::parse_from_args(argv).is_err(), "{args:?} parsed");
    }
}

#[test]
fn demo_and_profile_parse() {
    match parse(&["demo", "--force", "--port", "0"]) {
        Command::Demo(args) => {
            assert_eq!(args.dir, PathBuf::from("hotloop-demo"));
            assert!(args.force);
            assert_eq!(args.serve.port, 0);
        }
        other => panic!("not demo: {other:?}"),
    }
    match parse(&[
        "profile",
        "app",
        "--touch",
        "src/a.js",
        "src/b.css",
        "--repeat",
        "3",
    ]) {
        Command::Profile(args) => {
            assert_eq!(args.root, PathBuf::from("app"));
            assert_eq!(
                args.touch,
                vec![PathBuf::from("src/a.js"), PathBuf::from("src/b.css")]
            );
            assert_eq!(args.repeat, 3);
            assert_eq!((args.json, args.trace), (None, None));
        }
        other => panic!("not profile: {other:?}"),
    }
}

#[test]
fn profile_without_a_project_fails_with_a_clear_message() {
    let dir = TempProject::empty();
    let output = Process::new(env!("CARGO_BIN_EXE_hotloop"))
        .args(["profile", "--touch", "src/a.js"])
        .current_dir(dir.root())
        .output()
        .expect("run hotloop");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("file to touch src/a.js does not exist")
            && stderr.contains("relative to the project root"),
        "{stderr}"
    );
}

#[test]
fn dev_with_a_missing_root_fails_with_a_clear_message() {
    // Running `dev` on a real dir here would serve forever on port 5173; tests/hardening runs it.
    let dir = TempProject::empty();
    let missing = dir.root().join("no-such-project");
    let root = missing.to_str().expect("utf-8 temp path");
    let output = hotloop(&["dev", root, "--no-tui", "--port", "0"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("does not exist"),
        "{}",
        text(&output.stderr)
    );
    // The same without the command word; a mistyped command reads as a missing root, and
    // the message names the commands.
    for root in [root, "frobnicate"] {
        let output = hotloop(&[root, "--no-tui", "--port", "0"]);
        assert!(!output.status.success());
        let stderr = text(&output.stderr);
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(stderr.contains("dev, demo, profile"), "{stderr}");
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn demo_writes_every_file() {
    let dir = TempProject::empty();
    let demo = dir.root().join("hotloop-demo");
    let written = write_demo(&demo, false).expect("write the demo");
    assert_eq!(written.len(), DEMO_FILES.len());
    for (relative, contents) in DEMO_FILES {
        assert_eq!(fs::read(demo.join(relative)).expect("written"), *contents);
    }
    let html = read(&demo.join("index.html"));
    assert!(html.contains(r#"<script type="module" src="/src/main.js">"#));
    assert!(html.contains(r#"<link rel="stylesheet" href="/src/base.css""#));
    let main = read(&demo.join("src/main.js"));
    for import in [
        "import './style.css';",
        "from './counter.js';",
        "from './banner.js';",
    ] {
        assert!(main.contains(import), "main.js lacks `{import}`");
    }
    let counter = read(&demo.join("src/counter.js"));
    assert!(counter.contains("import.meta.hot.accept()"));
    assert!(counter.contains("import.meta.hot?.data.count"));
    let banner = read(&demo.join("src/banner.js"));
    assert!(banner.contains("import.meta.hot.accept('./greeting.js'"));
    let greeting = read(&demo.join("src/greeting.js"));
    let code: Vec<&str> = greeting
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    assert_eq!(code, vec!["export const message = 'Hello from hotloop!';"]);
    assert!(read(&demo.join("public/favicon.svg")).starts_with("<svg"));
    assert_eq!(
        edit_hint(Path::new("hotloop-demo")),
        "Edit hotloop-demo/src/counter.js and save: the page updates without losing the count."
    );
}

#[test]
fn demo_refuses_a_non_empty_dir_without_force_and_touches_nothing() {
    let dir = TempProject::empty();
    let mine = dir.write("index.html", "my own page");
    let error = write_demo(dir.root(), false).expect_err("a non-empty dir is refused");
    let message = format!("{error:#}");
    assert!(message.contains("is not empty"), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert_eq!(read(&mine), "my own page");
    let entries: Vec<_> = fs::read_dir(dir.root()).expect("list").collect();
    assert_eq!(entries.len(), 1, "nothing else was written");
}

#[test]
fn demo_with_force_overwrites_its_files_and_keeps_others() {
    let dir = TempProject::new("//- /index.html\nold page\n//- /notes.txt\nkeep me\n");
    write_demo(dir.root(), true).expect("write with --force");
    assert!(read(&dir.root().join("index.html")).contains("/src/main.js"));
    assert_eq!(dir.read("notes.txt"), "keep me\n");
}

#[test]
fn demo_into_an_existing_empty_dir_is_fine() {
    let dir = TempProject::empty();
    let written = write_demo(dir.root(), false).expect("an empty dir is accepted");
    assert_eq!(written.len(), DEMO_FILES.len());
}

/// The demo's JavaScript parses as ES modules (checked by the real `node`).
#[test]
fn demo_scripts_are_valid_modules() {
    let dir = TempProject::empty();
    write_demo(dir.root(), false).expect("write the demo");
    for (relative, _) in DEMO_FILES.iter().filter(|(p, _)| p.ends_with(".js")) {
        // `.mjs` makes node parse the file as a module.
        let copy = dir.root().join(relative.replace('/', "_") + ".mjs");
        fs::copy(dir.root().join(relative), &copy).expect("copy");
        let output = Process::new("node")
            .arg("--check")
            .arg(&copy)
            .output()
            .expect("run node");
        assert!(
            output.status.success(),
            "{relative} does not parse:\n{}",
            text(&output.stderr)
        );
    }
}
