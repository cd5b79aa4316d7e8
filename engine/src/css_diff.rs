//! Rule-level diffs of stylesheets (pure: no salsa, no IO), for the CSS patches of a hot update
//! (`hotloop_protocol::wire`, "CSS patches"). A stylesheet's top-level rules (a style rule, an
//! at-rule statement such as `@import ...;` or `@layer a, b;`, an at-rule block such as
//! `@media ... { ... }` as a whole) are cut out of its text with cssparser's tokenizer (strings,
//! comments, escapes and nested blocks as a browser reads them); the comments and whitespace
//! between rules are not rules, as in the CSSOM. The diff keeps the common first and last rules
//! and replaces the ones between: `deleteRule` for each old one, `insertRule` for each new one.
//! When as many rules come as go, they pair up, and a grouping rule (`@layer x { }`, `@media`,
//! `@supports`, `@container`) whose prelude stayed is diffed the same way inside (`Within`,
//! up to `MAX_CSS_DEPTH` deep): Tailwind CSS's new utility is one `insertRule` into its
//! `@layer utilities`, not a new copy of the layer, which would restyle every element.
//!
//! [`diff`] answers `None` (send the whole sheet) when a patch cannot express the change or would
//! not be small: a change among the `@charset`/`@import`/`@namespace` rules and the `@layer`
//! statements between them (they must stay first, and an `@import` cannot be inserted after
//! other rules), or more new rules than [`SMALL`] that are also more than half of the new sheet.
//! A rule the browser drops (an invalid selector, an unknown at-rule) makes the page's rule count
//! differ from the patch's, so the page uses the whole text then: never a wrong sheet.

use cssparser::{Parser, ParserInput, Token};

use hotloop_protocol::wire::{CssEdit, MAX_CSS_DEPTH};

/// A patch that inserts more rules than this, and more than half of the new sheet's, is not
/// small: the whole sheet goes instead.
pub const SMALL: usize = 16;

/// What sort of top-level rule a [`Rule`] is, as far as patching cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// `@charset "...";`: not a CSSOM rule (the browser drops it).
    Charset,
    /// `@import`, `@namespace`, or an `@layer` statement before them: the sheet's head.
    Head,
    /// An `@layer a, b;` statement (may come before `@import`s).
    LayerStatement,
    /// Everything else: style rules and at-rules.
    Other,
}

/// One top-level rule: its text, exactly as written (from its first token to its `;` or `}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule<'a> {
    pub kind: RuleKind,
    pub text: &'a str,
}

/// The top-level rules of `text`, in order (the `@charset` rule included).
pub fn top_level_rules(text: &str) -> Vec<Rule<'_>> {
    let mut input = ParserInput::new(text);
    let mut p = Parser::new(&mut input);
    let mut rules = Vec::new();
    loop {
        let start = p.position().byte_index();
        let kind = match p.next_including_whitespace_and_comments() {
            Err(_) => break,
            Ok(Token::WhiteSpace(_) | Token::Comment(_) | Token::CDO | Token::CDC) => continue,
            Ok(Token::AtKeyword(name)) => {
                let name = name.to_ascii_lowercase();
                match name.as_str() {
                    "charset" => RuleKind::Charset,
                    "import" | "namespace" => RuleKind::Head,
                    "layer" => RuleKind::LayerStatement,
                    _ => RuleKind::Other,
                }
            }
            Ok(Token::CurlyBracketBlock) => {
                // A rule with an empty prelude: the block ends it.
                skip_block(&mut p);
                rules.push(Rule {
                    kind: RuleKind::Other,
                    text: &text[start..p.position().byte_index()],
                });
                continue;
            }
            Ok(_) => RuleKind::Other,
        };
        let at_rule = kind != RuleKind::Other || text[start..].starts_with('@');
        let mut kind = kind;
        let end = loop {
            match p.next_including_whitespace_and_comments() {
                Err(_) => break text.trim_end().len().max(start),
                Ok(Token::Semicolon) if at_rule => break p.position().byte_index(),
                Ok(Token::CurlyBracketBlock) => {
                    skip_block(&mut p);
                    // `@layer name { ... }` is a block, not a statement.
                    if kind == RuleKind::LayerStatement {
                        kind = RuleKind::Other;
                    }
                    break p.position().byte_index();
                }
                Ok(_) => {}
            }
        };
        rules.push(Rule {
            kind,
            text: &text[start..end],
        });
    }
    rules
}

