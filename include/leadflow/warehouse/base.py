"""The warehouse seam's interface (:class:`Warehouse`), which each engine implements; the package
(:mod:`leadflow.warehouse`) picks the implementation.

The warehouse seam: where the night writes, where BI reads, and how one becomes the other.

The night writes only the *work* warehouse (raw, staging, intermediate, marts). BI tools read
only the *published* one, which holds the ``marts`` schema; publishing moves a night from one to
the other atomically (write-audit-publish). Two implementations, chosen once from the
environment by ``LEADFLOW_DBT_TARGET`` (the dbt target of the same name):

* ``duckdb`` (:mod:`.duckdb`): one machine, two DuckDB files;
* ``postgres`` (:mod:`.postgres`): the scale-out shape, two PostgreSQL databases.

Everything that depends on the engine lives behind :class:`Warehouse`: reading frames, the raw
store, listing and publishing the marts, and what dbt's profile needs. Nothing outside this
package asks which engine it is talking to.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from leadflow.raw import RawStore

if TYPE_CHECKING:  # the DAG file builds a warehouse: pandas is imported where frames are made
    import pandas as pd

MARTS = "marts"


class UnknownTarget(ValueError):
    """``LEADFLOW_DBT_TARGET`` names no warehouse implementation."""


class WarehouseBusy(RuntimeError):
    """Another writer held the work warehouse for longer than the writer lock waits."""


def lock_wait_seconds() -> float:
    """How long a writing step waits for the warehouse (``LEADFLOW_LOCK_WAIT_SECONDS``, default 600)."""
    return float(os.environ.get("LEADFLOW_LOCK_WAIT_SECONDS", "600"))


class Warehouse(ABC):
    """A work warehouse and its published counterpart."""

    target: ClassVar[str]  # the dbt target (profiles.yml) that builds this warehouse

    @property
    @abstractmethod
    def work(self) -> Any:
        """The work warehouse's location (a file or a database; printable, no secrets)."""

    @property
    @abstractmethod
    def published(self) -> Any:
        """The published warehouse's location (printable, no secrets)."""

    @property
    @abstractmethod
    def bi_uri(self) -> str:
        """The published warehouse as a SQLAlchemy URL, read-only where the engine can say so:
        what a BI tool connects to (no secrets; a password is the BI tool's to keep)."""

    @property
    @abstractmethod
    def dbt_env(self) -> dict[str, str]:
        """What dbt's profile needs beyond the environment the worker already has."""

    @abstractmethod
    def default_reports(self, home: Path) -> Path:
        """Where reports go unless ``LEADFLOW_REPORTS_DIR`` says otherwise."""

    @abstractmethod
    def read_frame(self, sql: str, *, published: bool = False) -> pd.DataFrame:
        """Run a query over a read-only connection to the work (or published) warehouse."""

    @abstractmethod
    def raw_store(self) -> AbstractContextManager[RawStore]:
        """The raw layer of the work warehouse, open for writing, closed after use."""

    @abstractmethod
    def writer(self, holder: str) -> AbstractContextManager[None]:
        """Held by every step that writes the work warehouse (``holder`` says who, for the message
        another writer gets). Waits up to :func:`lock_wait_seconds`, then raises WarehouseBusy
        naming the holder; released when the block ends or the process dies."""

    @abstractmethod
    def publish(self) -> dict[str, int]:
        """Copy every table of the work warehouse's ``marts`` schema into the published one,
        atomically for readers. Returns rows per mart."""

    def has_published(self) -> bool:
        """Whether BI has published marts to read (none before the first publish, or once someone
        removed them)."""
        return bool(self.mart_tables(published=True))

    def mart_tables(self, *, published: bool = False) -> list[str]:
        """The tables of the ``marts`` schema, by name."""
        frame = self.read_frame(
            f"""select table_name from information_schema.tables
                where table_schema = '{MARTS}' and table_type = 'BASE TABLE' order by table_name""",
            published=published,
        )
        return frame.table_name.tolist()
