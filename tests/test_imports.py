"""No import circles in the product's modules: each module's imports (at module level, and the
lazy ones inside functions that keep DAG parsing light; not those only type checkers read) form a
graph without cycles, so any module can be imported first and a seam's two sides stay apart."""

from __future__ import annotations

import ast

from leadflow.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "include" / "leadflow"


def _module(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _executed(tree: ast.Module) -> list[ast.AST]:
    """Every node that runs (``if TYPE_CHECKING:`` blocks, for type checkers only, do not)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    return list(ast.walk(tree))


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        imported: set[str] = set()
        for node in _executed(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("leadflow"):
                imported.add(node.module)
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name.startswith("leadflow")}
        graph[_module(path)] = imported
    return {module: {name for name in names if name in graph and name != module} for module, names in graph.items()}


def test_the_product_has_no_import_circle() -> None:
    graph = _imports()
    assert "leadflow.raw" in graph and graph["leadflow.raw"], "the graph is read"
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for name in sorted(graph[module]):
            if state.get(name) == "open":
                cycles.append(path[path.index(name) :] + [name])
            elif name not in state:
                visit(name, [*path, name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, " ; ".join(" -> ".join(cycle) for cycle in cycles)
