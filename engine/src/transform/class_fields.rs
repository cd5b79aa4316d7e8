//! TypeScript's `useDefineForClassFields: false` (what lit-ts and other decorator-based
//! projects ask for): public instance fields are assigned in the constructor
//! (`this.x = value`, which runs setters a decorator installed on the prototype) instead of
//! defined as own properties, and fields without an initializer emit nothing. Runs after the
//! decorator and TypeScript passes, on TypeScript modules only.
//!
//! swc implements this in its ES2022 class-properties compat pass, a crate family hotloop does
//! not otherwise build; this is the small part of it TypeScript's emit needs. Static fields,
//! private fields (`#x`) and accessors keep their native semantics. Initializers move into the
//! constructor after `super(...)`, as `tsc` emits them.

use swc_core::common::DUMMY_SP;
use swc_core::ecma::ast::{
    AssignExpr, AssignOp, Class, ClassMember, ClassProp, ComputedPropName, Expr, MemberExpr,
    MemberProp, PropName, ThisExpr,
};
use swc_core::ecma::utils::constructor::inject_after_super;
use swc_core::ecma::utils::default_constructor_with_span;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// The pass: assign instead of define in every class of the module.
pub(crate) struct AssignClassFields;

impl VisitMut for AssignClassFields {
    fn visit_mut_class(&mut self, class: &mut Class) {
        class.visit_mut_children_with(self);
        let is_instance_field = |m: &ClassMember| {
            matches!(
                m,
                ClassMember::ClassProp(ClassProp {
                    is_static: false,
                    ..
                })
            )
        };
        if !class.body.iter().any(is_instance_field) {
            return;
        }
        let mut assignments = Vec::new();
        class.body.retain_mut(|member| {
            let ClassMember::ClassProp(prop) = member else {
                return true;
            };
            if prop.is_static {
                return true;
            }
            if let Some(value) = prop.value.take() {
                assignments.push(assign_to_this(&prop.key, value));
            }
            false
        });
        if assignments.is_empty() {
            return;
        }
        let constructor = class.body.iter_mut().find_map(|m| match m {
            ClassMember::Constructor(c) if c.body.is_some() => Some(c),
            _ => None,
        });
        match constructor {
            Some(constructor) => inject_after_super(constructor, assignments),
            None => {
                let mut constructor =
                    default_constructor_with_span(class.super_class.is_some(), class.span);
                inject_after_super(&mut constructor, assignments);
                class.body.insert(0, ClassMember::Constructor(constructor));
            }
        }
    }
}

/// `this.key = value` (`this["key"]`, `this[key]` for string, numeric and computed keys).
fn assign_to_this(key: &PropName, value: Box<Expr>) -> Box<Expr> {
    let prop = match key {
        PropName::Ident(ident) => MemberProp::Ident(ident.clone()),
        PropName::Str(s) => computed(Expr::from(s.clone())),
        PropName::Num(n) => computed(Expr::from(n.clone())),
        PropName::BigInt(n) => computed(Expr::from(n.clone())),
        PropName::Computed(c) => MemberProp::Computed(c.clone()),
    };
    let target = MemberExpr {
        span: DUMMY_SP,
        obj: Box::new(Expr::This(ThisExpr { span: DUMMY_SP })),
        prop,
    };
    Box::new(Expr::Assign(AssignExpr {
        span: DUMMY_SP,
        op: AssignOp::Assign,
        left: target.into(),
        right: value,
    }))
}

fn computed(expr: Expr) -> MemberProp {
    MemberProp::Computed(ComputedPropName {
        span: DUMMY_SP,
        expr: Box::new(expr),
    })
}
