"""The org chart picture as Graphviz draws it: clusters per track and for the squads, real line
breaks (no literal ``\\n``), squads and direct reports wrapped in rows, a width that fits."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from seccli.org.chart import ROW, org_chart_dot
from seccli.org.roster import generate_roster
from seccli.render.graphviz import dot_quote, render_dot
from tests.org.samples import load_data, minimal_org

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def _svg(args: list[str]) -> ET.Element:
    done = subprocess.run(
        [sys.executable, "-m", "seccli", "org", "report", "chart", "-f", "svg", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return ET.fromstring(done.stdout)


def _groups(svg: ET.Element, kind: str) -> dict[str, ET.Element]:
    return {
        g.findtext(f"{SVG}title") or "": g for g in svg.iter(f"{SVG}g") if g.get("class") == kind
    }


def _centre_y(group: ET.Element) -> float:
    shape = group.find(f"{SVG}ellipse")
    if shape is not None:
        return float(shape.get("cy", "0"))
    texts = [float(t.get("y", "0")) for t in group.iter(f"{SVG}text")]
    return sum(texts) / len(texts)


def test_dot_quote_turns_line_breaks_into_dot_breaks() -> None:
    assert dot_quote("a\nb") == '"a\\nb"'
    assert dot_quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert dot_quote("a\r\nb") == '"a\\nb"'


def test_the_dot_has_no_escaped_backslash_n() -> None:
    org = load_data(minimal_org()).org
    dot = org_chart_dot(org, generate_roster(org, 1), squads=True)
    assert "\\\\n" not in dot  # the old bug: "\\n" in DOT is a literal backslash and n
    assert "subgraph cluster_track_security" in dot and "subgraph cluster_squads" in dot


@needs_dot
def test_the_example_chart_with_squads() -> None:
    svg = _svg(["--squads"])
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert texts and not any("\\n" in text for text in texts)
    clusters = _groups(svg, "cluster")
    assert {"cluster_track_security", "cluster_track_api", "cluster_squads"} <= set(clusters)
    nodes = _groups(svg, "node")
    squads = {name: g for name, g in nodes.items() if name.startswith("squad:")}
    assert len(squads) == 36
    rows = Counter(round(_centre_y(g)) for g in squads.values())
    assert max(rows.values()) <= ROW and len(rows) >= 36 // ROW  # wrapped, not one row
    teams = [name for name in nodes if name.startswith("team:")]
    team_rows = Counter(round(_centre_y(nodes[name])) for name in teams)
    assert max(team_rows.values()) <= ROW
    width = float(re.sub("pt$", "", svg.get("width", "0")))
    assert width < 2500, width  # was 6,676 pt with the squads in one row
    # A team's label is several text lines (name, people, lead), each its own <text>.
    appsec = [t.text for t in nodes["team:appsec"].iter(f"{SVG}text")]
    assert appsec[0] == "Application Security" and appsec[1] == "160 people"
    # Staffing edges are dashed; the reporting tree is solid.
    edges = _groups(svg, "edge")
    staffing = [g for name, g in edges.items() if "squad:" in name]
    assert staffing and all(
        p.get("stroke-dasharray") for g in staffing for p in g.iter(f"{SVG}path")
    )
    tree = [g for name, g in edges.items() if "->team:" in name.replace("&#45;&gt;", "->")]
    assert tree and not any(p.get("stroke-dasharray") for g in tree for p in g.iter(f"{SVG}path"))


@needs_dot
def test_the_chart_without_squads_has_no_squad_cluster() -> None:
    svg = _svg([])
    clusters = _groups(svg, "cluster")
    assert "cluster_squads" not in clusters and "cluster_track_security" in clusters
    assert not any(name.startswith("squad:") for name in _groups(svg, "node"))


@needs_dot
def test_render_dot_png_is_a_png() -> None:
    org = load_data(minimal_org()).org
    png = render_dot(org_chart_dot(org, squads=True), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
