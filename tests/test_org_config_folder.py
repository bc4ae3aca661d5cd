"""The org's configuration folder composed over the shipped seeds: its files replace theirs by
name, ``lead_fields.csv`` is merged by role, and what cannot be used is said in words."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from leadflow import org_config
from leadflow.settings import PROJECT_ROOT

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def _composed(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(folder))
    relative = org_config.seed_path(DBT_PROJECT)
    assert relative is not None and not relative.is_absolute(), "inside the project: dbt writes over outside paths"
    return DBT_PROJECT / relative


def test_a_folder_replaces_seeds_by_name_and_merges_lead_fields_by_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lead_fields.csv").write_text("role,field\nmql_stamp,mql_date\nrejection_reason,\n")
    (tmp_path / "owner_time_zones.csv").write_text("owner_email,time_zone\nrep0@example.com,Europe/Berlin\n")
    seeds = _composed(tmp_path, monkeypatch)
    with (seeds / "lead_fields.csv").open() as handle:
        fields = {(row["system"], row["role"]): row["field"] for row in csv.DictReader(handle)}
    assert fields[("salesforce", "mql_stamp")] == fields[("hubspot", "mql_stamp")] == "mql_date"
    assert fields[("salesforce", "rejection_reason")] == "", "set empty: none"
    assert fields[("salesforce", "sql_stamp")] == "SQL_Date__c", "a role the folder leaves out keeps its default"
    assert (seeds / "owner_time_zones.csv").read_text() == (tmp_path / "owner_time_zones.csv").read_text()
    shipped = DBT_PROJECT / "seeds" / "sla_policies.csv"
    assert (seeds / "sla_policies.csv").read_text() == shipped.read_text(), "a file not in the folder keeps its default"
    assert _composed(tmp_path, monkeypatch) == seeds, "the same configuration, the same folder"
    (tmp_path / "owner_time_zones.csv").write_text("owner_email,time_zone\n")
    assert _composed(tmp_path, monkeypatch) != seeds, "a changed configuration, a new folder"


def test_what_a_folder_cannot_mean_is_said_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lead_stages.csv").write_text("field,value,lifecycle_stage\n")
    with pytest.raises(org_config.OrgConfigError, match="lead_stages.csv: no shipped seed of that name"):
        _composed(tmp_path, monkeypatch)
    (tmp_path / "lead_stages.csv").unlink()
    (tmp_path / "lead_fields.csv").write_text("role,field\nmql_date,mql_date\n")
    with pytest.raises(org_config.OrgConfigError, match="unknown roles mql_date"):
        _composed(tmp_path, monkeypatch)
    monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(tmp_path / "nowhere"))
    with pytest.raises(org_config.OrgConfigError, match="no such folder"):
        org_config.seed_path(DBT_PROJECT)
