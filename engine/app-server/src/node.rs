//! Finding `node` and checking its version (Node.js 20 or newer: `Readable.toWeb`, `fetch`,
//! `Response`, `getSetCookie`, which `server.js` relies on).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::AppServerError;

/// The oldest Node.js major version the server runtime runs on.
pub const MIN_NODE_MAJOR: u32 = 20;

/// `node` as given, or the first executable `node` on `PATH`; then its version is checked.
pub(crate) fn find(given: Option<&Path>, entry: &str) -> Result<PathBuf, AppServerError> {
    let node = match given {
        Some(path) => path.to_path_buf(),
        None => on_path(std::env::var_os("PATH").as_deref()).ok_or_else(|| {
            AppServerError::NodeNotFound {
                entry: entry.to_owned(),
            }
        })?,
    };
    let version_of = || {
        Command::new(&node)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
    };
    // A file just written is "busy" to exec while a process forked meanwhile still holds the
    // writer's descriptor (until that child execs): a moment, so try again.
    let mut output = version_of();
    for _ in 0..5 {
        match &output {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                output = version_of();
            }
            _ => break,
        }
    }
    let output = output.map_err(|source| AppServerError::NodeUnusable {
        entry: entry.to_owned(),
        node: node.clone(),
        why: source.to_string(),
    })?;
    if !output.status.success() {
        // Node ran and refused (a flag in NODE_OPTIONS it does not know, say): its own words.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(3)
            .collect();
        return Err(AppServerError::NodeUnusable {
            entry: entry.to_owned(),
            node,
            why: if said.is_empty() {
                format!("`--version` exited with {}", output.status)
            } else {
                format!("`--version` failed: {}", said.join(" / "))
            },
        });
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match major(&version) {
        Some(major) if major >= MIN_NODE_MAJOR => Ok(node),
        Some(_) => Err(AppServerError::NodeTooOld {
            entry: entry.to_owned(),
            node,
            version,
        }),
        None => Err(AppServerError::NodeUnusable {
            entry: entry.to_owned(),
            node,
            why: format!("`--version` printed {version:?}, not a Node.js version"),
        }),
    }
}

fn on_path(path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path?)
        .map(|dir| dir.join("node"))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// `v20.20.2` → 20.
fn major(version: &str) -> Option<u32> {
    version.strip_prefix('v')?.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major("v20.20.2"), Some(20));
        assert_eq!(major("v18.0.0"), Some(18));
        assert_eq!(major("bun 1.0"), None);
        assert_eq!(major(""), None);
    }

    #[test]
    fn a_missing_node_names_the_entry_and_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(on_path(Some(dir.path().as_os_str())), None);
        let error = find(Some(&dir.path().join("node")), "/src/server.ts").unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("/src/server.ts") && text.contains("Node.js 20"),
            "{text}"
        );
    }

    #[test]
    fn an_old_node_is_refused_with_its_version() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("node");
        std::fs::write(&fake, "#!/bin/sh\necho v18.19.0\n").unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(on_path(Some(dir.path().as_os_str())), Some(fake.clone()));
        let text = find(Some(&fake), "/src/server.ts").unwrap_err().to_string();
        assert!(
            text.contains("v18.19.0") && text.contains("/src/server.ts"),
            "{text}"
        );

        // One that refuses to run says why in its own words.
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'node: --no-such-flag is not allowed in NODE_OPTIONS' >&2\nexit 9\n",
        )
        .unwrap();
        let text = find(Some(&fake), "/src/server.ts").unwrap_err().to_string();
        assert!(
            text.contains("--no-such-flag is not allowed in NODE_OPTIONS")
                && text.contains("/src/server.ts"),
            "{text}"
        );
    }
}
