"""The DuckDB warehouse (one machine): two files.

The night writes the *work* file (raw, staging, intermediate, marts). BI tools read the
*published* file, which holds only the ``marts`` schema. Publishing copies the marts into a new
file beside the published one and renames it over it, so a reader holding the old file keeps
reading a consistent old state, a new reader sees the new state, and nobody ever sees half a
night. If a night fails before publishing, yesterday's published file is untouched. The published
file is written in a storage format BI tools' DuckDB 1.x drivers read
(:func:`publish_storage_version`); the work file in DuckDB's own.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from leadflow.duckdb_settings import duckdb_config
from leadflow.raw import (
    QUARANTINE_COLUMNS,
    ChunkCheck,
    PageResult,
    RawStore,
    Version,
    later_watermark,
    table_for,
    utcnow,
)
from leadflow.sources import SourceObject
from leadflow.warehouse.base import MARTS, Warehouse, WarehouseBusy, lock_wait_seconds

if TYPE_CHECKING:
    import pandas as pd


def _quoted(path: Path) -> str:
    """A path as an SQL string literal (a directory may contain a quote)."""
    return "'" + str(path).replace("'", "''") + "'"


# The oldest DuckDB storage format: every DuckDB 1.x client reads it (BI drivers bundle 1.x
# releases: Evidence's node-api 1.4, Metabase's driver, many duckdb-engine installs); DuckDB 2.0's
# own format is unreadable to them.
PUBLISH_STORAGE_VERSION = "v1.0.0"


def publish_storage_version() -> str:
    """The storage format of the published DuckDB file (``LEADFLOW_PUBLISH_STORAGE_VERSION``, e.g.
    ``v1.4.0`` for clients of 1.4 and later, which reads faster and is smaller)."""
    version = os.environ.get("LEADFLOW_PUBLISH_STORAGE_VERSION", PUBLISH_STORAGE_VERSION)
    if not re.fullmatch(r"v\d+\.\d+\.\d+", version):
        raise ValueError(f"LEADFLOW_PUBLISH_STORAGE_VERSION={version!r}: expected a DuckDB version such as v1.0.0")
    return version


@dataclass(frozen=True)
class DuckDBWarehouse(Warehouse):
    work_path: Path
    published_path: Path

    target: ClassVar[str] = "duckdb"

    @classmethod
    def from_environment(cls, home: Path) -> DuckDBWarehouse:
        """``LEADFLOW_WAREHOUSE`` (published; default ``warehouse/leadflow.duckdb`` in the project)
        and ``LEADFLOW_WORK_WAREHOUSE`` (default ``<published stem>.work.duckdb`` beside it)."""
        published = Path(os.environ.get("LEADFLOW_WAREHOUSE", home / "warehouse" / "leadflow.duckdb"))
        work = os.environ.get("LEADFLOW_WORK_WAREHOUSE")
        return cls.beside(published, Path(work) if work else None)

    @classmethod
    def beside(cls, published: Path, work: Path | None = None) -> DuckDBWarehouse:
        """The published file and its work file (default ``<published stem>.work.duckdb`` beside it)."""
        published = published.resolve()
        return cls((work or published.with_name(f"{published.stem}.work.duckdb")).resolve(), published)

    @property
    def work(self) -> Path:
        return self.work_path

    @property
    def published(self) -> Path:
        return self.published_path

    @property
    def bi_uri(self) -> str:
        return f"duckdb:///{self.published_path}?access_mode=read_only"  # duckdb-engine's config

    @property
    def dbt_env(self) -> dict[str, str]:
        return {"LEADFLOW_WORK_WAREHOUSE": str(self.work_path)}

    def default_reports(self, home: Path) -> Path:
        return self.published_path.parent / "reports"

    def has_published(self) -> bool:
        return self.published_path.exists() and super().has_published()

    def read_frame(self, sql: str, *, published: bool = False) -> pd.DataFrame:
        path = self.published_path if published else self.work_path
        with duckdb.connect(str(path), read_only=True, config=duckdb_config()) as con:
            return con.execute(sql).df()

    @contextmanager
    def raw_store(self) -> Iterator[RawStore]:
        self.work_path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.work_path), config=duckdb_config()) as con:
            self.work_path.chmod(0o600)  # raw payloads hold personal data (a file made before 0600 too)
            con.execute("set TimeZone = 'UTC'")
            yield DuckDBRawStore(con)

    @contextmanager
    def writer(self, holder: str) -> Iterator[None]:
        """DuckDB allows one writing process per file: an exclusive ``flock`` on ``<work>.lock``
        (the kernel releases it when the process dies, even by kill -9), which says who holds it."""
        lock = self.work_path.with_name(f"{self.work_path.name}.lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + lock_wait_seconds()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        held_by = os.pread(fd, 1024, 0).decode(errors="replace").strip() or "another process"
                        raise WarehouseBusy(f"{self.work_path} is held by {held_by}; gave up waiting") from None
                    time.sleep(0.2)
            os.ftruncate(fd, 0)
            since = datetime.now(UTC).isoformat(timespec="seconds")
            os.pwrite(fd, f"{holder} (pid {os.getpid()} on {socket.gethostname()}, since {since})".encode(), 0)
            yield
        finally:
            os.close(fd)

    def publish(self) -> dict[str, int]:
        published = self.published_path
        published.parent.mkdir(parents=True, exist_ok=True)
        staging = published.with_name(f".{published.name}.publishing")
        staging.unlink(missing_ok=True)
        rows: dict[str, int] = {}
        tables = self.mart_tables()
        with duckdb.connect(config=duckdb_config()) as con:
            con.execute(f"attach {_quoted(staging)} as pub (storage_version '{publish_storage_version()}')")
            con.execute(f"attach {_quoted(self.work_path)} as work (read_only)")
            con.execute(f"create schema pub.{MARTS}")
            for table in tables:
                con.execute(f"create table pub.{MARTS}.{table} as select * from work.{MARTS}.{table}")
                rows[table] = con.execute(f"select count(*) from pub.{MARTS}.{table}").fetchall()[0][0]
            con.execute("detach work")
            con.execute("detach pub")  # checkpoints it
        os.replace(staging, published)
        return rows


def _not_landed(obj: SourceObject, alias: str, versions: str) -> str:
    """SQL: the version ``alias`` (a row of the relation ``versions``) is not in ``obj``'s raw
    table yet. The raw rows probed are those within the versions' range (a version equal to one
    of them is within it), right whatever the order; raw is landed nearly in stamp order (the
    queries ask for it), so DuckDB reads the row groups of that range only, instead of hashing
    the whole table for every chunk (at a million leads, 3.5 million history rows 70 times)."""
    return f"""not exists (
        select 1 from {table_for(obj)} as r
        where r.record_version between (select min(record_version) from {versions})
                                   and (select max(record_version) from {versions})
          and r.record_id = {alias}.record_id and r.record_version = {alias}.record_version
    )"""


class DuckDBRawStore(RawStore):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        super().__init__()

    def _tables_with_column(self, schema: str, column: str) -> set[str]:
        # DuckDB's information_schema.columns lists every column of the warehouse before it
        # filters (30 ms on a 10,000-lead warehouse, at every open); duckdb_columns() takes 3
        rows = self._execute(
            "select table_name from duckdb_columns() where schema_name = ? and column_name = ?", [schema, column]
        )
        return {name for (name,) in rows}

    def _execute(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        result = self.con.execute(statement, parameters)
        return result.fetchall() if result.description else []

    def write_checked_chunk(
        self, obj: SourceObject, checking: ChunkCheck, run_id: str, watermark: str | None
    ) -> tuple[PageResult, str | None]:
        checked = checking(self.con)
        self._execute(f"create or replace temp table chunk as {checked}")
        try:
            received, rejected, partly, latest, latest_at = self._execute(
                """select count(*), count(reason), count(*) filter (where len(problems) > 0),
                          arg_max(record_version, stamp_at) filter (where reason is null),
                          max(stamp_at) filter (where reason is null)
                   from chunk"""
            )[0]
            watermark = later_watermark(watermark, latest, latest_at)
            now = utcnow()
            with self._transaction():
                self._execute(
                    f"""insert into raw_meta.quarantine ({QUARANTINE_COLUMNS})
                        select ?, ?, record_id, reason, payload, ?, ?, null from chunk where reason is not null
                        union all
                        select ?, ?, record_id, p.reason, to_json(p.received)::varchar, ?, ?, p.field
                        from (select record_id, unnest(problems) as p from chunk)""",
                    [obj.system, obj.name, run_id, now, obj.system, obj.name, run_id, now],
                )
                loaded = self._execute(
                    f"""insert into {table_for(obj)}
                        select c.record_id, c.record_version, c.payload::json, ?, ?
                        from chunk as c
                        where c.reason is null and {_not_landed(obj, "c", "chunk")}""",
                    [run_id, now],
                )[0][0]
                if watermark is not None:
                    self._set_watermark(obj, watermark, run_id, now)
        finally:
            self._execute("drop table if exists chunk")
            self._execute("drop table if exists chunk_text")
        return PageResult(received, loaded, rejected, partly), watermark

    def _insert_new_versions(self, obj: SourceObject, versions: list[Version], run_id: str, now: datetime) -> int:
        import pandas as pd

        frame = pd.DataFrame(
            [(rid, version, json.dumps(rec, ensure_ascii=False)) for rid, version, rec in versions],
            columns=["record_id", "record_version", "payload"],
        )
        self.con.register("page_frame", frame)
        try:
            return self._execute(
                f"""insert into {table_for(obj)}
                    select distinct on (p.record_id, p.record_version)
                           p.record_id, p.record_version, p.payload::json, ?, ?
                    from page_frame as p
                    where {_not_landed(obj, "p", "page_frame")}""",
                [run_id, now],
            )[0][0]
        finally:
            self.con.unregister("page_frame")
