"""The SOQL subset of the source contract, parsed into SQL predicates over the fixture store.

``SELECT <fields> FROM <Object> [WHERE <cond> [AND <cond>]...] [ORDER BY ...] [LIMIT n]``
where a condition compares a field with a datetime, date, string, number or boolean literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from leadflow.timefmt import parse_instant

from leadflow_dev.sandbox.store import ts_sql

_QUERY = re.compile(
    r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<object>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+order\s+by\s+(?P<order>[\w\s,]+?))?"
    r"(?:\s+limit\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(?P<field>\w+)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>.+?)\s*$", re.DOTALL)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SoqlError(ValueError):
    """Raised for a query outside the subset; answered as MALFORMED_QUERY."""


@dataclass(frozen=True)
class SoqlQuery:
    fields: list[str]
    object: str
    predicates: list[str]
    limit: int | None
    since: datetime | None = None  # a lower bound (inclusive) the conditions put on ``stamp``


def parse(soql: str, known_fields: dict[str, str], stamp: str | None = None) -> SoqlQuery:
    """``soql`` as SQL predicates; ``since`` is the latest lower bound a condition puts on the
    object's ``stamp`` field (an incremental extraction's watermark), which lets the store narrow
    the records before it finds their versions as of the clock."""
    match = _QUERY.match(soql)
    if not match:
        raise SoqlError(f"unexpected token in query: {soql[:80]!r}")
    fields = [f.strip() for f in match["fields"].split(",") if f.strip()]
    unknown = [f for f in fields if f not in known_fields]
    if unknown:
        raise SoqlError(f"No such column '{unknown[0]}' on entity '{match['object']}'")
    predicates, since = [], None
    if match["where"]:
        for part in re.split(r"\s+and\s+", match["where"], flags=re.IGNORECASE):
            predicates.append(_predicate(part, known_fields))
            bound = _CONDITION.match(part)
            if bound and bound["field"] == stamp and bound["op"] in (">", ">=") and _DATETIME.match(bound["value"]):
                since = max(filter(None, [since, parse_instant(bound["value"]).replace(tzinfo=None)]))
    limit = int(match["limit"]) if match["limit"] else None
    return SoqlQuery(fields, match["object"], predicates, limit, since)


def _predicate(condition: str, known_fields: dict[str, str]) -> str:
    match = _CONDITION.match(condition)
    if not match:
        raise SoqlError(f"unexpected condition: {condition!r}")
    name, op, value = match["field"], match["op"], match["value"]
    if name not in known_fields:
        raise SoqlError(f"No such column '{name}'")
    op = "<>" if op == "!=" else op
    column = f"(line::json->>'{name}')"
    if _DATETIME.match(value) or _DATE.match(value):
        literal = parse_instant(value).replace(tzinfo=None).isoformat(sep=" ")
        return f"{ts_sql(column)} {op} timestamp '{literal}'"
    if value.lower() in ("true", "false"):
        return f"cast({column} as boolean) {op} {value.lower()}"
    if value.lower() == "null":
        return f"{column} is {'not ' if op == '<>' else ''}null"
    if value.startswith("'") and value.endswith("'"):
        text = value[1:-1].replace("\\'", "'").replace("'", "''")
        return f"{column} {op} '{text}'"
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return f"cast({column} as double) {op} {value}"
    raise SoqlError(f"unexpected literal: {value!r}")
