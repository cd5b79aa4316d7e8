//! The command line: what `hotloop` can be asked to do (clap derive types) and the dispatch of
//! each command. `hotloop --help` and `hotloop <command> --help` document every flag.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use hotloop_server::ProxyRule;

use crate::demo;
pub use crate::headless::LogFormat;

/// hotloop: a hot-module-reloading dev server for JavaScript and TypeScript web apps.
///
/// Save a file and every open tab shows the change within milliseconds, keeping state where
/// the code allows it (Vite's `import.meta.hot` API, CSS hot swap, React Fast Refresh), with
/// an error overlay instead of a blank page when the code does not compile.
///
/// With no command, `hotloop [ROOT] [flags]` is `hotloop dev [ROOT] [flags]`, as `vite` is
/// `vite dev`.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(
    name = "hotloop",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// `hotloop dev`'s arguments, when no command is given.
    #[command(flatten)]
    pub dev: DevArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve a project with hot module reloading.
    ///
    /// ROOT holds the `index.html` page; its module scripts are the entry points. Files in
    /// `ROOT/public/` are served at `/`.
    Dev(DevArgs),
    /// Write a small demo app to DIR and serve it.
    ///
    /// The app is plain JavaScript with no dependencies; its README.md says what to try.
    Demo(DemoArgs),
    /// Measure the save-to-update path: touch files and report where the time goes.
    ///
    /// Loads ROOT (with its vite.config and plugins, as `hotloop dev` does), runs the cold
    /// build, then edits each FILE (appends a string statement to a script, a comment to a
    /// stylesheet, an HTML comment to a .vue template or .svelte markup, a different one each
    /// time) REPEAT times and runs every edit through the engine's real update path (apply the
    /// change, build, plan, encode, publish; no watcher, no sockets). Prints each
    /// update's phase timings, the queries executed and reused, the modules sent and the
    /// boundary or reload reason, then p50/p95/max per phase. The files' original contents
    /// are restored at the end (also on error and Ctrl-C).
    #[command(after_long_help = crate::profile::SCHEMA_HELP)]
    Profile(ProfileArgs),
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct DevArgs {
    /// Project root: the directory holding index.html.
    #[arg(default_value = ".", value_name = "ROOT")]
    pub root: PathBuf,
    /// Compile everything again this run, as --no-cache does (Vite's `--force`, which
    /// re-bundles its pre-bundled dependencies).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The port the server listens on by default: Vite's, so that what a project's backend,
/// proxies and OAuth callbacks know it by stays the same.
pub const DEFAULT_PORT: u16 = 5173;

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct DemoArgs {
    /// Where to write the demo app.
    #[arg(default_value = "hotloop-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Write into DIR even if it is not empty (files with the demo's names are overwritten,
    /// other files are left alone).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Flags shared by the commands that run the server.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ServeArgs {
    /// Port to listen on (Vite's default; a vite.config's `server.port` wins over the default,
    /// not over this flag); 0 picks
    /// a free port. When it is taken, the next free one is used (up to 20 after it) unless
    /// --strict-port.
    #[arg(long, short = 'p', default_value_t = DEFAULT_PORT, value_name = "N")]
    pub port: u16,
    /// Exit when the port is taken instead of trying the next ones (Vite's `strictPort`).
    #[arg(long, alias = "strictPort")]
    pub strict_port: bool,
    /// Address to bind. The default serves this machine only; `--host` alone (as Vite's) is
    /// 0.0.0.0, which exposes the project's source to the network.
    #[arg(
        long,
        default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST),
        num_args = 0..=1,
        default_missing_value = "0.0.0.0",
        value_name = "ADDR"
    )]
    pub host: IpAddr,
    /// Vite's `--clearScreen [bool]`, taken and ignored: hotloop's log never clears the screen
    /// (the dashboard is a screen of its own).
    #[arg(long = "clearScreen", hide = true, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub clear_screen: Option<bool>,
    /// No dashboard: plain lines instead (for CI, pipes and scripts; also when stdout is not a
    /// terminal). What happens (ready, updates, errors) goes to stdout; hotloop's own notes,
    /// warnings and the -v detail go to stderr. On a terminal it takes Vite's shortcuts (a
    /// letter and Enter: h lists them).
    #[arg(long)]
    pub no_tui: bool,
    /// Open the page in the default browser once the server listens.
    #[arg(long)]
    pub open: bool,
    /// Also accept requests whose Host header names H (e.g. a tunnel's host name), and
    /// WebSocket connections from pages at H. By default only localhost names and IP
    /// addresses are accepted, against DNS rebinding. `.example.com` accepts the name and its
    /// subdomains; `*` accepts any Host (turns the DNS-rebinding protection off). Repeat for
    /// several hosts.
    #[arg(long = "allowed-host", value_name = "H")]
    pub allowed_hosts: Vec<String>,
    /// Let pages from any origin use the server: accept WebSocket connections from any Origin,
    /// send `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`,
    /// and serve cross-site `<script>` loads. Any website you visit can then read your source
    /// code and the live updates. By default only this server's own pages and localhost may.
    #[arg(long)]
    pub allow_any_origin: bool,
    /// Also serve files under DIR, outside the project root (e.g. the packages of a monorepo
    /// that node_modules links to). By default nothing outside ROOT is served, whatever the
    /// URL or symlink. Repeat for several directories.
    #[arg(long = "fs-allow", value_name = "DIR")]
    pub fs_allow: Vec<PathBuf>,
    /// Forward requests whose path starts with PREFIX to the server at URL, with any method and
    /// WebSocket upgrades included (what Vite's `server.proxy` does), e.g. `--proxy
    /// /api=http://localhost:8080`. The backend sees its own host in `Host` and the page's in
    /// `X-Forwarded-Host` (a vite.config's `server.proxy` entry keeps the page's `Host` unless
    /// it says `changeOrigin`); the path is kept, after any path URL has. Repeat for several
    /// prefixes; the first that matches wins.
    #[arg(long = "proxy", value_name = "PREFIX=URL")]
    pub proxy: Vec<ProxyRule>,
    /// Serve HTTPS (and the live updates as WSS) with the certificate (chain) in this PEM
    /// file, with --https-key. A vite.config's `server.https` (or @vitejs/plugin-basic-ssl,
    /// vite-plugin-mkcert) does the same when these are not given.
    #[arg(long, value_name = "FILE", requires = "https_key")]
    pub https_cert: Option<PathBuf>,
    /// The private key (PEM, not encrypted) of --https-cert.
    #[arg(long, value_name = "FILE", requires = "https_cert")]
    pub https_key: Option<PathBuf>,
    /// The config's `server.headers`: added to every response.
    #[arg(skip)]
    pub headers: Vec<(String, String)>,
    /// The config's `server.https` (certificate and key as PEM text), unless --https-cert.
    #[arg(skip)]
    pub https_from_config: Option<hotloop_plugin_host::HttpsOptions>,
    /// Serve the files the deny list protects by default: `.env*`, `*.pem`, `*.key`, `*.crt`,
    /// `*.p12`, `*.pfx`, `id_rsa*`, `id_ed25519*`, `.npmrc`, and `.git/`, `.hg/`, `.svn/`.
    #[arg(long)]
    pub no_fs_deny: bool,
    /// More names never served, from the config's `server.fs.deny` (as the server matches
    /// them: a path segment, `*` wildcard, `name/` for a directory).
    #[arg(skip)]
    pub fs_deny: Vec<String>,
    /// The config's `publicDir`: where `/name` URLs are looked for before the root.
    #[arg(skip)]
    pub public_dir: engine::PublicDir,
    /// The config's `appType`: what an HTML navigation no file answers gets.
    #[arg(skip)]
    pub app_type: hotloop_server::AppType,
    /// Expose the variables of ROOT's `.env`, `.env.local`, `.env.<mode>` and
    /// `.env.<mode>.local` whose names start with PREFIX to the page as
    /// `import.meta.env.NAME` (variables already set in hotloop's environment win). Default
    /// `VITE_`, as Vite; repeat for several prefixes. Everything else in those files stays on
    /// this machine.
    #[arg(long = "env-prefix", value_name = "PREFIX", value_parser = non_empty_prefix)]
    pub env_prefixes: Vec<String>,
    /// The public base path the app is served under (Vite's `base`), e.g. `/app/`: the page
    /// is at `/app/`, `/` redirects there, every URL the page asks for is under it (a proxy
    /// that forwards `/app/` alone serves the app), and `import.meta.env.BASE_URL` is it. Wins
    /// over the config's `base`.
    #[arg(long, default_value = "/", value_name = "PATH", value_parser = base_path)]
    pub base: String,
    /// Vite's mode: read `.env.MODE` and `.env.MODE.local` (instead of `.env.development*`)
    /// and set `import.meta.env.MODE`. The code still runs as development (`DEV` is true,
    /// React's development build, Fast Refresh).
    #[arg(long, default_value = "development", value_name = "MODE", value_parser = mode_name)]
    pub mode: String,
    /// Which of these flags the command line gave (see [`Given`]).
    #[arg(skip)]
    pub given: Given,
    /// The app's server entry (server-side HMR), relative to ROOT, e.g. `src/server.ts`: its
    /// default export is a fetch handler `{ fetch(request) }` or a Node request listener
    /// `(req, res) => ...`. It runs in a Node.js process of its own with module-granular hot
    /// updates; requests hotloop does not answer itself (its routes, modules, assets,
    /// `public/`, files) go to it, and the HTML it returns gets the page's client.
    #[arg(long, value_name = "FILE")]
    pub server: Option<PathBuf>,
    /// The Vite config to run instead of ROOT's `vite.config.{ts,mts,cts,js,mjs,cjs}`.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The Node.js (20 or newer) that runs the project's Vite plugins and its server entry;
    /// default `$HOTLOOP_NODE`, else `node` on PATH. Node is only started when the project
    /// needs it (a vite.config, a PostCSS config or a CSS preprocessor in package.json, or
    /// `--server`).
    #[arg(long, value_name = "PATH")]
    pub node: Option<PathBuf>,
    /// Compile every module from scratch and keep nothing on disk. By default what swc makes
    /// of each script is kept in `$HOTLOOP_CACHE_DIR`, `$XDG_CACHE_HOME/hotloop` or
    /// `~/.cache/hotloop` (keyed by this binary and each file's exact text), so a restart only
    /// compiles what changed.
    #[arg(long)]
    pub no_cache: bool,
    /// More detail in the log: -v for debug, -vv for trace. `HMR_LOG` (an env-filter such as
    /// `engine=debug`) overrides it.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    /// Format of the --no-tui output: text lines, or one JSON object per line (the events on
    /// stdout, hotloop's log records on stderr). The dashboard writes no log file: it shows
    /// its log in its pane, so it ignores this.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ProfileArgs {
    /// Project root: the directory holding index.html.
    #[arg(default_value = ".", value_name = "ROOT")]
    pub root: PathBuf,
    /// Files to touch (append to, then restore), one update each; relative to ROOT.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub touch: Vec<PathBuf>,
    /// How many times to touch each file.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub repeat: u32,
    /// Write the measurements as JSON to OUT.
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write a Chrome trace (chrome://tracing, Perfetto) of the updates to OUT.
    #[arg(long, value_name = "OUT")]
    pub trace: Option<PathBuf>,
    /// The app's server entry (as `hotloop dev --server`): every edit's server update is
    /// profiled too (the server graph's build, plan and encode; no Node process runs).
    #[arg(long, value_name = "FILE")]
    pub server: Option<PathBuf>,
}

