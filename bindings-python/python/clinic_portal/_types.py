"""The typed results and requests of the engine (frozen; ``to_dict()`` gives the engine's
JSON shape, see schema/)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import json
from datetime import date, datetime
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple, Union, overload

from ._records import Record

# -- people and appointments ------------------------------------------------------------


@dataclass(frozen=True)
class Patient(Record):
    """A patient the host owns (``schema/patient.json``)."""

    id: str
    first_name: str = ""
    last_name: str = ""
    birth_date: Optional[date] = None
    email: Optional[str] = None
    allowed_practitioners: Tuple[str, ...] = ()
    default_insurance: Optional[str] = None
    referral_type: Optional[str] = None


@dataclass(frozen=True)
class Appointment(Record):
    """An appointment (``schema/appointment.json``); ``status`` is ``pending``, ``booked``,
    ``declined``, ``cancelled``…, ``source`` ``staff`` or ``portal``."""

    id: str
    practitioner: str
    start: datetime
    end: datetime
    status: str = "booked"
    clinic: Optional[str] = None
    service: Optional[str] = None
    patient: Optional[str] = None
    source: str = "staff"


@dataclass(frozen=True)
class ConsentRecord(Record):
    """The scheduling consent a patient gave."""

    accepted_at: datetime
    version: Optional[str] = None


@dataclass(frozen=True)
class BookingDetails(Record):
    """The portal details of an appointment (``schema/booking.json``)."""

    appointment: str = ""
    insurance: Optional[str] = None
    consent: Optional[ConsentRecord] = None
    telehealth: bool = False
    hold: Optional[str] = None
    patient_notes: Optional[str] = None
    staff_note: Optional[str] = None
    requested_at: Optional[datetime] = None
    decided_at: Optional[datetime] = None
    cancelled_at: Optional[datetime] = None
    cancelled_by: Optional[str] = None
    cancel_reason: Optional[str] = None
    late_cancel_fee: bool = False
    rescheduled_from: Optional[datetime] = None
    capacity_override: bool = False


@dataclass(frozen=True)
class Booking(Record):
    """A portal booking: the appointment and its details."""

    appointment: Appointment
    details: BookingDetails


@dataclass(frozen=True)
class Hold(Record):
    """A short hold on a start while the patient confirms (``schema/hold.json``)."""

    id: str
    practitioner: str
    clinic: str
    service: str
    start: datetime
    end: datetime
    created_at: datetime
    expires_at: datetime
    patient: Optional[str] = None
    telehealth: bool = False
    actor: Optional[str] = None


@dataclass(frozen=True)
class CancelOutcome(Record):
    """A cancellation: the cancelled appointment and whether a late-cancel fee applies."""

    appointment: Appointment
    late_cancel_fee: bool


@dataclass(frozen=True)
class RescheduleOutcome(Record):
    """A reschedule: the appointment before, and the booking after."""

    before: Appointment
    after: Booking


@dataclass(frozen=True)
class Notification(Record):
    """A notification for the host to deliver (``schema/notification.json``). ``data`` is
    the kind's payload in the engine's JSON shape; ``token`` is the one-time link token of
    an invitation or password reset (only when drained or listed live; never stored)."""

    id: int
    kind: str
    recipients: Tuple[str, ...]
    data: Dict[str, Any]
    token: Optional[str] = dataclasses.field(default=None, repr=False)


@dataclass(frozen=True)
class Registration(Record):
    """A program registration (``schema/registration.json``)."""

    id: str
    program: str
    patient: str
    session_date: date
    session_start: datetime
    status: str
    registered_at: datetime
    cancelled_at: Optional[datetime] = None


@dataclass(frozen=True)
class ProgramSession(Record):
    """One session of a program and how many places are taken."""

    program: str
    date: date
    start: datetime
    end: datetime
    capacity: int
    registered: int


# -- accounts, invitations, families ----------------------------------------------------


@dataclass(frozen=True)
class Account(Record):
    """A portal account (never its password hash)."""

    id: str
    username: str
    created_at: datetime


@dataclass(frozen=True)
class AccountLink(Record):
    """A link from an account to a patient (``self``, ``guardian`` or ``carer``)."""

    account: str
    patient: str
    relationship: str
    active: bool
    created_at: datetime
    revoked_at: Optional[datetime] = None
    awaits_confirmation: bool = False


@dataclass(frozen=True)
class Invitation(Record):
    """An invitation (its public fields; the token is shown only once, when issued)."""

    id: str
    patient: str
    relationship: str
    email: str
    created_at: datetime
    expires_at: datetime
    accepted_at: Optional[datetime] = None
    accepted_by: Optional[str] = None


@dataclass(frozen=True)
class IssuedInvitation(Record):
    """An invitation just issued: ``token`` goes into the link (shown only here)."""

    invitation: Invitation
    token: str = dataclasses.field(repr=False)
    notification: int


@dataclass(frozen=True)
class BulkInviteReport(Record):
    """What ``bulk_invite`` did: the invitations issued, and why others were skipped
    (patient id → reason)."""

    invited: Tuple[IssuedInvitation, ...]
    skipped: Dict[str, str]


@dataclass(frozen=True)
class Signup(Record):
    """A public signup, with its review state."""

    id: str
    patient: str
    account: str
    created_at: datetime
    referral_type: Optional[str] = None
    reviewed_at: Optional[datetime] = None


@dataclass(frozen=True)
class SignupOutcome(Record):
    """A signup: the new account, patient and signup record."""

    account: Account
    patient: Patient
    signup: Signup


@dataclass(frozen=True)
class DuplicateCandidate(Record):
    """A patient who may be a duplicate, with a score and the reasons."""

    patient: str
    score: int
    reasons: Tuple[str, ...]


@dataclass(frozen=True)
class MergeRecord(Record):
    """What replaced a merged patient."""

    merged: str
    replaced_by: str
    merged_at: datetime
    patient: Patient


@dataclass(frozen=True)
class MergeOutcome(Record):
    """A merge: the patient kept, the record, and what moved (ids)."""

    kept: Patient
    record: MergeRecord
    appointments: Tuple[str, ...]
    links: Tuple[str, ...]
    invitations: Tuple[str, ...]
    awaiting_confirmation: Tuple[str, ...]


@dataclass(frozen=True)
class ReferralType(Record):
    """A referral type of the configuration."""

    id: str
    name: str = ""
    show_at_signup: bool = False


# -- configuration, explanations, reports ------------------------------------------------


@dataclass(frozen=True)
class Diagnostic(Record):
    """A configuration problem (``severity`` ``error`` or ``warning``) at a JSON path."""

    severity: str
    path: str
    message: str
    rule: Optional[int] = None
    clinic: Optional[str] = None
    practitioner: Optional[str] = None
    service: Optional[str] = None
    schedule_type: Optional[str] = None
    closure: Optional[str] = None
    program: Optional[str] = None
    record: Optional[str] = None
    weekday: Optional[str] = None


@dataclass(frozen=True)
class Refusal(Record):
    """Why a rule refuses: its number (docs/rules.md), the entity at fault, a sentence."""

    rule: int
    entity: str
    message: str


@dataclass(frozen=True)
class PractitionerVerdict(Record):
    """The verdict of ``explain`` for one practitioner."""

    practitioner: str
    offered: bool
    clinic: Optional[str] = None
    refusal: Optional[Refusal] = None


@dataclass(frozen=True)
class Explanation(Record):
    """Why a start is or is not offered."""

    offered: bool
    message: str
    practitioners: Tuple[PractitionerVerdict, ...]
    rule: Optional[int] = None
    entity: Optional[str] = None


@dataclass(frozen=True)
class ServiceRefusal(Record):
    """A practitioner who cannot offer a service online, and why."""

    practitioner: str
    reason: Refusal


@dataclass(frozen=True)
class ServiceReport(Record):
    """Which practitioners offer a service online."""

    service: str
    offered_by: Tuple[str, ...]
    not_offered_by: Tuple[ServiceRefusal, ...]


@dataclass(frozen=True)
class StrandedAppointment(Record):
    """A future appointment the new configuration no longer supports (kept unchanged)."""

    appointment: Appointment
    reason: str
    message: str
    rule: Optional[int] = None


@dataclass(frozen=True)
class Reconfiguration(Record):
    """What a reconfiguration left behind: stranded appointments, released holds, and
    the new configuration's warnings."""

    stranded: Tuple[StrandedAppointment, ...]
    released_holds: Tuple[Hold, ...]
    warnings: Tuple[Diagnostic, ...]