/// Consumes the block whose opening token was just read (cssparser skips nested blocks without
/// recursion).
fn skip_block(p: &mut Parser<'_, '_>) {
    let _ = p.parse_nested_block(|_| Ok::<(), cssparser::ParseError<'_, ()>>(()));
}

/// A patch from `old` to `new`: the base's CSSOM rule count and the edits, or `None` when the
/// whole sheet must go (see the module docs).
pub fn diff(old: &str, new: &str) -> Option<(u32, Vec<CssEdit>)> {
    let mut old = top_level_rules(old);
    let mut new = top_level_rules(new);
    // `@charset` is not in the CSSOM: no index counts it. Only the first rule can be one.
    let old_charset = strip_charset(&mut old);
    let new_charset = strip_charset(&mut new);
    if old_charset != new_charset {
        return None;
    }
    diff_rules(&old, &new, 0)
}

/// The edits from the rules `old` to the rules `new` of a sheet or, `depth` grouping rules
/// down, of a grouping rule.
fn diff_rules(old: &[Rule<'_>], new: &[Rule<'_>], depth: usize) -> Option<(u32, Vec<CssEdit>)> {
    let prefix = old
        .iter()
        .zip(new)
        .take_while(|(a, b)| a.text == b.text)
        .count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a.text == b.text)
        .count();
    let removed = &old[prefix..old.len() - suffix];
    let added = &new[prefix..new.len() - suffix];
    // The head (`@import`/`@namespace` and the `@layer` statements among and before them) must
    // be the same on both sides, and no head rule may be removed or added elsewhere.
    if prefix < head_len(old) || prefix < head_len(new) {
        return None;
    }
    if removed
        .iter()
        .chain(added)
        .any(|r| r.kind != RuleKind::Other && r.kind != RuleKind::LayerStatement)
    {
        return None;
    }
    let at = |i: usize| u32::try_from(i).ok();
    let mut edits = Vec::with_capacity(removed.len() + added.len());
    if removed.len() == added.len() {
        // Rule for rule: the changed ones are replaced, except a grouping rule whose prelude
        // stayed, whose rules are edited inside it (only what they match restyles).
        let mut replaced = 0;
        for (i, (a, b)) in (prefix..).zip(removed.iter().zip(added)) {
            if a.text == b.text {
                continue;
            }
            if depth < MAX_CSS_DEPTH
                && let Some(within) = edits_within(a.text, b.text, depth)
            {
                let (rules, inner) = within;
                if !inner.is_empty() {
                    edits.push(CssEdit::Within {
                        index: at(i)?,
                        rules,
                        edits: inner,
                    });
                }
                continue;
            }
            replaced += 1;
            edits.push(CssEdit::Delete { index: at(i)? });
            edits.push(CssEdit::Insert {
                index: at(i)?,
                rule: b.text.into(),
            });
        }
        if replaced > SMALL && replaced * 2 > new.len() {
            return None;
        }
        return Some((at(old.len())?, edits));
    }
    if added.len() > SMALL && added.len() * 2 > new.len() {
        return None;
    }
    for i in (prefix..prefix + removed.len()).rev() {
        edits.push(CssEdit::Delete { index: at(i)? });
    }
    for (i, rule) in (prefix..).zip(added) {
        edits.push(CssEdit::Insert {
            index: at(i)?,
            rule: rule.text.into(),
        });
    }
    Some((at(old.len())?, edits))
}

