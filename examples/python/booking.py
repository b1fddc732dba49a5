"""clinic-portal from Python, in two minutes.

Loads the sample practice (Riverside Physio: examples/data), lists next week's times for a
follow-up in the clinic's own time zone, lets a mother (a guardian) book for her son, and
prints the notifications the host would now e-mail.

    python examples/python/booking.py
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import clinic_portal as cp

DATA = Path(__file__).resolve().parents[1] / "data"


def main() -> None:
    # One engine per practice: from a path, a dict or a JSON string.
    engine = cp.Engine(DATA / "sample-practice.json")
    sample = json.loads((DATA / "sample-data.json").read_text(encoding="utf-8"))
    for patient in sample["patients"]:
        engine.upsert_patient(cp.Patient.from_dict(patient))
    engine.add_appointments(cp.Appointment.from_dict(a) for a in sample["appointments"])

    # The engine never reads the clock: every call gets an aware `now`.
    now = datetime(2027, 3, 8, 14, 0, tzinfo=timezone.utc)  # Monday 09:00 in Toronto

    # Next week's follow-ups with Christine; slot times carry the clinic's ZoneInfo.
    query = cp.SlotQuery(service="physio-followup-30", from_=date(2027, 3, 9),
                         to=date(2027, 3, 15), practitioner="christine")
    slots = engine.search(query, now)
    print(f"{len(slots)} times with Christine next week, for example:")
    for slot in slots[:5]:
        print(f"  {slot.start:%a %d %b %H:%M} {slot.start.tzinfo} at {slot.clinic}")

    # Ana gets a portal account, then becomes the guardian of her son Ben.
    own = engine.invite(cp.InviteRequest(patient="pat-ana"), now)
    ana = engine.accept_invitation(
        cp.AcceptInvitation(token=own.token, password="correct horse battery"), now)
    as_guardian = engine.invite(cp.InviteRequest(
        patient="pat-ben", relationship="guardian", email="ana.souza@example.com"), now)
    engine.accept_invitation(
        cp.AcceptInvitation(token=as_guardian.token, authenticated_account=ana.id), now)
    print(f"\naccount {ana.username} acts for {', '.join(engine.patients_of_account(ana.id))}")

    # She books Ben's first offered time (`actor`: the account acting for the patient).
    slot = engine.search(cp.SlotQuery(service="physio-followup-30", from_=date(2027, 3, 9),
                                      to=date(2027, 3, 15), patient="pat-ben", actor=ana.id),
                         now)[0]
    try:
        booking = engine.book(cp.BookRequest(
            patient="pat-ben", service="physio-followup-30", start=slot.start,
            practitioner=slot.practitioner_ids[0], consent_given=True, actor=ana.id), now)
    except cp.PortalError as e:  # e.g. SlotUnavailable, ConsentRequired: e.code, e.message
        print(f"refused: {e.code}: {e.message}")
        return
    local = booking.appointment.start.astimezone(slot.start.tzinfo)
    print(f"booked {booking.appointment.id} for Ben at {local:%a %d %b %H:%M %Z}: "
          f"{booking.appointment.status}")

    # What the host now sends (invitation links carry their one-time token).
    print("\noutbox:")
    for n in engine.drain_outbox():
        link = " (with a link token)" if n.token else ""
        print(f"  #{n.id} {n.kind} -> {', '.join(n.recipients) or 'nobody'}{link}")


if __name__ == "__main__":
    main()
