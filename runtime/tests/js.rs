//! Runs the runtime's JavaScript tests (`runtime/tests/*.test.mjs`) with `node --test`.

use std::path::Path;
use std::process::Command;

#[test]
fn node_tests_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    // The files are listed explicitly: Node 20 and Node 22+ disagree on directory arguments.
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("runtime/tests")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the runtime's *.test.mjs files in {}",
        dir.display()
    );
    let output = match Command::new("node").arg("--test").args(&files).output() {
        Ok(output) => output,
        Err(err) => panic!(
            "cannot run `node` ({err}): the runtime's JavaScript tests need Node.js 20+ on PATH"
        ),
    };
    assert!(
        output.status.success(),
        "node --test failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
