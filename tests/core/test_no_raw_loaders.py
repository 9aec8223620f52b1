"""Every document a user hands seccli goes through the one safe loader (seccli/core/documents.py).

A raw `json.loads`/`yaml.safe_load` accepts duplicate keys (last one wins), alias bombs, huge files
and unbounded nesting, so this test walks the package's syntax trees and fails on any raw parser
call outside the loader, except the few listed below with the reason they are not user documents.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "seccli"
LOADER = "core/documents.py"

#: Parser calls by module attribute: (module alias as written, attribute).
RAW_PARSERS = {
    ("json", "load"),
    ("json", "loads"),
    ("yaml", "load"),
    ("yaml", "safe_load"),
    ("yaml", "load_all"),
    ("yaml", "safe_load_all"),
    ("yaml", "full_load"),
    ("yaml", "unsafe_load"),
    ("orjson", "loads"),
    ("tomllib", "load"),
    ("tomllib", "loads"),
    ("pickle", "load"),
    ("pickle", "loads"),
    ("marshal", "loads"),
}

#: (file relative to the package, enclosing function) → why the input is not a user document.
ALLOWED = {
    ("zerotrust/validate.py", "_self_contained"): "rewrites $refs of seccli's own schema (a copy)",
    ("zerotrust/fastyaml.py", "_scalar_uncached"): "one quoted scalar the safe loader already cut",
    ("policy/engines.py", "eval"): "stdout of the opa binary seccli launched",
    ("policy/rego/lexer.py", "_template"): "escapes of a Rego string or template literal",
    ("policy/rego/lexer.py", "tokenize"): "a Rego number literal (digits checked first)",
    ("policy/rego/budget.py", "json_loads"): "json.unmarshal builtin: size/digits bounded",
    ("policy/rego/builtins/encoding.py", "_yaml_load"): "yaml.unmarshal builtin: bounded",
    ("soar/records.py", "_loads"): "a row seccli wrote to its own state database",
    ("soar/cacao.py", "_validator"): "the CACAO JSON Schemas shipped with seccli",
    ("secrets/client.py", "__init__"): "deep copy of an in-memory mapping",
    ("secrets/client.py", "reveal"): "deep copy of an in-memory mapping",
    ("scan/semgrep.py", "_run"): "stdout of the semgrep process seccli launched",
    ("scan/bandit.py", "_run"): "stdout of the bandit process seccli launched",
    ("scan/worker_wire.py", "receive_message"): "a length-limited frame from seccli's own worker",
    ("scan/cache.py", "lookup"): "a row seccli wrote to its own scan cache",
}


def _raw_calls(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, 'module.attr') for each raw parser call in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            scope = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                scope = child.name
            if isinstance(child, ast.Call):
                name = _parser_name(child.func)
                if name is not None:
                    found.append((scope, child.lineno, name))
            visit(child, scope)

    visit(tree, "<module>")
    return found


def _parser_name(func: ast.expr) -> str | None:
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and (func.value.id, func.attr) in RAW_PARSERS
    ):
        return f"{func.value.id}.{func.attr}"
    return None


def _imports_parser_names(path: Path) -> list[tuple[int, str]]:
    """`from json import loads` and friends would hide a call from the attribute check."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, f"from {node.module} import {alias.name}")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
        if (node.module, alias.name) in RAW_PARSERS
    ]


def _package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).as_posix() != LOADER)


def test_no_raw_parser_call_outside_the_loader() -> None:
    offenders = []
    for path in _package_files():
        rel = path.relative_to(PACKAGE).as_posix()
        for function, line, name in _raw_calls(path):
            if (rel, function) not in ALLOWED:
                offenders.append(f"seccli/{rel}:{line} {name} in {function}()")
        for line, text in _imports_parser_names(path):
            offenders.append(f"seccli/{rel}:{line} {text}")
    assert not offenders, "raw document parsers outside seccli/core/documents.py:\n" + "\n".join(
        offenders
    )


def test_allow_list_has_no_stale_entries() -> None:
    """An allowed call that no longer exists is removed from the list, so it cannot be reused."""
    present = set()
    for path in _package_files():
        rel = path.relative_to(PACKAGE).as_posix()
        present.update((rel, function) for function, _, _ in _raw_calls(path))
    stale = sorted(set(ALLOWED) - present)
    assert not stale, f"allow-list entries without a raw call: {stale}"


@pytest.mark.parametrize(
    "source",
    [
        "import json\ndef f(t):\n    return json.loads(t)\n",
        "import yaml\ndef f(t):\n    return yaml.safe_load(t)\n",
        "import orjson\nx = orjson.loads(b'{}')\n",
        "import yaml\ndef g(t):\n    return list(yaml.safe_load_all(t))\n",
    ],
)
def test_the_check_sees_raw_calls(tmp_path: Path, source: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(source, encoding="utf-8")
    assert _raw_calls(sample), "the syntax-tree check must notice this raw parser call"


def test_the_check_sees_from_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from json import loads\n", encoding="utf-8")
    assert _imports_parser_names(sample)
