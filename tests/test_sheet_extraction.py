"""The lead-sheet extractor: a sheet lands in raw through the Sheets API (a service account's token,
exchanged with google-auth) or from a file, every row a version of tonight's night; Google's
rate limit is waited out, a sheet not shared or not found stops in words, and a cell that is not
what its column holds costs that cell only, named by row and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from leadflow import nightly
from leadflow.extract.http import ApiCredentials
from leadflow.extract.sheet import FIXED_COLUMNS, SheetError, lead_columns, records_of
from leadflow.settings import paths
from leadflow.sources import source_object, source_system
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import running_sandbox
from leadflow_dev.sandbox.sheets import SPREADSHEET_ID, write_service_account
from leadflow_dev.sheet_render import TEMPLATE, template_fixture, template_workbook

AS_OF = "2025-05-31T23:00:00Z"
NIGHT = "2025-05-31T23:00:00+00:00"


def _connect(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, connection: dict[str, Any]) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SHEET_DEFAULT", json.dumps({"conn_type": "http", **connection}))
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(tmp_path / "sheet.duckdb"))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(tmp_path / "reports"))


def _extract() -> dict[str, dict[str, Any]]:
    if not paths().warehouse.work.exists():
        nightly.open_night(parse_instant(AS_OF), "sheet-night")
    return {obj.name: nightly.extract("sheet", obj.name, "sheet-night") for obj in source_system("sheet").objects}


def _raw(query: str) -> list[tuple]:
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        return con.execute(query).fetchall()


def _template(tab: str) -> list[dict[str, str]]:
    with (TEMPLATE / f"{tab}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def template_sheet(tmp_path: Path) -> Path:
    return template_fixture(tmp_path / "fixture", AS_OF)


def test_a_sheet_lands_through_the_sheets_api_as_typed_rows_of_the_night(
    template_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF) as sandbox:
        _connect(monkeypatch, tmp_path, json.loads(sandbox.sheet_connection()))
        results = _extract()
    assert {name: (r["loaded"], r["quarantined"]) for name, r in results.items()} == {
        "Leads": (len(_template("Leads")), 0),
        "Owners": (len(_template("Owners")), 0),
        "Rates": (len(_template("Rates")), 0),
    }
    landed = _raw("select record_id, record_version, payload from raw_sheet.leads")
    rows = {rid: (version, json.loads(payload)) for rid, version, payload in landed}
    first = _template("Leads")[0]
    version, record = rows[first["Lead ID"]]
    assert version == NIGHT and record["_night"] == NIGHT and record["_row"] == 2
    # dates came as serial numbers and land as instants; numbers as numbers; text as typed
    assert record["mql_stamp"] == parse_instant(first["MQL Date"] + "Z").isoformat()
    assert record["employee_count"] == int(first["Employees"])
    assert record["owner_email"] == first["Owner Email"] and record["status"] == first["Status"]
    rates = dict(_raw("select record_id, payload from raw_sheet.rates"))
    assert set(rates) == {f"{r['Currency']}/{r['Start Date']}" for r in _template("Rates")}


def test_google_rate_limit_is_waited_out(template_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF, faults="429@1,429@2,429@4") as sandbox:
        _connect(monkeypatch, tmp_path, json.loads(sandbox.sheet_connection()))
        results = _extract()
        injected = sandbox.admin("faults")
    assert results["Leads"]["loaded"] == len(_template("Leads"))
    assert injected["injected"].get("429", 0) == 3, injected


def test_a_sheet_not_shared_with_the_key_or_not_found_stops_in_words(
    template_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF) as sandbox:
        connection = json.loads(sandbox.sheet_connection())
        stranger = write_service_account(tmp_path / "stranger", sandbox.url)  # a key of another account
        _connect(monkeypatch, tmp_path, {**connection, "password": stranger.read_text()})
        with pytest.raises(SheetError, match="make a new JSON key"):
            _extract()
        _connect(monkeypatch, tmp_path, {**connection, "extra": {**connection["extra"], "spreadsheet_id": "nope"}})
        with pytest.raises(SheetError, match="no spreadsheet nope"):
            _extract()
    assert SPREADSHEET_ID != "nope"


def test_the_sandbox_answers_a1_ranges_as_google_does(template_sheet: Path, tmp_path: Path) -> None:
    from leadflow.extract.sheet import SheetConnection

    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF) as sandbox:
        connection = json.loads(sandbox.sheet_connection())
        sheet = SheetConnection(
            ApiCredentials(sandbox.url, "", connection["password"], str(sandbox.ca_file)), SPREADSHEET_ID
        )
        session = sheet._session()
        asked = [("ranges", "'Owners'!A2:B3"), ("ranges", "Leads!A:A"), ("valueRenderOption", "UNFORMATTED_VALUE")]
        ranges = sheet._get(session, "/values:batchGet", asked)["valueRanges"]
    owners = _template("Owners")
    assert ranges[0]["values"] == [[o["Email"], o["Name"]] for o in owners]
    assert ranges[1]["values"] == [["Lead ID"], *([lead["Lead ID"]] for lead in _template("Leads"))]


def _cells(header: list[str], *rows: dict[str, Any]) -> list[list[Any]]:
    return [header, *([row.get(name, "") for name in header] for row in rows)]


def test_bad_cells_cost_the_cell_named_by_row_and_column(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = source_object("sheet", "Leads")
    header = next(csv.reader((TEMPLATE / "Leads.csv").open(encoding="utf-8")))
    good = {"Lead ID": "L-1", "Created": 45658.5, "Email": "a@x.example", "Status": "MQL", "Employees": 12}
    rows = _cells(
        header,
        good,
        {**good, "Lead ID": "L-2", "MQL Date": "next tuesday", "Employees": "a dozen"},
        {},  # an empty row is nothing
        {**good, "Lead ID": ""},
        {**good, "Lead ID": "l-1 "},
    )
    read = records_of(obj, rows, NIGHT)
    assert [r["lead_id"] for r in read.records] == ["L-1", "L-2"]
    assert read.records[0]["created_at"] == "2025-01-01T12:00:00+00:00"  # serial 45658 is 2025-01-01
    second = read.records[1]
    assert second["mql_stamp"] is None and second["employee_count"] is None and second["status"] == "MQL"
    reasons = {(r.record_id, r.field): r.reason for r in read.rejected}
    assert reasons[("L-2", "MQL Date")].startswith("row 3, column 'MQL Date': not a date: 'next tuesday'")
    assert reasons[("L-2", "Employees")].startswith("row 3, column 'Employees': not a whole number")
    assert reasons[(None, None)].startswith("row 5: no Lead ID")
    assert reasons[("l-1", None)].startswith("row 6: l-1 is also on row 2")


def test_a_configured_column_the_tab_lacks_is_quarantined_once_by_name() -> None:
    obj = source_object("sheet", "Leads")
    header = [name if name != "SQL Date" else "SQL Day" for name in lead_columns().values()]
    read = records_of(obj, [header, ["L-1", "2025-05-01"]], NIGHT)
    assert read.records[0]["sql_stamp"] is None and read.records[0]["SQL Day"] is None
    assert [(r.field, r.record_id) for r in read.rejected] == [("SQL Date", None)]
    assert "role sql_stamp" in read.rejected[0].reason
    with pytest.raises(SheetError, match="no column 'Lead ID'"):
        records_of(obj, [["Lead", "Created"], ["L-1", "2025-05-01"]], NIGHT)


def test_columns_match_ignoring_case_and_spaces() -> None:
    obj = source_object("sheet", "Owners")
    rows = [["  EMAIL ", "name", "TimeZone", "ACTIVE"], ["a@x.example", "A", "Europe/Paris", "no"]]
    read = records_of(obj, rows, NIGHT)
    owner = {"email": "a@x.example", "name": "A", "team": None, "time_zone": "Europe/Paris", "active": False}
    assert read.records == [{"_row": 2, "_night": NIGHT, **owner}]


@pytest.mark.parametrize("kind", ["xlsx", "csv folder"])
def test_a_file_lands_as_the_api_does(
    kind: str, template_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF) as sandbox:
        _connect(monkeypatch, tmp_path / "api", json.loads(sandbox.sheet_connection()))
        (tmp_path / "api").mkdir()
        _extract()
        by_api = _raw("select record_id, payload from raw_sheet.leads order by record_id")
    file = TEMPLATE / "lead-sheet.xlsx" if kind == "xlsx" else TEMPLATE
    (tmp_path / "file").mkdir()
    _connect(monkeypatch, tmp_path / "file", {"extra": {"file": str(file)}})
    _extract()
    by_file = _raw("select record_id, payload from raw_sheet.leads order by record_id")
    assert [(i, json.loads(p)) for i, p in by_file] == [(i, json.loads(p)) for i, p in by_api]


def test_the_template_is_what_the_default_configuration_reads(tmp_path: Path) -> None:
    """The CSVs' headers are the default columns, and the workbook is the CSVs (typed cells: the
    file test above reads both alike), as ``make sheet-template`` writes it."""
    assert next(csv.reader((TEMPLATE / "Leads.csv").open(encoding="utf-8"))) == list(lead_columns().values())
    for tab, columns in FIXED_COLUMNS.items():
        header = next(csv.reader((TEMPLATE / f"{tab}.csv").open(encoding="utf-8")))
        assert header == [name for name, _ in columns.values()]
    from openpyxl import load_workbook

    rebuilt = template_workbook(tmp_path / "rebuilt.xlsx")
    for committed, fresh in zip(
        load_workbook(TEMPLATE / "lead-sheet.xlsx").worksheets, load_workbook(rebuilt).worksheets, strict=True
    ):
        assert committed.title == fresh.title
        assert list(committed.values) == list(fresh.values), committed.title


def test_doctor_reads_the_sheet_as_a_night_would(
    template_sheet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadflow import doctor

    seeds = paths().dbt_project / "seeds"
    for name in ("SALESFORCE", "MARKETO", "HUBSPOT"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{name}_DEFAULT", raising=False)
    with running_sandbox(template_sheet, tmp_path / "tls", as_of=AS_OF) as sandbox:
        _connect(monkeypatch, tmp_path, json.loads(sandbox.sheet_connection()))
        assert doctor.main(seeds) == 0, capsys.readouterr().out
    capsys.readouterr()

    folder = tmp_path / "exported"
    folder.mkdir()
    for tab in ("Leads", "Owners"):
        rows = list(csv.reader((TEMPLATE / f"{tab}.csv").open(encoding="utf-8")))
        if tab == "Leads":
            rows[0] = ["SQL Day" if name == "SQL Date" else name for name in rows[0]]  # a column renamed
            rows[1][rows[0].index("Employees")] = "lots"
            rows[2][rows[0].index("Owner Email")] = "kim@yourco.com"
        with (folder / f"{tab}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    (folder / "Leads.csv").write_text((folder / "Leads.csv").read_text() + "L-0009,,,,,,,Working\n")
    _connect(monkeypatch, tmp_path, {"extra": {"file": str(folder)}})
    assert doctor.main(seeds) == 1
    said = capsys.readouterr().out
    assert "PROBLEM: Leads: column 'SQL Date' is not in the Leads tab" in said
    assert "PROBLEM: The value 'Working' of the status field Status is not mapped to a lifecycle stage" in said
    assert "PROBLEM: Leads: row 2, column 'Employees': not a whole number: 'lots'" in said
    assert "PROBLEM: The Owner Email kim@yourco.com is on the Leads tab but not on the Owners tab." in said
