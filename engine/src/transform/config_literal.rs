//! A `vite.config.*` that is plain data, read without running it: the default export an object
//! literal (bare, or in `defineConfig(...)` from `vite` or `vitest/config`, which re-exports
//! it), its values literals, its `plugins`
//! calls of default-imported factories with literal options or none, and nothing else in the
//! file but imports from `vite` and those factories' packages. Such a config means the same
//! wherever it runs, so the caller can honour it without evaluating it in Node.js; any other
//! config (a function, a computed value, another import, a statement with effects) is `None`
//! and goes to the plugin host as before.

use serde_json::{Map, Value};
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, SourceMap};
use swc_core::ecma::ast::{
    ArrayLit, Callee, Decl, EsVersion, Expr, ImportSpecifier, Lit, Module, ModuleDecl,
    ModuleExportName, ModuleItem, ObjectLit, Prop, PropName, PropOrSpread, UnaryOp,
};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax, lexer::Lexer};

use super::SourceKind;
use super::analyze::unparen;

/// What a plain-data config says.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigLiteral {
    /// The default export's properties but `plugins`, as JSON.
    pub options: Map<String, Value>,
    /// The `plugins` array's calls, in order.
    pub plugins: Vec<PluginCall>,
}

/// One `factory(options?)` in `plugins`.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginCall {
    /// The package the factory is the default export of (`@vitejs/plugin-react`).
    pub package: String,
    /// Its one argument as JSON; `None` when called without one.
    pub options: Option<Value>,
}

/// Reads the config at `path` (its text `text`) if it is plain data; `None` otherwise (also for
/// a syntax error, which the plugin host reports with its file and line).
pub fn config_literal(path: &str, text: &str) -> Option<ConfigLiteral> {
    let module = parse_config(path, text)?;

    // Local name → (package, what it imports: `None` for the default export).
    let mut imports: Vec<(String, String, Option<String>)> = Vec::new();
    let mut default = None;
    for item in &module.body {
        match item {
            ModuleItem::ModuleDecl(ModuleDecl::Import(import)) => {
                if import.type_only {
                    continue;
                }
                let package = import.src.value.as_atom()?.to_string();
                for specifier in &import.specifiers {
                    match specifier {
                        ImportSpecifier::Default(d) => {
                            imports.push((d.local.sym.to_string(), package.clone(), None))
                        }
                        ImportSpecifier::Named(n) if n.is_type_only => {}
                        ImportSpecifier::Named(n) => {
                            let imported = match &n.imported {
                                Some(ModuleExportName::Ident(i)) => i.sym.to_string(),
                                Some(ModuleExportName::Str(s)) => s.value.as_atom()?.to_string(),
                                None => n.local.sym.to_string(),
                            };
                            imports.push((
                                n.local.sym.to_string(),
                                package.clone(),
                                Some(imported),
                            ));
                        }
                        ImportSpecifier::Namespace(_) => return None,
                    }
                }
                // A bare `import 'x'` runs x for its effects.
                if import.specifiers.is_empty() {
                    return None;
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(e)) if default.is_none() => {
                default = Some(&*e.expr);
            }
            // Types and interfaces mean nothing at run time.
            ModuleItem::Stmt(swc_core::ecma::ast::Stmt::Decl(
                Decl::TsInterface(_) | Decl::TsTypeAlias(_),
            )) => {}
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e))
                if matches!(e.decl, Decl::TsInterface(_) | Decl::TsTypeAlias(_)) => {}
            _ => return None,
        }
    }

    let imported = |local: &str| {
        imports
            .iter()
            .find(|(name, _, _)| name == local)
            .map(|(_, package, what)| (package.as_str(), what.as_deref()))
    };
    let mut object = unparen(default?);
    if let Expr::Call(call) = object {
        let Callee::Expr(callee) = &call.callee else {
            return None;
        };
        let Expr::Ident(callee) = unparen(callee) else {
            return None;
        };
        if !imported(&callee.sym).is_some_and(|(package, what)| defines_config(package, what))
            || call.args.len() != 1
        {
            return None;
        }
        let arg = &call.args[0];
        if arg.spread.is_some() {
            return None;
        }
        object = unparen(&arg.expr);
    }
    let Expr::Object(object) = object else {
        return None;
    };

    let mut options = Map::new();
    let mut plugins = None;
    for (key, value) in properties(object)? {
        if key == "plugins" {
            let Expr::Array(array) = unparen(value) else {
                return None;
            };
            plugins = Some(plugin_calls(array, &imported)?);
        } else {
            options.insert(key, json(value)?);
        }
    }
    let plugins = plugins.unwrap_or_default();
    // Only `defineConfig` and the plugins' factories may be imported: importing anything else
    // could run code of its own.
    let used = |package: &str, what: Option<&str>| {
        defines_config(package, what)
            || (what.is_none() && plugins.iter().any(|p: &PluginCall| p.package == package))
    };
    if !imports
        .iter()
        .all(|(_, package, what)| used(package, what.as_deref()))
    {
        return None;
    }
    Some(ConfigLiteral { options, plugins })
}

