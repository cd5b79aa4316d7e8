//! swc's `hygiene` pass with user bindings that cannot conflict left out of the renaming.
//!
//! swc's renamer checks each candidate name against every earlier binding that got the same
//! name anywhere in the file, so `n` functions that all have a parameter `e` cost O(n²): a
//! 5 MB minified library took ten minutes in a debug build. But the bindings the user wrote
//! are already correct as written: the parser's text decided their scopes, and our passes add
//! code without moving user code across scopes. Only names the passes *add* (`_react`, `_s`,
//! helpers, `require`, `$meta`, ...) can conflict. So a user binding (context under
//! the resolver's top-level mark) whose name no added or global identifier shares is
//! preserved as is and never enters the renamer's queue; generated names are kept away from
//! those names. Everything else goes through swc's algorithm unchanged.

use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{Mark, SyntaxContext};
use swc_core::ecma::ast::{Id, Ident, Program};
use swc_core::ecma::transforms::base::hygiene::Config;
use swc_core::ecma::transforms::base::rename::{Renamer, renamer};
use swc_core::ecma::visit::{Visit, VisitWith};

/// Renames generated identifiers that would capture or be captured, like `hygiene()`.
pub(crate) fn hygiene(program: &mut Program, top_level_mark: Mark) {
    let mut collect = Collect {
        top_level_mark,
        contexts: FxHashMap::default(),
        user: FxHashSet::default(),
        foreign: FxHashSet::default(),
    };
    program.visit_with(&mut collect);
    let Collect {
        contexts,
        user,
        foreign,
        ..
    } = collect;
    let user_contexts = contexts
        .into_iter()
        .filter_map(|(ctxt, is_user)| is_user.then_some(ctxt))
        .collect();
    let reserved: Vec<Atom> = user
        .iter()
        .filter(|s| !foreign.contains(*s))
        .cloned()
        .collect();
    program.mutate(renamer(
        Config {
            ignore_eval: true,
            ..Default::default()
        },
        FastRenamer {
            user_contexts,
            foreign,
            reserved,
        },
    ));
}

struct Collect {
    top_level_mark: Mark,
    /// Whether each context seen is a user one (identifiers share relatively few contexts).
    contexts: FxHashMap<SyntaxContext, bool>,
    /// Names of identifiers bound by user code.
    user: FxHashSet<Atom>,
    /// Names of every other identifier: globals, generated bindings, helpers.
    foreign: FxHashSet<Atom>,
}

impl Visit for Collect {
    fn visit_ident(&mut self, i: &Ident) {
        let top_level_mark = self.top_level_mark;
        let is_user = *self
            .contexts
            .entry(i.ctxt)
            .or_insert_with(|| is_user(i.ctxt, top_level_mark));
        if is_user {
            if !self.user.contains(&i.sym) {
                self.user.insert(i.sym.clone());
            }
        } else if !self.foreign.contains(&i.sym) {
            self.foreign.insert(i.sym.clone());
        }
    }
}

fn is_user(ctxt: SyntaxContext, top_level_mark: Mark) -> bool {
    let mark = ctxt.outer();
    mark == top_level_mark || mark.is_descendant_of(top_level_mark)
}

struct FastRenamer {
    user_contexts: FxHashSet<SyntaxContext>,
    foreign: FxHashSet<Atom>,
    reserved: Vec<Atom>,
}

impl Renamer for FastRenamer {
    type Target = Atom;

    const MANGLE: bool = false;
    const RESET_N: bool = true;

    fn new_name_for(&self, orig: &Id, n: &mut usize) -> Atom {
        let name = if *n == 0 {
            orig.0.clone()
        } else {
            format!("{}{}", orig.0, n).into()
        };
        *n += 1;
        name
    }

    fn unresolved_symbols(&self) -> Vec<Atom> {
        self.reserved.clone()
    }

    fn preserve_name(&self, id: &Id) -> bool {
        self.user_contexts.contains(&id.1) && !self.foreign.contains(&id.0)
    }
}
