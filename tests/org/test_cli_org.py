"""``seccli org``: exit codes, file:line errors, JSON, determinism of exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.org.samples import EXAMPLE_ESTATE, EXAMPLE_ORG, line_of, minimal_org, to_yaml

ESTATE_TINY = """\
apiVersion: seccli.dev/v1alpha1
kind: Estate
metadata:
  name: tiny
organisation: Tiny Corp
trustDomain: tiny.example
cluster: tiny-prod
namespaces:
  - name: holding
    role: holding
subdomains:
  - name: payments
    squad: squad-payments
  - name: booking
    squad: squad-booking
services:
  - name: payments-api
    namespace: holding
    subdomain: payments
    image: registry.tiny.example/payments-api:1.0.0
"""


def seccli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", "--store", str(cwd / "state.db"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester"},
        timeout=120,
    )


def tiny(tmp_path: Path, text: str | None = None) -> list[str]:
    (tmp_path / "estate.yaml").write_text(ESTATE_TINY)
    (tmp_path / "org.yaml").write_text(text if text is not None else to_yaml(minimal_org()))
    return ["--org", str(tmp_path / "org.yaml"), "--estate", str(tmp_path / "estate.yaml")]


def test_validate_example_json(tmp_path: Path) -> None:
    result = seccli(
        "org",
        "validate",
        str(EXAMPLE_ORG),
        "--estate",
        str(EXAMPLE_ESTATE),
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["valid"] is True
    assert payload["counts"]["security"] == 900 and payload["counts"]["api"] == 400
    assert payload["counts"]["subdomains"] == 36 and payload["counts"]["holdingAgents"] == 52_500


def test_invalid_org_exits_2_with_file_and_line(tmp_path: Path) -> None:
    data = minimal_org()
    data["totals"]["security"] = 31
    data["squads"][0]["members"] = data["squads"][0]["members"][:5]
    text = to_yaml(data)
    tiny(tmp_path, text)
    org_file = tmp_path / "org.yaml"
    result = seccli(
        "org", "validate", str(org_file), "--estate", str(tmp_path / "estate.yaml"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    expected = f"error: {org_file}:{line_of(text, 'security: 31')}: totals.security: "
    assert expected in result.stderr
    assert "squad-payments has 5 members, at least 10" in result.stderr
    as_json = seccli(
        "org",
        "validate",
        str(org_file),
        "--estate",
        str(tmp_path / "estate.yaml"),
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert as_json.returncode == 2
    problems = json.loads(as_json.stdout)["problems"]
    assert all(p["line"] for p in problems) and len(problems) >= 3


def test_malformed_yaml_exits_2(tmp_path: Path) -> None:
    options = tiny(tmp_path, "kind: SecurityOrg\nteams: [a\n")
    result = seccli("org", "who", "--subdomain", "payments", *options, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'org.yaml'}:" in result.stderr and "invalid YAML" in result.stderr


def test_who_json_and_bad_time(tmp_path: Path) -> None:
    options = tiny(tmp_path)
    result = seccli(
        "org",
        "who",
        "--subdomain",
        "payments",
        "--at",
        "2026-01-05T12:00:00Z",
        "-f",
        "json",
        *options,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["primary"]["person"] == "api-sec-0006"
    assert payload["primary"]["name"].endswith("(synthetic)")
    assert payload["secondary"]["person"] == "appsec-0001"
    assert [e["at"] for e in payload["escalations"]][:2] == [
        "2026-01-05T12:00:00Z",
        "2026-01-05T12:10:00Z",
    ]
    bad = seccli(
        "org", "who", "--subdomain", "payments", "--at", "yesterday", *options, cwd=tmp_path
    )
    assert bad.returncode == 2 and "not an ISO 8601 time" in bad.stderr
    unknown = seccli("org", "who", "--subdomain", "voice", *options, cwd=tmp_path)
    assert unknown.returncode == 2 and "no squad owns subdomain 'voice'" in unknown.stderr


def test_roster_exports_are_deterministic(tmp_path: Path) -> None:
    options = tiny(tmp_path)
    first = seccli("org", "roster", "--seed", "3", "-f", "json", *options, cwd=tmp_path)
    second = seccli(
        "org",
        "roster",
        "--seed",
        "3",
        "-f",
        "json",
        "-o",
        str(tmp_path / "r.json"),
        *options,
        cwd=tmp_path,
    )
    assert first.returncode == 0 and second.returncode == 0
    assert (tmp_path / "r.json").read_text() == first.stdout
    csv_out = seccli("org", "roster", "--seed", "3", *options, cwd=tmp_path)
    assert csv_out.stdout.splitlines()[0].startswith("id,name,team,track,level")
    assert len(csv_out.stdout.splitlines()) == 61


def test_oncall_report_raci_route_replenish(tmp_path: Path) -> None:
    options = tiny(tmp_path)
    oncall = seccli(
        "org",
        "oncall",
        "--from",
        "2026-01-05T00:00:00Z",
        "--to",
        "2026-01-06T00:00:00Z",
        "--schedule",
        "payments-primary",
        "-f",
        "json",
        *options,
        cwd=tmp_path,
    )
    assert oncall.returncode == 0, oncall.stderr
    segments = json.loads(oncall.stdout)["schedules"]["payments-primary"]["segments"]
    assert [(s["start"], s["person"]) for s in segments] == [
        ("2026-01-05T00:00:00Z", "appsec-0005"),
        ("2026-01-05T12:00:00Z", "api-sec-0006"),
    ]
    chart = seccli("org", "report", "chart", "-f", "dot", *options, cwd=tmp_path)
    assert chart.returncode == 0 and chart.stdout.startswith("digraph org {")
    headcount = seccli("org", "report", "headcount", "-f", "json", *options, cwd=tmp_path)
    assert json.loads(headcount.stdout)["tracks"]["api"]["actual"] == 30
    raci = seccli("org", "raci", "--family", "privacy", "-f", "json", *options, cwd=tmp_path)
    assert json.loads(raci.stdout)["raci"]["privacy"]["accountable"] == "ciso-office"
    route = seccli(
        "org",
        "route",
        "--category",
        "secrets",
        "--namespace",
        "holding",
        "--service",
        "payments-api",
        "-f",
        "json",
        *options,
        cwd=tmp_path,
    )
    assert json.loads(route.stdout)["squad"] == "squad-payments"
    departures = tmp_path / "gone.txt"
    departures.write_text("# left in March\nalpha-00001\nomega-00002\n")
    bad = seccli("org", "replenish", "--departures", str(departures), *options, cwd=tmp_path)
    assert bad.returncode == 2 and f"{departures}:3: unknown agent 'omega-00002'" in bad.stderr
    departures.write_text("alpha-00001\n")
    good = seccli(
        "org", "replenish", "--departures", str(departures), "-f", "json", *options, cwd=tmp_path
    )
    assert json.loads(good.stdout)["vacancies"][0]["id"] == "alpha-00031"


def test_schema_org(tmp_path: Path) -> None:
    result = seccli("schema", "org", cwd=tmp_path)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$id"] == "https://seccli.dev/schemas/org.json"
    assert "teams" in schema["properties"] and "escalationPolicies" in schema["properties"]


def test_holding_queries_and_export(tmp_path: Path) -> None:
    options = tiny(tmp_path)
    one = seccli("org", "holding", "--agent", "beta-00011", "-f", "json", *options, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    info = json.loads(one.stdout)
    assert (info["subsidiary"], info["level"]) == ("beta", "L3")
    exported = seccli("org", "holding", "-f", "csv", *options, cwd=tmp_path)
    rows = exported.stdout.splitlines()
    assert rows[0] == "id,name,subsidiary,level,trainingRole,cohort" and len(rows) == 91
    assert sum(1 for r in rows if ",trainer," in r) == 3
    assert sum(1 for r in rows if ",operator," in r) == 6
    missing = seccli("org", "holding", "--agent", "nope-00001", *options, cwd=tmp_path)
    assert missing.returncode == 2 and "no agent 'nope-00001'" in missing.stderr
