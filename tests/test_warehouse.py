"""The DuckDB warehouse on its own: publishing copies the marts, whatever the path looks like; one
writer at a time, and one night at a time."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from leadflow.warehouse import WarehouseBusy
from leadflow.warehouse.duckdb import DuckDBWarehouse


def test_publish_copies_every_mart_from_a_directory_with_a_quote(tmp_path: Path) -> None:
    home = tmp_path / "o'brien's warehouse"
    home.mkdir()
    warehouse = DuckDBWarehouse.beside(home / "leadflow.duckdb")
    with duckdb.connect(str(warehouse.work)) as con:
        con.execute("create schema marts; create table marts.mart_x as select range as n from range(3)")
        con.execute("create schema staging; create table staging.not_published as select 1 as n")
    assert warehouse.publish() == {"mart_x": 3}
    assert warehouse.mart_tables(published=True) == ["mart_x"]
    assert warehouse.read_frame("select sum(n) as s from marts.mart_x", published=True).s[0] == 3


def _hold(path: str, ready, release) -> None:  # in a child process
    with DuckDBWarehouse.beside(Path(path)).writer("dbt build of night N1"):
        ready.set()
        release.wait(30)


def test_one_writer_at_a_time_and_the_waiting_one_is_told_who(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LEADFLOW_LOCK_WAIT_SECONDS", "0.5")
    published = tmp_path / "leadflow.duckdb"
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(published), ready, release))
    holder.start()
    assert ready.wait(30)
    busy = pytest.raises(WarehouseBusy, match=rf"dbt build of night N1 \(pid {holder.pid} ")
    with busy, DuckDBWarehouse.beside(published).writer("open_night of night N2"):
        pass
    os.kill(holder.pid, signal.SIGKILL)  # a killed writer frees the warehouse at once
    holder.join()
    with DuckDBWarehouse.beside(published).writer("open_night of night N2"):
        pass


def test_a_night_opened_later_takes_the_warehouse_over(tmp_path: Path, monkeypatch) -> None:
    """Two deployments' nights on one warehouse never mix: the earlier night's next step stops."""
    from leadflow import nightly

    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(tmp_path / "leadflow.duckdb"))
    as_of = datetime(2026, 6, 30, 23, tzinfo=UTC)
    nightly.open_night(as_of, "deployment-a")
    nightly.open_night(as_of, "deployment-b")
    with pytest.raises(nightly.NightTakenOver, match="belongs to night deployment-b .*not to night deployment-a"):
        nightly.build_models("deployment-a")
    with pytest.raises(nightly.NightTakenOver, match="extract_salesforce_lead: .* not to night deployment-a"):
        nightly.extract("salesforce", "Lead", "deployment-a")
    with pytest.raises(nightly.NightTakenOver):
        nightly.publish("deployment-a")
    nightly.publish("deployment-b")  # the night that holds it goes on (nothing to publish yet)


def test_a_warehouse_from_before_systems_names_each_objects_system_when_opened(tmp_path: Path) -> None:
    """raw_meta once named objects alone; opening such a warehouse gives every row its system from
    the catalogue and the watermarks a key of system and object, with nothing lost."""
    from leadflow.sources import source_object

    warehouse = DuckDBWarehouse.beside(tmp_path / "leadflow.duckdb")
    with duckdb.connect(str(warehouse.work)) as con:
        con.execute(
            """create schema raw_meta;
               create table raw_meta.watermarks (object varchar primary key, watermark varchar, run_id varchar,
                                                 updated_at timestamp);
               insert into raw_meta.watermarks values ('Lead', '2026-06-01T00:00:00.000+0000', 'old', now()),
                                                      ('leads', '2026-06-02T00:00:00Z', 'old', now());
               create table raw_meta.quarantine (object varchar, record_id varchar, reason varchar, payload varchar,
                                                 run_id varchar, quarantined_at timestamp, field varchar);
               insert into raw_meta.quarantine values ('activities', '7', 'missing id', '{}', 'old', now(), null);"""
        )
    with warehouse.raw_store() as store:
        assert store.watermark(source_object("salesforce", "Lead")) == "2026-06-01T00:00:00.000+0000"
        assert store.watermark(source_object("marketo", "leads")) == "2026-06-02T00:00:00Z"
        store.write_page(source_object("marketo", "leads"), [], [], "new", "2026-06-03T00:00:00Z")
    with duckdb.connect(str(warehouse.work), read_only=True) as con:
        assert con.execute("select system, object, watermark from raw_meta.watermarks order by 1, 2").fetchall() == [
            ("marketo", "leads", "2026-06-03T00:00:00Z"),
            ("salesforce", "Lead", "2026-06-01T00:00:00.000+0000"),
        ]
        assert con.execute("select system, object from raw_meta.quarantine").fetchall() == [("marketo", "activities")]