@dataclass(frozen=True)
class PendingItem(Record):
    """A portal request waiting for staff."""

    appointment: Appointment
    requested_at: Optional[datetime] = None
    age_minutes: Optional[int] = None


@dataclass(frozen=True)
class ReferralCount(Record):
    """How many patients came through a referral type."""

    name: str
    patients: int
    referral_type: Optional[str] = None


@dataclass(frozen=True)
class Change(Record):
    """One journaled change: its gap-free sequence number and its state deltas (in the
    engine's JSON shape). Store ``to_json()`` at ``seq``; ``Engine.apply`` takes it back."""

    seq: int
    deltas: Tuple[Dict[str, Any], ...]

    def to_json(self) -> str:
        """The change as JSON, for storage."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Change":
        """A change stored with ``to_json()``."""
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Planned(Record):
    """A planned operation: the change to store and apply (``None`` when nothing
    changes), and the outcome once applied (the operation's JSON outcome)."""

    change: Optional[Change]
    outcome: Any


class Config:
    """A configuration (the JSON of ``schema/config.json``), read-only."""

    __slots__ = ("_data",)
    _data: Dict[str, Any]

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", json.loads(json.dumps(dict(data))))

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __getitem__(self, key: str) -> Any:
        return json.loads(json.dumps(self._data[key]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        clinics = [c.get("id") for c in self._data.get("clinics", [])]
        return f"Config(clinics={clinics!r}, practitioners={len(self._data.get('practitioners', []))})"

    def time_zones(self) -> Dict[str, str]:
        """Clinic id → IANA time zone name."""
        return {c["id"]: c["time_zone"] for c in self._data.get("clinics", [])}

    def to_dict(self) -> Dict[str, Any]:
        """The configuration's JSON, as a new dict."""
        return json.loads(json.dumps(self._data))  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """The configuration's JSON."""
        return json.dumps(self._data, separators=(",", ":"))


# -- requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotQuery(Record):
    """What to search: a service over local dates ``from_`` to ``to`` (both inclusive, in
    each clinic's zone), optionally one practitioner, clinic, telehealth, the patient and
    the account acting for them (``actor``), a page ``limit`` and the instant to continue
    ``after``."""

    _json_names = {"from_": "from"}

    service: str
    from_: date
    to: date
    practitioner: Optional[str] = None
    clinic: Optional[str] = None
    telehealth: bool = False
    patient: Optional[str] = None
    actor: Optional[str] = None
    limit: Optional[int] = None
    after: Optional[datetime] = None


@dataclass(frozen=True)
class HoldRequest(Record):
    """Hold a start for a service (``schema/hold-request.json``)."""

    service: str
    start: datetime
    practitioner: Optional[str] = None
    patient: Optional[str] = None
    id: Optional[str] = None
    clinic: Optional[str] = None
    telehealth: bool = False
    actor: Optional[str] = None


@dataclass(frozen=True)
class ReleaseHoldRequest(Record):
    """Release a hold."""

    hold: str
    actor: Optional[str] = None


@dataclass(frozen=True)
class BookRequest(Record):
    """Book a start (or a held start: ``hold``) for a patient (``schema/book-request.json``)."""

    patient: str
    service: Optional[str] = None
    start: Optional[datetime] = None
    practitioner: Optional[str] = None
    hold: Optional[str] = None
    consent_given: bool = False
    idempotency_key: Optional[str] = None
    id: Optional[str] = None
    clinic: Optional[str] = None
    telehealth: bool = False
    notes: Optional[str] = None
    actor: Optional[str] = None


@dataclass(frozen=True)
class DecisionRequest(Record):
    """Accept or decline a pending request, with an optional note to the patient."""

    appointment: str
    note: Optional[str] = None


@dataclass(frozen=True)
class CancelRequest(Record):
    """Cancel an appointment, ``by`` the ``patient`` (the cancel window applies) or ``staff``."""

    appointment: str
    by: str = "patient"
    reason: Optional[str] = None
    idempotency_key: Optional[str] = None
    actor: Optional[str] = None


@dataclass(frozen=True)
class RescheduleRequest(Record):
    """Move an appointment to another start."""

    appointment: str
    start: datetime
    practitioner: Optional[str] = None
    clinic: Optional[str] = None
    idempotency_key: Optional[str] = None
    actor: Optional[str] = None


@dataclass(frozen=True)
class RegistrationRequest(Record):
    """Register a patient for a program session."""

    program: str
    patient: str
    session_date: date
    id: Optional[str] = None
    actor: Optional[str] = None


@dataclass(frozen=True)
class NewAccount(Record):
    """A portal account created by staff, optionally linked to a patient."""

    username: str
    password: str = dataclasses.field(repr=False)
    id: Optional[str] = None
    patient: Optional[str] = None
    relationship: str = "self"


@dataclass(frozen=True)
class InviteRequest(Record):
    """Invite a patient (``self``) or a guardian or carer (with ``email``) to the portal."""

    patient: str
    relationship: str = "self"
    email: Optional[str] = None
    id: Optional[str] = None


@dataclass(frozen=True)
class AcceptInvitation(Record):
    """Accept an invitation: with a ``password`` (a new account, id ``account_id`` if
    given) or into an ``authenticated_account``."""

    token: str = dataclasses.field(repr=False)
    password: Optional[str] = dataclasses.field(default=None, repr=False)
    authenticated_account: Optional[str] = None
    account_id: Optional[str] = None


@dataclass(frozen=True)
class SignupRequest(Record):
    """A public signup: a new patient and their own account."""

    email: str
    password: str = dataclasses.field(repr=False)
    first_name: str = ""
    last_name: str = ""
    birth_date: Optional[date] = None
    referral_type: Optional[str] = None
    patient_id: Optional[str] = None
    account_id: Optional[str] = None


@dataclass(frozen=True)
class AppointmentFilter(Record):
    """Which portal appointments a report lists (local dates, both inclusive)."""

    _json_names = {"from_": "from"}

    from_: date
    to: date
    statuses: Tuple[str, ...] = ()
    clinic: Optional[str] = None
    practitioner: Optional[str] = None
    source: Optional[str] = None


# -- search results -----------------------------------------------------------------------

from ._native import Slot  # noqa: E402  (native, frozen: built in Rust)


class Slots:
    """The starts a search offers, in order: a sequence of ``Slot``. ``truncated`` is true
    when a ``limit`` cut the list; continue with ``SlotQuery(after=next_after)``."""

    __slots__ = ("_slots", "_truncated", "_next_after")
    _slots: Tuple[Slot, ...]
    _truncated: bool
    _next_after: Optional[datetime]

    def __init__(
        self,
        slots: Tuple[Slot, ...],
        truncated: bool = False,
        next_after: Optional[datetime] = None,
    ) -> None:
        object.__setattr__(self, "_slots", slots)
        object.__setattr__(self, "_truncated", truncated)
        object.__setattr__(self, "_next_after", next_after)

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    @property
    def slots(self) -> Tuple[Slot, ...]:
        """The slots."""
        return self._slots

    @property
    def truncated(self) -> bool:
        """Whether a ``limit`` cut the list."""
        return self._truncated

    @property
    def next_after(self) -> Optional[datetime]:
        """Where the next page starts (after this instant), when truncated."""
        return self._next_after

    def __len__(self) -> int:
        return len(self._slots)

    def __iter__(self) -> Iterator[Slot]:
        return iter(self._slots)

    @overload
    def __getitem__(self, index: int) -> Slot: ...

    @overload
    def __getitem__(self, index: slice) -> Tuple[Slot, ...]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Slot, Tuple[Slot, ...]]:
        return self._slots[index]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Slots)
            and self._slots == other._slots
            and self._truncated == other._truncated
            and self._next_after == other._next_after
        )

    def __hash__(self) -> int:
        return hash((self._slots, self._truncated, self._next_after))

    def __repr__(self) -> str:
        return f"Slots({len(self._slots)} slots, truncated={self._truncated})"

    def to_dict(self) -> Dict[str, Any]:
        """The page in the engine's JSON shape (``schema/slot-page.json``)."""
        from ._records import to_json_value

        return {
            "slots": [s.to_dict() for s in self._slots],
            "truncated": self._truncated,
            "next_after": to_json_value(self._next_after),
        }
