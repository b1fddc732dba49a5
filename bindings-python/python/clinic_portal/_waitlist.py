"""The waitlist records (docs/waitlist.md): requests, entries, offers and counts, in the
engine's JSON shapes (``schema/``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional, Tuple

from ._records import Record


@dataclass(frozen=True)
class TimeWindow(Record):
    """A wall-clock window of the day (``HH:MM``): starts with ``start <= time < end``."""

    start: str
    end: str


@dataclass(frozen=True)
class WaitlistRequest(Record):
    """Join the waitlist: a service, a practitioner or none, a clinic or any, local dates
    (both inclusive), optional weekdays (``mon`` … ``sun``) and a time window."""

    _json_names = {"from_": "from"}

    patient: str
    service: str
    from_: date
    to: date
    practitioner: Optional[str] = None
    clinic: Optional[str] = None
    weekdays: Tuple[str, ...] = ()
    times: Optional[TimeWindow] = None
    id: Optional[str] = None
    actor: Optional[str] = None


@dataclass(frozen=True)
class WaitlistOffer(Record):
    """A start held for a waiting patient until ``expires_at`` (book from ``hold``)."""

    hold: str
    practitioner: str
    clinic: str
    start: datetime
    offered_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class PassedOffer(Record):
    """A start an entry declined or let expire; it is not offered to the entry again."""

    practitioner: str
    start: datetime


@dataclass(frozen=True)
class WaitlistEntry(Record):
    """A patient waiting for a start (``schema/`` ``WaitlistEntry``)."""

    _json_names = {"from_": "from"}

    id: str
    patient: str
    service: str
    from_: date
    to: date
    created_at: datetime
    seq: int
    expires_at: datetime
    actor: Optional[str] = None
    practitioner: Optional[str] = None
    clinic: Optional[str] = None
    weekdays: Tuple[str, ...] = ()
    times: Optional[TimeWindow] = None
    offer: Optional[WaitlistOffer] = None
    passed: Tuple[PassedOffer, ...] = ()


@dataclass(frozen=True)
class WaitlistFilter(Record):
    """Which entries ``Engine.waitlist`` lists; every field set must match."""

    patient: Optional[str] = None
    service: Optional[str] = None
    practitioner: Optional[str] = None
    clinic: Optional[str] = None
    offered: Optional[bool] = None


@dataclass(frozen=True)
class WaitlistReport(Record):
    """Offers made, accepted, declined and expired."""

    offered: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0


@dataclass(frozen=True)
class WaitlistProcessed(Record):
    """What ``Engine.process_waitlist`` did."""

    offers_expired: int = 0
    offers_made: int = 0
    entries_expired: int = 0
    holds_expired: int = 0
