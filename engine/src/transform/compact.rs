//! A classic script printed compactly: no comments, no indentation, no line breaks; names and
//! code unchanged (no minifier pass), with a source map whose one source is the readable
//! script, so DevTools still shows that. `tests/chunk_node.rs` makes `runtime/compact/` with it
//! (hotloop's browser runtime as served: ~45 % of `hotloop_runtime::RUNTIME_JS`'s bytes).

use swc_core::common::source_map::SourceMapGenConfig;
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, SourceMap};
use swc_core::ecma::ast::{EsVersion, Program};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, lexer::Lexer};

use super::pipeline::print_compact;

/// A script as the page gets it and its source map (JSON).
#[derive(Clone, Debug)]
pub struct CompactScript {
    /// The compact script, ending with a newline (so another script can follow it).
    pub code: String,
    pub map: String,
}

/// Prints `text` (a classic script whose map names it `url`) compactly. An error names what
/// failed.
pub fn compact_script(url: &str, text: &str) -> Result<CompactScript, String> {
    super::guard::run_guarded(|| compact(url, text))
        .unwrap_or_else(|message| Err(format!("internal error while compacting {url}: {message}")))
}

fn compact(url: &str, text: &str) -> Result<CompactScript, String> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom(url.to_string())),
        text.to_string(),
    );
    let lexer = Lexer::new(
        Syntax::Es(EsSyntax::default()),
        EsVersion::latest(),
        StringInput::from(&*fm),
        None,
    );
    let mut parser = Parser::new_from(lexer);
    let script = parser
        .parse_script()
        .map_err(|e| format!("{url} does not parse: {:?}", e.kind()))?;
    if let Some(error) = parser.take_errors().into_iter().next() {
        return Err(format!("{url} does not parse: {:?}", error.kind()));
    }
    let (mut code, mappings) = print_compact(&cm, &Program::Script(script), text.len() / 2)
        .map_err(|e| format!("printing {url} failed: {e}"))?;
    code.push(b'\n');
    let code = String::from_utf8(code).map_err(|e| format!("printing {url} failed: {e}"))?;
    let mut map = Vec::new();
    cm.build_source_map(&mappings, None, WithSource)
        .to_writer(&mut map)
        .map_err(|e| format!("the source map of {url} failed: {e}"))?;
    let map = String::from_utf8(map).map_err(|e| format!("the source map of {url}: {e}"))?;
    Ok(CompactScript { code, map })
}

/// The map's source is the script's URL with its readable text inline.
struct WithSource;

impl SourceMapGenConfig for WithSource {
    fn file_name_to_source(&self, name: &FileName) -> String {
        name.to_string()
    }

    fn inline_sources_content(&self, _: &FileName) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_code_and_names_and_drops_comments_and_layout() {
        let text = "// a comment\n(function () {\n  \"use strict\";\n  /** doc */\n  const answer = \
                    40 + 2;\n  globalThis.named = function named() { return answer; };\n})();\n";
        let out = compact_script("/x.js", text).unwrap();
        assert_eq!(
            out.code,
            "(function(){\"use strict\";const answer=40+2;globalThis.named=function named(){return answer;};})();\n"
        );
        let map: serde_json::Value = serde_json::from_str(&out.map).unwrap();
        assert_eq!(map["sources"][0], "/x.js");
        assert_eq!(map["sourcesContent"][0], text);
    }

    #[test]
    fn a_script_that_does_not_parse_is_an_error_naming_it() {
        let error = compact_script("/x.js", "let = ;").unwrap_err();
        assert!(error.contains("/x.js does not parse"), "{error}");
    }
}
