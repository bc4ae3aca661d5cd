"""The source catalogue names every system and object the night extracts; an unknown one fails
loudly; every system's extractor is a module with one entry point."""

from __future__ import annotations

import inspect

import pytest
from leadflow import nightly
from leadflow.sources import (
    ALL_OBJECTS,
    SYSTEMS,
    Extract,
    Method,
    UnknownSourceObject,
    UnknownSourceSystem,
    source_object,
)


def test_every_object_has_an_extraction_method_of_its_system() -> None:
    for obj in ALL_OBJECTS:
        assert (obj.method is Method.SOQL) == (obj.system == "salesforce"), obj


def test_every_system_names_its_objects_and_an_extractor_of_one_shape() -> None:
    assert len({system.name for system in SYSTEMS}) == len(SYSTEMS)
    assert len({obj.task_id for obj in ALL_OBJECTS}) == len(ALL_OBJECTS)
    expected = list(inspect.signature(Extract.__call__).parameters)[1:]
    for system in SYSTEMS:
        assert system.objects and all(obj.system == system.name for obj in system.objects), system.name
        assert list(inspect.signature(system.extract()).parameters) == expected, system.extractor


@pytest.mark.parametrize(
    ("system", "name", "error"),
    [
        ("marketo", "opportunities", UnknownSourceObject),
        ("salesforce", "Contact", UnknownSourceObject),
        ("pipedrive", "deals", UnknownSourceSystem),
    ],
)
def test_an_object_outside_the_catalogue_is_an_error_before_any_request(system: str, name: str, error) -> None:
    with pytest.raises(error, match=name if error is UnknownSourceObject else system):
        nightly.extract(system, name, "run")


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
    systems = "|".join(system.name for system in SYSTEMS)
    assert set(re.findall(rf"\('({systems})', '(\w+)'", macro)) == catalogue
    declared = set()
    for path in (PROJECT_ROOT / "dbt_project" / "models" / "staging").rglob("*sources.yml"):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            declared |= {(source["name"], table["name"]) for table in source.get("tables", [])}
    assert catalogue <= declared
