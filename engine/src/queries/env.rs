//! `public_env`: the variables the page sees in `import.meta.env`, loaded the way Vite loads
//! them, so a Vite project's `.env` files work unchanged: `.env`, `.env.local`,
//! `.env.<mode>`, `.env.<mode>.local` in the project root (a later file wins; the mode is
//! `development` unless `--mode` says otherwise), read
//! with npm dotenv's grammar and expanded (`${VAR}`) as Vite does (see `crate::dotenv`), and
//! only names that start with an exposed prefix (`VITE_` unless `--env-prefix` says
//! otherwise), so nothing else in a `.env` (secrets for a backend) ever reaches the browser.
//! Variables of hotloop's own environment win over the files: the exposed ones are captured
//! once at start (`ProjectOptions::env_overrides`); expansion may also read others (`$HOME`)
//! from the process environment, which does not change during a session.
//!
//! The files are inputs like any source file; the engine reloads the page when one changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::db::Db;
use crate::dotenv;
use crate::inputs::{FileContents, Project};
use crate::telemetry::Phase;
use hotloop_protocol::{Diagnostic, DiagnosticKind};

/// The files read in `mode`, lowest priority first (Vite's order).
pub fn env_files(mode: &str) -> [String; 4] {
    [
        ".env".to_string(),
        ".env.local".to_string(),
        format!(".env.{mode}"),
        format!(".env.{mode}.local"),
    ]
}

/// One of [`env_files`]`(mode)`, without building the list (the host asks for every
/// changed path).
pub fn is_env_file_of(name: &str, mode: &str) -> bool {
    let Some(rest) = name.strip_prefix(".env") else {
        return false;
    };
    let rest = rest
        .strip_prefix('.')
        .and_then(|r| r.strip_prefix(mode))
        .unwrap_or(rest);
    rest.is_empty() || rest == ".local"
}

/// The `%NAME%` placeholders of `text` that name an exposed variable (a name with one of
/// `prefixes`) the env does not define: Vite warns of each ("Is the variable mistyped?") and
/// leaves it as it is, as [`replace_in_html`] does.
pub fn undefined_in_html(text: &str, env: &PublicEnv, prefixes: &[String]) -> Vec<String> {
    let mut undefined = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let Some(end) = after.find(|c: char| c == '%' || c.is_whitespace()) else {
            break;
        };
        let name = &after[..end];
        if after[end..].starts_with('%')
            && !name.is_empty()
            && prefixes.iter().any(|p| name.starts_with(p.as_str()))
            && !env.vars.contains_key(name)
            && !undefined.iter().any(|u| u == name)
        {
            undefined.push(name.to_string());
            rest = &after[end + 1..];
        } else {
            rest = after;
        }
    }
    undefined
}

/// Vite's `%NAME%` in `index.html`: each `%NAME%` whose NAME is one of `import.meta.env`'s
/// built-in keys or an exposed variable becomes its value, as written (Vite does not escape it
/// either); any other `%...%` is left as it is. A built-in wins over a variable of the same
/// name, as in `import.meta.env` (and Vite).
pub fn replace_in_html<'t>(
    text: &'t str,
    env: &PublicEnv,
    mode: &str,
    base: &str,
) -> std::borrow::Cow<'t, str> {
    if !text.contains('%') {
        return text.into();
    }
    let builtin = |name: &str| match name {
        "MODE" => Some(mode),
        "BASE_URL" => Some(base),
        "DEV" => Some("true"),
        "PROD" | "SSR" => Some("false"),
        _ => None,
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let name_end = after.find(|c: char| c == '%' || c.is_whitespace());
        let value = match name_end {
            Some(end) if end > 0 && after[end..].starts_with('%') => {
                let name = &after[..end];
                builtin(name)
                    .or_else(|| env.vars.get(name).map(String::as_str))
                    .map(|value| (value, end))
            }
            _ => None,
        };
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// The variables exposed to the page, by name, and the problems found reading the files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicEnv {
    pub vars: BTreeMap<String, String>,
    pub diagnostics: Vec<Diagnostic>,
}

