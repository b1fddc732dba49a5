"""Parity: every public engine operation (core/tests/public_operations.txt) is exposed with
the same snake_case name, and every public name is typed in the package."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import List

import clinic_portal as cp

OPERATIONS = Path(__file__).resolve().parents[2] / "core" / "tests" / "public_operations.txt"


def operations() -> List[str]:
    names = []
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)
        name = text[0].strip()
        if not name:
            continue
        comment = text[1] if len(text) > 1 else ""
        if "Rust only" in comment:
            continue
        names.append(name)
    return names


def test_every_public_operation_is_exposed() -> None:
    names = operations()
    assert len(names) >= 80
    missing = [n for n in names if not callable(getattr(cp.Engine, n, None))]
    assert not missing, f"clinic_portal.Engine lacks {missing}"


def test_exposed_operations_are_documented_and_typed() -> None:
    for name in operations():
        member = getattr(cp.Engine, name)
        assert inspect.getdoc(member), name
        assert member.__annotations__.get("return") is not None, name
