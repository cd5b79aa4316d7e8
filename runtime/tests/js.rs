//! Runs the runtime's JavaScript tests (`runtime/tests/*.test.mjs`) with `node --test`.

use std::path::Path;
use std::process::Command;

#[test]
fn node_tests_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let output = match Command::new("node").arg("--test").arg(&dir).output() {
        Ok(output) => output,
        Err(err) => panic!(
            "cannot run `node` ({err}): the runtime's JavaScript tests need Node.js 20+ on PATH"
        ),
    };
    assert!(
        output.status.success(),
        "node --test {} failed ({}):\n{}\n{}",
        dir.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
