//! Runs the host's JavaScript tests (`js/tests/*.test.mjs`: the protocol mirror against the
//! golden fixtures, plugin ordering, filters, mergeConfig, source maps) with `node --test`.

use std::path::Path;
use std::process::Command;

#[test]
fn node_tests_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("js/tests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "expected *.test.mjs in {}", dir.display());
    let output = Command::new("node")
        .arg("--test")
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `node` ({e}): the host's JS tests need Node.js 20+")
        });
    assert!(
        output.status.success(),
        "node --test failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
