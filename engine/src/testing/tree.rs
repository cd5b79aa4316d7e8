//! The shape of the generated module trees of the engine benchmark, `hotloop profile`'s test
//! and the hardening memory test (hmrbench's plain fixture): node `i` imports nodes `10i+1 ..= 10i+10` (those below
//! `n`), node 0 is `src/main.js`, the others `src/m/<i / 100>/m<i>.js`.

pub const FANOUT: usize = 10;

/// The project-relative path of node `i`.
pub fn file_of(i: usize) -> String {
    if i == 0 {
        "src/main.js".to_owned()
    } else {
        format!("src/m/{}/m{i}.js", i / 100)
    }
}

/// The nodes node `i` imports in a tree of `n`.
pub fn children(i: usize, n: usize) -> Vec<usize> {
    (1..=FANOUT)
        .map(|k| FANOUT * i + k)
        .filter(|&j| j < n)
        .collect()
}

/// The relative import specifier (`./x.js`, `../m/1/m12.js`) from file `from` to file `to`.
pub fn relative(from: &str, to: &str) -> String {
    let mut from_dir: Vec<&str> = from.split('/').collect();
    from_dir.pop();
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = match from_dir.len() - common {
        0 => "./".to_owned(),
        ups => "../".repeat(ups),
    };
    out.push_str(&to_parts[common..].join("/"));
    out
}
