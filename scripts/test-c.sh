#!/usr/bin/env bash
# The C ABI's test command (docs/c.md): builds libclinic_portal, checks the committed header
# is fresh, then compiles the C and C++ examples and the C test suite (shared vectors,
# eight threads, bad input) with -Wall -Wextra -Werror and runs them three ways: plain,
# built with -fsanitize=address,undefined, and under valgrind (zero errors, zero leaks).
# Installs the Debian packages it needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

step() { printf '\n==> [c] %s (%ss so far)\n' "$*" "$SECONDS"; }

need=()
for tool in gcc:gcc g++:g++ pkg-config:pkg-config valgrind:valgrind cmake:cmake; do
    command -v "${tool%%:*}" > /dev/null || need+=("${tool#*:}")
done
[ -f /usr/include/cjson/cJSON.h ] || need+=(libcjson-dev)
if [ ${#need[@]} -gt 0 ]; then
    step "installing ${need[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" > /dev/null
fi

step "library (cargo build -p clinic-portal-ffi)"
cargo build -p clinic-portal-ffi --locked --quiet
LIB="$ROOT/target/debug"
OUT="$ROOT/target/c"
rm -rf "$OUT"
mkdir -p "$OUT/pkgconfig"

step "header is fresh, every function documented, parity"
cargo test -p clinic-portal-ffi --locked --quiet --test header --test parity --test wrapper --test bad_input_c

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
sed -e "s|@LIBDIR@|$LIB|" -e "s|@INCLUDEDIR@|$ROOT/include|" -e "s|@VERSION@|$version|" \
    ffi/clinic_portal.pc.in > "$OUT/pkgconfig/clinic_portal.pc"
export PKG_CONFIG_PATH="$OUT/pkgconfig"
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
CFLAGS_PC="$(pkg-config --cflags clinic_portal)"
LIBS_PC="$(pkg-config --libs clinic_portal)"
WARN=(-Wall -Wextra -Werror)
PRACTICE="$ROOT/examples/data/sample-practice.json"
VECTORS="$ROOT/core/tests/vectors"

# build <variant> <extra flags...>: every program of the suite into $OUT/<variant>/.
build() {
    local variant="$1"
    shift
    local dir="$OUT/$variant"
    mkdir -p "$dir"
    gcc -std=c11 "${WARN[@]}" "$@" $CFLAGS_PC examples/c/booking.c $LIBS_PC -o "$dir/booking"
    g++ -std=c++17 "${WARN[@]}" "$@" $CFLAGS_PC -Iexamples/cpp examples/cpp/booking.cpp $LIBS_PC -o "$dir/booking-cpp"
    gcc -std=c11 "${WARN[@]}" "$@" $CFLAGS_PC -Iffi/tests/c ffi/tests/c/bad_input_main.c ffi/tests/c/bad_input.c \
        $LIBS_PC -o "$dir/bad_input"
    gcc -std=c11 "${WARN[@]}" "$@" $CFLAGS_PC ffi/tests/c/threads.c $LIBS_PC -lcjson -lpthread -o "$dir/threads"
    gcc -std=c11 "${WARN[@]}" "$@" $CFLAGS_PC ffi/tests/c/vectors.c $LIBS_PC -lcjson -o "$dir/vectors"
}

# run <variant> <huge string bytes> <runner...>: runs the examples, the bad-input test and
# the threads test.
run() {
    local dir="$OUT/$1"
    local huge="$2"
    shift 2
    "$@" "$dir/booking" "$PRACTICE" > "$dir/booking.out"
    "$@" "$dir/booking-cpp" "$PRACTICE" > "$dir/booking-cpp.out"
    "$@" "$dir/bad_input" "$huge" > "$dir/bad_input.out"
    "$@" "$dir/threads"
}
MIB64=$((64 * 1024 * 1024))
# The smallest refused size (CP_MAX_INPUT_BYTES + 1), for the slow valgrind run.
JUST_OVER=$((32 * 1024 * 1024 + 1))

step "compile with -Wall -Wextra -Werror (C11, C++17) and run"
build plain
run plain "$MIB64"
"$OUT/plain/vectors" "$VECTORS"

step "static library: the C example linked against libclinic_portal.a"
gcc -std=c11 "${WARN[@]}" -Iinclude examples/c/booking.c "$LIB/libclinic_portal.a" \
    $(pkg-config --libs-only-l --static clinic_portal | sed 's/-lclinic_portal//') -o "$OUT/booking-static"
"$OUT/booking-static" "$PRACTICE" > /dev/null

step "CMake example (finds the library through pkg-config)"
cmake -S examples/cmake -B "$OUT/cmake" -DCMAKE_BUILD_TYPE=Debug > /dev/null
cmake --build "$OUT/cmake" > /dev/null
"$OUT/cmake/booking" "$PRACTICE" > /dev/null
"$OUT/cmake/booking-cpp" "$PRACTICE" > /dev/null

step "again with -fsanitize=address,undefined"
build asan -fsanitize=address,undefined -fno-omit-frame-pointer -g
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
run asan "$MIB64"
"$OUT/asan/vectors" "$VECTORS"
unset ASAN_OPTIONS UBSAN_OPTIONS

step "under valgrind (zero errors, zero leaks)"
VALGRIND=(valgrind --quiet --error-exitcode=1 --leak-check=full --num-callers=64 --show-leak-kinds=definite,indirect,possible
          --errors-for-leak-kinds=definite,indirect,possible --suppressions=ffi/tests/c/valgrind.supp)
run plain "$JUST_OVER" "${VALGRIND[@]}"
# Every shared vector under valgrind too (about two minutes: Argon2 is slow there).
"${VALGRIND[@]}" "$OUT/plain/vectors" "$VECTORS"

printf '\n[c] all C tests passed in %ss\n' "$SECONDS"
