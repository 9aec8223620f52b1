"""The seccli import graph has no cycle, and the Rego package's ``__init__`` only re-exports.

Edges are module-level imports (imports inside functions are deliberately lazy and
``if TYPE_CHECKING:`` blocks never run).  ``from P import x`` depends on the package ``P``
itself (its ``__init__`` runs first) and, when ``x`` is a submodule, on ``P.x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

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


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """Module name → the package's modules it imports at module level."""
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


def test_seccli_import_graph_has_no_cycle() -> None:
    graph = import_graph(ROOT / "seccli")
    assert "seccli.policy.rego.compiler" in graph
    assert cycles(graph) == []


def test_the_detector_finds_cycles_through_package_inits(tmp_path: Path) -> None:
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
    found = cycles(import_graph(pkg))
    # pkg/__init__ -> pkg.a -> pkg (``from pkg import b`` runs pkg's __init__ first)
    assert ["pkg", "pkg.a"] in found
    # a relative-import cycle, while lazy and TYPE_CHECKING imports are not edges
    assert ["pkg.sub.e", "pkg.sub.f"] in found
    assert len(found) == 2


def test_rego_package_init_only_reexports() -> None:
    init = ROOT / "seccli" / "policy" / "rego" / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Import", "Assign"}, kinds
    assigned = [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]  # type: ignore[attr-defined]
    assert assigned == ["__all__"]
    import seccli.policy.rego as rego

    for name in rego.__all__:
        assert hasattr(rego, name), name
