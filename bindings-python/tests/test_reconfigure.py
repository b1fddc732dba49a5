"""Reconfiguration and closures while the engine runs."""

from __future__ import annotations

from datetime import date, datetime

import clinic_portal as cp
from conftest import NOW, small_config

WEEK = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 15), to=date(2027, 3, 19))


def test_closures_and_reconfigure() -> None:
    engine = cp.Engine(small_config())
    assert len(engine.search(WEEK, NOW)) == 30
    report = engine.put_closure({"id": "spring", "date": "2027-03-15", "reason": "holiday"}, NOW)
    assert isinstance(report, cp.Reconfiguration) and report.stranded == ()
    assert len(engine.search(WEEK, NOW)) == 24
    engine.remove_closure("spring", NOW)
    assert len(engine.search(WEEK, NOW)) == 30

    engine.upsert_patient(cp.Patient(id="ana"))
    booked = engine.book(
        cp.BookRequest(patient="ana", service="physio-30", start=engine.search(WEEK, NOW)[0].start),
        NOW,
    )
    config = small_config()
    config["clinics"][0]["time_zone"] = "America/Vancouver"
    config["services"][0]["duration_minutes"] = 60
    report = engine.reconfigure(config, NOW)
    assert engine.config().time_zones() == {"main": "America/Vancouver"}
    slots = engine.search(WEEK, NOW)
    # Slots now come in the new zone, on the new duration.
    assert str(slots[0].start.tzinfo) == "America/Vancouver"
    assert slots[0].start == datetime.fromisoformat("2027-03-15T09:00:00-07:00")
    assert (slots[0].end - slots[0].start).seconds == 3600
    assert engine.appointment(booked.appointment.id) == booked.appointment
    assert all(isinstance(w, cp.Diagnostic) for w in report.warnings)


def test_reconfigure_reports_stranded_appointments() -> None:
    engine = cp.Engine(small_config())
    engine.upsert_patient(cp.Patient(id="ana"))
    start = engine.search(WEEK, NOW)[0].start
    booked = engine.book(cp.BookRequest(patient="ana", service="physio-30", start=start), NOW)
    config = small_config()
    config["services"].append({"id": "massage-60", "duration_minutes": 60, "schedule_types": ["treat"]})
    config["services"] = config["services"][1:]
    report = engine.reconfigure(config, NOW)
    assert [s.appointment.id for s in report.stranded] == [booked.appointment.id]
    assert report.stranded[0].reason == "service_removed"
