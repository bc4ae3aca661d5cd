"""The source catalogue names every object the night extracts; an unknown one fails loudly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from leadflow import nightly
from leadflow.sources import ALL_OBJECTS, Method, UnknownSourceObject, source_object


def test_every_object_has_an_extraction_method_of_its_system() -> None:
    for obj in ALL_OBJECTS:
        assert (obj.method is Method.SOQL) == (obj.system == "salesforce"), obj


@pytest.mark.parametrize(
    ("extract", "name"), [(nightly.extract_marketo, "opportunities"), (nightly.extract_salesforce, "Contact")]
)
def test_an_object_outside_the_catalogue_is_an_error_before_any_request(extract, name: str) -> None:
    with pytest.raises(UnknownSourceObject, match=name):
        extract(name, datetime(2026, 6, 30, tzinfo=UTC), "run")


def test_salesforce_names_match_in_any_case() -> None:
    assert source_object("salesforce", "leadhistory").name == "LeadHistory"


def test_the_dbt_project_knows_every_object_of_the_catalogue() -> None:
    """dbt cannot import the catalogue: its source entries and the audit models' object list
    (macro `raw_objects`) must name the same objects, or an added object is silently unaudited."""
    import re

    import yaml
    from leadflow.settings import PROJECT_ROOT

    catalogue = {(obj.system, obj.name.lower()) for obj in ALL_OBJECTS}
    macro = (PROJECT_ROOT / "dbt_project" / "macros" / "raw_objects.sql").read_text(encoding="utf-8")
    assert set(re.findall(r"\('(salesforce|marketo)', '(\w+)'", macro)) == catalogue
    declared = set()
    for path in (PROJECT_ROOT / "dbt_project" / "models" / "staging").rglob("*sources.yml"):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            declared |= {(source["name"], table["name"]) for table in source.get("tables", [])}
    assert catalogue <= declared
