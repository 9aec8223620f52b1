"""The org chart as Graphviz DOT: the team tree per track, squads in wrapped rows.

Readable at the org's real size (22 teams, 36 squads): teams are clustered by track, a lead's
direct reports and the squads are laid out in rows of at most ``ROW`` nodes (invisible edges
stack the rows), labels break over real lines, and the many-to-many staffing edges are thin,
grey and do not drive the layout.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from seccli.org.model import SecurityOrg, Track
from seccli.org.roster import Roster
from seccli.render.graphviz import dot_quote

ROW = 6
"""Most nodes side by side: more direct reports or squads wrap onto further rows."""
_COLOURS = {Track.SECURITY: "#dbe9f6", Track.API: "#e3f2d9"}
_TRACK_TITLES = {Track.SECURITY: "Security track", Track.API: "API track"}


def _wrapped(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _rows(ids: Sequence[str], indent: str = "  ") -> list[str]:
    """Invisible edges putting ``ids`` in rows of ``ROW`` (each under the one ``ROW`` before)."""
    return [
        f"{indent}{dot_quote(ids[i - ROW])} -> {dot_quote(ids[i])} [style=invis];"
        for i in range(ROW, len(ids))
    ]


def org_chart_dot(org: SecurityOrg, roster: Roster | None = None, *, squads: bool = False) -> str:
    """The org chart as Graphviz DOT: teams under the team their lead reports to.

    With ``squads``, each squad is drawn (in rows below the teams) with a dashed edge from
    every team that staffs it.
    """
    names = {p.id: p.name for p in roster.people} if roster else {}
    lines = [
        "digraph org {",
        "  rankdir=TB;",
        "  newrank=true;",
        "  splines=line;",
        "  nodesep=0.25;",
        "  ranksep=0.45;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        f"  label={dot_quote(org.organisation + ' security organisation')};",
        "  labelloc=t;",
        "  fontname=Helvetica;",
    ]
    for track in Track:
        members = [team for team in org.teams if team.track is track]
        if not members:
            continue
        title = f"{_TRACK_TITLES.get(track, track.value)} ({len(members)} teams)"
        lines += [
            f"  subgraph cluster_track_{track.value} {{",
            f"    label={dot_quote(title)};",
            '    style="rounded,dashed"; color="#8a9bb0"; fontsize=11;',
        ]
        for team in members:
            lead = names.get(team.lead, team.lead)
            label = f"{_wrapped(team.name)}\n{team.headcount} people\nlead: {lead}"
            colour = _COLOURS.get(team.track, "#eeeeee")
            lines.append(
                f"    {dot_quote('team:' + team.id)} [label={dot_quote(label)}, "
                f"fillcolor={dot_quote(colour)}];"
            )
        lines.append("  }")
    lines.extend(
        f"  {dot_quote('team:' + team.reports_to)} -> {dot_quote('team:' + team.id)};"
        for team in org.teams
        if team.reports_to
    )
    reports: dict[str, list[str]] = {}
    for team in org.teams:
        if team.reports_to:
            reports.setdefault(team.reports_to, []).append("team:" + team.id)
    for children in reports.values():
        lines += _rows(children)
    lines += _stacked_tracks(org, reports)
    if squads and org.squads:
        lines += _squad_lines(org, reports)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _stacked_tracks(org: SecurityOrg, reports: dict[str, list[str]]) -> list[str]:
    """Invisible edges putting each track's cluster below the previous one (not beside it)."""
    lines: list[str] = []
    previous_leaves: list[str] = []
    for track in Track:
        members = [team for team in org.teams if team.track is track]
        by_id = {team.id for team in members}
        roots = [t.id for t in members if t.reports_to is None or t.reports_to not in by_id]
        lines += [
            f"  {dot_quote('team:' + leaf)} -> {dot_quote('team:' + root)} [style=invis];"
            for leaf in previous_leaves
            for root in roots
        ]
        if members:
            previous_leaves = [t.id for t in members if t.id not in reports]
    return lines


def _squad_lines(org: SecurityOrg, reports: dict[str, list[str]]) -> list[str]:
    ids = ["squad:" + squad.id for squad in org.squads]
    title = f"Squads ({len(ids)}): dashed edges from the teams staffing them"
    lines = [
        "  subgraph cluster_squads {",
        f"    label={dot_quote(title)};",
        '    style="rounded,dashed"; color="#c9a227"; fontsize=11;',
    ]
    staffing: dict[str, list[str]] = {}
    for squad in org.squads:
        teams = sorted({t.id for p, _ in squad.seats() if (t := org.person_team(p))})
        staffing[squad.id] = teams
        label = f"{squad.id}\n{_wrapped(', '.join(squad.subdomains), 30)}\n{len(teams)} teams"
        lines.append(
            f"    {dot_quote('squad:' + squad.id)} [label={dot_quote(label)}, shape=ellipse, "
            'fillcolor="#fff3cd"];'
        )
    lines += _rows(ids, "    ")
    for start in range(0, len(ids), ROW):
        row = "; ".join(dot_quote(ident) for ident in ids[start : start + ROW])
        lines.append(f"    {{ rank=same; {row}; }}")
    lines.append("  }")
    # Below every team: invisible edges from the teams without reports to the first squad row.
    leaves = [team.id for team in org.teams if team.id not in reports]
    lines += [
        f"  {dot_quote('team:' + leaf)} -> {dot_quote(first)} [style=invis];"
        for leaf in leaves
        for first in ids[:ROW]
    ]
    # Staffing is many-to-many: thin grey edges that do not move the nodes.
    lines.append('  edge [color="#7f8c9d80", arrowsize=0.4, constraint=false];')
    for squad in org.squads:
        lines.extend(
            f"  {dot_quote('team:' + team)} -> {dot_quote('squad:' + squad.id)} [style=dashed];"
            for team in staffing[squad.id]
        )
    return lines
