"""HSEEP-style after-action report of a drill (objectives, timeline, what went well, gaps,
improvement plan with owners, SLO table) as Markdown or a self-contained HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Findings:
    well: list[str]
    gaps: list[str]
    plan: list[dict[str, str]]


def findings(result: Mapping[str, Any], owners: Mapping[str, str]) -> Findings:
    """What went well, the gaps and an improvement item (owned by the team lead) per gap."""
    well: list[str] = []
    gaps: list[str] = []
    plan: list[dict[str, str]] = []
    for slo in result["slos"]:
        name = slo["metric"].upper()
        if slo["met"]:
            well.append(f"{name} {slo['minutes']} min within the {slo['targetMinutes']} min SLO")
        else:
            shown = "never reached" if slo["minutes"] is None else f"{slo['minutes']} min"
            gaps.append(f"{name} {shown} against the {slo['targetMinutes']} min SLO")
    for exp in result["expectations"]:
        text = f"{exp['id']} ({exp['phase']} by {exp['team']} within {exp['withinMinutes']} min)"
        if exp["status"] == "met":
            well.append(f"{text}: met in {exp['tookMinutes']} min")
        elif exp["status"] in ("late", "missed"):
            took = f" ({exp['tookMinutes']} min)" if exp["tookMinutes"] is not None else ""
            gaps.append(f"{text}: {exp['status']}{took}")
            plan.append(
                {
                    "item": f"Shorten {exp['phase']}: {exp['status']} against "
                    f"{exp['withinMinutes']} min",
                    "team": exp["team"],
                    "owner": owners.get(exp["team"], "unassigned"),
                }
            )
    if result.get("escalations"):
        gaps.append(f"{result['escalations']} escalation(s) were needed before an acknowledgement")
    bottleneck = result.get("bottleneck")
    if bottleneck and bottleneck.get("team"):
        plan.append(
            {
                "item": f"Review the bottleneck phase {bottleneck['phase']} "
                f"({bottleneck['minutes']} min)",
                "team": bottleneck["team"],
                "owner": owners.get(bottleneck["team"], "unassigned"),
            }
        )
    return Findings(well, gaps, plan)


def _cell(value: Any) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def markdown_report(
    result: Mapping[str, Any], owners: Mapping[str, str], sim: Mapping[str, Any] | None = None
) -> str:
    """The report as Markdown."""
    found = findings(result, owners)
    lines = [
        f"# After-action report: {result['title']}",
        "",
        f"Scenario `{result['scenario']}` ({result['incidentType']}), seed {result['seed']}, "
        f"simulated start {result['start']}, paused {result['pausedMinutes']} min "
        "(excluded from scores).",
        "",
        "## Objectives",
        "",
        *[
            f"- {e['id']}: {e['phase']} by {e['team']} within {e['withinMinutes']} min"
            for e in result["expectations"]
        ],
        "",
        "## SLOs",
        "",
        "| Metric | Target (min) | Measured (min) | Verdict |",
        "|---|---|---|---|",
        *[
            f"| {s['metric'].upper()} | {s['targetMinutes']} | {_cell(s['minutes'])} | "
            f"{'met' if s['met'] else 'not met'} |"
            for s in result["slos"]
        ],
    ]
    if sim is not None:
        lines += [
            "",
            f"## Monte Carlo ({sim['runs']} runs, seed {sim['seed']})",
            "",
            "| Metric | Target (min) | P(met) |",
            "|---|---|---|",
            *[
                f"| {s['metric'].upper()} | {s['targetMinutes']} | {s['probability']} |"
                for s in sim["slos"]
            ],
        ]
    lines += [
        "",
        "## Timeline",
        "",
        "| Simulated time | Minute | Event | What | Who |",
        "|---|---|---|---|---|",
        *[
            f"| {t['at']} | {t['minutes']} | {t['event']} | {_cell(t['text'])} | {_cell(t['by'])} |"
            for t in result["timeline"]
        ],
        "",
        "## What went well",
        "",
        *([f"- {w}" for w in found.well] or ["- Nothing met its target."]),
        "",
        "## Gaps",
        "",
        *([f"- {g}" for g in found.gaps] or ["- None."]),
        "",
        "## Improvement plan",
        "",
        "| Item | Team | Owner |",
        "|---|---|---|",
        *[f"| {_cell(i['item'])} | {i['team']} | {i['owner']} |" for i in found.plan],
        "",
    ]
    return "\n".join(lines)


_COLORS = {"done": "#4a78b5", "missed": "#b00020", "skipped": "#bbbbbb"}


def _timeline_chart(result: Mapping[str, Any]) -> dict[str, Any]:
    phases = result["phases"]
    ends = [p["endMinutes"] or p["startMinutes"] or 0 for p in phases] or [1]
    span = max(max(ends), 1.0)
    left, width = 130, 560
    bars = []
    for i, phase in enumerate(phases):
        start = phase["startMinutes"] or 0.0
        end = phase["endMinutes"] if phase["endMinutes"] is not None else start
        x = left + start / span * width
        bars.append(
            {
                "x": round(x, 1),
                "y": 4 + i * 20,
                "w": round(max(2.0, (end - start) / span * width), 1),
                "color": _COLORS.get(phase["status"], "#4a78b5"),
                "name": phase["id"],
                "label": f"{phase['id']} ({phase['team']}): {phase['status']}, "
                f"{phase['minutes']} min",
            }
        )
    ticks = [
        {"x": round(left + k / 4 * width, 1), "label": f"{round(span * k / 4, 1)} min"}
        for k in range(5)
    ]
    return {
        "width": left + width + 60,
        "height": 30 + 20 * len(phases),
        "bars": bars,
        "ticks": ticks,
    }


def _distribution_bars(sim: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, hist in sorted(sim["distributions"].items()):
        counts = hist["counts"]
        if not counts:
            continue
        top = max(counts) or 1
        bar = 400 / len(counts)
        out.append(
            {
                "name": name,
                "low": hist["low"],
                "high": round(hist["low"] + hist["width"] * len(counts), 3),
                "bars": [
                    {
                        "x": round(i * bar, 1),
                        "w": round(bar - 1, 1),
                        "h": round(c / top * 100, 1),
                        "y": round(104 - c / top * 100, 1),
                    }
                    for i, c in enumerate(counts)
                ],
            }
        )
    return out


def html_report(
    result: Mapping[str, Any], owners: Mapping[str, str], sim: Mapping[str, Any] | None = None
) -> str:
    """The report as one HTML page with inline SVG charts and no external assets."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("seccli.drill", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    found = findings(result, owners)
    if sim is not None:
        slos = [
            {
                "metric": s["metric"],
                "targetMinutes": s["targetMinutes"],
                "value": s["probability"],
                "met": s["probability"] >= 0.5,
            }
            for s in sim["slos"]
        ]
    else:
        slos = [
            {
                "metric": s["metric"],
                "targetMinutes": s["targetMinutes"],
                "value": "never" if s["minutes"] is None else s["minutes"],
                "met": s["met"],
            }
            for s in result["slos"]
        ]
    return env.get_template("report.html.j2").render(
        r=result,
        sim=sim,
        slos=slos,
        chart=_timeline_chart(result),
        dists=_distribution_bars(sim) if sim is not None else [],
        well=found.well,
        gaps=found.gaps,
        plan=found.plan,
    )