/// The edits inside a grouping rule (`@layer x { }`, `@media`, `@supports`, `@container`: the
/// CSSOM's grouping rules, with their own `insertRule`/`deleteRule`) from `old` to `new`, when
/// both are one with the same prelude: its rule count and the edits. `None`: replace it.
fn edits_within(old: &str, new: &str, depth: usize) -> Option<(u32, Vec<CssEdit>)> {
    let (old_prelude, old_body) = grouping_rule(old)?;
    let (new_prelude, new_body) = grouping_rule(new)?;
    if old_prelude != new_prelude {
        return None;
    }
    diff_rules(
        &top_level_rules(old_body),
        &top_level_rules(new_body),
        depth + 1,
    )
}

/// A grouping rule's prelude (from the `@` to its `{`) and body (between the braces), when
/// `rule` is a whole one.
fn grouping_rule(rule: &str) -> Option<(&str, &str)> {
    let name = rule.strip_prefix('@')?;
    let name_len = name
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(name.len());
    if !["layer", "media", "supports", "container"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&name[..name_len]))
    {
        return None;
    }
    // Where the block opens, as a browser reads the prelude (strings, comments).
    let mut input = ParserInput::new(rule);
    let mut p = Parser::new(&mut input);
    let open = loop {
        let before = p.position().byte_index();
        match p.next_including_whitespace_and_comments() {
            Ok(Token::CurlyBracketBlock) => break before,
            Ok(Token::Semicolon) | Err(_) => return None,
            Ok(_) => {}
        }
    };
    let body = rule.get(open + 1..)?.strip_suffix('}')?;
    Some((&rule[..open], body))
}

fn strip_charset<'a>(rules: &mut Vec<Rule<'a>>) -> Option<&'a str> {
    if rules.first().is_some_and(|r| r.kind == RuleKind::Charset) {
        Some(rules.remove(0).text)
    } else {
        None
    }
}

