//! Tests of the swc pipeline: emitted factories (snapshots), imports and hot facts (tables),
//! diagnostics, robustness, and running the factories under real `node`.

use super::*;

fn compile(id: &str, text: &str) -> CompiledModule {
    let kind = SourceKind::from_path(id).expect("a JS/TS path");
    compile_module(id, kind, text, &TransformOptions::default())
}

#[test]
fn smoke() {
    let Ok(path) = std::env::var("SMOKE") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let id = std::env::var("ID").unwrap();
    let out = compile(&id, &text);
    println!("{:#?}", out.diagnostics);
    println!("{}", out.code.as_deref().unwrap_or(""));
    println!("{:?}", out.imports);
    println!("{:?}", out.hot);
    println!("{}", out.map.as_deref().unwrap_or(""));
}

#[test]
fn experiment_depth() {
    let Ok(case) = std::env::var("CASE") else {
        return;
    };
    let n: usize = std::env::var("N").unwrap().parse().unwrap();
    let text = match case.as_str() {
        "fn" => format!("x = {}1{};", "() => {".repeat(n), "}".repeat(n)),
        "fnif" => format!(
            "x = {}1{};",
            "function f(a) { if (a) { return [(a) => { ".repeat(n / 5),
            "}]}}".repeat(n / 5)
        ),
        "obj" => format!("x = {}1{};", "{a: ".repeat(n), "}".repeat(n)),
        "paren" => format!("x = {}1{};", "(".repeat(n), ")".repeat(n)),
        "array" => format!("x = {}1{};", "[".repeat(n), "]".repeat(n)),
        "bin" => format!("x = 1{};", "+1".repeat(n)),
        "strcat" => format!("x = 'a'{};", "+'a'".repeat(n)),
        "elseif" => format!("if (a) {{}}{} else {{}}", " else if (a) {}".repeat(n)),
        "member" => format!("x = a{};", ".b".repeat(n)),
        "call" => format!("x = a(){};", ".b()".repeat(n)),
        "tern" => format!("x = {} 0;", "a ? 1 :".repeat(n)),
        "unary" => format!("x = {}1;", "!".repeat(n)),
        "jsx" => format!("x = {}{};", "<a>".repeat(n), "</a>".repeat(n)),
        "seq" => format!("x = (1{});", ",1".repeat(n)),
        "assign" => format!("{}1;", "a = ".repeat(n)),
        _ => panic!(),
    };
    let t = std::time::Instant::now();
    let out = compile("/src/a.js", &text);
    println!(
        "{case} {n}: {:?} diags={:?} code={}",
        t.elapsed(),
        out.diagnostics.first().map(|d| &d.message),
        out.code.map_or(0, |c| c.len())
    );
}
