"""The sandbox's view of a fixture directory: every record version, served as of a clock.

Fixture lines are loaded once into a DuckDB file, so that a large fixture is served
page by page without holding it in memory. "As of T" follows the source contract:
a record's state at T is its latest version stamped at or before T; append-only rows
exist once their date is at or before T.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from leadflow.sources import MARKETO_OBJECTS, SALESFORCE_OBJECTS, SourceObject

from leadflow_dev.sandbox.portal import PORTAL_FILES, PortalFile

# What the store indexes: the catalogue's objects (Salesforce, Marketo) and a HubSpot portal's
# files; a fixture directory holds one or the other, and the missing files are empty tables.
Served = SourceObject | PortalFile
SERVED: tuple[Served, ...] = (*SALESFORCE_OBJECTS, *MARKETO_OBJECTS, *PORTAL_FILES)

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SF_ID = re.compile(r"^[0-9a-zA-Z]{18}$")

# SQL expression: the fixture's text instant -> naive UTC TIMESTAMP.
_TS = "cast(cast(replace(replace({col}, '+0000', '+00:00'), 'Z', '+00:00') as timestamptz) as timestamp)"


def ts_sql(col: str) -> str:
    return _TS.format(col=col)


def _table(obj: Served) -> str:
    return f"{obj.system}_{obj.name}".lower()


# What Salesforce's describe says of the standard fields whose type a value cannot tell (a
# whole-number Amount is still currency; an empty column is still a date).
STANDARD_TYPES = {
    "Amount": "currency",
    "ExpectedRevenue": "currency",
    "AnnualRevenue": "currency",
    "Probability": "percent",
    "NumberOfEmployees": "int",
    "CloseDate": "date",
    "ActivityDate": "date",
    "ConvertedDate": "date",
    "StartDate": "date",
    "EndDate": "date",
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
    "SystemModstamp": "datetime",
}


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (list, dict)):
        return "anyType"
    if isinstance(value, str):
        if _DATETIME.match(value):
            return "datetime"
        if _DATE.match(value):
            return "date"
        if _SF_ID.match(value):
            return "id"
    return "string"


@dataclass
class Cursor:
    table: str
    fields: list[str]
    total: int


@dataclass
class FixtureStore:
    fixtures_dir: Path
    db_path: Path  # the fixture indexed for as-of queries (the caller removes it)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._con = duckdb.connect(str(self.db_path))
        self._con.execute("set TimeZone = 'UTC'")
        self.fields: dict[str, dict[str, str]] = {}
        for obj in SERVED:
            self._load(obj)
        manifest = json.loads((self.fixtures_dir / "manifest.json").read_text())
        self.manifest_as_of: str = manifest["as_of"]
        firsts = " union all ".join(f"select min(stamp) as first from {_table(o)}" for o in SERVED if o.stamp)
        self.earliest: datetime | None = self._con.execute(f"select min(first) from ({firsts})").fetchall()[0][0]
        self._cursors: dict[str, Cursor] = {}
        # a HubSpot portal's single-answer files (account details, deal pipelines), when present
        self.documents: dict[str, Any] = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in (self.fixtures_dir / "hubspot").glob("*.json")
        }
        self._picklists: dict[tuple[str, str], list[str]] = {}

    # -- loading ---------------------------------------------------------------------------------
    def _load(self, obj: Served) -> None:
        path = self.fixtures_dir / obj.file
        table = _table(obj)
        stamp = ts_sql(f"(json->>'{obj.stamp}')") if obj.stamp else "timestamp '1970-01-01'"
        if path.exists() and path.stat().st_size > 0:
            source = f"read_json_objects('{path}', format = 'newline_delimited')"
        else:
            source = "(select null::json as json where false)"
        self._con.execute(
            f"""create or replace table {table} as
                select json->>'{obj.key}' as id, {stamp} as stamp, json::varchar as line, line_number
                from (select json, row_number() over () as line_number from {source}) as lines
                order by stamp, id, line_number"""
        )
        self.fields[obj.name] = self._sample_fields(path)

    @staticmethod
    def _sample_fields(path: Path, sample: int = 2000) -> dict[str, str]:
        """Field name -> describe type (insertion order kept): the standard type where Salesforce
        defines one, else the type most of the field's values in the first lines of the file have
        (whole and fractional numbers together are a double). A value that breaks it is bad data,
        as a real describe would have it."""
        seen: dict[str, Counter[str]] = {}
        if not path.exists():
            return {}
        with path.open(encoding="utf-8") as handle:
            for n, line in enumerate(handle):
                if n >= sample:
                    break
                if not line.strip():
                    continue
                for name, value in json.loads(line).items():
                    kinds = seen.setdefault(name, Counter())
                    if value is not None:
                        kinds[_infer_type(value)] += 1
        types = {}
        for name, kinds in seen.items():
            if kinds["int"] and kinds["double"]:
                kinds["double"] += kinds.pop("int")
            types[name] = STANDARD_TYPES.get(name, kinds.most_common(1)[0][0] if kinds else "string")
        return types

    # -- as-of queries ---------------------------------------------------------------------------
    def open_cursor(
        self,
        obj: Served,
        fields: list[str],
        clock: datetime,
        predicates: list[str],
        include_deleted: bool,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> tuple[str, Cursor]:
        """Materialise the result of a query as of ``clock``; pages are then cheap range reads.
        ``since`` (naive UTC), when the predicates require the stamp to be at or after it: only
        records with a version stamped in ``[since, clock]`` can match (a record's version as of
        the clock is its latest), so the others are left out before versions are ranked, and an
        incremental query costs what it returns rather than the whole table."""
        table = _table(obj)
        clock_sql = f"timestamp '{clock.replace(tzinfo=None).isoformat(sep=' ')}'"
        in_window = f"stamp <= {clock_sql}"
        if since is not None:
            in_window += f" and stamp >= timestamp '{since.replace(tzinfo=None).isoformat(sep=' ')}'"
        where = [f"stamp <= {clock_sql}"]
        if not include_deleted and "IsDeleted" in self.fields.get(obj.name, {}):
            where.append("coalesce((line::json->>'IsDeleted')::boolean, false) = false")
        where.extend(predicates)
        current = (
            f"select * from {table} where {in_window}"
            if obj.append_only
            else f"""select * from {table}
                     where stamp <= {clock_sql}
                        {f"and id in (select id from {table} where {in_window})" if since else ""}
                     qualify row_number() over (partition by id order by stamp desc, line_number desc) = 1"""
        )
        cursor_id = uuid.uuid4().hex[:15]
        limit_sql = f"limit {int(limit)}" if limit else ""
        with self._lock:
            self._con.execute(
                f"""create temp table cursor_{cursor_id} as
                    select row_number() over (order by stamp, id, line_number) - 1 as pos, line
                    from ({current}) as c
                    where {" and ".join(where)}
                    order by stamp, id, line_number {limit_sql}"""
            )
            total = self._con.execute(f"select count(*) from cursor_{cursor_id}").fetchall()[0][0]
        cursor = Cursor(table=f"cursor_{cursor_id}", fields=fields, total=total)
        self._cursors[cursor_id] = cursor
        return cursor_id, cursor

    def has_cursor(self, cursor_id: str) -> bool:
        return cursor_id in self._cursors

    def page(self, cursor_id: str, offset: int, size: int) -> tuple[list[dict[str, Any]], Cursor]:
        cursor = self._cursors[cursor_id]
        with self._lock:
            rows = self._con.execute(
                f"select line from {cursor.table} where pos >= ? and pos < ? order by pos",
                [offset, offset + size],
            ).fetchall()
        return [self._project(json.loads(line), cursor.fields) for (line,) in rows], cursor

    def csv_page(self, cursor_id: str, offset: int, size: int, drift: dict[str, Any] | None = None) -> tuple[str, int]:
        """Rows ``[offset, offset + size)`` of a cursor as Bulk API 2.0 CSV (header row, RFC 4180,
        empty field = null), written by DuckDB; and how many rows it holds. ``drift`` (fields added
        with a constant value, fields removed) is applied as for JSON pages."""
        cursor = self._cursors[cursor_id]
        drift = drift or {}
        added = drift.get("add", {})
        columns = [
            f"json_extract_string(line, '$.{name}') as \"{name}\""
            for name in cursor.fields
            if name not in drift.get("remove", []) and name not in added
        ] + [f"'{str(value).replace(chr(39), chr(39) * 2)}' as \"{name}\"" for name, value in added.items()]
        with tempfile.TemporaryDirectory() as tmp, self._lock:
            out = Path(tmp) / "page.csv"
            count = self._con.execute(
                f"""copy (select {", ".join(columns)} from {cursor.table}
                          where pos >= {int(offset)} and pos < {int(offset) + int(size)} order by pos)
                    to '{out}' (format csv, header true, quote '"', escape '"')"""
            ).fetchall()[0][0]
            text = out.read_text(encoding="utf-8")
        return text, count

    def close_cursor(self, cursor_id: str) -> None:
        cursor = self._cursors.pop(cursor_id, None)
        if cursor:
            with self._lock:
                self._con.execute(f"drop table if exists {cursor.table}")

    def picklist(self, obj: SourceObject, field_name: str) -> list[str]:
        """The values a picklist field takes anywhere in the fixture (what describe lists), read
        once: the fixture does not change while it is served, and a night describes every object
        (a million leads: seconds per read)."""
        key = (obj.name, field_name)
        if key not in self._picklists:
            with self._lock:
                rows = self._con.execute(
                    f"""select distinct json_extract_string(line, ?) as v from {_table(obj)}
                        where v is not null order by v""",
                    [f"$.{field_name}"],
                ).fetchall()
            self._picklists[key] = [value for (value,) in rows]
        return self._picklists[key]

    def property_names(self, obj: SourceObject) -> list[str]:
        """The names of the properties an object's records hold anywhere in the fixture (HubSpot:
        what ``/crm/v3/properties/{type}`` lists), read once."""
        key = (obj.name, "properties.*")
        if key not in self._picklists:
            with self._lock:
                rows = self._con.execute(
                    f"select distinct unnest(json_keys(line, '$.properties')) as name from {_table(obj)} order by name"
                ).fetchall()
            self._picklists[key] = [name for (name,) in rows]
        return self._picklists[key]

    @staticmethod
    def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        return {name: record.get(name) for name in fields}

    def rows(
        self, obj: Served, clock: datetime, extra_where: str = "", limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Small, unpaged reads (Marketo types, programs, lead look-ups)."""
        cursor_id, cursor = self.open_cursor(
            obj, list(self.fields[obj.name]), clock, [extra_where] if extra_where else [], True, limit
        )
        with self._lock:
            lines = self._con.execute(f"select line from {cursor.table} order by pos").fetchall()
        self.close_cursor(cursor_id)
        return [json.loads(line) for (line,) in lines]
