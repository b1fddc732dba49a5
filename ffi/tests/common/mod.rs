//! Shared by the tests that keep a generated file fresh (the header, the bad-input C test).

use std::path::{Path, PathBuf};

/// The ffi crate's directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails unless the committed file at `path` equals `generated`; with `CP_BLESS=1` it
/// writes `generated` there instead. `test` names the test target that regenerates it.
pub fn assert_fresh(path: &Path, generated: &str, test: &str) {
    if std::env::var_os("CP_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(path, generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `CP_BLESS=1 cargo test -p clinic-portal-ffi --test {test}`",
        path.display()
    );
}
