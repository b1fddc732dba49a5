//! The repository is self-contained: no text file points at a document outside it.
//!
//! Walks every text file of the repository (from the workspace root, skipping build output
//! and version-control folders) and fails, listing each offending line, when one mentions
//! the outside design document (its file name, its "§" sections, or the word in capitals)
//! or the benchmark and style documents, or the folder beside the repository.

use std::fs;
use std::path::{Path, PathBuf};

/// Folders that are not part of the sources.
const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv", "__pycache__"];

/// (file, exact trimmed line) pairs that may name an outside document: none.
const ALLOWED: &[(&str, &str)] = &[];

/// The strings that point outside the repository. Built at run time so that this file
/// does not match itself.
fn needles() -> Vec<String> {
    let doc = ["DES", "IGN"].concat();
    vec![
        format!("{doc}.md"),
        format!("{doc} \u{a7}"),
        format!("{doc}\u{a7}"),
        ["BENCH", "MARKS.md"].concat(),
        ["STY", "LE.md"].concat(),
        ["..", "/shared"].concat(),
    ]
}

/// Whether the word in capitals stands alone (not inside a longer identifier).
fn bare_word(line: &str) -> bool {
    let doc = ["DES", "IGN"].concat();
    line.match_indices(&doc).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + doc.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !part(before) && !part(after)
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) && !name.starts_with("target-") {
                walk(&path, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

#[test]
fn no_file_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root above core/");
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    let needles = needles();
    let mut text_files = 0;
    let mut found = Vec::new();
    for path in &files {
        let Ok(bytes) = fs::read(path) else {
            continue;
        };
        // Text files only: binary files (a NUL byte, or not UTF-8) are skipped.
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if text.contains('\0') {
            continue;
        }
        text_files += 1;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        for (n, line) in text.lines().enumerate() {
            let hit = needles.iter().any(|s| line.contains(s.as_str())) || bare_word(line);
            let allowed = ALLOWED
                .iter()
                .any(|(file, ok)| *file == rel && line.trim() == *ok);
            if hit && !allowed {
                found.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    // The walk must have seen the sources, or the test proves nothing.
    assert!(
        text_files > 50 && files.iter().any(|p| p.ends_with("core/src/lib.rs")),
        "only {text_files} text files found under {}",
        root.display()
    );
    assert!(
        found.is_empty(),
        "{} line(s) point outside the repository (cite docs/ instead, e.g. \
         \"rule 10 (capacity)\" or \"see docs/booking.md\"):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    let doc = ["DES", "IGN"].concat();
    let needles = needles();
    let hits = |line: &str| needles.iter().any(|s| line.contains(s.as_str())) || bare_word(line);
    assert!(hits(&format!("see {doc}.md")));
    assert!(hits(&format!("({doc} \u{a7}4 rule 10)")));
    assert!(hits(&format!("{doc} leaves this open")));
    assert!(hits(&["read ..", "/shared/x.json"].concat()));
    assert!(!hits("rule 10 (capacity), see docs/rules.md"));
    assert!(!hits(&format!("{doc}ER or RE{doc}")));
    assert!(!hits("URL-safe base64 without padding (RFC 4648 \u{a7}5)"));
}
