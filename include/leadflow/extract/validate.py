"""Checks received records against their object's described field types.

Quarantine is per field: a value that breaks its type is nulled (text longer than Salesforce's
longest text area is truncated) and recorded with its reason and the value as received; the rest
of the record loads. Only a record without a usable key or version stamp (or a second copy of a
key within one page) is quarantined whole. The night goes on either way. Values outside a
picklist are *not* failures: they are data, and the marts show them.

The rules are written once per type and rendered twice: :func:`check` checks one record in
Python (REST pages, small), :func:`checked_chunk_sql` checks a whole CSV chunk in DuckDB SQL
(Bulk API 2.0 results and bulk exports, large) and renders each record as raw's JSON payload.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadflow.timefmt import parse_instant

if TYPE_CHECKING:
    import duckdb

    from leadflow.sources import SourceObject

MAX_TEXT = 131_072  # Salesforce's longest text area

_DATETIME = {"datetime"}
_DATE = {"date"}
_INTEGER = {"int", "integer"}
_NUMBER = {"double", "currency", "percent", "float"}
_NUMBER_TEXT = {"number_text"}  # a number sent as text (HubSpot sends every property value as a string)
_BOOLEAN = {"boolean"}
_JSON = {"json"}


@dataclass(frozen=True)
class FieldProblem:
    """One value that did not load as received: nulled, or truncated when it was oversized text."""

    field: str
    reason: str
    received: Any


@dataclass
class Checked:
    """A record as it loads (``record``), or why it cannot load at all (``reason``)."""

    record: dict[str, Any]
    reason: str | None = None
    problems: list[FieldProblem] = field(default_factory=list)


def check(record: dict[str, Any], types: dict[str, str], key: str, stamp: str | None) -> Checked:
    """``record`` checked field by field: bad values nulled (oversized text truncated) and named."""
    record_id = record.get(key)
    if record_id is None or (isinstance(record_id, str) and not record_id.strip()):
        return Checked(record, f"missing {key}")
    if stamp and record.get(stamp) is None:
        return Checked(record, f"missing {stamp}")
    if stamp and (reason := _check(record[stamp], types.get(stamp, "datetime").lower())):
        return Checked(record, f"{stamp}: {reason}")
    loaded, problems = dict(record), []
    for name, value in record.items():
        if value is None:
            continue
        reason = _check(value, types.get(name, "string").lower())
        if reason is None:
            continue
        oversized = reason.startswith("oversized")
        loaded[name] = value[:MAX_TEXT] if oversized else None
        problems.append(FieldProblem(name, f"{name}: {reason}; {'truncated' if oversized else 'nulled'}", value))
    return Checked(loaded, None, problems)


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
    if kind in _NUMBER_TEXT:
        try:
            float(value)
        except (TypeError, ValueError):
            return f"expected number, got {value!r:.40}"
        return None
    if kind in _BOOLEAN:
        return None if isinstance(value, bool) else f"expected boolean, got {value!r:.40}"
    if kind in _JSON:
        return None if isinstance(value, list | dict) else f"expected JSON, got {value!r:.40}"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "invalid UTF-8"
        if len(value) > MAX_TEXT:
            return f"oversized text ({len(value)} characters)"
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
    (_NUMBER | _NUMBER_TEXT, "try_cast({v} as double)", "try_cast({v} as double) is null", "expected number, got"),
    (_BOOLEAN, "lower({v}) = 'true'", "lower({v}) not in ('true', 'false')", "expected boolean, got"),
    (_JSON, "try_cast({v} as json)", "try_cast({v} as json) is null", "expected JSON, got"),
]


def sql_literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _column(name: str) -> str:
    """A chunk's text column (null where the source wrote a null)."""
    return f'"{name}"'


def _sql_field(name: str, kind: str) -> tuple[str, str]:
    """(value as loaded, reason when the value as received breaks its type) of one text column of
    a chunk: a value that breaks its type loads as null, oversized text truncated."""
    v = _column(name)
    for kinds, typed, broken, reason in _SQL_RULES:
        if kind in kinds:
            quoted = f"{sql_literal(f'{name}: {reason} ' + chr(39))} || left({v}, 40)"
            why = f"{quoted} || {sql_literal(chr(39) + '; nulled')}"
            bad = f"{v} is not null and {broken.format(v=v)}"
            return f"case when not ({bad}) then {typed.format(v=v)} end", f"case when {bad} then {why} end"
    why = f"{sql_literal(f'{name}: oversized text (')} || length({v}) || ' characters); truncated'"
    return f"left({v}, {MAX_TEXT})", f"case when length({v}) > {MAX_TEXT} then {why} end"


