//! Which plugin factories a `vite.config.*` only ever calls without options, read without
//! running it: a config that must run in Node (a function of the mode, a computed alias) still
//! says statically that `react()` from `@vitejs/plugin-react-swc` gets no options, and then
//! hotloop does that plugin's transform itself instead of sending every module to Node.
//!
//! A package counts when it is default-imported and every use of that name is a call with no
//! argument or an empty object literal (`react()`, `react({})`). Any other use (options,
//! the factory passed along, a namespace import, a shadowing name) leaves the package out:
//! being wrong that way costs a round trip per module, never a wrong transform.

use swc_core::ecma::ast::{CallExpr, Callee, Expr, Ident, ImportSpecifier, ModuleDecl, ModuleItem};
use swc_core::ecma::visit::{Visit, VisitWith};

use super::analyze::unparen;
use super::config_literal::parse_config;

/// The packages of `packages` that the config at `path` (its text `text`) default-imports and
/// calls only without options; empty for a syntax error.
pub fn default_plugin_factories(path: &str, text: &str, packages: &[&str]) -> Vec<String> {
    let Some(module) = parse_config(path, text) else {
        return Vec::new();
    };
    // Local name → package, for the default imports of `packages`; a package imported any
    // other way (namespace, named `default`) is out from the start.
    let mut locals: Vec<(String, String)> = Vec::new();
    let mut out_from_start: Vec<String> = Vec::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else {
            continue;
        };
        let Some(package) = import.src.value.as_atom().map(|a| a.to_string()) else {
            continue;
        };
        if import.type_only || !packages.contains(&package.as_str()) {
            continue;
        }
        for specifier in &import.specifiers {
            match specifier {
                ImportSpecifier::Default(d) => {
                    locals.push((d.local.sym.to_string(), package.clone()))
                }
                ImportSpecifier::Named(n) if n.is_type_only => {}
                _ => out_from_start.push(package.clone()),
            }
        }
    }
    let mut uses = Uses {
        locals: &locals,
        other_use: vec![false; locals.len()],
        called: vec![false; locals.len()],
    };
    for item in &module.body {
        // The import declarations hold the names themselves, not uses of them.
        if !matches!(item, ModuleItem::ModuleDecl(ModuleDecl::Import(_))) {
            item.visit_with(&mut uses);
        }
    }
    let mut found: Vec<String> = Vec::new();
    for (i, (_, package)) in locals.iter().enumerate() {
        let only_default = uses.called[i]
            && !uses.other_use[i]
            && !out_from_start.contains(package)
            // Two names for one package: each must be used only without options.
            && locals
                .iter()
                .enumerate()
                .all(|(j, (_, p))| p != package || !uses.other_use[j]);
        if only_default && !found.contains(package) {
            found.push(package.clone());
        }
    }
    found
}

/// Walks the config's code, sorting each mention of a factory's name into "called without
/// options" and anything else.
struct Uses<'a> {
    locals: &'a [(String, String)],
    other_use: Vec<bool>,
    called: Vec<bool>,
}

impl Uses<'_> {
    fn index(&self, ident: &Ident) -> Option<usize> {
        self.locals.iter().position(|(name, _)| ident.sym == **name)
    }
}

/// No argument, or one empty object literal.
fn without_options(call: &CallExpr) -> bool {
    match call.args.as_slice() {
        [] => true,
        [arg] => {
            arg.spread.is_none()
                && matches!(unparen(&arg.expr), Expr::Object(object) if object.props.is_empty())
        }
        _ => false,
    }
}

impl Visit for Uses<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee
            && let Expr::Ident(ident) = unparen(callee)
            && let Some(i) = self.index(ident)
        {
            if without_options(call) {
                self.called[i] = true;
            } else {
                self.other_use[i] = true;
            }
            call.args.visit_with(self);
            return;
        }
        call.visit_children_with(self);
    }

    fn visit_ident(&mut self, ident: &Ident) {
        if let Some(i) = self.index(ident) {
            self.other_use[i] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::default_plugin_factories;

    const SWC: &str = "@vitejs/plugin-react-swc";
    const REACT: &str = "@vitejs/plugin-react";

    fn found(text: &str) -> Vec<String> {
        default_plugin_factories("/p/vite.config.ts", text, &[SWC, REACT])
    }

    #[test]
    fn a_computed_config_calling_the_factory_without_options_names_its_package() {
        let text = "import { defineConfig, loadEnv } from 'vite'\n\
                    import react from '@vitejs/plugin-react-swc'\n\
                    import path from 'node:path'\n\
                    export default defineConfig(({ mode }) => {\n\
                      const env = loadEnv(mode, process.cwd())\n\
                      return {\n\
                        plugins: [react()],\n\
                        resolve: { alias: { '@': path.resolve(__dirname, 'src') } },\n\
                        define: { __API__: JSON.stringify(env.VITE_API) },\n\
                      }\n\
                    })\n";
        assert_eq!(found(text), vec![SWC.to_string()]);
        let empty_object = "import react from '@vitejs/plugin-react'\n\
                            const plugins = [react({})]\n\
                            export default { plugins, server: { port: Number('5000') } }\n";
        assert_eq!(found(empty_object), vec![REACT.to_string()]);
    }

    #[test]
    fn options_or_any_other_use_of_the_factory_leaves_its_package_out() {
        for text in [
            // Options.
            "import react from '@vitejs/plugin-react-swc'\nexport default { plugins: [react({ tsDecorators: true })] }\n",
            "import react from '@vitejs/plugin-react-swc'\nconst o = {}\nexport default { plugins: [react(o)] }\n",
            "import react from '@vitejs/plugin-react-swc'\nexport default { plugins: [react(...[])] }\n",
            // Once without, once with.
            "import react from '@vitejs/plugin-react-swc'\nexport default { plugins: [react(), react({ devTarget: 'es2022' })] }\n",
            // The factory passed along, or shadowed by a name of the same spelling.
            "import react from '@vitejs/plugin-react-swc'\nconst f = react\nexport default { plugins: [f()] }\n",
            "import react from '@vitejs/plugin-react-swc'\nexport default { plugins: [react()].concat([1].map((react) => react)) }\n",
            // Imported, never called; a namespace import; a syntax error.
            "import react from '@vitejs/plugin-react-swc'\nexport default {}\n",
            "import * as swc from '@vitejs/plugin-react-swc'\nexport default { plugins: [swc.default()] }\n",
            "import react from '@vitejs/plugin-react-swc'\nexport default { plugins: [react()] \n",
            // Not one of the packages asked about.
            "import vue from '@vitejs/plugin-vue'\nexport default { plugins: [vue()] }\n",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn property_names_spelled_like_the_factory_are_not_uses_of_it() {
        let text = "import react from '@vitejs/plugin-react'\n\
                    const frameworks = { react: 'yes' }\n\
                    export default { plugins: [react()], define: { X: frameworks.react } }\n";
        assert_eq!(found(text), vec![REACT.to_string()]);
    }
}
