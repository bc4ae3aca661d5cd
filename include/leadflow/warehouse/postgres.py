"""The PostgreSQL warehouse (the scale-out shape): two databases on one server.

The night writes the *work* database (raw, staging, intermediate, marts; the dbt target) and
BI tools read the *published* database, which holds only the ``marts`` schema, exactly as in the
DuckDB shape's two files. Publishing copies the marts into ``marts_next`` and then, in one short
transaction, renames ``marts`` away and ``marts_next`` to ``marts``. A rename does not wait for
readers: a query running on yesterday's tables finishes on them, the next query sees tonight's.
Yesterday's schema is dropped after the swap only if no reader still holds it (``lock_timeout``);
otherwise it is left for the next night to drop.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import execute_values

from leadflow.raw import RawStore, Version, table_for
from leadflow.sources import SourceObject
from leadflow.warehouse.base import MARTS, Warehouse

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

NEXT = "marts_next"
RETIRED_PREFIX = "marts_retired_"
COPY_MEMORY = 64 * 1024 * 1024  # bytes of one table kept in memory while copying, then spooled to disk
DROP_LOCK_TIMEOUT = "5s"

# numeric -> float on reading frames (GX, pandas and matplotlib want numbers, not Decimals)
_NUMERIC_AS_FLOAT = psycopg2.extensions.new_type(
    psycopg2.extensions.DECIMAL.values, "LEADFLOW_NUMERIC", lambda value, _: None if value is None else float(value)
)
_TEMPORAL = set(psycopg2.extensions.PYDATE.values) | set(psycopg2.extensions.PYDATETIME.values)


@dataclass(frozen=True)
class PostgresDatabase:
    """One database of the PostgreSQL warehouse; the password never appears in str() or repr()."""

    host: str
    port: int
    user: str
    dbname: str
    password: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def connect(self, read_only: bool = False) -> psycopg2.extensions.connection:
        con = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=self.dbname,
            application_name="leadflow",
            options="-c timezone=UTC",
        )
        if read_only:
            con.set_session(readonly=True, autocommit=True)
        return con

    @classmethod
    def from_environment(cls, dbname: str) -> PostgresDatabase:
        """The server from ``LEADFLOW_PG_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD`` (dbt's profile
        reads the same variables)."""
        return cls(
            host=os.environ.get("LEADFLOW_PG_HOST", "127.0.0.1"),
            port=int(os.environ.get("LEADFLOW_PG_PORT", "5432")),
            user=os.environ.get("LEADFLOW_PG_USER", "postgres"),
            password=os.environ.get("LEADFLOW_PG_PASSWORD", ""),
            dbname=dbname,
        )


def read_frame(database: PostgresDatabase, query: str) -> pd.DataFrame:
    """Run a query over a read-only connection and return a DataFrame (the connection is closed)."""
    import pandas as pd

    con = database.connect(read_only=True)
    try:
        psycopg2.extensions.register_type(_NUMERIC_AS_FLOAT, con)
        with con.cursor() as cur:
            cur.execute(query)
            frame = pd.DataFrame(cur.fetchall(), columns=[column.name for column in cur.description])
            temporal = [column.name for column in cur.description if column.type_code in _TEMPORAL]
    finally:
        con.close()
    for column in temporal:  # datetime64, as the DuckDB reader gives them
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _mart_tables(con: psycopg2.extensions.connection) -> list[tuple[str, str]]:
    """(table, column definitions) of every table in the work database's marts schema."""
    with con.cursor() as cur:
        cur.execute(
            """select c.relname,
                      string_agg(format('%%I %%s', a.attname, format_type(a.atttypid, a.atttypmod)), ', '
                                 order by a.attnum)
               from pg_class as c
               inner join pg_namespace as n on n.oid = c.relnamespace
               inner join pg_attribute as a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
               where n.nspname = %s and c.relkind in ('r', 'p')
               group by c.relname
               order by c.relname""",
            [MARTS],
        )
        return cur.fetchall()


def _rename_schema(cur: psycopg2.extensions.cursor, old: str, new: str) -> None:
    cur.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(old), sql.Identifier(new)))