impl Cli {
    /// Parses `argv` (the program's name first), noting which of the flags a vite.config may
    /// also set were given ([`Given`]).
    pub fn parse_from_args<I, T>(argv: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(argv)?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let (serve, matches) = match (&mut cli.command, matches.subcommand()) {
            (Some(Command::Dev(args)), Some((_, sub))) => (&mut args.serve, sub),
            (Some(Command::Demo(args)), Some((_, sub))) => (&mut args.serve, sub),
            (Some(Command::Profile(_)), _) => return Ok(cli),
            _ => (&mut cli.dev.serve, &matches),
        };
        serve.given = Given::of(matches);
        Ok(cli)
    }

    /// [`Cli::parse_from_args`] of the process's arguments; on an error, clap's message (or
    /// `--help`, `--version`) and exit.
    pub fn from_env() -> Cli {
        Cli::parse_from_args(std::env::args_os()).unwrap_or_else(|error| error.exit())
    }

    /// The command to run: the one named, else `dev` with the top-level arguments.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Dev(self.dev))
    }
}

/// Which of the flags with a default that a vite.config may also set were given on the
/// command line: those win over the config, their defaults do not (`--port 5173` keeps 5173
/// though the config's `server.port` is 3000).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Given {
    pub port: bool,
    pub host: bool,
    pub base: bool,
    pub mode: bool,
}

