//! The house rules a newcomer relies on, checked: every function's code is in its own crate
//! (`functions/<name>/src/lib.rs` with its handler, a `main.rs` of a few lines), `shared/` holds no
//! handler, and no two modules of `shared/src` import each other, directly or round a loop.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use ferrocart_tests::repo_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and its `#[cfg(test)]` module.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_function_is_its_own_crate_with_a_thin_main() {
    let functions = repo_root().join("functions");
    let mut count = 0;
    for entry in std::fs::read_dir(&functions).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let lib = code(&dir.join("src/lib.rs"));
        assert!(
            lib.contains("pub async fn handle"),
            "{name}: src/lib.rs has no handler"
        );
        let main = code(&dir.join("src/main.rs"));
        let lines = main.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines <= 8, "{name}: main.rs has {lines} lines of code");
        count += 1;
    }
    assert!(count >= 24, "{count} functions");
}

#[test]
fn shared_has_no_handler_and_no_import_loop() {
    let src = repo_root().join("shared/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Top-level module of each file -> the top-level modules its code names as `crate::<module>`.
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let module = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let text = code(file);
        assert!(
            !text.contains("pub async fn handle("),
            "shared/src/{rel} holds a handler: it belongs in its function's crate"
        );
        let entry = deps.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                entry.insert(name);
            }
        }
    }
    // Any cycle: a module that reaches itself.
    for start in deps.keys() {
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap();
            for next in deps.get(last).into_iter().flatten() {
                assert!(
                    next != start,
                    "import loop in shared/src: {} -> {start}",
                    path.join(" -> ")
                );
                if !path.contains(next) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push(p);
                }
            }
        }
    }
    assert!(deps.contains_key("store") && deps.contains_key("state"));
}
