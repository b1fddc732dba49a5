#!/usr/bin/env bash
# Runs every test of clinic-portal from a fresh clone: formatting, lints, the Rust suites
# (unit, integration, shared vectors, doc tests including the README quickstart), and a
# build of every benchmark so they cannot rot, then the C/C++, Python and Node suites and
# the web example (Node + PostgreSQL + browser).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
cargo test --workspace --locked

# The benches are built in the test profile, reusing the artifacts of the test step: a
# release build of them (`cargo bench --no-run`) would compile everything a second time.
step "benchmarks build (criterion, test profile, not run)"
cargo test --workspace --locked --benches --no-run

step "rustdoc (broken or private links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -p clinic-portal --quiet

step "C ABI: header, C/C++ examples, C suite, sanitizers, valgrind (scripts/test-c.sh)"
bash scripts/test-c.sh

step "Python package (scripts/test-python.sh)"
scripts/test-python.sh

step "Node package (scripts/test-node.sh)"
scripts/test-node.sh

step "web example: PostgreSQL, browser, race and crash tests (scripts/test-web.sh)"
scripts/test-web.sh

step "demo runs"
cargo run --locked --quiet --example demo > /dev/null

printf '\nall tests passed\n'