#[salsa::tracked(returns(clone))]
pub fn public_env(db: &dyn Db, project: Project) -> Arc<PublicEnv> {
    let _clock = db.clock().enter_key(Phase::Graph, "public_env", project);
    let _span = tracing::trace_span!("public_env").entered();
    let root = project.root(db);
    let options = project.options(db);
    let dir = options.env_dir_in(root);
    let mut env = PublicEnv::default();
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    for name in env_files(&options.mode) {
        let name = name.as_str();
        let file = db.files().get_or_read(db, &dir.join(name));
        match file.contents(db) {
            FileContents::Missing => {}
            FileContents::Binary { .. } => env.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::Io,
                file: format!("/{name}"),
                line: 1,
                column: 1,
                message: format!(
                    "{name} is not UTF-8 text, so none of its variables reach the page; \
                     save it as UTF-8"
                ),
                code_frame: String::new(),
            }),
            FileContents::Text(text) => {
                let parsed = dotenv::parse(&text.text());
                for line in parsed.skipped {
                    // npm dotenv (so Vite) skips such lines silently; say so once per edit.
                    tracing::warn!("{name}:{line}: not a NAME=value line; ignored");
                }
                for entry in parsed.entries {
                    all.insert(entry.name, entry.value);
                }
            }
        }
    }
    let overrides: BTreeMap<&str, &str> = options
        .env_overrides
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let lookup = |name: &str| match overrides.get(name) {
        Some(value) => Some((*value).to_string()),
        None => std::env::var(name).ok(),
    };
    let exposed = |name: &str| options.env_prefixes.iter().any(|p| name.starts_with(p));
    for (name, value) in dotenv::expand(&all, &lookup) {
        if exposed(&name) {
            env.vars.insert(name, value);
        }
    }
    for (name, value) in overrides {
        if exposed(name) {
            env.vars.insert(name.to_string(), value.to_string());
        }
    }
    Arc::new(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_names_of_a_mode_are_its_list() {
        let names = [
            ".env",
            ".env.local",
            ".env.development",
            ".env.development.local",
            ".env.dev",
            ".env.staging",
            ".env.staging.local",
            ".envx",
            ".env.localx",
            ".env.development.localx",
            "env",
        ];
        for mode in ["development", "dev", "staging"] {
            for name in names {
                assert_eq!(
                    is_env_file_of(name, mode),
                    env_files(mode).iter().any(|f| f == name),
                    "{name} in mode {mode}"
                );
            }
        }
    }

    #[test]
    fn html_placeholders_of_known_names_are_replaced_and_others_kept() {
        let env = PublicEnv {
            vars: [("VITE_TITLE".to_string(), "Hot & <fast>".to_string())].into(),
            diagnostics: Vec::new(),
        };
        let html = "<title>%VITE_TITLE%</title><p>%MODE% %DEV% %NOPE% 100% 50%</p>\
                    <div style=\"width:100%;height:50%\">%VITE_TITLE</div>%%%BASE_URL%";
        assert_eq!(
            replace_in_html(html, &env, "staging", "/app/"),
            "<title>Hot & <fast></title><p>staging true %NOPE% 100% 50%</p>\
             <div style=\"width:100%;height:50%\">%VITE_TITLE</div>%%/app/"
        );
        assert!(matches!(
            replace_in_html("<p>no placeholders</p>", &env, "development", "/"),
            std::borrow::Cow::Borrowed(_)
        ));
        // With `--env-prefix MO` a `.env` `MODE=x` is exposed, but `%MODE%` stays the mode,
        // as `import.meta.env.MODE` does.
        let shadowing = PublicEnv {
            vars: [("MODE".to_string(), "from .env".to_string())].into(),
            diagnostics: Vec::new(),
        };
        assert_eq!(
            replace_in_html("%MODE%", &shadowing, "staging", "/"),
            "staging"
        );
    }

    #[test]
    fn an_exposed_placeholder_the_env_lacks_is_named_once() {
        let env = PublicEnv {
            vars: [("VITE_TITLE".to_string(), "t".to_string())].into(),
            diagnostics: Vec::new(),
        };
        let html = "<title>%VITE_TITLE%</title><p>%VITE_TITEL% %VITE_TITEL% %MODE% 50% 10%</p>";
        assert_eq!(
            undefined_in_html(html, &env, &["VITE_".to_string()]),
            ["VITE_TITEL"]
        );
    }
}
