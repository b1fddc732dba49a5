//! `public_operations.txt` lists every public method of `Engine`; the bindings' parity
//! tests read it. This test keeps the list equal to the source.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The `pub fn` names inside every `impl Engine {` block of `core/src`.
fn engine_methods_in_source() -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = BTreeSet::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("\nimpl Engine {") {
            let body = &rest[at + "\nimpl Engine {".len()..];
            // The block ends at the first line that is exactly "}".
            let end = body.find("\n}\n").unwrap_or(body.len());
            for line in body[..end].lines() {
                if let Some(sig) = line.strip_prefix("    pub fn ") {
                    let name: String = sig
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    names.insert(name);
                }
            }
            rest = &body[end..];
        }
    }
    names
}

/// The `.rs` files under `dir`, module folders included.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn listed() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/public_operations.txt");
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn public_operations_list_matches_the_engine() {
    let source = engine_methods_in_source();
    let list = listed();
    assert!(source.len() > 50, "parser found only {source:?}");
    let missing: Vec<_> = source.difference(&list).collect();
    let extra: Vec<_> = list.difference(&source).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "core/tests/public_operations.txt is out of date: add {missing:?}, remove {extra:?}"
    );
}
