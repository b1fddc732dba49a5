#!/usr/bin/env sh
# Fuzzes one target for a bounded time (see fuzz/README.md):
#
#   fuzz/run.sh TARGET [SECONDS]        e.g. fuzz/run.sh restore 600
#
# New inputs go to fuzz/work/corpus/TARGET (not committed); the committed seeds in
# fuzz/corpus/TARGET are read, never written. A crash leaves its input in
# fuzz/artifacts/TARGET/: minimise it (cargo fuzz tmin), add it to fuzz/corpus/TARGET/
# and `cargo test -p clinic-portal --test fuzz_corpus` replays it from then on.
#
# The toolchain is stable, so cargo-fuzz runs with RUSTC_BOOTSTRAP=1. FUZZ_SANITIZER=none
# builds without AddressSanitizer (the crate forbids unsafe code, so ASan mostly guards
# the dependencies); FUZZ_JOBS=N runs N fuzzing processes.
set -eu
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=${FUZZ_WORK:-$here/work}
mkdir -p "$work/corpus/$target" "$work/logs"
jobs=""
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    # libFuzzer writes each job's log to fuzz-N.log in the current directory.
    cd "$work/logs"
    jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
fi
# shellcheck disable=SC2086
RUSTC_BOOTSTRAP=1 exec cargo fuzz run --fuzz-dir "$here" \
    --sanitizer "${FUZZ_SANITIZER:-address}" \
    "$target" "$work/corpus/$target" "$here/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
    -dict="$here/json.dict" -print_final_stats=1 $jobs
