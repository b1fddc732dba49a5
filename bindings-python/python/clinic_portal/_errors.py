"""Errors: ``PortalError`` and one subclass per stable error code (docs/errors.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Sequence, Tuple, Type

if TYPE_CHECKING:
    from ._types import Diagnostic


class PortalError(Exception):
    """An error of the engine: ``code`` is the stable name (e.g. ``"slot_unavailable"``),
    ``message`` the sentence naming the entity and the rule. For ``invalid_config``,
    ``diagnostics`` lists every problem of the configuration. A failed operation changes
    nothing."""

    code: str
    message: str
    diagnostics: Tuple["Diagnostic", ...]

    def __init__(self, code: str, message: str, diagnostics: Sequence["Diagnostic"] = ()) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.diagnostics = tuple(diagnostics)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidConfig(PortalError):
    """The configuration is invalid; ``diagnostics`` lists every problem."""


class InvalidInput(PortalError):
    """An argument is malformed or out of range (a naive ``datetime`` included)."""


class NotFound(PortalError):
    """A referenced entity does not exist."""


class NotAuthorized(PortalError):
    """The actor has no active link to the patient."""


class PortalDisabled(PortalError):
    """Online booking is switched off for the practice or clinic."""


class SlotUnavailable(PortalError):
    """The requested start is not offered online (see ``Engine.explain``)."""


class OutsideBookingWindow(PortalError):
    """The start is outside the lead time or the booking horizon."""


class CancelWindowClosed(PortalError):
    """Too late to cancel or reschedule online."""


class ConsentRequired(PortalError):
    """The clinic requires scheduling consent."""


class InvalidTransition(PortalError):
    """The booking is not in a status that allows this step."""


class CapacityFull(PortalError):
    """Every place at that time is taken."""


class HoldExpired(PortalError):
    """The hold expired before it was used."""


class PatientBusy(PortalError):
    """The patient already has an overlapping appointment."""


class LimitReached(PortalError):
    """A per-patient booking limit is reached."""


class DuplicateId(PortalError):
    """An entity with that id already exists."""


class EmailInUse(PortalError):
    """The e-mail address or username is already used by another account."""


class InvitationInvalid(PortalError):
    """The invitation token is unknown, used or revoked."""


class InvitationExpired(PortalError):
    """The invitation token has expired."""


class CredentialsInvalid(PortalError):
    """The username or password is wrong."""


class SignupDisabled(PortalError):
    """Public signup is switched off."""


class Internal(PortalError):
    """A bug in clinic-portal (a panic included): please report it."""


class IdempotencyConflict(PortalError):
    """An idempotency key was used again with different arguments."""


class StaleSequence(PortalError):
    """A change's sequence number is not the next one: catch up and plan again."""


#: The class of every error code.
ERRORS: Dict[str, Type[PortalError]] = {
    "invalid_config": InvalidConfig,
    "invalid_input": InvalidInput,
    "not_found": NotFound,
    "not_authorized": NotAuthorized,
    "portal_disabled": PortalDisabled,
    "slot_unavailable": SlotUnavailable,
    "outside_booking_window": OutsideBookingWindow,
    "cancel_window_closed": CancelWindowClosed,
    "consent_required": ConsentRequired,
    "invalid_transition": InvalidTransition,
    "capacity_full": CapacityFull,
    "hold_expired": HoldExpired,
    "patient_busy": PatientBusy,
    "limit_reached": LimitReached,
    "duplicate_id": DuplicateId,
    "email_in_use": EmailInUse,
    "invitation_invalid": InvitationInvalid,
    "invitation_expired": InvitationExpired,
    "credentials_invalid": CredentialsInvalid,
    "signup_disabled": SignupDisabled,
    "internal": Internal,
    "idempotency_conflict": IdempotencyConflict,
    "stale_sequence": StaleSequence,
}


def invalid_input(message: str) -> InvalidInput:
    """An ``InvalidInput`` error raised on the Python side."""
    return InvalidInput("invalid_input", message)


def _from_native(code: str, message: str, diagnostics: str) -> PortalError:
    """The exception for an engine error (called by the native module)."""
    from ._types import Diagnostic

    items: Any = json.loads(diagnostics) if diagnostics else []
    cls = ERRORS.get(code, PortalError)
    return cls(code, message, tuple(Diagnostic.from_dict(d) for d in items))
