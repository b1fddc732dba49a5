//! Parity with the core: every public engine operation has a C function, and every core
//! error code has a `cp_status` of the same name and number.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Operations whose C function has another name (documented in docs/c.md).
const MAPPED: &[(&str, &str)] = &[
    // C has no `Config` object: the constructor takes configuration JSON.
    ("new", "cp_engine_from_json"),
    // `plan` takes a Rust closure; C plans an operation given as JSON.
    ("plan", "cp_engine_plan_operation"),
];

fn header() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/clinic_portal.h");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_public_operation_has_a_c_function() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/public_operations.txt");
    let list = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = header();
    let declared: BTreeSet<String> = header
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("//"))
        .filter_map(|l| l.split('(').next())
        .filter_map(|l| l.rsplit([' ', '*']).next())
        .filter(|n| n.starts_with("cp_"))
        .map(str::to_owned)
        .collect();
    let mut missing = Vec::new();
    let mut names = 0;
    for line in list.lines() {
        let name = line.split('#').next().unwrap_or("").trim();
        if name.is_empty() {
            continue;
        }
        names += 1;
        let function = MAPPED
            .iter()
            .find(|(op, _)| *op == name)
            .map_or_else(|| format!("cp_engine_{name}"), |(_, f)| (*f).to_owned());
        if !declared.contains(&function) {
            missing.push(format!("{name} -> {function}"));
        }
    }
    assert!(names >= 80, "only {names} operations listed");
    assert!(
        missing.is_empty(),
        "operations without a C function: {missing:?}"
    );
}

#[test]
fn every_error_code_has_a_status_of_the_same_name_and_number() {
    let statuses = clinic_portal::status_table();
    let header = header();
    for code in cp_core::ErrorCode::ALL {
        let found = statuses.iter().find(|(name, _)| *name == code.as_str());
        assert_eq!(
            found.map(|(_, n)| *n),
            Some(code.number()),
            "code `{}` has no cp_status with its number {}",
            code.as_str(),
            code.number()
        );
        let constant = format!(
            "CP_STATUS_{} = {},",
            code.as_str().to_uppercase(),
            code.number()
        );
        assert!(header.contains(&constant), "the header lacks `{constant}`");
    }
    assert!(header.contains("CP_STATUS_OK = 0,"));
    let numbers: BTreeSet<u32> = statuses.iter().map(|(_, n)| *n).collect();
    assert_eq!(numbers.len(), statuses.len(), "two statuses share a number");
    assert_eq!(
        statuses.len(),
        cp_core::ErrorCode::ALL.len() + 1,
        "a status without a core code"
    );
    // The numbering is dense from 0: append-only codes never leave a gap.
    assert_eq!(
        numbers.iter().copied().max(),
        Some(statuses.len() as u32 - 1)
    );
}

/// A panic must unwind to the wrapper (which turns it into `CP_STATUS_INTERNAL`): no
/// profile of the workspace may abort on panic.
#[test]
fn no_profile_aborts_on_panic() {
    for manifest in ["../Cargo.toml", "Cargo.toml"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(manifest);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !squeezed.contains("panic=\"abort\"") && !squeezed.contains("panic='abort'"),
            "{} sets panic = \"abort\"",
            path.display()
        );
    }
}