impl Given {
    fn of(matches: &ArgMatches) -> Given {
        let given = |id: &str| {
            matches
                .value_source(id)
                .is_some_and(|source| source != ValueSource::DefaultValue)
        };
        Given {
            port: given("port"),
            host: given("host"),
            base: given("base"),
            mode: given("mode"),
        }
    }
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.into_command() {
        Command::Dev(args) => run_dev(args),
        Command::Demo(args) => run_demo(args),
        Command::Profile(args) => run_profile(args),
    }
}

/// `hotloop dev`: the engine thread, the watcher, the server and the dashboard.
pub fn run_dev(args: DevArgs) -> anyhow::Result<()> {
    crate::dev::run_dev(args)
}

/// `hotloop demo`: writes the demo app, says what to edit, serves it.
pub fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let written = demo::write_demo(&args.dir, args.force)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Wrote the demo app ({} files) to {}.",
        written.len(),
        args.dir.display()
    )?;
    writeln!(out, "{}", demo::edit_hint(&args.dir))?;
    drop(out);
    // The dashboard, on the alternate screen, hides the lines above: it says the hint itself.
    let dir = std::fs::canonicalize(&args.dir).unwrap_or_else(|_| args.dir.clone());
    crate::dev::run_dev_with_hint(
        DevArgs {
            root: args.dir,
            force: false,
            serve: args.serve,
        },
        Some(demo::dashboard_hint(&dir)),
    )
}