/// The config at `path` parsed as a module (TypeScript unless its extension says JavaScript);
/// `None` for a syntax error, which the plugin host reports with its file and line.
pub(super) fn parse_config(path: &str, text: &str) -> Option<Module> {
    let kind = SourceKind::from_path(path).unwrap_or(SourceKind::Ts);
    let syntax = match kind {
        SourceKind::Ts | SourceKind::Tsx => Syntax::Typescript(TsSyntax {
            tsx: matches!(kind, SourceKind::Tsx),
            ..Default::default()
        }),
        SourceKind::Js | SourceKind::Jsx => Syntax::Es(EsSyntax {
            jsx: matches!(kind, SourceKind::Jsx),
            ..Default::default()
        }),
    };
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom(path.to_string())),
        text.to_string(),
    );
    let mut parser = Parser::new_from(Lexer::new(
        syntax,
        EsVersion::latest(),
        StringInput::from(&*fm),
        None,
    ));
    let module = parser.parse_module().ok()?;
    parser.take_errors().is_empty().then_some(module)
}

/// `defineConfig` of `vite`, or of `vitest/config` (the same function, re-exported).
fn defines_config(package: &str, what: Option<&str>) -> bool {
    matches!(package, "vite" | "vitest/config") && what == Some("defineConfig")
}

/// An object literal's `key: value` properties; `None` for a spread, a method, a getter, a
/// shorthand or a computed key.
fn properties(object: &ObjectLit) -> Option<Vec<(String, &Expr)>> {
    object
        .props
        .iter()
        .map(|prop| {
            let PropOrSpread::Prop(prop) = prop else {
                return None;
            };
            let Prop::KeyValue(kv) = &**prop else {
                return None;
            };
            let key = match &kv.key {
                PropName::Ident(i) => i.sym.to_string(),
                PropName::Str(s) => s.value.as_atom()?.to_string(),
                _ => return None,
            };
            Some((key, &*kv.value))
        })
        .collect()
}

fn plugin_calls<'a>(
    array: &ArrayLit,
    imported: &impl Fn(&str) -> Option<(&'a str, Option<&'a str>)>,
) -> Option<Vec<PluginCall>> {
    array
        .elems
        .iter()
        .map(|elem| {
            let elem = elem.as_ref().filter(|e| e.spread.is_none())?;
            let Expr::Call(call) = unparen(&elem.expr) else {
                return None;
            };
            let Callee::Expr(callee) = &call.callee else {
                return None;
            };
            let Expr::Ident(callee) = unparen(callee) else {
                return None;
            };
            let (package, None) = imported(&callee.sym)? else {
                return None;
            };
            let options = match call.args.as_slice() {
                [] => None,
                [arg] if arg.spread.is_none() => Some(json(&arg.expr)?),
                _ => return None,
            };
            Some(PluginCall {
                package: package.to_string(),
                options,
            })
        })
        .collect()
}

