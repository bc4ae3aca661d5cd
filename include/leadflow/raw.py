"""The raw layer: every record version received, append-only, with load metadata.

One table per source object (``raw_salesforce.lead``, ``raw_marketo.activities``, ...) holding
the record as the API returned it (``payload``, JSON) plus the columns the loader needs:

* ``record_id`` and ``record_version`` (the object's stamp as text): a version is stored once;
  re-loading a page adds nothing (idempotent, so a retried or resumed night never duplicates);
* ``_run_id``, ``_loaded_at``: which night brought it.

``<object>_current`` is a view of each record's latest version received (for ad-hoc reading;
the dbt staging models apply the run's as-of time themselves).

``raw_meta.watermarks`` keeps each object's high-water mark, written in the same transaction
as the page it covers, so a watermark never runs ahead of committed data. Every raw_meta table
that names an object names its system too (``system``, ``object``): two systems' objects may share
a name.
``raw_meta.night`` holds the one night being built (run id, as-of): dbt reads the as-of from it.
``raw_meta.published`` says which night the published marts are (as-of, project fingerprint), so
a night that would rebuild them unchanged can be skipped.
``raw_meta.builds`` says which as-of and project the last successful dbt build was of: a night of
another project, or of an earlier as-of, builds with ``--full-refresh`` (the incremental models
only follow changes of data, forward in time). ``raw_meta.lead_builds`` is dbt's own: when each
lead-grain model last built (dbt_project/macros/lead_rebuilds.sql).
``raw_meta.quarantine`` keeps what could not be loaded as received, with the reason: a record
without a usable key or stamp (``field`` null, the record as received), or one field's value that
was nulled or truncated in a record that loaded (``field`` named, the value as received).
Staging models read the JSON payload, so a field added at the source lands without a code change.

The same layer is written to DuckDB or PostgreSQL: each implementation of the warehouse seam
(:mod:`leadflow.warehouse`) has its store, opened with ``Warehouse.raw_store()``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from leadflow.duckdb_settings import duckdb_config
from leadflow.sources import MARKETO_OBJECTS, SALESFORCE_OBJECTS, SourceObject
from leadflow.timefmt import parse_instant

WATERMARKS_DDL = """create table if not exists raw_meta.watermarks (
        system varchar,
        object varchar,
        watermark varchar,
        run_id varchar,
        updated_at timestamp,
        primary key (system, object)
    )"""
# raw_meta's tables that name an object, and so its system (added to older warehouses' tables)
SYSTEM_KEYED = ("watermarks", "quarantine", "loads", "schema_changes")

META_DDL = [
    "create schema if not exists raw_meta",
    WATERMARKS_DDL,
    """create table if not exists raw_meta.quarantine (
        object varchar,
        record_id varchar,
        reason varchar,
        payload varchar,
        run_id varchar,
        quarantined_at timestamp,
        field varchar
    )""",
    "alter table raw_meta.quarantine add column if not exists field varchar",
    """create table if not exists raw_meta.loads (
        object varchar,
        run_id varchar,
        received integer,
        loaded integer,
        quarantined integer,
        loaded_at timestamp,
        partly_quarantined integer,
        skipped varchar
    )""",
    "alter table raw_meta.loads add column if not exists partly_quarantined integer",
    "alter table raw_meta.loads add column if not exists skipped varchar",
    "alter table raw_meta.loads add column if not exists window_from varchar",
    "alter table raw_meta.loads add column if not exists window_to varchar",
    """create table if not exists raw_meta.night (
        run_id varchar,
        as_of timestamp,
        started_at timestamp
    )""",
    """create table if not exists raw_meta.published (
        run_id varchar,
        as_of timestamp,
        project varchar,
        published_at timestamp
    )""",
    """create table if not exists raw_meta.builds (
        as_of timestamp,
        project varchar,
        built_at timestamp
    )""",
    """create table if not exists raw_meta.schema_changes (
        object varchar,
        field varchar,
        change varchar,
        run_id varchar,
        seen_at timestamp
    )""",
]

QUARANTINE_COLUMNS = "system, object, record_id, reason, payload, run_id, quarantined_at, field"

Version = tuple[str, str, dict[str, Any]]  # record_id, record_version, record
# A bulk chunk's checks, as the extractor writes them: given a DuckDB connection, it reads its
# chunk into that connection and returns the SQL of the checked rows (record_id, record_version,
# stamp_at, reason, payload, problems: :func:`leadflow.extract.validate.checked_chunk`).
ChunkCheck = Callable[[duckdb.DuckDBPyConnection], str]


def schema_for(obj: SourceObject) -> str:
    return f"raw_{obj.system}"


def table_for(obj: SourceObject, suffix: str = "") -> str:
    return f'{schema_for(obj)}."{obj.name.lower()}{suffix}"'


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Rejected:
    """A quarantine row: a whole record (``field`` None) or one field of a record that loaded."""

    record_id: str | None
    reason: str
    payload: str  # JSON: the record, or the field's value, as received
    field: str | None = None


@dataclass
class PageResult:
    """Records received; versions newly stored; records quarantined whole; records stored with
    one or more fields quarantined (nulled or truncated); why the object was skipped, if it was
    (the org has no such object, or no field of it is readable); the modification window read
    (from: the watermark less the overlap, none for a first read; to: the source's time when it
    read), for the objects read incrementally."""

    received: int = 0
    loaded: int = 0
    quarantined: int = 0
    partly_quarantined: int = 0
    skipped: str | None = None
    window_from: str | None = None
    window_to: str | None = None

    def add(self, other: PageResult) -> None:
        self.received += other.received
        self.loaded += other.loaded
        self.quarantined += other.quarantined
        self.partly_quarantined += other.partly_quarantined


class RawStore(ABC):
    """Writes pages of records into the raw layer of a warehouse (SQL with ``?`` parameters)."""

    json_type = "json"
    table_key = ""  # a table constraint on (record_id, record_version), where the engine needs one

    def __init__(self) -> None:
        with self._ddl():
            for statement in META_DDL:
                self._execute(statement)
            self._key_by_system()

    def _key_by_system(self) -> None:
        """A warehouse from before raw_meta named each object's system (objects of two systems may
        share a name): its rows get their system from the catalogue, and its watermarks a key of
        system and object."""
        before = (*SALESFORCE_OBJECTS, *MARKETO_OBJECTS)  # the systems a warehouse could hold then
        system_of = "case object " + " ".join(f"when '{o.name}' then '{o.system}'" for o in before) + " end"
        keyed = self._tables_with_column("raw_meta", "system")
        for table in (t for t in SYSTEM_KEYED if t not in keyed):
            if table == "watermarks":  # its key changes: a new table
                self._execute("alter table raw_meta.watermarks rename to watermarks_by_object")
                self._execute(WATERMARKS_DDL)
                self._execute(
                    f"""insert into raw_meta.watermarks (system, object, watermark, run_id, updated_at)
                        select {system_of}, object, watermark, run_id, updated_at from raw_meta.watermarks_by_object"""
                )
                self._execute("drop table raw_meta.watermarks_by_object")
            else:
                self._execute(f"alter table raw_meta.{table} add column system varchar")
                self._execute(f"update raw_meta.{table} set system = {system_of}")

    def _tables_with_column(self, schema: str, column: str) -> set[str]:
        """The tables of ``schema`` that have ``column`` (every time the store opens)."""
        rows = self._execute(
            "select table_name from information_schema.columns where table_schema = ? and column_name = ?",
            [schema, column],
        )
        return {name for (name,) in rows}

    @abstractmethod
    def _execute(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement; rows it returns, if any."""

    @abstractmethod
    def _insert_new_versions(self, obj: SourceObject, versions: list[Version], run_id: str, now: datetime) -> int:
        """Insert the versions not stored yet; how many were inserted."""

    @contextmanager
    def _ddl(self) -> Iterator[None]:
        """Around schema changes (where concurrent extract tasks could race)."""
        yield

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._execute("begin transaction")
        try:
            yield
        except BaseException:
            self._execute("rollback")
            raise
        self._execute("commit")

    def ensure_table(self, obj: SourceObject) -> None:
        with self._ddl():
            self._execute(f"create schema if not exists {schema_for(obj)}")
            self._execute(
                f"""create table if not exists {table_for(obj)} (
                        record_id varchar not null,
                        record_version varchar not null,
                        payload {self.json_type} not null,
                        _run_id varchar not null,
                        _loaded_at timestamp not null
                        {self.table_key}
                    )"""
            )
            self._execute(
                f"""create or replace view {table_for(obj, "_current")} as
                    select record_id, record_version, payload, _run_id, _loaded_at
                    from (
                        select *, row_number() over (
                            partition by record_id order by record_version desc, _loaded_at desc) as _rank
                        from {table_for(obj)}
                    ) as versions
                    where _rank = 1"""
            )

    def begin_night(self, run_id: str, as_of: datetime) -> None:
        """Record the night being built (dbt's models read its as-of from ``raw_meta.night``)."""
        as_of_utc = as_of.astimezone(UTC).replace(tzinfo=None) if as_of.tzinfo else as_of
        with self._transaction():
            self._execute("delete from raw_meta.night")
            self._execute("insert into raw_meta.night values (?, ?, ?)", [run_id, as_of_utc, utcnow()])

    def night(self) -> tuple[str, datetime] | None:
        """The night being built: its run id and when it was opened (naive UTC); None before any."""
        rows = self._execute("select run_id, started_at from raw_meta.night")
        return (rows[0][0], rows[0][1]) if rows else None

    def night_as_of(self) -> datetime | None:
        """The as-of of the night being built (naive UTC), None before any night."""
        rows = self._execute("select max(as_of) from raw_meta.night")
        return rows[0][0] if rows else None

    def record_publish(self, project: str) -> None:
        """Note that tonight's marts were published, built by the project whose fingerprint is given."""
        with self._transaction():
            self._execute("delete from raw_meta.published")
            self._execute(
                "insert into raw_meta.published select run_id, as_of, ?, ? from raw_meta.night", [project, utcnow()]
            )

    def record_build(self, project: str) -> None:
        """Note that tonight's dbt build succeeded, built by the project whose fingerprint is given."""
        with self._transaction():
            self._execute("delete from raw_meta.builds")
            self._execute("insert into raw_meta.builds select as_of, ?, ? from raw_meta.night", [project, utcnow()])

    def full_refresh_reason(self, project: str) -> str | None:
        """Why tonight's build must rebuild every incremental model from scratch, None when it
        need not: no build succeeded on this warehouse yet, the last one was built by another
        project (a model, a policy seed or the org's configuration changed), or it was of a
        later as-of (tonight replays an earlier night)."""
        rows = self._execute(
            "select b.project, b.as_of > (select max(as_of) from raw_meta.night) from raw_meta.builds as b"
        )
        if not rows:
            return "no build of this warehouse succeeded yet"
        built_by, later = rows[0]
        if built_by != project:
            return "the project or the org's configuration changed since the last build"
        if later:
            return "tonight replays an earlier as-of than the last build's"
        return None

    def empty_relations(self, relations: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Of the given (schema, name) relations, those that exist and hold no row (one query)."""
        wanted = sorted(set(relations))
        if not wanted:
            return set()
        existing = {
            (schema.lower(), name.lower())
            for schema, name in self._execute("select table_schema, table_name from information_schema.tables")
        }
        present = [(schema, name) for schema, name in wanted if (schema.lower(), name.lower()) in existing]
        if not present:
            return set()
        branches = " union all ".join(
            f'select {i} where not exists (select 1 from {schema}."{name}")' for i, (schema, name) in enumerate(present)
        )
        return {present[row[0]] for row in self._execute(branches)}

    def unchanged_since_publish(self, project: str) -> bool:
        """Whether the last published night had tonight's as-of and project, and nothing was
        loaded or quarantined since: rebuilding would then give the same marts."""
        rows = self._execute(
            """select count(*) from raw_meta.published as p
               where p.as_of = (select max(as_of) from raw_meta.night) and p.project = ?
                 and not exists (select 1 from raw_meta.loads as l
                                 where l.loaded_at > p.published_at and (l.loaded > 0 or l.quarantined > 0))""",
            [project],
        )
        return rows[0][0] == 1

    def watermark(self, obj: SourceObject) -> str | None:
        rows = self._execute(
            "select watermark from raw_meta.watermarks where system = ? and object = ?", [obj.system, obj.name]
        )
        return rows[0][0] if rows else None

    def write_page(
        self,
        obj: SourceObject,
        records: Iterable[Version],
        rejected: Iterable[Rejected],
        run_id: str,
        watermark: str | None,
    ) -> PageResult:
        """Insert (record_id, record_version, record) triples not already stored, write the
        quarantine rows (whole records not in ``records``, fields of records in it) and move the
        watermark: all in one transaction."""
        now = utcnow()
        versions, bad = list(records), list(rejected)
        whole = sum(1 for item in bad if item.field is None)
        partly = len({item.record_id for item in bad if item.field is not None})
        result = PageResult(received=len(versions) + whole, quarantined=whole, partly_quarantined=partly)
        with self._transaction():
            if versions:
                result.loaded = self._insert_new_versions(obj, versions, run_id, now)
            for item in bad:
                self._execute(
                    f"insert into raw_meta.quarantine ({QUARANTINE_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [obj.system, obj.name, item.record_id, item.reason, item.payload, run_id, now, item.field],
                )
            if watermark is not None:
                self._set_watermark(obj, watermark, run_id, now)
        return result

    def _set_watermark(self, obj: SourceObject, watermark: str, run_id: str, now: datetime) -> None:
        self._execute(
            """insert into raw_meta.watermarks (system, object, watermark, run_id, updated_at) values (?, ?, ?, ?, ?)
               on conflict (system, object) do update set watermark = excluded.watermark,
                   run_id = excluded.run_id, updated_at = excluded.updated_at""",
            [obj.system, obj.name, watermark, run_id, now],
        )

    def write_checked_chunk(
        self, obj: SourceObject, checking: ChunkCheck, run_id: str, watermark: str | None
    ) -> tuple[PageResult, str | None]:
        """Land one CSV chunk of a bulk extract set-based: its checks (``checking``) type and check
        every record in DuckDB, then the loadable versions, the quarantine and the watermark are
        written in one transaction. Returns the result and the watermark after the chunk. Here
        the checks run in a DuckDB of their own and the rows are handed to :meth:`write_page`; a
        store on DuckDB does it all inside the warehouse."""
        with duckdb.connect(config=duckdb_config()) as con:
            rows = con.execute(checking(con)).fetchall()
        good = [(rid, version, json.loads(payload)) for rid, version, _, reason, payload, _ in rows if not reason]
        bad = [Rejected(rid, reason, payload) for rid, _, _, reason, payload, _ in rows if reason]
        bad += [
            Rejected(rid, p["reason"], json.dumps(p["received"]), p["field"])
            for rid, *_, problems in rows
            for p in problems
        ]
        latest = max((r for r in rows if not r[3] and r[2] is not None), key=lambda r: r[2], default=None)
        watermark = later_watermark(watermark, latest[1] if latest else None, latest[2] if latest else None)
        return self.write_page(obj, good, bad, run_id, watermark), watermark

    def record_load(self, obj: SourceObject, run_id: str, result: PageResult) -> None:
        self._execute(
            """insert into raw_meta.loads (system, object, run_id, received, loaded, quarantined, loaded_at,
                   partly_quarantined, skipped, window_from, window_to) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                obj.system,
                obj.name,
                run_id,
                result.received,
                result.loaded,
                result.quarantined,
                utcnow(),
                result.partly_quarantined,
                result.skipped,
                result.window_from,
                result.window_to,
            ],
        )

    def record_schema_change(self, obj: SourceObject, field: str, change: str, run_id: str) -> None:
        self._execute(
            """insert into raw_meta.schema_changes (system, object, field, change, run_id, seen_at)
               values (?, ?, ?, ?, ?, ?)""",
            [obj.system, obj.name, field, change, run_id, utcnow()],
        )

    def known_fields(self, obj: SourceObject) -> set[str]:
        """Fields seen in the payloads of the latest load of ``obj`` (for drift detection)."""
        rows = self._execute(f"select payload from {table_for(obj)} order by _loaded_at desc limit 1")
        if not rows:
            return set()
        payload = rows[0][0]
        return set(payload if isinstance(payload, dict) else json.loads(payload))


def later_watermark(watermark: str | None, candidate: str | None, candidate_at: datetime | None) -> str | None:
    """The later of a watermark (text as received) and a candidate version with its instant."""
    if candidate is None or candidate_at is None:
        return watermark
    if watermark is None:
        return candidate
    return candidate if candidate_at > parse_instant(watermark) else watermark
