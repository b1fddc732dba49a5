"""Shared fixtures: the sample practice (examples/data) and a small one-clinic practice."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict

import pytest

import clinic_portal as cp

REPO = Path(__file__).resolve().parents[2]
PRACTICE = REPO / "examples" / "data" / "sample-practice.json"
DATA = REPO / "examples" / "data" / "sample-data.json"
#: Monday 2027-03-08, 09:00 in Toronto (the demo's `now`).
NOW = datetime(2027, 3, 8, 14, 0, tzinfo=timezone.utc)


def small_config(capacity: int = 1, auto_accept: bool = True) -> Dict[str, Any]:
    """One Toronto clinic, one practitioner Mon–Fri 09:00–12:00, a 30-minute service."""
    return {
        "clinics": [{"id": "main", "time_zone": "America/Toronto"}],
        "schedule_types": [{"id": "treat", "name": "Treatment", "allow_conflicts": capacity > 1}],
        "practitioners": [
            {
                "id": "dr-lee",
                "email": "lee@clinic.test",
                "schedule_types": ["treat"],
                "availability": [
                    {
                        "start_date": "2027-01-01",
                        "blocks": [
                            {"weekday": d, "start": "09:00", "end": "12:00", "schedule_type": "treat"}
                            for d in ("mon", "tue", "wed", "thu", "fri")
                        ],
                    }
                ],
            }
        ],
        "services": [
            {
                "id": "physio-30",
                "duration_minutes": 30,
                "schedule_types": ["treat"],
                "portal_capacity": capacity,
            }
        ],
        "portal": {
            "scheduling": {
                "auto_accept": auto_accept,
                "max_days_ahead": 365,
                "min_hours_before_booking": 0,
                "max_future_bookings_per_patient": None,
                "max_bookings_per_day": None,
            }
        },
    }


@pytest.fixture
def sample() -> cp.Engine:
    """The sample practice with its patients and appointments."""
    engine = cp.Engine(PRACTICE)
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for p in data["patients"]:
        engine.upsert_patient(cp.Patient.from_dict(p))
    engine.add_appointments(cp.Appointment.from_dict(a) for a in data["appointments"])
    return engine
