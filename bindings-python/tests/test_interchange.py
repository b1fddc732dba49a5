"""Health-IT interchange (docs/interchange.md) from Python: every iCalendar export is parsed
back with an independent parser (the PyPI ``icalendar`` package) and its events compared
with the engine's appointments; FHIR appointments import back unchanged."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Callable, Dict, List, Tuple

import icalendar

import clinic_portal as cp

from conftest import small_config

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)
DOMAIN = "clinic.example"


def practice() -> cp.Engine:
    config = small_config(auto_accept=False)
    config["portal"]["calendar_domain"] = DOMAIN
    engine = cp.Engine(config)
    engine.upsert_patient(cp.Patient(id="ana", first_name="Ana", email="ana@x.test"))
    engine.upsert_patient(cp.Patient(id="bo", first_name="Bo"))
    return engine


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    # February 2027 in Toronto is EST (UTC−5).
    return datetime(2027, 2, day, hour + 5, minute, tzinfo=timezone.utc)


Event = Tuple[str, int, str, datetime, datetime]


def parsed(ics: str) -> List[Event]:
    """(UID, SEQUENCE, STATUS, DTSTART, DTEND) of each VEVENT, as the parser reads them."""
    cal = icalendar.Calendar.from_ical(ics)
    assert not cal.walk("VTIMEZONE")
    out: List[Event] = []
    for e in cal.walk("VEVENT"):
        start = e.decoded("DTSTART")
        end = e.decoded("DTEND")
        assert isinstance(start, datetime) and isinstance(end, datetime)
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
        out.append((str(e["UID"]), int(str(e["SEQUENCE"])), str(e["STATUS"]), start, end))
    return out


STATUS: Dict[str, str] = {
    "pending": "TENTATIVE",
    "booked": "CONFIRMED",
    "declined": "CANCELLED",
    "cancelled": "CANCELLED",
}


def expected(engine: cp.Engine, ids: List[str], sequences: Dict[str, int]) -> List[Event]:
    out: List[Event] = []
    for i in ids:
        a = engine.appointment(i)
        out.append(
            (f"{i}@{DOMAIN}", sequences.get(i, 0), STATUS[str(a.status)], a.start, a.end)
        )
    return out


def test_icalendar_exports_parse_back_to_the_same_events() -> None:
    engine = practice()
    first = engine.book(
        cp.BookRequest(patient="ana", service="physio-30", start=toronto(1, 9)), NOW
    ).appointment.id
    second = engine.book(
        cp.BookRequest(patient="ana", service="physio-30", start=toronto(1, 10)), NOW
    ).appointment.id
    kid = engine.book(
        cp.BookRequest(patient="bo", service="physio-30", start=toronto(1, 11)), NOW
    ).appointment.id
    engine.accept(cp.DecisionRequest(appointment=second), NOW)
    engine.decline(cp.DecisionRequest(appointment=kid, note="away"), NOW)

    one = engine.ical_appointment(first, None, NOW)
    assert parsed(one) == expected(engine, [first], {})
    assert parsed(one)[0][2] == "TENTATIVE"

    # A reschedule keeps the UID and bumps SEQUENCE.
    engine.reschedule(cp.RescheduleRequest(appointment=second, start=toronto(2, 9)), NOW)
    moved = parsed(engine.ical_appointment(second, None, NOW))
    assert moved == expected(engine, [second], {second: 1})
    assert moved[0][0] == f"{second}@{DOMAIN}" and moved[0][1] == 1

    patient = engine.ical_patient("ana", None, NOW)
    assert parsed(patient) == expected(engine, [first, second], {second: 1})

    day = engine.ical_practitioner_day("dr-lee", date(2027, 2, 1), NOW)
    assert parsed(day) == expected(engine, [first, kid], {})
    assert [e[2] for e in parsed(day)] == ["TENTATIVE", "CANCELLED"]
    assert parsed(engine.ical_practitioner_day("dr-lee", date(2027, 2, 3), NOW)) == []


def test_icalendar_refusals() -> None:
    engine = practice()
    calls: List[Tuple[Callable[[], str], str]] = [
        (lambda: engine.ical_appointment("nope", None, NOW), "not_found"),
        (lambda: engine.ical_patient("ana", "acct-nobody", NOW), "not_authorized"),
        (lambda: engine.ical_practitioner_day("nobody", date(2027, 2, 1), NOW), "not_found"),
    ]
    for call, code in calls:
        try:
            call()
        except cp.PortalError as e:
            assert e.code == code
        else:
            raise AssertionError(f"expected {code}")


def test_fhir_appointments_import_back_unchanged() -> None:
    engine = practice()
    booked = engine.book(
        cp.BookRequest(patient="ana", service="physio-30", start=toronto(1, 9)), NOW
    ).appointment.id
    resource = engine.fhir_appointment(booked)
    assert resource["resourceType"] == "Appointment"
    assert resource["status"] == "pending"
    other = practice()
    assert other.import_fhir_appointment(resource) == engine.appointment(booked)
    before = other.snapshot()
    try:
        other.import_fhir_appointment({**resource, "status": "waitlist"})
    except cp.PortalError as e:
        assert e.code == "invalid_input"
        assert "`status`" in e.message
    else:
        raise AssertionError("the import must fail")
    assert other.snapshot() == before
    bundle = engine.fhir_find(
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueDate": "2027-02-01"},
                {"name": "end", "valueDate": "2027-02-01"},
                {"name": "service-type", "valueString": "physio-30"},
            ],
        },
        None,
        NOW,
    )
    assert bundle["total"] == 5  # 09:30 … 11:30 (09:00 is taken)
