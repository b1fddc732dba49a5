"""The booking lifecycle through the Python API: typed, frozen results; aware datetimes in
and out; configuration from a dict, a JSON string or a path."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import clinic_portal as cp
from conftest import NOW, PRACTICE, small_config

TORONTO = ZoneInfo("America/Toronto")
WEEK = cp.SlotQuery(service="physio-30", from_=date(2027, 3, 15), to=date(2027, 3, 19))


def test_configuration_from_dict_json_string_and_path() -> None:
    config = small_config()
    from_dict = cp.Engine(config)
    from_text = cp.Engine.from_json(json.dumps(config))
    assert from_dict.config() == from_text.config()
    from_path = cp.Engine(PRACTICE)
    assert set(from_path.config().time_zones()) == {"toronto", "vancouver", "whitby"}
    assert cp.Engine.new(from_path.config()).config() == from_path.config()
    with pytest.raises(cp.InvalidConfig) as e:
        cp.Engine({"clinics": [{"id": "c", "time_zone": "Mars/Olympus"}]})
    assert e.value.code == "invalid_config"
    assert [d.path for d in e.value.diagnostics if d.severity == "error"] == ["clinics[0].time_zone"]


def test_slots_are_in_the_clinic_zone() -> None:
    engine = cp.Engine(small_config())
    slots = engine.search(WEEK, NOW)
    assert len(slots) == 30  # 6 starts a day, Mon–Fri
    first = slots[0]
    assert isinstance(first, cp.Slot)
    assert first.start == datetime(2027, 3, 15, 9, 0, tzinfo=TORONTO)
    assert first.start.tzinfo == TORONTO and first.start.utcoffset() == timedelta(hours=-4)
    assert first.end - first.start == timedelta(minutes=30)
    assert first.start_rfc3339 == "2027-03-15T09:00:00-04:00"
    assert first.clinic == "main" and first.practitioner_ids == ("dr-lee",)
    assert first.practitioners == (("dr-lee", 1),) and first.remaining_capacity == 1
    assert first.to_dict()["start_unix"] == int(first.start.timestamp())
    assert first == engine.search(WEEK, NOW)[0] and first != slots[1]
    assert "2027-03-15T09:00:00-04:00" in repr(first)
    with pytest.raises(AttributeError):
        first.clinic = "other"  # type: ignore[misc]


def test_naive_datetimes_are_refused() -> None:
    engine = cp.Engine(small_config())
    with pytest.raises(cp.InvalidInput):
        engine.search(WEEK, datetime(2027, 3, 8, 12, 0))
    request = cp.BookRequest(patient="ana", service="physio-30", start=datetime(2027, 3, 15, 9))
    engine.upsert_patient(cp.Patient(id="ana"))
    with pytest.raises(cp.InvalidInput):
        engine.book(request, NOW)
    assert engine.appointment_count() == 0


def test_hold_book_accept_reschedule_cancel() -> None:
    engine = cp.Engine(small_config(auto_accept=False))
    engine.upsert_patient(cp.Patient(id="ana", first_name="Ana", email="ana@x.test"))
    slots = engine.search(WEEK, NOW)
    hold = engine.hold(
        cp.HoldRequest(service="physio-30", start=slots[0].start, patient="ana"), NOW
    )
    assert isinstance(hold, cp.Hold) and hold.practitioner == "dr-lee"
    assert hold.start == slots[0].start and hold.start.tzinfo == timezone.utc
    assert engine.get_hold(hold.id) == hold
    assert len(engine.search(WEEK, NOW)) == 29  # the hold occupies

    booking = engine.book(cp.BookRequest(patient="ana", hold=hold.id, notes="knee"), NOW)
    assert booking.appointment.status == "pending" and booking.details.patient_notes == "knee"
    assert engine.booking_details(booking.appointment.id) == booking.details
    assert [n.kind for n in engine.drain_outbox()] == ["pending_request"]
    assert engine.pending_queue(NOW)[0].appointment == booking.appointment

    later = NOW + timedelta(hours=1)
    accepted = engine.accept(cp.DecisionRequest(appointment=booking.appointment.id, note="ok"), later)
    assert accepted.appointment.status == "booked" and accepted.details.decided_at == later
    assert [n.kind for n in engine.drain_outbox()] == ["accepted"]

    moved = engine.reschedule(
        cp.RescheduleRequest(appointment=booking.appointment.id, start=slots[3].start), later
    )
    assert moved.before.start == slots[0].start
    assert moved.after.appointment.start == slots[3].start
    assert moved.after.details.rescheduled_from == slots[0].start

    outcome = engine.cancel(cp.CancelRequest(appointment=booking.appointment.id), later)
    assert outcome.appointment.status == "cancelled" and outcome.late_cancel_fee is False
    assert len(engine.search(WEEK, NOW)) == 30
    with pytest.raises(cp.InvalidTransition):
        engine.cancel(cp.CancelRequest(appointment=booking.appointment.id), later)


def test_results_are_frozen_typed_and_round_trip() -> None:
    engine = cp.Engine(small_config())
    engine.upsert_patient({"id": "ana", "birth_date": "1990-01-02"})
    patient = engine.patient("ana")
    assert patient.birth_date == date(1990, 1, 2)
    assert patient == cp.Patient(id="ana", birth_date=date(1990, 1, 2))
    assert "Patient(id='ana'" in repr(patient)
    with pytest.raises(dataclasses.FrozenInstanceError):
        patient.id = "bob"  # type: ignore[misc]
    assert cp.Patient.from_dict(patient.to_dict()) == patient
    booking = engine.book(
        cp.BookRequest(patient="ana", service="physio-30",
                       start=datetime(2027, 3, 15, 9, tzinfo=TORONTO)),
        NOW,
    )
    again = cp.Booking.from_dict(booking.to_dict())
    assert again == booking
    assert booking.to_dict()["appointment"]["start"] == "2027-03-15T13:00:00Z"


def test_staff_appointments_and_programs_of_the_sample(sample: cp.Engine) -> None:
    assert sample.appointment_count() == 7
    appointment = cp.Appointment(
        id="staff-1", practitioner="christine", clinic="toronto",
        start=datetime(2027, 3, 9, 9, tzinfo=TORONTO),
        end=datetime(2027, 3, 9, 10, tzinfo=TORONTO), patient="pat-ana",
    )
    sample.add_appointment(appointment)
    assert sample.appointment("staff-1").start == appointment.start
    sample.update_appointment(dataclasses.replace(appointment, status="cancelled"))
    assert sample.appointment("staff-1").status == "cancelled"
    assert sample.remove_appointment("staff-1").id == "staff-1"
    with pytest.raises(cp.NotFound):
        sample.appointment("staff-1")
    sessions = sample.program_sessions(
        sample.config()["programs"][0]["id"], date(2027, 3, 8), date(2027, 3, 21)
    )
    assert sessions and all(isinstance(s, cp.ProgramSession) for s in sessions)
    assert sample.report_programs(date(2027, 3, 8), date(2027, 3, 21)) == sessions
    s = sessions[0]
    reg = sample.register_program(
        cp.RegistrationRequest(program=s.program, patient="pat-chloe", session_date=s.date), NOW
    )
    assert sample.registration(reg.id) == reg and reg.session_date == s.date
    cancelled = sample.cancel_program_registration(reg.id, None, NOW)
    assert cancelled.status == "cancelled"
    assert "<a" in sample.book_button_html("https://example.test/book")
    assert sample.service_report("physio-followup-30").offered_by
    assert sample.report_referrals() is not None
    assert isinstance(sample.report_portal_appointments(
        cp.AppointmentFilter(from_=date(2027, 3, 1), to=date(2027, 3, 31))), tuple)
    assert sample.purge_expired_holds(NOW) == 0
    assert sample.intake_form_completed("pat-ana", "intake", NOW) is not None
    assert [n.kind for n in sample.outbox()][-1] == "intake_form_completed"