/// A literal as JSON: strings (templates without expressions), finite numbers, booleans,
/// `null`, arrays and objects of them. `undefined` and anything computed is `None`.
fn json(expr: &Expr) -> Option<Value> {
    Some(match unparen(expr) {
        Expr::Lit(Lit::Str(s)) => Value::String(s.value.as_atom()?.to_string()),
        Expr::Lit(Lit::Bool(b)) => Value::Bool(b.value),
        Expr::Lit(Lit::Null(_)) => Value::Null,
        Expr::Lit(Lit::Num(n)) => number(n.value)?,
        Expr::Unary(u) if u.op == UnaryOp::Minus => match unparen(&u.arg) {
            Expr::Lit(Lit::Num(n)) => number(-n.value)?,
            _ => return None,
        },
        Expr::Tpl(t) if t.exprs.is_empty() => {
            Value::String(t.quasis.first()?.cooked.as_ref()?.as_atom()?.to_string())
        }
        Expr::Array(array) => Value::Array(
            array
                .elems
                .iter()
                .map(|e| json(&e.as_ref().filter(|e| e.spread.is_none())?.expr))
                .collect::<Option<_>>()?,
        ),
        Expr::Object(object) => Value::Object(
            properties(object)?
                .into_iter()
                .map(|(k, v)| Some((k, json(v)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// An integer stays an integer (`JSON.stringify(3000)` is `3000`, not `3000.0`).
fn number(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(Value::from(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::{PluginCall, config_literal};
    use serde_json::json;

    fn read(text: &str) -> Option<(serde_json::Value, Vec<PluginCall>)> {
        config_literal("/p/vite.config.ts", text)
            .map(|c| (serde_json::Value::Object(c.options), c.plugins))
    }

    fn react(options: Option<serde_json::Value>) -> PluginCall {
        PluginCall {
            package: "@vitejs/plugin-react".into(),
            options,
        }
    }

    #[test]
    fn the_starters_config_is_plain_data() {
        let starter = "import { defineConfig } from 'vite'\n\
                       import react from '@vitejs/plugin-react'\n\n\
                       // https://vite.dev/config/\n\
                       export default defineConfig({\n  plugins: [react()],\n})\n";
        assert_eq!(read(starter), Some((json!({}), vec![react(None)])));
        let bare =
            "import react from '@vitejs/plugin-react';\nexport default { plugins: [react()] };\n";
        assert_eq!(read(bare), Some((json!({}), vec![react(None)])));
    }

    #[test]
    fn literal_options_and_plugin_options_come_back_as_json() {
        let text = "import { defineConfig, type UserConfig } from 'vite'\n\
                    import type { Plugin } from 'vite'\n\
                    import react from '@vitejs/plugin-react'\n\
                    type X = number\n\
                    export default defineConfig({\n\
                      plugins: [react({ jsxRuntime: 'automatic' })],\n\
                      server: { port: 5174, host: true, open: `/docs`, cors: false },\n\
                      define: { __N__: -1.5, __S__: '\"s\"', 'a.b': [1, null] },\n\
                    } satisfies UserConfig)\n";
        assert_eq!(
            read(text),
            Some((
                json!({
                    "server": { "port": 5174, "host": true, "open": "/docs", "cors": false },
                    "define": { "__N__": -1.5, "__S__": "\"s\"", "a.b": [1, null] },
                }),
                vec![react(Some(json!({ "jsxRuntime": "automatic" })))]
            ))
        );
    }

    #[test]
    fn anything_that_must_run_is_not_plain_data() {
        for text in [
            // A function of the command and mode.
            "import { defineConfig } from 'vite'\nexport default defineConfig(() => ({}))\n",
            // A computed value.
            "import path from 'node:path'\nexport default { resolve: { alias: { '@': path.resolve('src') } } }\n",
            "export default { server: { port: Number(process.env.PORT) } }\n",
            // A statement, an unused import, an effect-only import.
            "const port = 3000\nexport default { server: { port } }\n",
            "import react from '@vitejs/plugin-react'\nexport default {}\n",
            "import './setup.js'\nexport default {}\n",
            "import * as vite from 'vite'\nexport default vite.defineConfig({})\n",
            // A spread, a method, a plugin that is not a factory call.
            "const base = {}\nexport default { ...base }\n",
            "export default { plugins: [{ name: 'x', transform(code) { return code } }] }\n",
            "import react from '@vitejs/plugin-react'\nexport default { plugins: [react(), ...[]] }\n",
            "import { react } from 'some-plugins'\nexport default { plugins: [react()] }\n",
            // No default export, or a syntax error.
            "export const config = {}\n",
            "export default {\n",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
        assert!(config_literal("/p/vite.config.js", "export default {}\n").is_some());
    }
}
