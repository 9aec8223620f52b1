"""Org validation: totals, squads, lead chains, allocations, every problem at once with lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seccli.core.errors import DocumentInvalid, InputError
from seccli.estate.loader import load_estate
from seccli.org.loader import load_org
from tests.org.samples import (
    EXAMPLE_ESTATE,
    EXAMPLE_ORG,
    line_of,
    load_data,
    load_text,
    minimal_org,
    to_yaml,
)


def problems_of(data: dict[str, Any], subdomains: list[str] | None = None) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        load_data(data, subdomains)
    return caught.value


def test_example_org_is_valid_against_the_example_estate() -> None:
    estate = load_estate(EXAMPLE_ESTATE).estate
    loaded = load_org(EXAMPLE_ORG, [s.name for s in estate.subdomains])
    org = loaded.org
    security = [t for t in org.teams if t.track.value == "security"]
    api = [t for t in org.teams if t.track.value == "api"]
    assert sum(t.headcount for t in security) == 900 and len(security) == 16
    assert sum(t.headcount for t in api) == 400 and len(api) == 6
    # Every estate subdomain is owned by the squad the estate names.
    for subdomain in estate.subdomains:
        assert org.squad_of_subdomain[subdomain.name].id == subdomain.squad
    assert len(org.squads) == 36
    assert {t.id: t.nice_roles for t in org.teams}["soc"] == ("PD-WRL-001",)


def test_minimal_org_is_valid() -> None:
    loaded = load_data(minimal_org())
    assert loaded.org.organisation == "Tiny Corp"


@pytest.mark.parametrize(("delta", "shown"), [(1, "+1"), (-1, "-1")])
def test_totals_off_by_one_are_reported_at_the_totals_line(delta: int, shown: str) -> None:
    data = minimal_org()
    data["teams"][1]["headcount"] += delta
    text = to_yaml(data)
    with pytest.raises(DocumentInvalid) as caught:
        load_text(text)
    messages = [p for p in caught.value.problems if "totals.security" in p.message]
    assert len(messages) == 1
    problem = messages[0]
    assert f"add up to {30 + delta}" in problem.message and f"({shown};" in problem.message
    assert problem.location.line == line_of(text, "security: 30")
    assert problem.location.path == "totals.security"
    assert not any("totals.api" in p.message for p in caught.value.problems)


def test_api_total_checked_separately() -> None:
    data = minimal_org()
    data["totals"]["api"] = 31
    problem = problems_of(data).problems
    assert [p.location.path for p in problem] == ["totals.api"]
    assert "api teams add up to 30, but totals.api declares 31 (-1" in problem[0].message


def test_squad_below_minimum_and_without_mix() -> None:
    data = minimal_org()
    data["squads"][0]["members"] = data["squads"][0]["members"][:9]
    data["squads"][1]["members"] = [f"appsec-{n:04d}" for n in range(10, 20)]
    messages = [p.message for p in problems_of(data).problems]
    assert "squad-payments has 9 members, at least 10" in messages
    assert any("squad-booking must mix API and security" in m and "no api" in m for m in messages)


def test_squad_of_exactly_ten_mixed_passes_and_minimum_is_configurable() -> None:
    data = minimal_org()
    assert len(data["squads"][0]["members"]) == 10
    load_data(data)
    data["rules"] = {"minSquadSize": 11}
    messages = [p.message for p in problems_of(data).problems]
    assert "squad-payments has 10 members, at least 11" in messages


def test_every_estate_subdomain_needs_a_squad_and_squads_need_estate_subdomains() -> None:
    messages = [p.message for p in problems_of(minimal_org(), ["payments", "voice"]).problems]
    assert any("subdomain 'voice' of the estate has no squad" in m for m in messages)
    assert any("the estate has no subdomain 'booking'" in m for m in messages)


def test_unknown_and_duplicate_members() -> None:
    data = minimal_org()
    data["squads"][0]["members"][0] = "appsec-0099"  # appsec has 24 people
    data["squads"][0]["members"][2] = "appsec-0006"
    messages = [p.message for p in problems_of(data).problems]
    assert "'appsec-0099' is not a member of any team" in messages
    assert "'appsec-0006' is listed twice in squad-payments" in messages


def test_allocation_over_100_percent_is_reported_where_it_crosses() -> None:
    data = minimal_org()
    data["squads"][1]["members"][4] = "appsec-0005"  # also in squad-payments at 50 %
    data["squads"][1]["allocation"] = 60
    text = to_yaml(data)
    with pytest.raises(DocumentInvalid) as caught:
        load_text(text)
    (problem,) = [p for p in caught.value.problems if "allocated" in p.message]
    expected = "appsec-0005 is allocated 110% (squad-payments 50%, squad-booking 60%)"
    assert expected in problem.message
    assert problem.location.path == "squads[1].members[4]"
    # Exactly 100 % is allowed.
    data["squads"][1]["allocation"] = 50
    load_data(data)


def test_explicit_percent_per_member() -> None:
    data = minimal_org()
    data["squads"][1]["members"][4] = {"person": "appsec-0005", "percent": 51}
    messages = [p.message for p in problems_of(data).problems]
    assert any("appsec-0005 is allocated 101%" in m for m in messages)


def test_lead_chain_problems() -> None:
    data = minimal_org()
    data["teams"][1]["lead"] = "api-sec-0001"  # not in appsec
    data["teams"][2]["lead"] = "api-sec-0010"  # api-sec has 5 directors
    messages = [p.message for p in problems_of(data).problems]
    assert any("lead 'api-sec-0001' is not a member of team 'appsec'" in m for m in messages)
    assert any("lead 'api-sec-0010' is not a L4" in m for m in messages)


def test_lead_chain_cycles_unknown_and_roots() -> None:
    data = minimal_org()
    data["teams"][0]["reportsTo"] = "appsec"
    messages = [p.message for p in problems_of(data).problems]
    assert "no team is at the top: every team has reportsTo" in messages
    assert any("the lead chain loops: appsec -> ciso-office -> appsec" in m for m in messages)
    data = minimal_org()
    data["teams"][1]["reportsTo"] = "nobody"
    messages = [p.message for p in problems_of(data).problems]
    assert "reportsTo names an unknown team 'nobody'" in messages
    data = minimal_org()
    del data["teams"][2]["reportsTo"]
    problems = problems_of(data).problems
    assert problems[0].location.path == "teams[2].reportsTo"
    assert "more than one team is at the top" in problems[0].message


def test_cross_references_of_schedules_policies_routing_raci() -> None:
    data = minimal_org()
    data["schedules"][0]["squad"] = "squad-nope"
    data["schedules"][0]["layers"][0]["members"].append("ghost-0001")
    data["escalationPolicies"][0]["levels"][0]["targets"][0]["schedule"] = "missing"
    data["routing"]["defaultTeam"] = "nope"
    data["raci"][0]["accountable"] = "nope"
    data["squads"][0]["escalationPolicy"] = "ep-none"
    messages = {p.location.path: p.message for p in problems_of(data).problems}
    assert messages["schedules[0].squad"] == "unknown squad 'squad-nope'"
    ghost = messages["schedules[0].layers[0].members[2]"]
    assert ghost == "'ghost-0001' is not a member of any team"
    assert (
        messages["escalationPolicies[0].levels[0].targets[0].schedule"]
        == "unknown schedule 'missing'"
    )
    assert messages["routing.defaultTeam"] == "unknown team 'nope'"
    assert messages["raci[0].accountable"] == "unknown team 'nope'"
    assert messages["squads[0].escalationPolicy"] == "unknown escalation policy 'ep-none'"


def test_all_problems_at_once_each_with_a_line() -> None:
    data = minimal_org()
    data["totals"]["security"] = 29
    data["squads"][0]["members"] = data["squads"][0]["members"][:8]
    data["teams"][1]["lead"] = "appsec-0024"
    data["levels"][3]["per30"] = 4
    text = to_yaml(data)
    with pytest.raises(DocumentInvalid) as caught:
        load_text(text)
    problems = caught.value.problems
    assert len(problems) >= 4
    assert all(p.location.file == "org.yaml" and p.location.line for p in problems)
    paths = {p.location.path for p in problems}
    assert {"totals.security", "squads[0].members", "teams[1].lead", "levels"} <= paths
    lines = caught.value.lines()
    assert any(line.startswith(f"org.yaml:{line_of(text, 'security: 29')}:") for line in lines)


def test_schema_errors_have_lines() -> None:
    data = minimal_org()
    data["regions"][0]["timeZone"] = "Mars/Olympus"
    data["teams"][0]["colour"] = "red"
    data["schedules"][0]["layers"][0]["turn"] = "3 days"
    data["teams"][1]["niceRoles"] = ["not-a-role"]
    text = to_yaml(data)
    with pytest.raises(DocumentInvalid) as caught:
        load_text(text)
    found = {p.location.path: (p.location.line, p.message) for p in caught.value.problems}
    assert found["regions[0].timeZone"][0] == line_of(text, "Mars/Olympus")
    assert "unknown time zone 'Mars/Olympus'" in found["regions[0].timeZone"][1]
    assert found["teams[0].colour"] == (line_of(text, "colour: red"), "unknown field 'colour'")
    assert "expected a turn length" in found["schedules[0].layers[0].turn"][1]
    assert "teams[1].niceRoles[0]" in found


def test_malformed_yaml_and_wrong_kind(tmp_path: Path) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("apiVersion: seccli.dev/v1alpha1\nkind: SecurityOrg\nteams: [\n")
    with pytest.raises(InputError) as caught:
        load_org(bad)
    assert str(caught.value).startswith(f"{bad}:")
    assert "invalid YAML" in str(caught.value)
    wrong = tmp_path / "estate.yaml"
    wrong.write_text("apiVersion: seccli.dev/v1alpha1\nkind: Estate\n")
    with pytest.raises(InputError, match=r"estate\.yaml:2: expected kind SecurityOrg"):
        load_org(wrong)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="an org must be a mapping"):
        load_org(listing)


def test_restriction_and_override_checks() -> None:
    data = minimal_org()
    data["schedules"][1]["layers"][0]["restrictions"] = [
        {"type": "weekly", "start": "08:00", "end": "20:00"}
    ]
    data["schedules"][0]["overrides"] = [
        {"person": "appsec-0005", "start": "2026-02-01T10:00:00Z", "end": "2026-02-01T09:00:00Z"}
    ]
    messages = [p.message for p in problems_of(data).problems]
    assert any("weekly restriction needs startDay and endDay" in m for m in messages)
    assert any("override end must be after its start" in m for m in messages)


def test_holding_training_feasibility() -> None:
    data = minimal_org()
    data["holding"]["training"]["trainers"] = 40  # only 3 x 10 agents are L3
    data["holding"]["training"]["operators"] = 7
    messages = [p.message for p in problems_of(data).problems]
    assert "40 trainers wanted but only 30 agents are L3" in messages
    assert "7 operators do not split evenly across 40 trainers" in messages


def test_squad_schedules_rotate_only_squad_members() -> None:
    data = minimal_org()
    data["schedules"][0]["layers"][0]["members"] = ["appsec-0005", "api-sec-0020"]
    (problem,) = problems_of(data).problems
    assert problem.location.path == "schedules[0].layers[0].members[1]"
    assert problem.message == (
        "api-sec-0020 is on call for squad-payments but is not one of its members"
    )
