"""Timestamp formats of the two source systems (all instants are UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_instant(value: str) -> datetime:
    """Parse an ISO-8601 instant in any of the sources' spellings into an aware UTC datetime.

    Accepts Salesforce (``2026-03-04T15:22:01.000+0000``), Marketo (``2026-03-04T15:22:01Z``),
    SOQL literals and plain ISO strings. A bare date means midnight UTC.
    """
    text = value.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    text = text.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def salesforce_format(moment: datetime) -> str:
    """``2026-03-04T15:22:01.000+0000``: the form Salesforce returns and SOQL accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def marketo_format(moment: datetime) -> str:
    """``2026-03-04T15:22:01Z``: the form Marketo returns and accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
