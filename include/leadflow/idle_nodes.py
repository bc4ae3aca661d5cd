"""The models a night need not build: those fed only by raw tables that hold no row.

An org uses one or two of the source systems the catalogue knows (Salesforce and Marketo, or
HubSpot, or a sheet); the others' raw tables stay empty, yet their staging, per-source models and
tests are a fifth of the project's nodes, each costing a night about a tenth of a second whatever
its rows. A node is *idle* when every relation it reads is an empty source, a seed or another idle
node (at least one of them not a seed), and its own relation exists and is empty: rebuilding it
from the same empty inputs with the same project gives the same empty relation. Only an
incremental night uses this (a full refresh, when the project changed, rebuilds everything), so
the relation was built by this very project. A model that makes rows from seeds or the calendar
alone reads no source and is never idle; raw tables only grow, so an idle node's sources were
empty when it was last built too. DECISIONLOG 61.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from graphlib import TopologicalSorter
from typing import Any

Relation = tuple[str, str]  # (schema, name)

BUILT_TYPES = ("model", "snapshot")


def _relation(node: Mapping[str, Any]) -> Relation:
    return (node["schema"], node.get("identifier") or node.get("alias") or node["name"])


def _fed_only_by_empty(
    built: Mapping[str, Any],
    sources: Mapping[str, Any],
    parents: Mapping[str, list[str]],
    empty_sources: set[str],
    among: set[str] | None = None,
) -> list[str]:
    """The built nodes (``among`` them, when given), in build order, whose inputs are all empty
    sources, seeds or such nodes themselves, reading at least one that is not a seed."""
    fed: list[str] = []
    for uid in TopologicalSorter({uid: set(parents.get(uid, ())) for uid in built}).static_order():
        inputs = parents.get(uid, [])
        if uid not in built or (among is not None and uid not in among):
            continue
        reads = any(p in sources or p in built for p in inputs)
        if reads and all(p in empty_sources or p in fed or p.startswith("seed.") for p in inputs):
            fed.append(uid)
    return fed


def idle_nodes(manifest: Mapping[str, Any], empty: Callable[[Iterable[Relation]], set[Relation]]) -> list[str]:
    """The unique ids of the manifest's idle models and snapshots (see the module), in build
    order; ``empty`` tells which of the given relations exist and hold no row. It is asked twice:
    about the sources, then about the nodes they alone feed. A node that data feeds is never
    read: asking a big view whether it holds a row can hang DuckDB (2.0: every thread waiting,
    duckdb/duckdb#24961; seen on ``salesforce__leads`` at a million leads)."""
    nodes, sources, parents = manifest["nodes"], manifest["sources"], manifest["parent_map"]
    built = {uid: node for uid, node in nodes.items() if node["resource_type"] in BUILT_TYPES}
    built = {uid: node for uid, node in built.items() if node["config"].get("materialized") != "ephemeral"}
    relation = {uid: _relation(node) for uid, node in [*sources.items(), *built.items()]}

    def empty_of(uids: Iterable[str]) -> set[str]:
        uids = list(uids)
        found = empty(relation[uid] for uid in uids)
        return {uid for uid in uids if relation[uid] in found}

    empty_sources = empty_of(sources)
    candidates = _fed_only_by_empty(built, sources, parents, empty_sources)
    return _fed_only_by_empty(built, sources, parents, empty_sources, among=empty_of(candidates))
