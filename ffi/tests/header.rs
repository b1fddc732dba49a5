//! The committed header `include/clinic_portal.h` is exactly what cbindgen generates from
//! the sources, and documents every function. `CP_BLESS=1` rewrites it.

mod common;
use common::{assert_fresh, root};

fn generate() -> String {
    let crate_dir = root();
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen: {e}"))
        .write(&mut out);
    String::from_utf8(out).unwrap_or_else(|e| panic!("header is not UTF-8: {e}"))
}

#[test]
fn header_is_fresh() {
    let path = root().join("../include/clinic_portal.h");
    let generated = generate();
    assert_fresh(&path, &generated, "header");
}

/// Every function declaration is preceded by a comment that says what the function does
/// and covers ownership, lifetime, thread-safety and errors.
#[test]
fn every_function_is_documented() {
    let header = generate();
    let lines: Vec<&str> = header.lines().collect();
    let mut functions = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = function_name(line) else {
            continue;
        };
        functions += 1;
        let doc: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("//"))
            .copied()
            .collect();
        let doc = doc.join("\n");
        for word in ["Ownership", "Lifetime", "Thread-safety", "Errors"] {
            assert!(
                doc.contains(word),
                "`{name}` is not documented with `{word}:`\n{doc}"
            );
        }
        assert!(doc.lines().count() >= 5, "`{name}` has too short a comment");
    }
    assert!(
        functions > 80,
        "only {functions} functions found in the header"
    );
}

fn function_name(line: &str) -> Option<&str> {
    let open = line.find('(')?;
    if line.starts_with(' ')
        || line.starts_with('#')
        || line.starts_with("//")
        || line.contains("typedef")
    {
        return None;
    }
    let before = &line[..open];
    let name = before.rsplit([' ', '*']).next()?;
    name.starts_with("cp_").then_some(name)
}
