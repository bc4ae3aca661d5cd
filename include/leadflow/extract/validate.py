"""Checks received records against their object's described field types.

A record that fails goes to quarantine with the reason; the night goes on. Values outside a
picklist are *not* failures: they are data, and the marts show them.

The rules are written once per type and rendered twice: :func:`problem` checks one record in
Python (REST pages, small), :func:`checked_chunk_sql` checks a whole CSV chunk in DuckDB SQL
(Bulk API 2.0 results and bulk exports, large) and renders each good record as raw's JSON payload.
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


# kind -> (SQL typed value of the text column {v}; SQL true when {v} breaks the type; reason)
_SQL_RULES: list[tuple[set[str], str, str, str]] = [
    (_DATETIME, "{v}", "try_cast(replace({v}, '+0000', '+00:00') as timestamptz) is null", "unparseable datetime"),
    (_DATE, "{v}", "try_cast({v} as date) is null", "unparseable date"),
    (
        _INTEGER,
        "try_cast(trim({v}) as bigint)",
        "not regexp_full_match(trim({v}), '[-+]?[0-9]{{1,18}}')",
        "expected integer, got",
    ),
    (_NUMBER, "try_cast({v} as double)", "try_cast({v} as double) is null", "expected number, got"),
    (_BOOLEAN, "lower({v}) = 'true'", "lower({v}) not in ('true', 'false')", "expected boolean, got"),
]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_value(name: str, nulls: tuple[str, ...]) -> str:
    """A text column of a chunk, null where it holds one of the source's null spellings."""
    return f'case when "{name}" in ({", ".join(map(_sql_literal, nulls))}) then null else "{name}" end'


def _sql_field(name: str, kind: str, nulls: tuple[str, ...]) -> tuple[str, str]:
    """(typed value, reason when the value breaks its type) of one text column of a chunk."""
    v = _sql_value(name, nulls)
    for kinds, typed, broken, reason in _SQL_RULES:
        if kind in kinds:
            why = f"{_sql_literal(f'{name}: {reason} ' + chr(39))} || left({v}, 40) || {_sql_literal(chr(39))}"
            bad = f"{v} is not null and {broken.format(v=v)}"
            return f"case when not ({bad}) then {typed.format(v=v)} end", f"case when {bad} then {why} end"
    why = f"{_sql_literal(f'{name}: oversized text (')} || length({v}) || ' characters)'"
    return v, f"case when length({v}) > {MAX_TEXT} then {why} end"


def checked_chunk_sql(
    relation: str, fields: list[str], types: dict[str, str], key: str, stamp: str | None, nulls: tuple[str, ...] = ("",)
) -> str:
    """SQL over ``relation`` (a chunk's text columns ``fields``, in file order) giving, per record:
    ``nulls`` are the texts that mean null (Bulk API 2.0: an empty field; Marketo's exports: also
    ``null``). Per record: ``record_id``, ``record_version`` (the stamp as received), ``stamp_at`` (it as a timestamp),
    ``reason`` (null when the record loads; else why it is quarantined, as :func:`problem` and a
    repeated key within a page say) and ``payload`` (the JSON raw keeps, values typed as described;
    for a quarantined record, the values as received)."""
    typed, reasons = zip(*(_sql_field(name, types.get(name, "string").lower(), nulls) for name in fields), strict=True)
    payload = ", ".join(f"{_sql_literal(name)}, {value}" for name, value in zip(fields, typed, strict=True))
    key_value = f"nullif(trim({_sql_value(key, nulls)}), '')"
    stamp_value = _sql_value(stamp, nulls) if stamp else "null"
    checks = [f"case when {key_value} is null then {_sql_literal(f'missing {key}')} end"]
    if stamp:
        checks.append(f"case when {stamp_value} is null then {_sql_literal(f'missing {stamp}')} end")
    checks += reasons
    checks.append(f"case when _position > 1 then {_sql_literal(f'duplicate {key} within one page')} end")
    stamp_at = f"try_cast(replace({stamp_value}, '+0000', '+00:00') as timestamptz)" if stamp else "null"
    received = ", ".join(f'{_sql_literal(name)}, "{name}"' for name in fields)
    return f"""
        select record_id, record_version, stamp_at, reason,
            case when reason is null then payload else cast(json_object({received}) as varchar) end as payload
        from (
        select *, coalesce({", ".join(checks)}) as reason
        from (
            select *,
                {key_value} as record_id,
                {stamp_value} as record_version,
                {stamp_at} as stamp_at,
                cast(json_object({payload}) as varchar) as payload,
                row_number() over (partition by {key_value} order by _row) as _position
            from (select *, row_number() over () as _row from {relation}) as numbered
        ) as typed
        ) as chunk
    """
