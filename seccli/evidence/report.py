"""The pack's ``index.html``: a self-contained report rendered from Jinja2 templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seccli import __version__
from seccli.evidence.catalog import Catalog
from seccli.evidence.collect import Collected
from seccli.evidence.status import STATUSES, ControlResult, overall, summary

COLORS = {
    "satisfied": "#16a34a",
    "not satisfied": "#dc2626",
    "not assessed": "#f59e0b",
    "not applicable": "#94a3b8",
}
_BAR_X, _BAR_WIDTH = 110, 560


def _chart(frameworks: Sequence[tuple[Catalog, list[ControlResult]]]) -> dict[str, Any]:
    bars = []
    for index, (cat, results) in enumerate(frameworks):
        counts = summary(results)
        total = max(1, sum(counts.values()))
        x: float = _BAR_X
        segments = []
        for status in STATUSES:
            width = round(_BAR_WIDTH * counts[status] / total, 1)
            if counts[status]:
                segments.append(
                    {
                        "x": x,
                        "width": width,
                        "color": COLORS[status],
                        "status": status,
                        "count": counts[status],
                    }
                )
            x += width
        bars.append({"label": cat.framework, "y": 10 + 30 * index, "segments": segments})
    legend_y = 20 + 30 * len(frameworks)
    legend = [
        {"x": _BAR_X + 140 * i, "color": COLORS[s], "status": s} for i, s in enumerate(STATUSES)
    ]
    return {
        "width": _BAR_X + _BAR_WIDTH + 20,
        "height": legend_y + 24,
        "bars": bars,
        "legend": legend,
        "legend_y": legend_y,
    }


def render_index(
    *,
    estate: str,
    generated: str,
    key_id: str | None,
    collected: Collected,
    frameworks: Sequence[tuple[Catalog, list[ControlResult]]],
) -> bytes:
    """The report as UTF-8 HTML bytes."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("seccli.evidence", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("index.html.j2")
    cards = []
    rows = []
    for cat, results in frameworks:
        counts = summary(results)
        cards.append(
            {"key": cat.framework, "title": cat.title, "counts": counts, "overall": overall(counts)}
        )
        rows += [
            {
                "framework": cat.framework,
                "id": r.control.id,
                "title": r.control.title,
                "status": r.status,
                "reason": r.reason,
                "checks": ", ".join(c.check.id for c in r.checks),
                "findings": len(r.findings),
            }
            for r in results
        ]
    checks = [
        {"id": c.check.id, "status": c.status, "reason": c.reason}
        for c in sorted(collected.checks.values(), key=lambda c: c.check.id)
    ]
    html = template.render(
        estate=estate,
        period=collected.period.to_json(),
        generated=generated,
        version=__version__,
        key_id=key_id,
        frameworks=cards,
        chart=_chart(frameworks),
        checks=checks,
        controls=rows,
    )
    return html.encode("utf-8")
