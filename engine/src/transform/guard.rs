//! Keeps one bad file from taking the engine down. swc's parser, visitors, codegen and even
//! the AST's `Drop` recurse once per nesting level, and `swc_core` builds the parser without
//! `stacker`; a stack overflow aborts the process (it cannot be caught). So the pipeline runs on
//! its own thread with a large stack (reserved, only touched pages are committed), input with
//! absurd bracket nesting is refused up front, and panics become diagnostics.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use hotloop_protocol::Diagnostic;

/// Deepest bracket nesting (`( [ {`) accepted. Real code stays far below; generated code that
/// goes beyond it would need more stack than [`STACK_SIZE`] in debug builds.
pub const MAX_NESTING: usize = 1000;

/// Stack of the compile thread.
pub const STACK_SIZE: usize = 256 << 20;

thread_local! {
    /// The current thread was started with at least [`STACK_SIZE`] of stack.
    static BIG_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Declares that the calling thread was started with a stack of at least [`STACK_SIZE`]
/// (`std::thread::Builder::stack_size`): compiles on it then run in place instead of on a fresh
/// thread, which saves a thread start (tens of µs) per module. Declaring it on a thread with a
/// smaller stack lets deeply nested input overflow it.
pub fn assume_big_stack() {
    BIG_STACK.set(true);
}

/// Runs `f` on a fresh thread with a [`STACK_SIZE`] stack (in place on a thread that declared
/// [`assume_big_stack`], and on the calling thread if no thread can be started); a panic
/// becomes `Err(message)`.
pub(crate) fn run_guarded<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, String> {
    if BIG_STACK.get() {
        return catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p));
    }
    let mut slot = Some(f);
    let on_thread = std::thread::scope(|scope| {
        let slot = &mut slot;
        let spawned = std::thread::Builder::new()
            .name("hotloop-swc".to_string())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, move || match slot.take() {
                Some(f) => catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p)),
                None => Err("the compile job was already taken".to_string()),
            });
        spawned
            .ok()
            .map(|handle| handle.join().unwrap_or_else(|p| Err(panic_message(&*p))))
    });
    match (on_thread, slot.take()) {
        (Some(result), _) => result,
        (None, Some(f)) => catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_message(&*p)),
        (None, None) => Err("could not start the compile thread".to_string()),
    }
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
    Diagnostic::syntax(
        id,
        text,
        line,
        column,
        format!("brackets nested deeper than {MAX_NESTING} levels"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotloop_protocol::DiagnosticKind;

    #[test]
    fn a_panic_becomes_an_error_message() {
        assert_eq!(run_guarded(|| 7), Ok(7));
        let boom: Result<(), String> = run_guarded(|| panic!("boom {}", 1));
        assert_eq!(boom, Err("boom 1".to_string()));
    }

    #[test]
    fn a_panic_inside_compile_module_is_a_transform_diagnostic() {
        let out = crate::transform::compile_module_with(
            "/src/a.js",
            "export const a = 1;",
            || -> crate::transform::CompiledModule { panic!("swc bug") },
        );
        assert_eq!(out.code, None);
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].kind, DiagnosticKind::Transform);
        assert!(
            out.diagnostics[0].message.contains("swc bug"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn nesting_ignores_brackets_in_strings_and_comments() {
        let brackets = "(".repeat(MAX_NESTING + 1);
        for text in [
            format!("const s = '{brackets}';"),
            format!("const s = \"{brackets}\";"),
            format!("// {brackets}\nx();"),
            format!("/* {brackets} */ x();"),
        ] {
            assert_eq!(check_nesting("/a.js", &text), None, "{text}");
        }
        let deep = format!("x = {brackets}");
        let d = check_nesting("/a.js", &deep).expect("too deep");
        assert_eq!((d.line, d.column), (1, 5 + MAX_NESTING as u32));
    }
}
