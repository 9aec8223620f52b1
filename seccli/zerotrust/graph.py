"""Graphviz pictures of the allowed service graph: DOT text, and SVG when Graphviz is present."""

from __future__ import annotations

import shutil
import subprocess

from seccli.core.errors import DependencyError
from seccli.zerotrust.analyzer import Reachability


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(reach: Reachability, namespace: str | None = None, title: str = "allowed") -> str:
    """The allowed graph as DOT: one cluster per namespace, edges labelled with ports.

    With ``namespace``, only edges touching that namespace are drawn.
    """
    edges = [
        (src.ident, dst.ident, str(ports))
        for src, dst, ports in reach.edges()
        if namespace is None or namespace in (src.namespace, dst.namespace)
    ]
    external = [
        (workload.ident, direction, ", ".join(access.cidrs), str(access.ports))
        for workload, direction, access in reach.external()
        if namespace is None or workload.namespace == namespace
    ]
    nodes: dict[str, str] = {}
    for workload in reach.workloads():
        nodes[workload.ident] = workload.namespace
    used = {e[0] for e in edges} | {e[1] for e in edges} | {e[0] for e in external}
    if namespace is not None:
        used |= {ident for ident, ns in nodes.items() if ns == namespace}
    else:
        used |= set(nodes)
    lines = [
        f"digraph {_quote(title)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8];',
    ]
    by_ns: dict[str, list[str]] = {}
    for ident in sorted(used):
        by_ns.setdefault(nodes.get(ident, ident.split("/", 1)[0]), []).append(ident)
    for index, (ns, idents) in enumerate(sorted(by_ns.items())):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_quote(ns)};")
        lines.extend(
            f"    {_quote(ident)} [label={_quote(ident.split('/', 1)[1])}];" for ident in idents
        )
        lines.append("  }")
    externals = sorted({e[2] for e in external})
    lines.extend(
        f"  {_quote('ext:' + cidrs)} [label={_quote(cidrs)}, shape=ellipse];" for cidrs in externals
    )
    lines.extend(
        f"  {_quote(src)} -> {_quote(dst)} [label={_quote(ports)}];"
        for src, dst, ports in sorted(edges)
    )
    for ident, direction, cidrs, ports in sorted(external):
        a, b = (ident, "ext:" + cidrs) if direction == "egress" else ("ext:" + cidrs, ident)
        lines.append(f"  {_quote(a)} -> {_quote(b)} [label={_quote(ports)}, style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphviz_available() -> bool:
    """Whether the ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def to_svg(dot_text: str, timeout: float = 120.0) -> bytes:
    """Render DOT to SVG with Graphviz; ``DependencyError`` if it is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise DependencyError(
            "Graphviz 'dot' is not installed", hint="install graphviz, or use --format dot"
        )
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DependencyError(f"Graphviz failed: {message[0] if message else done.returncode}")
    return done.stdout
