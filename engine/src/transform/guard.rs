//! Keeps one bad file from taking the engine down. swc's parser, visitors, codegen and even
//! the AST's `Drop` recurse once per nesting level, and `swc_core` builds the parser without
//! `stacker`; a stack overflow aborts the process (it cannot be caught). So the pipeline runs on
//! its own thread with a large stack (reserved, only touched pages are committed), input with
//! absurd bracket nesting is refused up front, and panics become diagnostics.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::diagnostics::{Diagnostic, DiagnosticKind, code_frame};

/// Deepest bracket nesting (`( [ {`) accepted. Real code stays far below; generated code that
/// goes beyond it would need more stack than [`STACK_SIZE`] in debug builds.
pub const MAX_NESTING: usize = 1000;

/// Stack of the compile thread.
const STACK_SIZE: usize = 256 << 20;

/// Runs `f` on a fresh thread with a [`STACK_SIZE`] stack; a panic becomes `Err(message)`.
pub(crate) fn run_guarded<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("hotloop-swc".to_string())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, move || {
                catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
            });
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|p| Err(panic_message(&*p))),
            Err(e) => Err(format!("could not start the compile thread: {e}")),
        }
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic in the swc pipeline".to_string()
    }
}

/// A `Syntax` diagnostic at the first bracket nested deeper than [`MAX_NESTING`], skipping
/// strings and comments. Template literals and regexes are scanned as code: an unbalanced
/// bracket inside one only makes the count drift by one.
pub(crate) fn check_nesting(id: &str, text: &str) -> Option<Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        LineComment,
        BlockComment,
        Quoted(u8),
    }
    let bytes = text.as_bytes();
    let mut state = State::Code;
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Code => match b {
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(too_deep(id, text, i));
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'"' | b'\'' => state = State::Quoted(b),
                b'/' if bytes.get(i + 1) == Some(&b'/') => state = State::LineComment,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    state = State::BlockComment;
                    i += 1;
                }
                _ => {}
            },
            State::LineComment => {
                if b == b'\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if b == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    state = State::Code;
                    i += 1;
                }
            }
            State::Quoted(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q || b == b'\n' {
                    state = State::Code;
                }
            }
        }
        i += 1;
    }
    None
}

fn too_deep(id: &str, text: &str, offset: usize) -> Diagnostic {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    Diagnostic {
        kind: DiagnosticKind::Syntax,
        file: id.to_string(),
        line,
        column,
        message: format!("brackets nested deeper than {MAX_NESTING} levels"),
        code_frame: code_frame(text, line, column),
    }
}
