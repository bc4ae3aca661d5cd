"""Checks a received record against its object's described field types.

A record that fails goes to quarantine with the reason; the night goes on. Values outside a
picklist are *not* failures: they are data, and the marts show them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from leadflow.timefmt import parse_instant

MAX_TEXT = 131_072  # Salesforce's longest text area

_DATETIME = {"datetime"}
_DATE = {"date"}
_INTEGER = {"int", "integer"}
_NUMBER = {"double", "currency", "percent", "float"}
_BOOLEAN = {"boolean"}


def problem(record: dict[str, Any], types: dict[str, str], key: str, stamp: str | None) -> str | None:
    """The reason ``record`` cannot be loaded, or None when it is fine."""
    record_id = record.get(key)
    if record_id is None or (isinstance(record_id, str) and not record_id.strip()):
        return f"missing {key}"
    if stamp and record.get(stamp) is None:
        return f"missing {stamp}"
    for name, value in record.items():
        if value is None:
            continue
        kind = types.get(name, "string")
        reason = _check(value, kind.lower())
        if reason:
            return f"{name}: {reason}"
    return None


def _check(value: Any, kind: str) -> str | None:
    if kind in _DATETIME or kind in _DATE:
        if not isinstance(value, str):
            return f"expected {kind}, got {type(value).__name__}"
        try:
            date.fromisoformat(value) if kind in _DATE else parse_instant(value)
        except ValueError:
            return f"unparseable {kind} {value[:40]!r}"
        return None
    if kind in _INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected integer, got {value!r:.40}"
        return None
    if kind in _NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected number, got {value!r:.40}"
        return None
    if kind in _BOOLEAN:
        return None if isinstance(value, bool) else f"expected boolean, got {value!r:.40}"
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"oversized text ({len(value)} characters)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "invalid UTF-8"
    return None


def coerce(record: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """Turn CSV strings (Marketo bulk export) into the described types where they parse."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        kind = types.get(name, "string").lower()
        if isinstance(value, str):
            try:
                if kind in _INTEGER:
                    value = int(value)
                elif kind in _NUMBER:
                    value = float(value)
                elif kind in _BOOLEAN and value.lower() in ("true", "false"):
                    value = value.lower() == "true"
            except ValueError:
                pass  # left as text: problem() quarantines it with the reason
        out[name] = value
    return out
