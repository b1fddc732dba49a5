#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind) of the benchmark workloads, one line each:
#   cargo build --profile bench -p clinic-portal-benches --examples
#   benches/instructions.sh target/release/examples
# Per query or explain: (101 rounds − 1 round) / 100 (W1b, W1c, W2 90-day: 11 − 1, / 10);
# W3: the 10,000 bookings of one round / 10,000; W5: one restore of a practice; W4: per
# appointment, 100,000 appointments (4 snapshots, 3 restores).
set -euo pipefail
B=${1:-target/release/examples}
ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*$'; }
per() { local n=$1; shift; echo $(( ($(ir "$@" $((n + 1))) - $(ir "$@" 1)) / n )); }
named() { echo $(( ($(ir "$B/prof_explain" "$1" 101 named) - $(ir "$B/prof_explain" "$1" 1 named)) / 100 )); }
restore='clinic_portal::journal::<impl clinic_portal::engine::Engine>::restore'
snapshot='clinic_portal::journal::<impl clinic_portal::engine::Engine>::snapshot'
echo "W1a $(per 100 "$B/prof_w1" a)"
echo "W1b $(per 10 "$B/prof_w1" b)"
echo "W1c $(per 10 "$B/prof_w1" c)"
echo "W2 14-day $(per 100 "$B/prof_w2" 14)"
echo "W2 90-day $(per 10 "$B/prof_w2" 90)"
for c in offered refused; do
  echo "explain no preference, $c $(per 100 "$B/prof_explain" "$c")"
  echo "explain p0, $c $(named "$c")"
done
echo "W3 per booking $(( $(ir --toggle-collect='clinic_portal_benches::w3::book_all' "$B/prof_w3" 1) / 10000 ))"
echo "W4 snapshot per appointment $(( $(ir --toggle-collect="$snapshot" "$B/prof_w4" snapshot 100000) / 400000 ))"
echo "W4 restore per appointment $(( $(ir --toggle-collect="$restore" "$B/prof_w4" restore 100000) / 300000 ))"
echo "W5 restore of one practice $(ir --toggle-collect="$restore" "$B/prof_w5" 1)"
