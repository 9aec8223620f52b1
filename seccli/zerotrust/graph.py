"""Graphviz pictures of the allowed service graph: DOT text, and SVG when Graphviz is present.

Readable at an estate's size: one cluster per namespace; an edge every workload of a namespace
has to the same destination with the same ports (DNS, the mesh control plane, a telemetry
collector) is drawn once, from the namespace's cluster; a proof's differences are drawn on
top: missing edges (declared, not allowed) red and bold, extra edges (allowed, not declared)
dashed and orange. Edges to and from external addresses are dotted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seccli.render.graphviz import dot_quote, graphviz_available, render_dot
from seccli.zerotrust.analyzer import Reachability

if TYPE_CHECKING:
    from seccli.zerotrust.prove import EdgeDiff

__all__ = ["graphviz_available", "to_dot", "to_svg"]

MISSING_STYLE = 'color="#d62728", fontcolor="#d62728", penwidth=2.2'
EXTRA_STYLE = 'style=dashed, color="#e6750f", fontcolor="#b3560a", penwidth=1.6'
EXTERNAL_STYLE = "style=dotted"
LEGEND = (
    "red: missing (declared, not allowed)   dashed orange: extra (allowed, not declared)   "
    "dotted: external addresses"
)
_EXTERNAL = "external"
EVERY = "every:"


@dataclass(frozen=True, slots=True)
class _Edge:
    src: str
    dst: str
    label: str


def _namespace(ident: str) -> str:
    return ident.split("/", 1)[0]


def _ext(cidrs: str) -> str:
    return "ext:" + cidrs


def to_dot(
    reach: Reachability,
    namespace: str | None = None,
    title: str = "allowed",
    differences: Sequence[EdgeDiff] = (),
) -> str:
    """The allowed graph as DOT: one cluster per namespace, edges labelled with ports.

    With ``namespace``, only edges touching that namespace are drawn; ``differences`` (a
    proof's) are drawn as missing (red) and extra (dashed) edges.
    """

    def touches(*idents: str) -> bool:
        return namespace is None or any(_namespace(i) == namespace for i in idents)

    extra = {(d.src, d.dst): d for d in differences if d.kind == "extra" and not d.cidrs}
    missing = [d for d in differences if d.kind == "missing" and touches(d.src)]
    extra_external = [d for d in differences if d.kind == "extra" and d.cidrs and touches(d.src)]
    edges = [
        _Edge(src.ident, dst.ident, str(ports))
        for src, dst, ports in reach.edges()
        if touches(src.ident, dst.ident)
    ]
    external = [
        (workload.ident, direction, ", ".join(access.cidrs), str(access.ports))
        for workload, direction, access in reach.external()
        if touches(workload.ident)
    ]
    nodes: dict[str, str] = {w.ident: w.namespace for w in reach.workloads()}
    if namespace is None:
        used = set(nodes)
    else:
        used = {e.src for e in edges} | {e.dst for e in edges} | {e[0] for e in external}
        used |= {ident for ident, ns in nodes.items() if ns == namespace}
        used |= {d.src for d in missing} | {d.dst for d in missing if d.dst != _EXTERNAL}
    by_ns: dict[str, list[str]] = {}
    for ident in sorted(used):
        by_ns.setdefault(nodes.get(ident, _namespace(ident)), []).append(ident)
    plain = [e for e in edges if (e.src, e.dst) not in extra]
    shared, plain = _fold_everyone(plain, edges)
    folded, notes, kept = _fold(plain, by_ns)
    lines = [
        f"digraph {dot_quote(title)} {{",
        "  rankdir=LR;",
        "  compound=true;",
        "  newrank=true;",
        "  nodesep=0.2;",
        "  ranksep=0.6;",
        '  fontname="Helvetica";',
        "  labelloc=t;",
        f"  label={dot_quote(title + chr(10) + LEGEND if differences else title)};",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#55606e"];',
    ]
    cluster_of: dict[str, str] = {}
    for index, (ns, idents) in enumerate(sorted(by_ns.items())):
        cluster = f"cluster_{index}"
        cluster_of[ns] = cluster
        lines.append(f"  subgraph {cluster} {{")
        lines.append(f"    label={dot_quote(f'{ns} ({len(idents)})')};")
        lines.append('    style="rounded"; color="#9aa8b8";')
        lines.extend(
            f"    {dot_quote(ident)} [label={dot_quote(_node_label(ident, notes))}];"
            for ident in idents
        )
        lines.append("  }")
    diff_cidrs = {", ".join(d.cidrs) for d in (*missing, *extra_external) if d.cidrs}
    externals = sorted({e[2] for e in external} | diff_cidrs)
    lines.extend(
        f"  {dot_quote(_ext(cidrs))} [label={dot_quote(cidrs)}, shape=ellipse];"
        for cidrs in externals
    )
    if shared:
        lines.append(
            f"  {dot_quote(EVERY)} [label={dot_quote('workloads')}, "
            'shape=note, style="filled", fillcolor="#eef2f6"];'
        )
    for dst, label, count in shared:
        lines.append(
            f"  {dot_quote(EVERY)} -> {dot_quote(dst)} "
            f"[label={dot_quote(f'{label} ({count} workloads)')}, penwidth=1.4];"
        )
    for ns, dst, label, count in folded:
        anchor = by_ns[ns][0]
        lines.append(
            f"  {dot_quote(anchor)} -> {dot_quote(dst)} [ltail={cluster_of[ns]}, "
            f"label={dot_quote(f'{label} (all {count})')}, penwidth=1.4];"
        )
    lines.extend(
        f"  {dot_quote(e.src)} -> {dot_quote(e.dst)} [label={dot_quote(e.label)}];" for e in kept
    )
    lines += _wrapped_sources(by_ns, [*kept, *edges], folded, shared)
    for e in edges:
        diff = extra.get((e.src, e.dst))
        if diff is not None:
            label = f"extra {diff.ports} (allowed {e.label})"
            lines.append(
                f"  {dot_quote(e.src)} -> {dot_quote(e.dst)} [label={dot_quote(label)}, "
                f"{EXTRA_STYLE}];"
            )
    for ident, direction, cidrs, ports in sorted(external):
        a, b = (ident, _ext(cidrs)) if direction == "egress" else (_ext(cidrs), ident)
        lines.append(
            f"  {dot_quote(a)} -> {dot_quote(b)} [label={dot_quote(ports)}, {EXTERNAL_STYLE}];"
        )
    for diff in extra_external:
        target = _ext(", ".join(diff.cidrs))
        lines.append(
            f"  {dot_quote(diff.src)} -> {dot_quote(target)} "
            f"[label={dot_quote(f'extra {diff.ports}')}, {EXTRA_STYLE}];"
        )
    for diff in missing:
        target = _ext(", ".join(diff.cidrs)) if diff.cidrs else diff.dst
        lines.append(
            f"  {dot_quote(diff.src)} -> {dot_quote(target)} "
            f"[label={dot_quote(f'missing {diff.ports}')}, {MISSING_STYLE}, constraint=false];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _fold_everyone(
    edges: Sequence[_Edge], every_edge: Sequence[_Edge]
) -> tuple[list[tuple[str, str, int]], list[_Edge]]:
    """Edges that every workload with an outgoing edge (three or more) has to one destination
    (DNS, the mesh control plane), most with the same ports (the others, and extra edges, are
    drawn on their own): (destination, ports, count), drawn once from a "workloads" node; and
    the other edges. ``every_edge`` includes the edges drawn as a proof's differences."""
    senders = {e.src for e in every_edge}
    reaching: dict[str, set[str]] = {}
    for e in every_edge:
        if e.src != e.dst:
            reaching.setdefault(e.dst, set()).add(e.src)
    sources: dict[tuple[str, str], set[str]] = {}
    for e in edges:
        if e.src != e.dst:
            sources.setdefault((e.dst, e.label), set()).add(e.src)
    shared = [
        (dst, label, len(members))
        for (dst, label), members in sorted(sources.items())
        if len(members) >= 3
        and reaching[dst] == senders - {dst}
        and len(members) * 2 > len(reaching[dst])
    ]
    gone = {(dst, label) for dst, label, _ in shared}
    return shared, [e for e in edges if (e.dst, e.label) not in gone or e.src == e.dst]


SOURCE_COLUMN = 8
"""Most namespaces of only senders stacked in one column: more wrap into further columns."""


def _wrapped_sources(
    by_ns: dict[str, list[str]],
    edges: Sequence[_Edge],
    folded: Sequence[tuple[str, str, str, int]],
    shared: Sequence[tuple[str, str, int]],
) -> list[str]:
    """Invisible edges laying the namespaces whose workloads only send (many subsidiaries'
    portals) in columns of ``SOURCE_COLUMN`` instead of one tall column."""
    receivers = {e.dst for e in edges if e.src != e.dst}
    receivers |= {dst for _, dst, _, _ in folded} | {dst for dst, _, _ in shared}
    senders = [
        idents[0] for _, idents in sorted(by_ns.items()) if not receivers.intersection(idents)
    ]
    return [
        f"  {dot_quote(senders[i - SOURCE_COLUMN])} -> {dot_quote(senders[i])} [style=invis];"
        for i in range(SOURCE_COLUMN, len(senders))
    ]


def _node_label(ident: str, notes: dict[str, list[str]]) -> str:
    return "\n".join([ident.split("/", 1)[1], *notes.get(ident, ())])


def _fold(
    edges: Sequence[_Edge], by_ns: dict[str, list[str]]
) -> tuple[list[tuple[str, str, str, int]], dict[str, list[str]], list[_Edge]]:
    """Fold the edges every workload of a namespace (two or more) has to one destination with
    the same ports: (namespace, destination, ports, count) for a destination outside it (one
    edge from the cluster), a note on the destination node for one inside it; and the edges
    left to draw one by one."""
    sources: dict[tuple[str, str, str], set[str]] = {}
    for e in edges:
        if e.src != e.dst:
            sources.setdefault((_namespace(e.src), e.dst, e.label), set()).add(e.src)
    folded: list[tuple[str, str, str, int]] = []
    notes: dict[str, list[str]] = {}
    done: set[tuple[str, str, str]] = set()
    for (ns, dst, label), members in sorted(sources.items()):
        everyone = set(by_ns.get(ns, ())) - {dst}
        if len(everyone) < 2 or members != everyone:
            continue
        done.add((ns, dst, label))
        if _namespace(dst) == ns:  # a cluster edge cannot end inside its own cluster
            notes.setdefault(dst, []).append(f"<- all {len(members)} others: {label}")
        else:
            folded.append((ns, dst, label, len(members)))
    kept = [e for e in edges if (_namespace(e.src), e.dst, e.label) not in done or e.src == e.dst]
    return folded, notes, kept


def to_svg(dot_text: str, timeout: float = 120.0) -> bytes:
    """Render DOT to SVG with Graphviz; ``DependencyError`` if it is missing or fails."""
    return render_dot(dot_text, "svg", timeout)