/// How many rules from the start belong to the head: up to the last `@import`/`@namespace`
/// that only head rules and `@layer` statements precede.
fn head_len(rules: &[Rule<'_>]) -> usize {
    let mut len = 0;
    for (i, rule) in rules.iter().enumerate() {
        match rule.kind {
            RuleKind::Head => len = i + 1,
            RuleKind::LayerStatement | RuleKind::Charset => {}
            RuleKind::Other => break,
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders the rules of `text`, one per line: `kind | text`.
    #[track_caller]
    fn check_rules(text: &str, expect: Expect) {
        let out: Vec<String> = top_level_rules(text)
            .iter()
            .map(|r| format!("{:?} | {}", r.kind, r.text))
            .collect();
        expect.assert_eq(&out.join("\n"));
    }

    fn render(edits: &[CssEdit], indent: &str, out: &mut String) {
        for edit in edits {
            match edit {
                CssEdit::Delete { index } => out.push_str(&format!("\n{indent}delete {index}")),
                CssEdit::Insert { index, rule } => {
                    out.push_str(&format!("\n{indent}insert {index} {rule}"));
                }
                CssEdit::Within {
                    index,
                    rules,
                    edits,
                } => {
                    out.push_str(&format!("\n{indent}within {index} (rules={rules})"));
                    render(edits, &format!("{indent}  "), out);
                }
            }
        }
    }

    /// Renders the patch from `old` to `new`: `rules=N` then one edit per line, or `whole sheet`.
    #[track_caller]
    fn check(old: &str, new: &str, expect: Expect) {
        let out = match diff(old, new) {
            None => "whole sheet".to_string(),
            Some((rules, edits)) => {
                let mut out = format!("rules={rules}");
                render(&edits, "", &mut out);
                out
            }
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn rules_are_cut_where_a_browser_cuts_them() {
        check_rules(
            r#"@charset "utf-8";
/* a comment { with braces } */
@import url("a.css") screen;
@layer base, theme;
a { color: red; content: "}" } b{}
@media (width > 1px) { .x { color: blue } @media print { .y {} } }
<!-- .cdo { } -->
@layer base { p { margin: 0 } }
@font-face { font-family: x; src: url(x.woff) }
.esc\{ { color: green }
{ }
.unterminated { color: red"#,
            expect![[r#"
                Charset | @charset "utf-8";
                Head | @import url("a.css") screen;
                LayerStatement | @layer base, theme;
                Other | a { color: red; content: "}" }
                Other | b{}
                Other | @media (width > 1px) { .x { color: blue } @media print { .y {} } }
                Other | .cdo { }
                Other | @layer base { p { margin: 0 } }
                Other | @font-face { font-family: x; src: url(x.woff) }
                Other | .esc\{ { color: green }
                Other | { }
                Other | .unterminated { color: red"#]],
        );
    }

    #[test]
    fn a_semicolon_does_not_end_a_style_rule_prelude() {
        check_rules(
            "a; b { color: red } @unknown x; c {}",
            expect![[r#"
                Other | a; b { color: red }
                Other | @unknown x;
                Other | c {}"#]],
        );
    }

    const SHEET: &str = "@import 'x.css';\n@layer a, b;\n.a { color: red }\n.b { color: green }\n@media print { .c { color: blue } }\n";

    #[test]
    fn diffs() {
        // (what, new text, expected patch from SHEET)
        let cases: Vec<(&str, String, Expect)> = vec![
            (
                "one rule edited",
                SHEET.replace("green", "lime"),
                expect![[r#"
                    rules=5
                    delete 3
                    insert 3 .b { color: lime }"#]],
            ),
            (
                "a rule added at the end",
                format!("{SHEET}.d {{ x: 1 }}"),
                expect![[r#"
                    rules=5
                    insert 5 .d { x: 1 }"#]],
            ),
            (
                "a rule removed",
                SHEET.replace(".a { color: red }\n", ""),
                expect![[r#"
                    rules=5
                    delete 2"#]],
            ),
            (
                "two rules swapped",
                SHEET.replace(
                    ".a { color: red }\n.b { color: green }",
                    ".b { color: green }\n.a { color: red }",
                ),
                expect![[r#"
                    rules=5
                    delete 2
                    insert 2 .b { color: green }
                    delete 3
                    insert 3 .a { color: red }"#]],
            ),
            (
                "inside an @media block: the rule inside it",
                SHEET.replace("blue", "navy"),
                expect![[r#"
                    rules=5
                    within 4 (rules=1)
                      delete 0
                      insert 0 .c { color: navy }"#]],
            ),
            (
                "only comments and whitespace changed",
                SHEET.replace("\n.b", "\n/* note */\n\n.b"),
                expect!["rules=5"],
            ),
            (
                "a @layer statement changed after the head",
                format!("{SHEET}@layer c;").replace("@layer c;", "@layer d;"),
                expect![[r#"
                    rules=5
                    insert 5 @layer d;"#]],
            ),
            (
                "an @import changed",
                SHEET.replace("x.css", "y.css"),
                expect!["whole sheet"],
            ),
            (
                "an @import added",
                format!("@import 'z.css';\n{SHEET}"),
                expect!["whole sheet"],
            ),
            (
                "the @layer statement after the @imports changed: a rule like others",
                SHEET.replace("@layer a, b;", "@layer b, a;"),
                expect![[r#"
                    rules=5
                    delete 1
                    insert 1 @layer b, a;"#]],
            ),
            (
                "an @import appended after the rules",
                format!("{SHEET}@import 'late.css';"),
                expect!["whole sheet"],
            ),
            (
                "a @charset added",
                format!("@charset \"utf-8\";\n{SHEET}"),
                expect!["whole sheet"],
            ),
            (
                "everything rewritten",
                (0..40).map(|i| format!(".r{i} {{ x: {i} }}\n")).collect(),
                expect!["whole sheet"],
            ),
        ];
        for (what, new, expect) in cases {
            eprintln!("case: {what}");
            check(SHEET, &new, expect);
        }
    }

    #[test]
    fn a_layer_statement_before_an_import_is_part_of_the_head() {
        check(
            "@layer a, b;\n@import 'x.css' layer(a);\n.a {}",
            "@layer b, a;\n@import 'x.css' layer(a);\n.a {}",
            expect!["whole sheet"],
        );
    }

    #[test]
    fn a_charset_is_not_counted() {
        check(
            "@charset \"utf-8\"; a {} b {}",
            "@charset \"utf-8\"; a {} b { x: y }",
            expect![[r#"
                rules=2
                delete 1
                insert 1 b { x: y }"#]],
        );
    }

    #[test]
    fn many_small_edits_in_a_big_sheet_stay_a_patch() {
        let old: String = (0..100).map(|i| format!(".r{i} {{ x: {i} }}\n")).collect();
        let new = old
            .replace(".r10 {", ".r10, .s {")
            .replace(".r20 {", ".r20, .s {");
        let (rules, edits) = diff(&old, &new).expect("a patch");
        assert_eq!(rules, 100);
        assert_eq!(
            edits.len(),
            4,
            "as many rules came as went: only the two changed"
        );
    }

    const TAILWIND: &str = "@layer theme { :root { --c: red } }\n@layer base { * { margin: 0 } }\n@layer utilities {\n  .flex { display: flex; }\n  .p-1 { padding: 4px; }\n  .md\\:flex { @media (width >= 48rem) { display: flex; } }\n}\n@property --x { syntax: \"*\"; inherits: false; }\n";

    #[test]
    fn a_new_utility_is_inserted_into_its_layer_not_a_new_layer() {
        check(
            TAILWIND,
            &TAILWIND.replace("  .p-1 {", "  .m-1 { margin: 4px; }\n  .p-1 {"),
            expect![[r#"
                rules=4
                within 2 (rules=3)
                  insert 1 .m-1 { margin: 4px; }"#]],
        );
        // A new theme variable and its utility: each layer edited inside.
        check(
            TAILWIND,
            &TAILWIND
                .replace("--c: red }", "--c: red; --d: blue }")
                .replace(
                    "  .p-1 { padding: 4px; }\n",
                    "  .p-1 { padding: 4px; }\n  .text-d { color: var(--d); }\n",
                ),
            expect![[r#"
                rules=4
                within 0 (rules=1)
                  delete 0
                  insert 0 :root { --c: red; --d: blue }
                within 2 (rules=3)
                  insert 2 .text-d { color: var(--d); }"#]],
        );
    }

    #[test]
    fn a_grouping_rule_whose_prelude_changed_is_replaced() {
        check(
            "@media print { a {} }\n@font-face { font-family: x }",
            "@media screen { a {} }\n@font-face { font-family: y }",
            expect![[r#"
                rules=2
                delete 0
                insert 0 @media screen { a {} }
                delete 1
                insert 1 @font-face { font-family: y }"#]],
        );
    }

    #[test]
    fn grouping_rules_nest_up_to_the_protocols_depth() {
        let nest = |n: usize, inner: &str| {
            (0..n).fold(inner.to_string(), |acc, i| {
                format!("@media (width > {i}px) {{ {acc} }}")
            })
        };
        check(
            &nest(2, "a { x: 1 } b {}"),
            &nest(2, "a { x: 2 } b {}"),
            expect![[r#"
                rules=1
                within 0 (rules=1)
                  within 0 (rules=2)
                    delete 0
                    insert 0 a { x: 2 }"#]],
        );
        let deep = diff(&nest(6, "a { x: 1 }"), &nest(6, "a { x: 2 }")).expect("a patch");
        fn depth(edits: &[CssEdit]) -> usize {
            edits
                .iter()
                .map(|e| match e {
                    CssEdit::Within { edits, .. } => 1 + depth(edits),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        assert_eq!(
            depth(&deep.1),
            MAX_CSS_DEPTH,
            "deeper blocks are replaced whole"
        );
    }
}