def checked_chunk_sql(relation: str, fields: list[str], types: dict[str, str], key: str, stamp: str | None) -> str:
    """SQL over ``relation`` (a table of a chunk's text columns ``fields``, null where the source
    wrote a null, its ``rowid`` the file order) checking each record as :func:`check` does. Per
    record: ``record_id``, ``record_version`` (the stamp as received), ``stamp_at`` (it as a
    timestamp), ``reason`` (null when the record loads; else why it is quarantined whole),
    ``payload`` (the JSON raw keeps, values typed as described; for a record quarantined whole,
    the values as received) and ``problems`` (the fields nulled or truncated: a list of
    ``field``, ``reason`` and the value as ``received``)."""
    loaded, reasons = zip(*(_sql_field(name, types.get(name, "string").lower()) for name in fields), strict=True)
    payload = ", ".join(f"{sql_literal(name)}, {value}" for name, value in zip(fields, loaded, strict=True))
    checked = [(name, reason) for name, reason in zip(fields, reasons, strict=True) if name != stamp]
    problems = ", ".join(
        f"{{'field': {sql_literal(name)}, 'reason': {reason}, 'received': {_column(name)}}}" for name, reason in checked
    )
    # the list of problems is built only for the rare record that has one (a fifth of the cost)
    any_problem = f"coalesce({', '.join(reason for _, reason in checked)}) is not null" if checked else "false"
    key_value = f"nullif(trim({_column(key)}), '')"
    stamp_value = _column(stamp) if stamp else "null"
    stamp_at = f"try_cast(replace({stamp_value}, '+0000', '+00:00') as timestamptz)" if stamp else "null"
    checks = [f"case when {key_value} is null then {sql_literal(f'missing {key}')} end"]
    if stamp:
        checks.append(f"case when {stamp_value} is null then {sql_literal(f'missing {stamp}')} end")
        checks.append(
            f"case when {stamp_at} is null then {sql_literal(f'{stamp}: unparseable datetime ' + chr(39))}"
            f" || left({stamp_value}, 40) || {sql_literal(chr(39))} end"
        )
    checks.append(f"case when _row > _first_row then {sql_literal(f'duplicate {key} within one page')} end")
    received = ", ".join(f"{sql_literal(name)}, {_column(name)}" for name in fields)
    return f"""
        select record_id, record_version, stamp_at, reason,
            case when reason is null then payload else cast(json_object({received}) as varchar) end as payload,
            case when reason is null and {any_problem} then list_filter([{problems}], lambda p: p.reason is not null)
                else [] end
                as problems
        from (
        select *, coalesce({", ".join(checks)}) as reason
        from (
            select *,
                {key_value} as record_id,
                {stamp_value} as record_version,
                {stamp_at} as stamp_at,
                cast(json_object({payload}) as varchar) as payload
            from (select *, rowid as _row from {relation}) as numbered
            -- a key's first row in the file (a window over the whole records made the check a fifth dearer)
            left join (select {key_value} as _key, min(rowid) as _first_row from {relation} group by all) as firsts
                on {key_value} = firsts._key
        ) as typed
        ) as chunk
    """


def checked_chunk(
    con: duckdb.DuckDBPyConnection, obj: SourceObject, chunk: Path, types: dict[str, str], nulls: tuple[str, ...]
) -> str:
    """Read a CSV chunk (all text) into a temp table of ``con``; the SQL that checks and types it
    (a :data:`leadflow.raw.ChunkCheck`, with the chunk bound). ``nulls`` are the texts that mean
    null (Bulk API 2.0: an empty field; Marketo's exports: also ``null``): they are read as null."""
    with chunk.open("rb") as handle:  # the header row: the rest of the file is DuckDB's to read
        fields = next(csv.reader([handle.readline().decode("utf-8")]), [])
    columns = "{" + ", ".join(f"{sql_literal(name)}: 'varchar'" for name in fields) + "}"
    null_texts = "[" + ", ".join(map(sql_literal, nulls)) + "]"
    con.execute(
        f"""create or replace temp table chunk_text as
            select * from read_csv('{chunk}', header = true, auto_detect = false, columns = {columns},
                                   quote = '"', escape = '"', delim = ',', max_line_size = 16777216,
                                   nullstr = {null_texts})"""
    )
    return checked_chunk_sql("chunk_text", fields, types, obj.key, obj.stamp or None)