/// `hotloop profile`: replays edits through the engine and reports where the time went.
pub fn run_profile(args: ProfileArgs) -> anyhow::Result<()> {
    crate::profile::run_profile(args)
}

/// A mode names `.env.<mode>` files: no path separators, and not `local` (`.env.local` is
/// read in every mode), as Vite says.
fn mode_name(value: &str) -> Result<String, String> {
    if value.is_empty() || value.contains(['/', '\\']) || value.trim() != value {
        return Err("a mode is a plain name such as staging".to_string());
    }
    if value == "local" {
        return Err(
            "'local' cannot be a mode: .env.local is read in every mode; pick another name"
                .to_string(),
        );
    }
    Ok(value.to_string())
}

/// An empty prefix would send every variable of the `.env` files (secrets included) to the page.
/// `--base`: a path (`app`, `/app`, `/app/` all mean `/app/`); a full URL means its path, and
/// a relative base (`./`, empty) means `/`, as in Vite's dev server.
fn base_path(value: &str) -> Result<String, String> {
    Ok(normalize_base(value))
}

/// Vite's `base` as its dev server uses it: starts and ends with `/`.
pub fn normalize_base(value: &str) -> String {
    let value = value.trim();
    let path = match value.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => value,
    };
    if path.is_empty() || path.starts_with('.') {
        return "/".into();
    }
    let mut base = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        base.push('/');
    }
    base.push_str(path);
    if !base.ends_with('/') {
        base.push('/');
    }
    base
}

fn non_empty_prefix(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(
            "an empty prefix would expose every variable of the .env files, secrets \
                    included, to the browser; name a prefix such as VITE_"
                .to_string(),
        );
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    /// The help says where the output goes as it does (sweep 11: it named stderr for the
    /// events, which go to stdout, and a log file there is none of).
    #[test]
    fn the_help_says_where_the_output_goes() {
        use clap::CommandFactory as _;
        let help = super::Cli::command().render_long_help().to_string();
        let flag = |name: &str| {
            let start = help
                .find(name)
                .unwrap_or_else(|| panic!("{name} in {help}"));
            let rest = &help[start..];
            let end = rest[name.len()..]
                .find("\n  -")
                .map_or(rest.len(), |i| i + name.len());
            rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let no_tui = flag("--no-tui");
        assert!(
            no_tui.contains("(ready, updates, errors) goes to stdout")
                && no_tui.contains("warnings and the -v detail go to stderr"),
            "{no_tui}"
        );
        let log_format = flag("--log-format");
        assert!(
            log_format.contains("the --no-tui output") && !log_format.contains("the log file"),
            "{log_format}"
        );
    }

    #[test]
    fn bases_as_vites_dev_server_reads_them() {
        for (given, base) in [
            ("/", "/"),
            ("", "/"),
            ("./", "/"),
            ("app", "/app/"),
            ("/app", "/app/"),
            ("/app/", "/app/"),
            ("/a/b", "/a/b/"),
            ("https://cdn.example.com/assets/", "/assets/"),
            ("https://cdn.example.com", "/"),
        ] {
            assert_eq!(super::normalize_base(given), base, "{given}");
        }
    }
}
