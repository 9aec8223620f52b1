"""The seccli import graph has no cycle, counting imports inside functions too.

Edges come from the AST of every module: module-level imports, and imports inside function
bodies (lazy imports still tie the modules together: a cycle through one is a design cycle,
fixed by moving the shared piece to a leaf module, not by deferring the import). Imports under
``if TYPE_CHECKING:`` never run and are not edges. ``from P import x`` depends on the package
``P`` itself (its ``__init__`` runs first) and, when ``x`` is a submodule, on ``P.x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _module_names(package_dir: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph(package_dir: Path, *, in_functions: bool = False) -> dict[str, set[str]]:
    """Module name → the package's modules it imports at module level (and, with
    ``in_functions``, inside function bodies too)."""
    modules = _module_names(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()

        def visit(
            nodes: list[ast.stmt],
            name: str = name,
            is_package: bool = is_package,
            edges: set[str] = edges,
        ) -> None:
            for node in nodes:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if in_functions:
                        visit(node.body)
                    continue
                if isinstance(node, ast.If) and _is_type_checking(node):
                    visit(node.orelse)
                    continue
                if isinstance(node, ast.Import):
                    edges.update(a.name for a in node.names if a.name in modules)
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = name.split(".") if is_package else name.split(".")[:-1]
                        base = base[: len(base) - node.level + 1]
                        target = ".".join([*base, *([node.module] if node.module else [])])
                    else:
                        target = node.module or ""
                    if target in modules:
                        edges.add(target)
                    edges.update(
                        f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules
                    )
                else:
                    visit([c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)])

        visit(ast.parse(path.read_text(encoding="utf-8")).body)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_seccli_import_graph_has_no_cycle_at_module_level() -> None:
    graph = import_graph(ROOT / "seccli")
    assert "seccli.policy.rego.compiler" in graph
    assert cycles(graph) == []


def test_seccli_import_graph_has_no_cycle_counting_imports_in_functions() -> None:
    graph = import_graph(ROOT / "seccli", in_functions=True)
    # The commands import their capabilities lazily: those edges are in this graph.
    assert "seccli.scan.run" in graph["seccli.cli.scan"]
    assert cycles(graph) == []


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.a import thing\n")
    (pkg / "a.py").write_text("from pkg import b\nthing = 1\n")
    (pkg / "b.py").write_text("x = 1\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import d\n"
    )
    (pkg / "sub" / "d.py").write_text("def f():\n    from pkg.sub import c\n")
    (pkg / "sub" / "e.py").write_text("from . import f\n")
    (pkg / "sub" / "f.py").write_text("from .e import x\n")
    (pkg / "sub" / "g.py").write_text("class K:\n    def m(self):\n        from . import h\n")
    (pkg / "sub" / "h.py").write_text("import pkg.sub.g\n")
    return pkg


def test_the_detector_finds_module_level_cycles_through_package_inits(tmp_path: Path) -> None:
    found = cycles(import_graph(_package(tmp_path)))
    # pkg/__init__ -> pkg.a -> pkg (``from pkg import b`` runs pkg's __init__ first)
    assert ["pkg", "pkg.a"] in found
    # a relative-import cycle, while function-level and TYPE_CHECKING imports are not edges
    assert ["pkg.sub.e", "pkg.sub.f"] in found
    assert len(found) == 2


def test_the_detector_finds_cycles_through_imports_in_functions(tmp_path: Path) -> None:
    found = cycles(import_graph(_package(tmp_path), in_functions=True))
    # a method's import closes g -> h -> g; d's import of c does not close a cycle (c's import
    # of d is under TYPE_CHECKING, which never runs)
    assert ["pkg.sub.g", "pkg.sub.h"] in found
    assert not any("pkg.sub.d" in component for component in found)
    assert len(found) == 3


@pytest.mark.parametrize("in_functions", [False, True])
def test_no_edges_outside_the_package(tmp_path: Path, in_functions: bool) -> None:
    graph = import_graph(_package(tmp_path), in_functions=in_functions)
    assert all(target.startswith("pkg") for edges in graph.values() for target in edges)
