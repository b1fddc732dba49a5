"""Frozen record classes: conversion from and to the engine's JSON shapes (see schema/).

Every record is a frozen dataclass (``__repr__``, ``__eq__``) with ``to_dict()`` (the
engine's JSON shape: instants as RFC 3339 strings, dates as ``YYYY-MM-DD``) and
``from_dict()``. Instants read from the engine are timezone-aware ``datetime`` objects in
UTC; instants given to it must be timezone-aware (a naive ``datetime`` is refused with
``InvalidInput``).
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple, TypeVar, Union

from ._errors import invalid_input

R = TypeVar("R", bound="Record")

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant (as the engine writes it) as an aware ``datetime`` in UTC."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # Python 3.9/3.10 read at most six fractional digits.
    if "." in s:
        head, _, rest = s.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        s = f"{head}.{(digits + '000000')[:6]}{rest}"
    try:
        value = datetime.fromisoformat(s)
    except ValueError as e:
        raise invalid_input(f"`{text}` is not an RFC 3339 instant: {e}") from None
    if value.tzinfo is None:
        raise invalid_input(f"`{text}` has no UTC offset")
    return value.astimezone(timezone.utc)


def check_aware(value: datetime, what: str = "instant") -> datetime:
    """``value`` if it is timezone-aware; ``InvalidInput`` if it is naive."""
    if not isinstance(value, datetime):
        raise invalid_input(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise invalid_input(
            f"{what} {value.isoformat()} is a naive datetime: give a timezone-aware one "
            "(e.g. datetime(..., tzinfo=timezone.utc) or a zoneinfo.ZoneInfo)",
        )
    return value


def format_instant(value: datetime) -> str:
    """An aware ``datetime`` as RFC 3339 in UTC, as the engine writes instants."""
    at = check_aware(value).astimezone(timezone.utc)
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    if at.microsecond:
        frac = f"{at.microsecond:06d}"
        text += "." + (frac[:3] if frac.endswith("000") else frac)
    return text + "Z"


def micros(value: datetime, what: str = "now") -> int:
    """An aware ``datetime`` as microseconds since the Unix epoch (exact)."""
    delta = check_aware(value, what) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Microseconds since the Unix epoch as an aware ``datetime`` in UTC."""
    from datetime import timedelta

    return _EPOCH + timedelta(microseconds=value)


def _hints(cls: type) -> Dict[str, Any]:
    cached: Optional[Dict[str, Any]] = cls.__dict__.get("_hints_cache")
    if cached is None:
        cached = typing.get_type_hints(cls)
        type.__setattr__(cls, "_hints_cache", cached)
    return cached


def _origin(tp: Any) -> Any:
    return typing.get_origin(tp)


def _convert(tp: Any, value: Any) -> Any:
    """A JSON value as the Python value of type ``tp``."""
    if value is None:
        return None
    if tp is datetime:
        return parse_instant(value)
    if tp is date:
        return date.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_dict(value)
    origin = _origin(tp)
    if origin is Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_convert(item, v) for v in value)
    if origin is dict:
        item = typing.get_args(tp)[1]
        return {k: _convert(item, v) for k, v in value.items()}
    return value


def to_json_value(value: Any) -> Any:
    """A Python value in the engine's JSON shape (records, datetimes, dates, containers)."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    return value


class Record:
    """Base of the frozen record classes."""

    #: Python field name → JSON member name, where they differ (``from_`` → ``from``).
    _json_names: ClassVar[Dict[str, str]] = {}

    @classmethod
    def from_dict(cls: typing.Type[R], data: Mapping[str, Any]) -> R:
        """The record from its JSON shape (unknown members are ignored)."""
        hints = _hints(cls)
        kwargs: Dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            key = cls._json_names.get(f.name, f.name)
            if key in data:
                kwargs[f.name] = _convert(hints[f.name], data[key])
        return cls(**kwargs)

    def to_dict(self) -> Dict[str, Any]:
        """The record in the engine's JSON shape."""
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[self._json_names.get(f.name, f.name)] = to_json_value(getattr(self, f.name))
        return out

    def _request(self) -> Dict[str, Any]:
        """The record as request JSON: unset optional members left out."""
        return {k: v for k, v in self.to_dict().items() if v is not None}


def as_json(value: Any, kind: Optional[type] = None) -> Any:
    """A request argument (a record or its JSON mapping) in JSON shape."""
    if isinstance(value, Record):
        return value._request()
    if kind is not None and not isinstance(value, Mapping):
        raise invalid_input(
            f"expected a {kind.__name__} or a mapping, not {type(value).__name__}",
        )
    return to_json_value(value)


Json = Any
StrTuple = Tuple[str, ...]
