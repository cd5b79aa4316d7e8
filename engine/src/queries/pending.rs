//! TEMPORARY stand-ins for `css::compile_css`, `transform::compile_json` and
//! `transform::asset_module`, with the signatures agreed with the transform branch, so this
//! branch compiles before that one lands. Deleted when the transform branch is merged.

use std::sync::Arc;

use crate::diagnostics::Diagnostic;
use crate::transform::{CompiledModule, ImportRecord};

pub mod css {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct CompiledCss {
        pub imports: Vec<ImportRecord>,
        pub code: Arc<str>,
        pub stylesheet: Arc<str>,
        pub diagnostics: Vec<Diagnostic>,
    }

    pub fn compile_css(id: &str, text: &str) -> CompiledCss {
        let _ = id;
        CompiledCss {
            imports: Vec::new(),
            code: format!(
                "(function (module, exports, require, __hotloop_meta, $RefreshReg$, $RefreshSig$) {{\n__hotloop_meta.css({});\n}})",
                serde_json::to_string(text).unwrap_or_default()
            )
            .into(),
            stylesheet: text.into(),
            diagnostics: Vec::new(),
        }
    }
}

pub fn compile_json(id: &str, text: &str) -> CompiledModule {
    let _ = id;
    CompiledModule {
        code: Some(
            format!(
                "(function (module, exports, require, __hotloop_meta, $RefreshReg$, $RefreshSig$) {{\nmodule.exports = {};\n}})",
                text.trim()
            )
            .into(),
        ),
        ..Default::default()
    }
}

pub fn asset_module(id: &str, url: &str) -> CompiledModule {
    let _ = id;
    CompiledModule {
        code: Some(
            format!(
                "(function (module, exports, require, __hotloop_meta, $RefreshReg$, $RefreshSig$) {{\nmodule.exports = {};\n}})",
                serde_json::to_string(url).unwrap_or_default()
            )
            .into(),
        ),
        ..Default::default()
    }
}
