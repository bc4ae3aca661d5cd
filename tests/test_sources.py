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
