"""The raw layer: every record version received, append-only, with load metadata.

One table per source object (``raw_salesforce.lead``, ``raw_marketo.activities``, ...) holding
the record as the API returned it (``payload``, JSON) plus the columns the loader needs:

* ``record_id`` and ``record_version`` (the object's stamp as text): a version is stored once;
  re-loading a page adds nothing (idempotent, so a retried or resumed night never duplicates);
* ``_run_id``, ``_loaded_at``: which night brought it.

``<object>_current`` is a view of each record's latest version received (for ad-hoc reading;
the dbt staging models apply the run's as-of time themselves).

``raw_meta.watermarks`` keeps each object's high-water mark, written in the same transaction
as the page it covers, so a watermark never runs ahead of committed data.
``raw_meta.quarantine`` keeps every record that could not be loaded, with the reason.
Staging models read the JSON payload, so a field added at the source lands without a code change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from leadflow.fixtures import FixtureObject

META_DDL = """
create schema if not exists raw_meta;
create table if not exists raw_meta.watermarks (
    object varchar primary key,
    watermark varchar,
    run_id varchar,
    updated_at timestamp
);
create table if not exists raw_meta.quarantine (
    object varchar,
    record_id varchar,
    reason varchar,
    payload varchar,
    run_id varchar,
    quarantined_at timestamp
);
create table if not exists raw_meta.loads (
    object varchar,
    run_id varchar,
    received integer,
    loaded integer,
    quarantined integer,
    loaded_at timestamp
);
create table if not exists raw_meta.schema_changes (
    object varchar,
    field varchar,
    change varchar,
    run_id varchar,
    seen_at timestamp
);
"""


def schema_for(obj: FixtureObject) -> str:
    return f"raw_{obj.system}"


def table_for(obj: FixtureObject) -> str:
    return f"{schema_for(obj)}.{obj.name.lower()}"


@dataclass(frozen=True)
class Rejected:
    record_id: str | None
    reason: str
    payload: str


@dataclass
class PageResult:
    received: int = 0
    loaded: int = 0
    quarantined: int = 0

    def add(self, other: PageResult) -> None:
        self.received += other.received
        self.loaded += other.loaded
        self.quarantined += other.quarantined


class RawStore:
    """Writes pages of records into the raw layer of a DuckDB warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.con.execute(META_DDL)

    def ensure_table(self, obj: FixtureObject) -> None:
        self.con.execute(f"create schema if not exists {schema_for(obj)}")
        self.con.execute(
            f"""create table if not exists {table_for(obj)} (
                    record_id varchar not null,
                    record_version varchar not null,
                    payload json not null,
                    _run_id varchar not null,
                    _loaded_at timestamp not null
                )"""
        )
        self.con.execute(
            f"""create view if not exists {table_for(obj)}_current as
                select * from {table_for(obj)}
                qualify row_number() over (
                    partition by record_id order by record_version desc, _loaded_at desc) = 1"""
        )

    def watermark(self, obj: FixtureObject) -> str | None:
        rows = self.con.execute("select watermark from raw_meta.watermarks where object = ?", [obj.name]).fetchall()
        return rows[0][0] if rows else None

    def write_page(
        self,
        obj: FixtureObject,
        records: Iterable[tuple[str, str, dict[str, Any]]],
        rejected: Iterable[Rejected],
        run_id: str,
        watermark: str | None,
    ) -> PageResult:
        """Insert (record_id, record_version, record) triples not already stored, quarantine the
        rejected ones and move the watermark: all in one transaction."""
        now = datetime.now(UTC).replace(tzinfo=None)
        frame = pd.DataFrame(
            [(rid, version, json.dumps(rec, ensure_ascii=False)) for rid, version, rec in records],
            columns=["record_id", "record_version", "payload"],
        )
        bad = list(rejected)
        result = PageResult(received=len(frame) + len(bad), quarantined=len(bad))
        self.con.begin()
        try:
            if len(frame):
                self.con.register("page_frame", frame)
                inserted = self.con.execute(
                    f"""insert into {table_for(obj)}
                        select distinct on (p.record_id, p.record_version)
                               p.record_id, p.record_version, p.payload::json, ?, ?
                        from page_frame as p
                        where not exists (
                            select 1 from {table_for(obj)} as r
                            where r.record_id = p.record_id and r.record_version = p.record_version
                        )""",
                    [run_id, now],
                ).fetchall()
                result.loaded = inserted[0][0]
                self.con.unregister("page_frame")
            for item in bad:
                self.con.execute(
                    "insert into raw_meta.quarantine values (?, ?, ?, ?, ?, ?)",
                    [obj.name, item.record_id, item.reason, item.payload, run_id, now],
                )
            if watermark is not None:
                self.con.execute(
                    """insert into raw_meta.watermarks values (?, ?, ?, ?)
                       on conflict (object) do update set watermark = excluded.watermark,
                           run_id = excluded.run_id, updated_at = excluded.updated_at""",
                    [obj.name, watermark, run_id, now],
                )
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise
        return result

    def record_load(self, obj: FixtureObject, run_id: str, result: PageResult) -> None:
        self.con.execute(
            "insert into raw_meta.loads values (?, ?, ?, ?, ?, ?)",
            [
                obj.name,
                run_id,
                result.received,
                result.loaded,
                result.quarantined,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )

    def record_schema_change(self, obj: FixtureObject, field: str, change: str, run_id: str) -> None:
        self.con.execute(
            "insert into raw_meta.schema_changes values (?, ?, ?, ?, ?)",
            [obj.name, field, change, run_id, datetime.now(UTC).replace(tzinfo=None)],
        )

    def known_fields(self, obj: FixtureObject) -> set[str]:
        """Fields seen in the payloads of the latest load of ``obj`` (for drift detection)."""
        try:
            rows = self.con.execute(f"select payload from {table_for(obj)} order by _loaded_at desc limit 1").fetchall()
        except duckdb.CatalogException:
            return set()
        return set(json.loads(rows[0][0])) if rows else set()
