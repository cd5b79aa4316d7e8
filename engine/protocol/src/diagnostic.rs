//! Build diagnostics: what the overlay and the terminal show for a file that does not compile
//! or an import that does not resolve.

use std::fmt;

/// What kind of problem a diagnostic reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    Syntax = 0,
    Resolve = 1,
    Transform = 2,
    Io = 3,
    Runtime = 4,
}

/// One problem in one file. Lines and columns are 1-based; `code_frame` is a few source lines
/// around the location with a caret under the column, ready to print.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    /// Module id (`/src/a.ts`) of the file the problem is in.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub code_frame: String,
}

impl Diagnostic {
    /// A syntax error at 1-based `line`:`column` of `text` (the file `file`), with its code
    /// frame.
    pub fn syntax(file: &str, text: &str, line: u32, column: u32, message: String) -> Diagnostic {
        Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: file.to_string(),
            line,
            column,
            message,
            code_frame: code_frame(text, line, column),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if !self.code_frame.is_empty() {
            write!(f, "\n{}", self.code_frame)?;
        }
        Ok(())
    }
}

/// Renders up to two lines of context around `line` (1-based) with a caret under `column`
/// (1-based, in characters).
pub fn code_frame(source: &str, line: u32, column: u32) -> String {
    let line = line.max(1) as usize;
    let lines: Vec<&str> = source.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let first = line.saturating_sub(3).max(1);
    let last = (line + 2).min(lines.len());
    let width = last.to_string().len();
    let mut out = String::new();
    for n in first..=last {
        let text = lines.get(n - 1).copied().unwrap_or("");
        let marker = if n == line { '>' } else { ' ' };
        out.push_str(&format!("{marker} {n:>width$} | {text}\n"));
        if n == line {
            let pad: String = text
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("  {:>width$} | {pad}^\n", ""));
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_frame_points_at_the_column() {
        let src = "a\nb\nlet x = (;\nc\nd\ne";
        let frame = code_frame(src, 3, 10);
        assert_eq!(
            frame,
            "  1 | a\n  2 | b\n> 3 | let x = (;\n    |          ^\n  4 | c\n  5 | d"
        );
    }
}
