"""``Engine``: every public operation of the clinic-portal engine, in Python."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import _native
from ._errors import invalid_input
from ._records import Record, as_json, from_micros, micros, to_json_value
from ._types import (
    AcceptInvitation,
    Account,
    AccountLink,
    Appointment,
    AppointmentFilter,
    BookingDetails,
    Booking,
    BookRequest,
    BulkInviteReport,
    CancelOutcome,
    CancelRequest,
    Change,
    Config,
    DecisionRequest,
    Diagnostic,
    DuplicateCandidate,
    Explanation,
    Hold,
    HoldRequest,
    Invitation,
    InviteRequest,
    IssuedInvitation,
    MergeOutcome,
    MergeRecord,
    NewAccount,
    Notification,
    Patient,
    PendingItem,
    Planned,
    ProgramSession,
    Reconfiguration,
    ReferralCount,
    ReferralType,
    Registration,
    RegistrationRequest,
    ReleaseHoldRequest,
    RescheduleOutcome,
    RescheduleRequest,
    ServiceReport,
    Signup,
    SignupOutcome,
    SignupRequest,
    SlotQuery,
    Slots,
)
from ._waitlist import (
    WaitlistEntry,
    WaitlistFilter,
    WaitlistProcessed,
    WaitlistReport,
    WaitlistRequest,
)

R = TypeVar("R", bound=Record)

#: A configuration: a ``Config``, its JSON as a ``dict``, a JSON string or a path to a
#: JSON file.
ConfigLike = Union[Config, Mapping[str, Any], str, "os.PathLike[str]"]
#: A request: its record class or the same fields as a mapping (the engine's JSON shape).
Req = Union[R, Mapping[str, Any]]

#: ``now`` for the operations that take no instant.
_NO_NOW = 0


def _config_json(config: ConfigLike) -> str:
    if isinstance(config, Config):
        return config.to_json()
    if isinstance(config, os.PathLike):
        with open(os.fspath(config), encoding="utf-8") as f:
            return f.read()
    if isinstance(config, str):
        return config
    if isinstance(config, Mapping):
        return json.dumps(to_json_value(config))
    raise invalid_input(
        f"a configuration is a dict, a JSON string or a path, not {type(config).__name__}"
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _many(cls: Type[R], items: Any) -> Tuple[R, ...]:
    return tuple(cls.from_dict(i) for i in items)


def _date(value: date, what: str) -> str:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise invalid_input(f"{what} must be a datetime.date")
    return value.isoformat()


def _fhir_text(resource: Union[str, Mapping[str, Any]]) -> str:
    return resource if isinstance(resource, str) else _dumps(dict(resource))


class Engine:
    """The booking engine of one practice. Thread-safe: share one per practice; the GIL is
    released while it searches, explains, books, hashes passwords, snapshots and restores.

    Every instant given must be a timezone-aware ``datetime`` (naive ones are refused with
    ``InvalidInput``); every instant returned is aware (UTC, or the clinic's
    ``zoneinfo.ZoneInfo`` for a slot's start and end). Errors are ``PortalError``
    subclasses, one per code (docs/errors.md); a failed operation changes nothing.
    """

    __slots__ = ("_native", "_zones", "_zones_seq")

    def __init__(self, config: ConfigLike) -> None:
        self._native = _native.Engine.from_json(_config_json(config))
        self._zones: Dict[str, ZoneInfo] = {}
        self._zones_seq = -1

    # -- construction ------------------------------------------------------------------

    @classmethod
    def new(cls, config: ConfigLike) -> "Engine":
        """Builds an engine from a configuration (``invalid_config`` lists every error)."""
        return cls(config)

    @classmethod
    def from_json(cls, json_text: str) -> "Engine":
        """Builds an engine from configuration JSON."""
        if not isinstance(json_text, str):
            raise invalid_input("from_json takes the configuration as a JSON string")
        return cls(json_text)

    @classmethod
    def restore(cls, snapshot: str) -> "Engine":
        """Rebuilds an engine from ``snapshot()``."""
        engine = cls.__new__(cls)
        engine._native = _native.Engine.restore(snapshot)
        engine._zones = {}
        engine._zones_seq = -1
        return engine

    @staticmethod
    def validate(config: ConfigLike) -> Tuple[Diagnostic, ...]:
        """Every problem of a configuration (errors and warnings), without building it."""
        return Engine.validate_json(_config_json(config))

    @staticmethod
    def validate_json(json_text: str) -> Tuple[Diagnostic, ...]:
        """``validate`` of configuration JSON (``invalid_config`` if it does not parse)."""
        return _many(Diagnostic, json.loads(_native.Engine.validate_json(json_text)))

    # -- plumbing ----------------------------------------------------------------------

    def _read(self, name: str, **args: Any) -> Any:
        return json.loads(self._native.read(name, _dumps(args)))

    def _op(self, op: str, now: Optional[datetime] = None, **args: Any) -> Any:
        at = _NO_NOW if now is None else micros(now)
        return json.loads(self._native.execute(_dumps({"op": op, **args}), at))

    def _zone_map(self) -> Dict[str, ZoneInfo]:
        seq = self._native_last_seq()
        if seq != self._zones_seq:
            zones: Dict[str, ZoneInfo] = {}
            for clinic, name in self.config().time_zones().items():
                try:
                    zones[clinic] = ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    pass  # unknown to this Python's tz database: the slot's fixed offset
            self._zones = zones
            self._zones_seq = seq
        return self._zones

    def _native_last_seq(self) -> int:
        return int(self._read("last_seq"))

    # -- configuration -------------------------------------------------------------------

    def config(self) -> Config:
        """The configuration the engine runs."""
        return Config(self._read("config"))

    def warnings(self) -> Tuple[Diagnostic, ...]:
        """The configuration's load-time warnings."""
        return _many(Diagnostic, self._read("warnings"))

    def reconfigure(self, config: ConfigLike, now: datetime) -> Reconfiguration:
        """Swaps in a new configuration; reports what no longer fits."""
        return Reconfiguration.from_dict(
            self._op("reconfigure", now, config=json.loads(_config_json(config)))
        )

    def put_closure(self, closure: Mapping[str, Any], now: datetime) -> Reconfiguration:
        """Adds or replaces (by id) a closure."""
        return Reconfiguration.from_dict(self._op("put_closure", now, closure=as_json(closure)))

    def remove_closure(self, id: str, now: datetime) -> Reconfiguration:
        """Removes a closure."""
        return Reconfiguration.from_dict(self._op("remove_closure", now, id=id))

    def book_button_html(self, booking_url: Optional[str] = None) -> str:
        """The HTML of the "Book an appointment" button (to ``booking_url`` or the
        portal's login URL)."""
        return str(self._read("book_button_html", booking_url=booking_url))

    # -- patients and appointments ---------------------------------------------------------

    def upsert_patient(self, patient: Req[Patient]) -> None:
        """Adds or replaces a patient."""
        self._op("upsert_patient", patient=as_json(patient, Patient))

    def patient(self, id: str) -> Patient:
        """The patient with this id."""
        return Patient.from_dict(self._read("patient", id=id))

    def remove_patient(self, id: str) -> Patient:
        """Removes a patient who has no appointments, registrations or active links."""
        return Patient.from_dict(self._op("remove_patient", id=id))

    def add_appointment(self, appointment: Req[Appointment]) -> None:
        """Imports an appointment the host owns."""
        self._op("add_appointment", appointment=as_json(appointment, Appointment))

    def add_appointments(self, appointments: Iterable[Req[Appointment]]) -> None:
        """Imports many appointments at once; all or nothing."""
        items = [as_json(a, Appointment) for a in appointments]
        self._op("add_appointments", appointments=items)

    def update_appointment(self, appointment: Req[Appointment]) -> None:
        """Replaces an appointment (matched by id)."""
        self._op("update_appointment", appointment=as_json(appointment, Appointment))

    def remove_appointment(self, id: str) -> Appointment:
        """Removes an appointment and returns it."""
        return Appointment.from_dict(self._op("remove_appointment", id=id))

    def appointment(self, id: str) -> Appointment:
        """The appointment with this id."""
        return Appointment.from_dict(self._read("appointment", id=id))

    def appointment_count(self) -> int:
        """How many appointments the engine holds."""
        return int(self._read("appointment_count"))

    # -- availability ------------------------------------------------------------------

    def search(self, query: Req[SlotQuery], now: datetime) -> Slots:
        """The starts a portal user may book (docs/rules.md), as of ``now``."""
        at = micros(now)
        q = _dumps(as_json(query, SlotQuery))
        slots, truncated, next_after = self._native.search(q, at, self._zone_map())
        after = None if next_after is None else from_micros(next_after)
        return Slots(slots, truncated, after)

    def explain(self, query: Req[SlotQuery], start: datetime, now: datetime) -> Explanation:
        """Why ``start`` is or is not offered for ``query``, as of ``now``.

        Without a practitioner in the query, ``practitioners`` holds only the verdict the
        answer comes from; ``explain_all`` gives every verdict.
        """
        return self._explain("explain", query, start, now)

    def explain_all(self, query: Req[SlotQuery], start: datetime, now: datetime) -> Explanation:
        """``explain`` with a verdict for every candidate practitioner."""
        return self._explain("explain_all", query, start, now)

    def _explain(
        self, op: str, query: Req[SlotQuery], start: datetime, now: datetime
    ) -> Explanation:
        return Explanation.from_dict(
            self._read(
                op,
                query=as_json(query, SlotQuery),
                start=micros(start, "start"),
                now=micros(now),
            )
        )

    def service_report(self, service: str) -> ServiceReport:
        """Which practitioners can offer a service online, and why the others cannot."""
        return ServiceReport.from_dict(self._read("service_report", service=service))

    # -- booking lifecycle ---------------------------------------------------------------

    def hold(self, request: Req[HoldRequest], now: datetime) -> Hold:
        """Holds a start while the patient confirms."""
        return Hold.from_dict(self._op("hold", now, request=as_json(request, HoldRequest)))

    def release_hold(self, request: Req[ReleaseHoldRequest]) -> Hold:
        """Releases a hold and returns it."""
        return Hold.from_dict(
            self._op("release_hold", request=as_json(request, ReleaseHoldRequest))
        )

    def purge_expired_holds(self, now: datetime) -> int:
        """Drops expired holds; returns how many."""
        return int(self._op("purge_expired_holds", now))

    def get_hold(self, id: str) -> Hold:
        """The hold with this id."""
        return Hold.from_dict(self._read("get_hold", id=id))

    def book(self, request: Req[BookRequest], now: datetime) -> Booking:
        """Books a start (or a held start) for a patient."""
        return Booking.from_dict(self._op("book", now, request=as_json(request, BookRequest)))

    def accept(self, request: Req[DecisionRequest], now: datetime) -> Booking:
        """Staff accept a pending request."""
        return Booking.from_dict(
            self._op("accept", now, request=as_json(request, DecisionRequest))
        )

    def decline(self, request: Req[DecisionRequest], now: datetime) -> Booking:
        """Staff decline a pending request."""
        return Booking.from_dict(
            self._op("decline", now, request=as_json(request, DecisionRequest))
        )

    def cancel(self, request: Req[CancelRequest], now: datetime) -> CancelOutcome:
        """Cancels an appointment (by the patient or by staff)."""
        return CancelOutcome.from_dict(
            self._op("cancel", now, request=as_json(request, CancelRequest))
        )

    def reschedule(self, request: Req[RescheduleRequest], now: datetime) -> RescheduleOutcome:
        """Moves an appointment to another start."""
        return RescheduleOutcome.from_dict(
            self._op("reschedule", now, request=as_json(request, RescheduleRequest))
        )

    def booking_details(self, appointment: str) -> Optional[BookingDetails]:
        """The portal details of an appointment, if it has any."""
        found = self._read("booking_details", appointment=appointment)
        return None if found is None else BookingDetails.from_dict(found)

    def intake_form_completed(self, patient: str, form: str, now: datetime) -> Optional[int]:
        """Records a completed intake form; the id of the notification queued, if any."""
        out = self._op("intake_form_completed", now, patient=patient, form=form)
        return None if out is None else int(out)

    def drain_outbox(self) -> Tuple[Notification, ...]:
        """Takes every notification waiting in the outbox, oldest first."""
        return _many(Notification, self._op("drain_outbox"))

    def outbox(self) -> Tuple[Notification, ...]:
        """The notifications waiting in the outbox, without taking them."""
        return _many(Notification, self._read("outbox"))

    # -- programs ----------------------------------------------------------------------

    def register_program(self, request: Req[RegistrationRequest], now: datetime) -> Registration:
        """Registers a patient for a program session."""
        return Registration.from_dict(
            self._op("register_program", now, request=as_json(request, RegistrationRequest))
        )

    def cancel_program_registration(
        self, id: str, actor: Optional[str], now: datetime
    ) -> Registration:
        """Cancels a registration (``actor`` ``None``: the trusted staff side)."""
        return Registration.from_dict(
            self._op("cancel_program_registration", now, id=id, actor=actor)
        )

    def program_sessions(self, program: str, from_: date, to: date) -> Tuple[ProgramSession, ...]:
        """A program's sessions over local dates, with places taken."""
        return _many(
            ProgramSession,
            self._read(
                "program_sessions", program=program, **{"from": _date(from_, "from_")},
                to=_date(to, "to"),
            ),
        )

    def registration(self, id: str) -> Registration:
        """The registration with this id."""
        return Registration.from_dict(self._read("registration", id=id))

    # -- accounts ------------------------------------------------------------------------

    def create_account(self, request: Req[NewAccount], now: datetime) -> Account:
        """Staff create a portal account (optionally linked to a patient)."""
        return Account.from_dict(
            self._op("create_account", now, request=as_json(request, NewAccount))
        )

    def account(self, id: str) -> Account:
        """The account with this id."""
        return Account.from_dict(self._read("account", id=id))

    def account_by_username(self, username: str) -> Account:
        """The account with this username (normalised as at login)."""
        return Account.from_dict(self._read("account_by_username", username=username))

    def accounts(self) -> Tuple[Account, ...]:
        """Every account, by id."""
        return _many(Account, self._read("accounts"))

    def login(self, username: str, password: str, now: datetime) -> Account:
        """Checks a username and password (every failure is ``CredentialsInvalid``)."""
        return Account.from_dict(self._op("login", now, username=username, password=password))

    def change_password(
        self, account: str, current: str, new: str, now: datetime
    ) -> Account:
        """Changes an account's password, given the current one."""
        return Account.from_dict(
            self._op("change_password", now, account=account, current=current, new=new)
        )

    def link_account(
        self, account: str, patient: str, relationship: str, now: datetime
    ) -> AccountLink:
        """Links an account to a patient (``self``, ``guardian`` or ``carer``)."""
        return AccountLink.from_dict(
            self._op(
                "link_account", now, account=account, patient=patient, relationship=relationship
            )
        )

    def confirm_link(self, account: str, patient: str, now: datetime) -> AccountLink:
        """Confirms a link a merge moved."""
        return AccountLink.from_dict(
            self._op("confirm_link", now, account=account, patient=patient)
        )

    def revoke_link(self, account: str, patient: str, now: datetime) -> AccountLink:
        """Revokes a link."""
        return AccountLink.from_dict(
            self._op("revoke_link", now, account=account, patient=patient)
        )

    def links_of_account(self, account: str) -> Tuple[AccountLink, ...]:
        """An account's links (active and revoked)."""
        return _many(AccountLink, self._read("links_of_account", account=account))

    def links_of_patient(self, patient: str) -> Tuple[AccountLink, ...]:
        """A patient's links (active and revoked)."""
        return _many(AccountLink, self._read("links_of_patient", patient=patient))

    def patients_of_account(self, account: str) -> Tuple[str, ...]:
        """The patients an account acts for (active links)."""
        return tuple(self._read("patients_of_account", account=account))

    def appointments_for_account(self, account: str) -> Tuple[Appointment, ...]:
        """The appointments of every patient an account acts for, by start, then id."""
        return _many(Appointment, self._read("appointments_for_account", account=account))

    def request_password_reset(self, username: str, now: datetime) -> None:
        """Queues a password-reset notification (silently nothing for unknown usernames)."""
        self._op("request_password_reset", now, username=username)

    def reset_password(self, token: str, new: str, now: datetime) -> Account:
        """Sets a new password with the token of a reset link."""
        return Account.from_dict(self._op("reset_password", now, token=token, new=new))

    # -- invitations ---------------------------------------------------------------------

    def invite(self, request: Req[InviteRequest], now: datetime) -> IssuedInvitation:
        """Invites a patient, guardian or carer; the token is in the result (once)."""
        return IssuedInvitation.from_dict(
            self._op("invite", now, request=as_json(request, InviteRequest))
        )

    def resend_invitation(self, id: str, now: datetime) -> IssuedInvitation:
        """Issues a new token for an invitation (the old one stops working)."""
        return IssuedInvitation.from_dict(self._op("resend_invitation", now, id=id))

    def delete_invitation(self, id: str) -> Invitation:
        """Deletes an invitation (its token stops working)."""
        return Invitation.from_dict(self._op("delete_invitation", id=id))

    def invitation(self, id: str) -> Invitation:
        """The invitation with this id."""
        return Invitation.from_dict(self._read("invitation", id=id))

    def invitations_of(self, patient: str) -> Tuple[Invitation, ...]:
        """A patient's invitations."""
        return _many(Invitation, self._read("invitations_of", patient=patient))

    def accept_invitation(self, request: Req[AcceptInvitation], now: datetime) -> Account:
        """Accepts an invitation (a new account, or into an authenticated one)."""
        return Account.from_dict(
            self._op("accept_invitation", now, request=as_json(request, AcceptInvitation))
        )

    def bulk_invite(self, now: datetime) -> BulkInviteReport:
        """Invites every patient with an e-mail address and no account."""
        return BulkInviteReport.from_dict(self._op("bulk_invite", now))

    # -- signup and merge ----------------------------------------------------------------

    def signup(self, request: Req[SignupRequest], now: datetime) -> SignupOutcome:
        """A public signup: a new patient and their own account."""
        return SignupOutcome.from_dict(
            self._op("signup", now, request=as_json(request, SignupRequest))
        )

    def signup_referral_types(self) -> Tuple[ReferralType, ...]:
        """The referral types shown at signup."""
        return _many(ReferralType, self._read("signup_referral_types"))

    def review_queue(self) -> Tuple[Signup, ...]:
        """Signups not yet reviewed, oldest first."""
        return _many(Signup, self._read("review_queue"))

    def mark_signup_reviewed(self, id: str, now: datetime) -> Signup:
        """Marks a signup reviewed."""
        return Signup.from_dict(self._op("mark_signup_reviewed", now, id=id))

    def find_duplicates(self, patient: str) -> Tuple[DuplicateCandidate, ...]:
        """Patients who may be duplicates of this one, highest score first."""
        return _many(DuplicateCandidate, self._read("find_duplicates", patient=patient))

    def merge_patients(self, keep: str, merge: str, now: datetime) -> MergeOutcome:
        """Folds patient ``merge`` into ``keep``."""
        return MergeOutcome.from_dict(self._op("merge_patients", now, keep=keep, merge=merge))

    def replaced_by(self, patient: str) -> Optional[MergeRecord]:
        """What replaced a merged patient, if it was merged."""
        found = self._read("replaced_by", patient=patient)
        return None if found is None else MergeRecord.from_dict(found)

    # -- reports -------------------------------------------------------------------------

    def pending_queue(self, now: datetime) -> Tuple[PendingItem, ...]:
        """Portal requests waiting for staff, oldest first."""
        return _many(PendingItem, self._read("pending_queue", now=micros(now)))

    def report_portal_appointments(
        self, filter: Req[AppointmentFilter]
    ) -> Tuple[Appointment, ...]:
        """Portal appointments matching a filter."""
        return _many(
            Appointment,
            self._read("report_portal_appointments", filter=as_json(filter, AppointmentFilter)),
        )

    def report_referrals(self) -> Tuple[ReferralCount, ...]:
        """Patients per referral type."""
        return _many(ReferralCount, self._read("report_referrals"))

    def report_programs(self, from_: date, to: date) -> Tuple[ProgramSession, ...]:
        """Every program session over local dates, with places taken."""
        return _many(
            ProgramSession,
            self._read("report_programs", **{"from": _date(from_, "from_")}, to=_date(to, "to")),
        )

    # -- health-IT interchange (docs/interchange.md) ---------------------------------------

    def fhir_schedules(self) -> Dict[str, Any]:
        """Every practitioner's schedule at each clinic: a FHIR R4 ``searchset`` Bundle of
        Schedules."""
        return dict(self._read("fhir_schedules"))

    def fhir_slots(self, query: Req[SlotQuery], now: datetime) -> Dict[str, Any]:
        """The search as a FHIR Bundle of ``free``, ``busy-tentative`` (holds) and ``busy``
        Slots."""
        return dict(
            self._read("fhir_slots", query=as_json(query, SlotQuery), now=micros(now))
        )

    def fhir_appointment(self, id: str) -> Dict[str, Any]:
        """An appointment as a FHIR Appointment."""
        return dict(self._read("fhir_appointment", id=id))

    def fhir_patient(self, id: str) -> Dict[str, Any]:
        """A patient as a FHIR Patient, with ``replaces`` / ``replaced-by`` merge links."""
        return dict(self._read("fhir_patient", id=id))

    def fhir_related_persons(self, patient: str) -> Dict[str, Any]:
        """A patient's guardians and carers: a FHIR Bundle of RelatedPersons."""
        return dict(self._read("fhir_related_persons", patient=patient))

    def fhir_find(
        self, parameters: Union[str, Mapping[str, Any]], actor: Optional[str], now: datetime
    ) -> Dict[str, Any]:
        """``Appointment/$find``: FHIR Parameters in, a Bundle of proposed Appointments out;
        ``actor`` is the portal account asking (``None``: the host)."""
        return dict(
            self._read(
                "fhir_find", parameters=_fhir_text(parameters), actor=actor, now=micros(now)
            )
        )

    def import_fhir_appointment(self, resource: Union[str, Mapping[str, Any]]) -> Appointment:
        """Imports a host appointment from a FHIR Appointment; returns the appointment
        added. What does not map is ``invalid_input`` naming its path."""
        return Appointment.from_dict(
            self._op("import_fhir_appointment", resource=_fhir_text(resource))
        )

    def ical_appointment(self, id: str, actor: Optional[str], now: datetime) -> str:
        """One appointment as iCalendar (RFC 5545) text, stamped ``now``."""
        return str(self._read("ical_appointment", id=id, actor=actor, now=micros(now)))

    def ical_patient(self, patient: str, actor: Optional[str], now: datetime) -> str:
        """A patient's appointments as iCalendar text."""
        return str(self._read("ical_patient", patient=patient, actor=actor, now=micros(now)))

    def ical_practitioner_day(self, practitioner: str, day: date, now: datetime) -> str:
        """A practitioner's appointments on a local date as iCalendar text."""
        return str(
            self._read(
                "ical_practitioner_day",
                practitioner=practitioner,
                day=_date(day, "day"),
                now=micros(now),
            )
        )

    # -- journal, persistence, operations ------------------------------------------------

    def last_seq(self) -> int:
        """The sequence number of the last change."""
        return self._native_last_seq()

    def changes_since(self, seq: int) -> Tuple[Change, ...]:
        """The changes after ``seq`` (``stale_sequence``-free replay for replicas)."""
        return _many(Change, self._read("changes_since", seq=seq))

    def compact_journal(self, seq: int) -> int:
        """Drops journaled changes up to ``seq``; returns how many."""
        return int(self._read("compact_journal", seq=seq))

    def snapshot(self) -> str:
        """The whole state as JSON (``Engine.restore`` takes it back)."""
        return self._native.snapshot()

    def apply(self, change: Union[Change, Mapping[str, Any], str]) -> int:
        """Applies a planned or stored change; returns its sequence number
        (``StaleSequence`` when it is not the next one)."""
        if isinstance(change, Change):
            text = change.to_json()
        elif isinstance(change, str):
            text = change
        else:
            text = _dumps(to_json_value(change))
        return self._native.apply(text)

    def execute(self, operation: Union[Mapping[str, Any], str], now: datetime) -> Any:
        """Runs one operation given as ``Operation`` JSON (``{"op": "book", ...}``); the
        outcome as JSON."""
        text = operation if isinstance(operation, str) else _dumps(to_json_value(operation))
        return json.loads(self._native.execute(text, micros(now)))

    def plan_operation(self, operation: Union[Mapping[str, Any], str], now: datetime) -> Planned:
        """Plans one operation without applying it (see docs/python.md, plan/apply)."""
        text = operation if isinstance(operation, str) else _dumps(to_json_value(operation))
        planned = json.loads(self._native.plan_operation(text, micros(now)))
        return Planned.from_dict(planned)

    # -- waitlist (docs/waitlist.md) ----------------------------------------------------

    def join_waitlist(self, request: Req[WaitlistRequest], now: datetime) -> WaitlistEntry:
        """Puts a patient on the waitlist; offers come when capacity frees."""
        return WaitlistEntry.from_dict(
            self._op("join_waitlist", now, request=as_json(request, WaitlistRequest))
        )

    def leave_waitlist(self, id: str, actor: Optional[str], now: datetime) -> WaitlistEntry:
        """Takes an entry off the waitlist (``actor`` ``None``: staff); an offer out passes on."""
        return WaitlistEntry.from_dict(self._op("leave_waitlist", now, id=id, actor=actor))

    def decline_waitlist_offer(
        self, id: str, actor: Optional[str], now: datetime
    ) -> WaitlistEntry:
        """Declines the offer out for an entry; the start passes to the next matching entry."""
        return WaitlistEntry.from_dict(
            self._op("decline_waitlist_offer", now, id=id, actor=actor)
        )

    def process_waitlist(self, now: datetime) -> WaitlistProcessed:
        """Moves expired offers on and drops entries past their range, as of ``now``."""
        return WaitlistProcessed.from_dict(self._op("process_waitlist", now))

    def waitlist(self, filter: Optional[Req[WaitlistFilter]] = None) -> Tuple[WaitlistEntry, ...]:
        """The waitlist entries matching ``filter`` (all by default), first come first."""
        value = {} if filter is None else as_json(filter, WaitlistFilter)
        return _many(WaitlistEntry, self._read("waitlist", filter=value))

    def waitlist_report(self) -> WaitlistReport:
        """How many offers were made, accepted, declined and let expire."""
        return WaitlistReport.from_dict(self._read("waitlist_report"))

    def __repr__(self) -> str:
        return f"<clinic_portal.Engine seq={self.last_seq()}>"
