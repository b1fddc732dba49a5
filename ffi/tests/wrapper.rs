//! Every exported function of `ffi/src/*.rs` runs its whole body inside the one wrapper
//! (`ffi_call`, `ffi_call_static` or `ffi_infallible`): this test parses the sources and
//! fails on an `extern "C"` function whose body does anything else first.

use std::path::PathBuf;

const WRAPPERS: &[&str] = &["ffi_call(", "ffi_call_static(", "ffi_infallible("];

/// The exported functions of one source file: (name, body).
fn exported(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("extern \"C\" fn ") {
        let after = &rest[at + "extern \"C\" fn ".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let open = after
            .find('{')
            .unwrap_or_else(|| panic!("`{name}` has no body"));
        let body_start = open + 1;
        let mut depth = 1;
        let mut end = body_start;
        for (i, c) in after[body_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = body_start + i;
                break;
            }
        }
        assert!(depth == 0, "`{name}`: unbalanced braces");
        found.push((name, after[body_start..end].to_owned()));
        rest = &after[end..];
    }
    found
}

#[test]
fn every_exported_function_goes_through_the_wrapper() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        // Every `#[no_mangle]` is on an `extern "C" fn` (so none escapes the parse below).
        assert_eq!(
            source.matches("#[no_mangle]").count(),
            source.matches("extern \"C\" fn ").count(),
            "{}: a #[no_mangle] item that is not an extern \"C\" fn, or the reverse",
            path.display()
        );
        for (name, body) in exported(&source) {
            total += 1;
            let body = body.trim();
            assert!(
                WRAPPERS.iter().any(|w| body.starts_with(w)),
                "{}: `{name}` does not run its body inside ffi_call / ffi_call_static / ffi_infallible:\n{body}",
                path.display()
            );
            // The wrapper call is the whole body: nothing after its closing parenthesis.
            assert!(body.ends_with(')'), "`{name}`: code after the wrapper call");
        }
    }
    assert!(total > 80, "only {total} exported functions found");
}

#[test]
fn the_parser_sees_a_bypass() {
    let bad = "#[no_mangle]\npub extern \"C\" fn cp_bad() -> u32 {\n    let x = 1;\n    ffi_infallible(0, || x)\n}\n";
    let found = exported(bad);
    assert_eq!(found.len(), 1);
    assert!(!WRAPPERS.iter().any(|w| found[0].1.trim().starts_with(w)));
}
