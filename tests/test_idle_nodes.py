"""Which models an incremental night leaves as they are (:mod:`leadflow.idle_nodes`), on a small
graph: only those fed by empty raw tables (through seeds and other idle models) and empty."""

from __future__ import annotations

from collections.abc import Iterable

from leadflow.idle_nodes import Relation, idle_nodes


def _manifest(edges: dict[str, list[str]]) -> dict:
    def node(uid: str) -> dict:
        kind, _, name = uid.split(".")
        return {"resource_type": kind, "name": name, "schema": "s", "alias": name, "config": {"materialized": "table"}}

    sources = {uid: {"schema": "raw", "identifier": uid.split(".")[-1]} for uid in ("source.p.empty", "source.p.full")}
    nodes = {uid: node(uid) for uid in {*edges, *(p for ps in edges.values() for p in ps)} if uid not in sources}
    return {"nodes": nodes, "sources": sources, "parent_map": edges}


def test_only_models_fed_by_empty_sources_and_empty_themselves_are_idle() -> None:
    edges = {
        "model.p.stg_empty": ["source.p.empty"],
        "model.p.per_source": ["model.p.stg_empty", "seed.p.policy"],  # an idle input and a seed
        "model.p.stg_full": ["source.p.full"],
        "model.p.union": ["model.p.per_source", "model.p.stg_full"],  # one input has rows
        "model.p.from_seed": ["seed.p.policy"],  # rows from a seed alone: reads no source
        "model.p.not_empty": ["source.p.empty"],  # rows from nothing but the calendar, say
        "model.p.below_not_empty": ["model.p.not_empty"],
        "snapshot.p.snap": ["model.p.stg_empty"],
        "seed.p.policy": [],
    }
    has_rows = {("s", "not_empty"), ("s", "stg_full"), ("s", "union"), ("s", "from_seed"), ("raw", "full")}
    asked: list[Relation] = []

    def empty(relations: Iterable[Relation]) -> set[Relation]:
        asked.extend(relations)
        return {relation for relation in asked if relation not in has_rows}

    idle = idle_nodes(_manifest(edges), empty)
    assert sorted(idle) == ["model.p.per_source", "model.p.stg_empty", "snapshot.p.snap"]
    assert idle.index("model.p.stg_empty") < idle.index("model.p.per_source"), "in build order"
    assert ("raw", "empty") in asked and ("s", "policy") not in asked, "seeds are never asked about"
    # nor is a model that data feeds: reading a big one can hang DuckDB
    assert {("s", "stg_full"), ("s", "union"), ("s", "from_seed")}.isdisjoint(asked)