def _retire_old_schemas(con: psycopg2.extensions.connection) -> None:
    """Drop schemas swapped out by earlier publishes, unless a reader still holds them."""
    with con.cursor() as cur:
        cur.execute("select nspname from pg_namespace where nspname like %s", [RETIRED_PREFIX + "%"])
        retired = [name for (name,) in cur.fetchall()]
    for name in retired:
        try:
            with con.cursor() as cur:
                cur.execute(f"set local lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
            con.commit()
        except psycopg2.errors.LockNotAvailable:
            con.rollback()
            log.warning("%s is still read by someone; it will be dropped by a later publish", name)


def publish(work: PostgresDatabase, published: PostgresDatabase, reader_role: str | None = None) -> dict[str, int]:
    """Copy every table of the work database's marts schema into the published database and swap
    it in atomically. Returns rows per mart."""
    rows: dict[str, int] = {}
    source = work.connect(read_only=True)
    target = published.connect()
    try:
        with target.cursor() as cur:
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(NEXT)))  # a failed night's
            cur.execute(sql.SQL("create schema {}").format(sql.Identifier(NEXT)))
            for table, columns in _mart_tables(source):
                name = sql.Identifier(NEXT, table)
                cur.execute(sql.SQL("create table {} ({})").format(name, sql.SQL(columns)))
                with tempfile.SpooledTemporaryFile(max_size=COPY_MEMORY) as buffer, source.cursor() as read:
                    read.copy_expert(
                        sql.SQL("copy {} to stdout (format binary)").format(sql.Identifier(MARTS, table)), buffer
                    )
                    buffer.seek(0)
                    cur.copy_expert(sql.SQL("copy {} from stdin (format binary)").format(name), buffer)
                cur.execute(sql.SQL("select count(*) from {}").format(name))
                rows[table] = cur.fetchall()[0][0]
            if reader_role:
                role = sql.Identifier(reader_role)
                cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(NEXT), role))
                cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(NEXT), role))
            target.commit()

            # the swap: two renames, no wait on readers
            cur.execute("select 1 from pg_namespace where nspname = %s", [MARTS])
            if cur.fetchall():
                retired = RETIRED_PREFIX + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
                _rename_schema(cur, MARTS, retired)
            _rename_schema(cur, NEXT, MARTS)
            target.commit()
        _retire_old_schemas(target)
    finally:
        source.close()
        target.close()
    return rows


@dataclass(frozen=True)
class PostgresWarehouse(Warehouse):
    work_database: PostgresDatabase
    published_database: PostgresDatabase
    reader_role: str | None = None  # granted read access to each newly published marts schema

    target: ClassVar[str] = "postgres"

    @classmethod
    def from_environment(cls) -> PostgresWarehouse:
        """``LEADFLOW_PG_DATABASE`` (work, default ``leadflow_work``), ``LEADFLOW_PG_PUBLISHED_DATABASE``
        (default ``leadflow``) and ``LEADFLOW_PG_READER_ROLE`` (optional)."""
        return cls(
            PostgresDatabase.from_environment(os.environ.get("LEADFLOW_PG_DATABASE", "leadflow_work")),
            PostgresDatabase.from_environment(os.environ.get("LEADFLOW_PG_PUBLISHED_DATABASE", "leadflow")),
            os.environ.get("LEADFLOW_PG_READER_ROLE") or None,
        )

    @property
    def work(self) -> PostgresDatabase:
        return self.work_database

    @property
    def published(self) -> PostgresDatabase:
        return self.published_database

    @property
    def bi_uri(self) -> str:
        return str(self.published_database)

    @property
    def dbt_env(self) -> dict[str, str]:
        return {}  # the profile reads the LEADFLOW_PG_* variables the worker already has

    def default_reports(self, home: Path) -> Path:
        return home / "warehouse" / "reports"

    def read_frame(self, sql: str, *, published: bool = False) -> pd.DataFrame:
        return read_frame(self.published_database if published else self.work_database, sql)

    @contextmanager
    def raw_store(self) -> Iterator[RawStore]:
        con = self.work_database.connect()
        try:
            yield PostgresRawStore(con)
        finally:
            con.close()

    @contextmanager
    def writer(self, holder: str) -> Iterator[None]:
        """PostgreSQL takes concurrent writers: the raw store's inserts are idempotent and its
        schema changes serialised (an advisory lock), so writing steps run side by side here."""
        yield

    def publish(self) -> dict[str, int]:
        return publish(self.work_database, self.published_database, self.reader_role)


class PostgresRawStore(RawStore):
    json_type = "jsonb"
    table_key = ", primary key (record_id, record_version)"

    def __init__(self, con: psycopg2.extensions.connection) -> None:
        con.autocommit = True  # transactions are explicit
        self.con = con
        super().__init__()

    def _execute(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(statement.replace("?", "%s"), parameters or None)
            return cur.fetchall() if cur.description else []

    @contextmanager
    def _ddl(self) -> Iterator[None]:
        # parallel extract tasks may create the same schema at once: serialise schema changes
        with self._transaction():
            self._execute("select pg_advisory_xact_lock(hashtext('leadflow.raw ddl'))")
            yield

    def _insert_new_versions(self, obj: SourceObject, versions: list[Version], run_id: str, now: datetime) -> int:
        with self.con.cursor() as cur:
            inserted = execute_values(
                cur,
                f"""insert into {table_for(obj)} (record_id, record_version, payload, _run_id, _loaded_at)
                    values %s on conflict do nothing returning 1""",
                [(rid, version, json.dumps(rec, ensure_ascii=False), run_id, now) for rid, version, rec in versions],
                page_size=len(versions),
                fetch=True,
            )
        return len(inserted)
