"""Error mapping: one `PortalError` subclass per core code; panics surface as `internal`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, List, Tuple, Type

import pytest

import clinic_portal as cp
from clinic_portal import _native
from clinic_portal._errors import _from_native
from conftest import NOW, small_config


def test_every_core_code_has_its_class() -> None:
    codes = _native.error_codes()
    assert sorted(codes) == sorted(cp.ERRORS)
    for code in codes:
        cls = cp.ERRORS[code]
        assert issubclass(cls, cp.PortalError) and issubclass(cls, Exception)
        assert cls.__name__ == "".join(w.capitalize() for w in code.split("_"))
        err = _from_native(code, "a message", "[]")
        assert type(err) is cls and err.code == code and err.message == "a message"
        assert str(err) == f"{code}: a message"


def test_engine_errors_raise_their_subclass() -> None:
    engine = cp.Engine(small_config())
    week = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 15), to=date(2027, 3, 19))
    cases: List[Tuple[Type[cp.PortalError], Callable[[], Any]]] = [
        (cp.NotFound, lambda: engine.patient("nobody")),
        (cp.NotFound, lambda: engine.search(cp.SlotQuery(service="x", from_=week.from_, to=week.to), NOW)),
        (cp.InvalidInput, lambda: engine.execute({"op": "no_such_op"}, NOW)),
        (cp.InvalidInput, lambda: engine.apply("not json")),
        (cp.InvalidInput, lambda: engine.search(week, datetime(2027, 1, 1))),
        (cp.InvalidConfig, lambda: cp.Engine("{not json")),
        (cp.InvalidConfig, lambda: cp.Engine.validate_json("[1, 2")),
        (cp.CredentialsInvalid, lambda: engine.login("nobody", "whatever pw", NOW)),
        (cp.InvitationInvalid, lambda: engine.accept_invitation(
            cp.AcceptInvitation(token="nope", password="long enough pw"), NOW)),
        (cp.StaleSequence, lambda: engine.apply(cp.Change(seq=5, deltas=()))),
        (cp.SignupDisabled, lambda: engine.signup(
            cp.SignupRequest(email="a@b.test", password="long enough pw", first_name="A", last_name="B"), NOW)),
    ]
    engine.upsert_patient(cp.Patient(id="ana"))
    start = engine.search(week, NOW)[0].start
    booked = engine.book(
        cp.BookRequest(patient="ana", service="physio-30", start=start, idempotency_key="k"), NOW
    )
    engine.upsert_patient(cp.Patient(id="bob"))
    cases += [
        (cp.CapacityFull, lambda: engine.book(
            cp.BookRequest(patient="bob", service="physio-30", start=start), NOW)),
        (cp.IdempotencyConflict, lambda: engine.book(
            cp.BookRequest(patient="bob", service="physio-30", start=start, idempotency_key="k"), NOW)),
        (cp.DuplicateId, lambda: engine.add_appointment(booked.appointment)),
        (cp.InvalidTransition, lambda: engine.accept(
            cp.DecisionRequest(appointment=booked.appointment.id), NOW)),
        (cp.NotAuthorized, lambda: engine.search(
            cp.SlotQuery(service="physio-30", from_=week.from_, to=week.to, patient="ana",
                         actor="acct-nobody"), NOW)),
    ]
    before = engine.snapshot()
    for cls, call in cases:
        with pytest.raises(cp.PortalError) as info:
            call()
        assert type(info.value) is cls, (cls, info.value)
        assert cp.ERRORS[info.value.code] is cls and info.value.message
    assert engine.snapshot() == before  # failed operations change nothing


def test_a_panic_is_an_internal_portal_error() -> None:
    with pytest.raises(cp.Internal) as info:
        _native._panic_for_test()
    assert isinstance(info.value, Exception)  # not pyo3's BaseException PanicException
    assert info.value.code == "internal" and "panicked" in info.value.message


def test_invalid_config_carries_typed_diagnostics() -> None:
    with pytest.raises(cp.InvalidConfig) as info:
        cp.Engine({"clinics": [{"id": "c", "time_zone": "UTC"}], "services": [
            {"id": "s", "duration_minutes": 0, "schedule_types": ["nope"]}]})
    assert info.value.diagnostics and all(isinstance(d, cp.Diagnostic) for d in info.value.diagnostics)
    assert {d.severity for d in info.value.diagnostics} >= {"error"}
