"""Roster determinism and level shares, routing, RACI, reports, and the holding at scale."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest

from seccli.core.errors import InputError
from seccli.org.holding import (
    generate_holding,
    replenish,
    simulate_departures,
    validate_holding,
)
from seccli.org.loader import load_org
from seccli.org.model import Level
from seccli.org.oncall import OnCallIndex, to_epoch
from seccli.org.reports import coverage_report, headcount_report, load_report, org_chart_dot
from seccli.org.roster import SYNTHETIC_MARK, Roster, generate_roster, level_counts
from seccli.org.routing import FindingLocation, Router, raci_by_team, raci_entry, raci_matrix
from tests.org.samples import EXAMPLE_ORG, load_data, minimal_org

LEVELS = (
    Level(id="L4", title="director", per30=5),
    Level(id="L3", title="coordinator", per30=10),
    Level(id="L2", title="specialist", per30=10),
    Level(id="L1", title="innovator", per30=5),
)


def test_level_shares_follow_per_30() -> None:
    assert level_counts(LEVELS, 30) == [("L4", 5), ("L3", 10), ("L2", 10), ("L1", 5)]
    assert level_counts(LEVELS, 1500) == [("L4", 250), ("L3", 500), ("L2", 500), ("L1", 250)]
    # 160 = 26.67 + 53.33 + 53.33 + 26.67: the largest remainders round up
    assert level_counts(LEVELS, 160) == [("L4", 27), ("L3", 53), ("L2", 53), ("L1", 27)]
    assert level_counts(LEVELS, 10) == [("L4", 2), ("L3", 3), ("L2", 3), ("L1", 2)]
    for n in range(1, 200):
        assert sum(count for _, count in level_counts(LEVELS, n)) == n


def test_same_seed_same_roster_byte_for_byte() -> None:
    org = load_data(minimal_org()).org
    first, second = generate_roster(org, 11), generate_roster(org, 11)
    assert first.to_csv() == second.to_csv() and first.to_json() == second.to_json()
    other = generate_roster(org, 12)
    assert other.to_csv() != first.to_csv()
    # IDs, levels and regions do not depend on the seed; names do
    assert [(p.id, p.level, p.region) for p in other.people] == [
        (p.id, p.level, p.region) for p in first.people
    ]
    assert [p.name for p in other.people] != [p.name for p in first.people]
    # the document's seed is the default
    assert generate_roster(org).to_csv() == generate_roster(org, 7).to_csv()


def test_roster_contents() -> None:
    org = load_data(minimal_org()).org
    roster = generate_roster(org, 1)
    assert len(roster.people) == 60
    people = roster.by_id()
    assert set(people) == {f"appsec-{n:04d}" for n in range(1, 25)} | {
        f"ciso-office-{n:04d}" for n in range(1, 7)
    } | {f"api-sec-{n:04d}" for n in range(1, 31)}
    assert all(p.name.endswith(SYNTHETIC_MARK) for p in roster.people)
    assert Counter(p.level for p in roster.people if p.team == "api-sec") == {
        "L4": 5,
        "L3": 10,
        "L2": 10,
        "L1": 5,
    }
    assert people["api-sec-0001"].level == "L4" and people["api-sec-0030"].level == "L1"
    assert people["appsec-0005"].squads == (("squad-payments", 50),)
    assert people["appsec-0005"].allocation == 50
    assert Counter(p.region for p in roster.people) == {"emea": 30, "americas": 30}
    assert set(people["api-sec-0003"].skills) <= {"oauth2", "gateway", "rate-limits"}
    assert people["api-sec-0003"].time_zone in {"Europe/Madrid", "America/New_York"}
    rows = list(csv.DictReader(io.StringIO(roster.to_csv())))
    assert rows[0]["id"] == "ciso-office-0001" and len(rows) == 60
    payload = json.loads(roster.to_json())
    assert payload["count"] == 60 and payload["seed"] == 1


def test_example_roster_is_1300_people_with_levels_per_plan() -> None:
    org = load_org(EXAMPLE_ORG).org
    roster = generate_roster(org)
    assert len(roster.people) == 1300
    report = headcount_report(org, roster)
    assert report["tracks"]["security"] == {"declared": 900, "planned": 900, "actual": 900}
    assert report["tracks"]["api"] == {"declared": 400, "planned": 400, "actual": 400}
    assert all(row["delta"] == 0 for row in report["rows"])
    assert max(p.allocation for p in roster.people) <= 100


def test_headcount_report_shows_shortfalls() -> None:
    org = load_data(minimal_org()).org
    full = generate_roster(org, 1)
    short = Roster(full.organisation, 1, tuple(p for p in full.people if p.id != "appsec-0001"))
    report = headcount_report(org, short)
    (row,) = [r for r in report["rows"] if r["team"] == "appsec" and r["level"] == "L4"]
    assert (row["planned"], row["actual"], row["delta"]) == (4, 3, -1)
    assert report["tracks"]["security"]["actual"] == 29


def test_coverage_and_load_reports() -> None:
    org = load_data(minimal_org()).org
    start = to_epoch_text("2026-01-06T00:00:00Z")
    rows = coverage_report(org, ["payments", "booking", "voice"], start, start + 30 * 86400)
    by_name = {row["subdomain"]: row for row in rows}
    assert by_name["payments"]["covered"] is True and by_name["payments"]["gapHours"] == 0
    assert (by_name["payments"]["security"], by_name["payments"]["api"]) == (5, 5)
    assert by_name["voice"]["squad"] is None and by_name["voice"]["covered"] is False
    load = load_report(OnCallIndex(org), start, start + 7 * 86400)
    assert load["summary"]["totalHours"] == pytest.approx(2 * 7 * 24)
    assert load["people"][0]["hours"] >= load["people"][-1]["hours"]


def to_epoch_text(text: str) -> int:
    from datetime import datetime

    return to_epoch(datetime.fromisoformat(text))


def test_org_chart_dot() -> None:
    org = load_data(minimal_org()).org
    dot = org_chart_dot(org, generate_roster(org, 1), squads=True)
    assert dot.startswith("digraph org {") and dot.rstrip().endswith("}")
    assert '"team:ciso-office" -> "team:appsec";' in dot
    assert '"team:ciso-office" -> "team:api-sec";' in dot
    assert '"team:api-sec" -> "squad:squad-payments" [style=dashed];' in dot
    assert SYNTHETIC_MARK in dot
    assert org_chart_dot(org) == org_chart_dot(org)


def test_routing_by_subdomain_service_namespace_category_and_rules() -> None:
    org = load_data(minimal_org()).org
    router = Router(
        org,
        service_subdomains={("holding", "payments-api"): "payments"},
        namespace_subdomains={"subs-shop": "booking"},
    )
    route = router.route(FindingLocation(subdomain="booking"), "secrets")
    assert (route.squad, route.team) == ("squad-booking", "ciso-office")
    route = router.route(FindingLocation(namespace="holding", service="payments-api"), "api/authz")
    assert (route.squad, route.team, route.subdomain) == ("squad-payments", "api-sec", "payments")
    route = router.route(FindingLocation(service="payments-api"), "code")
    assert (route.squad, route.team) == ("squad-payments", "appsec")  # default team
    route = router.route(FindingLocation(namespace="subs-shop"), "code")
    assert route.squad == "squad-booking"
    # rules win: infra paths go to api-sec; payments dependencies to the CISO office
    route = router.route(FindingLocation(subdomain="booking", path="infra/main.tf"), "iac")
    assert (route.squad, route.team) == ("squad-booking", "api-sec")
    assert "routing.rules[0]" in route.reason
    route = router.route(FindingLocation(subdomain="payments"), "dependency")
    assert route.team == "ciso-office"
    route = router.route(FindingLocation(subdomain="booking"), "dependency")
    assert route.team == "appsec"
    route = router.route(FindingLocation(), "secrets")
    assert route.squad is None and route.team == "ciso-office"


def test_raci() -> None:
    org = load_data(minimal_org()).org
    assert raci_entry(org, "privacy").accountable == "ciso-office"
    with pytest.raises(InputError, match="no RACI entry for control family 'crypto'"):
        raci_entry(org, "crypto")
    matrix = raci_matrix(org)
    assert list(matrix) == ["access-control", "privacy"]
    assert raci_by_team(org)["api-sec"] == {"access-control": "RC", "privacy": "R"}
    assert raci_by_team(org)["ciso-office"]["access-control"] == "AI"
    example = load_org(EXAMPLE_ORG).org
    families = {entry.family for entry in example.raci}
    for family in (
        "access-control",
        "cryptography",
        "incident-response",
        "supplier-security",
        "privacy",
    ):
        assert family in families


def test_small_holding_generates_validates_and_replenishes() -> None:
    org = load_data(minimal_org()).org
    holding = generate_holding(org, 5)
    assert len(holding) == 90
    assert validate_holding(org, holding) == []
    assert holding.headcount()["beta"] == {"L4": 5, "L3": 10, "L2": 10, "L1": 5}
    assert len(holding.cohorts) == 3 and all(len(ops) == 2 for ops in holding.cohorts.values())
    trainer, operators = next(iter(holding.cohorts.items()))
    assert holding.cohort_of(operators[0]) == trainer
    assert holding.agent(trainer).level == "L3"  # type: ignore[union-attr]
    # two departures in alpha (a director and the first trainer), none elsewhere
    plan = replenish(org, holding, ["alpha-00001", trainer])
    assert [(v.id, v.subsidiary, v.level, v.replaces) for v in plan.vacancies] == [
        ("alpha-00031", "alpha", "L4", "alpha-00001"),
        ("alpha-00032", "alpha", "L3", trainer),
    ]
    assert plan.orphaned_cohorts == (trainer,)
    assert plan.as_dict()["bySubsidiary"] == {"alpha": 2}
    with pytest.raises(InputError, match="unknown agents: zeta-00001"):
        replenish(org, holding, ["zeta-00001"])


def test_holding_validation_catches_shortfalls() -> None:
    org = load_data(minimal_org()).org
    holding = generate_holding(org, 5)
    holding.agents = [a for a in holding.agents if a.id != "gamma-00030"]
    holding.cohorts.popitem()
    problems = validate_holding(org, holding)
    assert "gamma has 29 agents, below the minimum of 30" in problems
    assert "gamma has 4 agents at L1, plan 5" in problems
    assert "2 training cohorts, plan 3 trainers" in problems


def test_example_holding_is_52500_agents_with_500_cohorts() -> None:
    org = load_org(EXAMPLE_ORG).org
    holding = generate_holding(org)
    assert len(holding) == 52_500
    assert validate_holding(org, holding) == []
    assert len(holding.cohorts) == 500
    assert sum(len(ops) for ops in holding.cohorts.values()) == 1000
    counts = holding.headcount()
    assert len(counts) == 35
    assert all(c == {"L4": 250, "L3": 500, "L2": 500, "L1": 250} for c in counts.values())
    gone = simulate_departures(holding, 40, 9)
    assert gone == simulate_departures(holding, 40, 9)
    plan = replenish(org, holding, gone)
    assert len(plan.vacancies) == 40
    assert Counter(v.level for v in plan.vacancies) == Counter(
        holding.agent(g).level
        for g in gone  # type: ignore[union-attr]
    )


def test_holding_exports_are_deterministic() -> None:
    org = load_data(minimal_org()).org
    assert generate_holding(org, 4).to_csv() == generate_holding(org, 4).to_csv()
    assert generate_holding(org, 4).to_json() == generate_holding(org, 4).to_json()
    assert generate_holding(org, 4).to_csv() != generate_holding(org, 5).to_csv()
    payload = json.loads(generate_holding(org, 4).to_json())
    assert payload["count"] == 90 and len(payload["cohorts"]) == 3


def test_csv_cells_cannot_become_spreadsheet_formulas() -> None:
    data = minimal_org()
    data["teams"][0]["skills"] = ['=HYPERLINK("http://x")', "+1", "risk"]
    org = load_data(data).org
    text = generate_roster(org, 1).to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    skills = [row["skills"] for row in rows if row["team"] == "ciso-office"]
    assert skills and all(not cell.startswith(("=", "+")) for cell in skills)
    assert any(cell.startswith("'=") or cell.startswith("'+") for cell in skills)


def test_coverage_report_lists_gaps_with_times() -> None:
    data = minimal_org()
    data["schedules"][0]["layers"][0]["restrictions"] = [
        {"type": "daily", "start": "00:00", "end": "23:00"}
    ]
    from seccli.org.model import SecurityOrg

    org = SecurityOrg.model_validate(data)
    start = to_epoch_text("2026-02-02T00:00:00Z")
    (row,) = coverage_report(org, ["payments"], start, start + 2 * 86400)
    assert row["covered"] is False and row["gapHours"] == 2
    assert row["gaps"] == [
        {
            "schedule": "payments-primary",
            "start": "2026-02-02T23:00:00Z",
            "end": "2026-02-03T00:00:00Z",
        },
        {
            "schedule": "payments-primary",
            "start": "2026-02-03T23:00:00Z",
            "end": "2026-02-04T00:00:00Z",
        },
    ]
