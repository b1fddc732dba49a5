#!/usr/bin/env bash
# Builds and tests the Python package (bindings-python/) from a fresh clone: creates the
# repository's .venv, installs the pinned tools (maturin, pytest, mypy), builds the native
# module into it (`maturin develop`, debug profile like the Rust tests), then runs the pytest
# suite (the shared vectors included), mypy --strict over the package, tests and example,
# stubtest, and the example. Debian's python3 is enough (python3-venv is installed when
# missing).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> python: %s\n' "$*"; }

PYTHON="${PYTHON:-python3}"
missing=()
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
fi
# zoneinfo reads the system's time-zone database.
if [ ! -e /usr/share/zoneinfo/America/Toronto ]; then missing+=(tzdata); fi
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing ${missing[*]} (apt-get)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

VENV="$PWD/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  step "creating .venv"
  "$PYTHON" -m venv "$VENV"
fi
step "installing pinned tools (bindings-python/requirements-dev.txt)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r bindings-python/requirements-dev.txt

export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"

step "maturin develop (native module, debug profile)"
(cd bindings-python && maturin develop --locked --quiet)

step "pytest (lifecycle, accounts, persistence, threads, errors, parity, shared vectors)"
python -m pytest -q bindings-python/tests

step "mypy --strict (package, tests, example)"
python -m mypy --strict --cache-dir target/mypy-cache \
  bindings-python/python/clinic_portal bindings-python/tests examples/python

step "stubtest (committed stubs match the built module)"
(cd bindings-python && python -m mypy.stubtest --mypy-config-file pyproject.toml clinic_portal)

step "example runs"
python examples/python/booking.py > /dev/null

printf '\npython: all checks passed\n'
