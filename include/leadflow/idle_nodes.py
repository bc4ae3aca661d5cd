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


def idle_nodes(manifest: Mapping[str, Any], empty: Callable[[Iterable[Relation]], set[Relation]]) -> list[str]:
    """The unique ids of the manifest's idle models and snapshots (see the module), in build
    order; ``empty`` tells which of the given relations exist and hold no row."""
    nodes, sources, parents = manifest["nodes"], manifest["sources"], manifest["parent_map"]
    built = {uid: node for uid, node in nodes.items() if node["resource_type"] in BUILT_TYPES}
    built = {uid: node for uid, node in built.items() if node["config"].get("materialized") != "ephemeral"}
    relation = {uid: _relation(node) for uid, node in [*sources.items(), *built.items()]}
    empty_now = empty(relation.values())
    idle: list[str] = []
    for uid in TopologicalSorter({uid: set(parents.get(uid, ())) for uid in built}).static_order():
        if uid not in built or relation[uid] not in empty_now:
            continue
        inputs = parents.get(uid, [])
        read = [p for p in inputs if p in sources or p in built]
        if read and all(
            (p in sources and relation[p] in empty_now) or p in idle or p.startswith("seed.") for p in inputs
        ):
            idle.append(uid)
    return idle
