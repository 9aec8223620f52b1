"""The estate model: the example is valid; every kind of mistake is located and all are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccli.core.errors import DocumentInvalid, InputError
from seccli.estate.loader import load_estate
from seccli.estate.summary import summarise
from tests.estate.samples import MINIMAL_ESTATE, broken, line_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "claytom" / "estate.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(DocumentInvalid) as info:
        load_estate(path)
    return info.value.lines()


def test_minimal_estate_loads(tmp_path: Path) -> None:
    estate = load_estate(_write(tmp_path, MINIMAL_ESTATE)).estate
    booking = estate.service("holding", "booking-api")
    assert booking is not None and booking.account == "booking-api"
    assert booking.intents[0].target("holding") == ("holding", "payments-api")
    portal = estate.service("subs-shop", "shop-portal")
    assert portal is not None and portal.image_ref.pinned
    assert estate.rotation_days(estate.services[0].secrets[0]) == 90
    counts = summarise(estate)
    assert (counts.services, counts.intents, counts.secrets, counts.pinned_images) == (3, 2, 1, 1)


def test_example_estate_meets_the_brief() -> None:
    estate = load_estate(EXAMPLE).estate
    names = {ns.name for ns in estate.namespaces}
    assert "holding" in names
    subsidiaries = [ns for ns in estate.namespaces if ns.role == "subsidiary"]
    assert len(subsidiaries) == 35
    assert all(ns.name.startswith("subs-") for ns in subsidiaries)
    subdomains = {sd.name for sd in estate.subdomains}
    assert len(subdomains) >= 30
    required = {
        "api",
        "ceo",
        "bots",
        "profiles",
        "metrics",
        "status",
        "deploy",
        "training",
        "voice",
        "calls",
        "payments",
        "booking",
        "chat",
        "enterprise",
        "demo",
        "protech",
        "valencia",
        "peluquerias",
        "barberias",
        "restaurantes",
        "hoteles",
        "inmobiliarias",
    }
    assert required <= subdomains
    assert len(estate.services) >= 60
    edges = {
        (svc.name, estate_target)
        for svc in estate.services
        for estate_target in (i.target(svc.namespace)[1] for i in svc.intents)
    }
    assert {
        ("booking-api", "payments-api"),
        ("payments-api", "billing"),
        ("voice-gateway", "calls-router"),
    } <= edges
    audit_callers = {name for name, target in edges if target == "audit-collector"}
    assert audit_callers == {svc.name for svc in estate.services} - {"audit-collector"}
    hosts = {e.host for svc in estate.services for e in svc.egress}
    assert {"api.stripe.com", "api.twilio.com", "api.sendgrid.com"} <= hosts
    assert all(estate.rotation_days(s) == 90 for svc in estate.services for s in svc.secrets)
    assert all(svc.secrets for svc in estate.services)
    assert estate.defaults.slo.latency_p99_ms == 250
    assert estate.defaults.slo.availability == 99.99


@pytest.mark.parametrize(
    ("old", "new", "marker", "expected"),
    [
        (
            "      - to: payments-api\n",
            "      - to: payment-api\n",
            "to: payment-api",
            "services[1].intents[0].to: unknown intent target holding/payment-api "
            "(did you mean 'holding/payments-api'?)",
        ),
        (
            "      - to: payments-api\n        port: http\n",
            "      - to: payments-api\n        port: grpc\n",
            "port: grpc",
            "services[1].intents[0].port: holding/payments-api does not expose port 'grpc' "
            "(it exposes http:8080)",
        ),
        (
            "        port: 8080\n    egress:",
            "        port: 9999\n    egress:",
            "port: 9999",
            "services[2].intents[0].port: holding/booking-api does not expose port 9999",
        ),
        (
            "    namespace: subs-shop\n",
            "    namespace: subs-shoe\n",
            "subs-shoe",
            "services[2].namespace: unknown namespace 'subs-shoe' (did you mean 'subs-shop'?)",
        ),
        (
            "image: registry.tiny.example/booking-api:1.0.0",
            "image: registry.tiny.example/Booking-API:1.0.0",
            "Booking-API",
            "services[1].image: malformed repository component 'Booking-API'",
        ),
        (
            "      - path: kv/holding/payments-api",
            "      - path: /kv/../etc",
            "/kv/../etc",
            "services[0].secrets[0].path: malformed secret path '/kv/../etc'",
        ),
        (
            "        port: 8080\n    image: registry.tiny.example/payments-api",
            "        port: eighty\n    image: registry.tiny.example/payments-api",
            "port: eighty",
            "services[0].ports[0].port: Input should be a valid integer",
        ),
        (
            "  - name: holding\n    role: holding",
            "  - name: holding\n    role: subsidiary",
            "name: holding",
            "namespaces[0].name: subsidiary namespace 'holding' must be named subs-<slug>",
        ),
        (
            "trustDomain: tiny.example",
            "trustDomain: Tiny Example",
            "trustDomain",
            "trustDomain: trust domain 'Tiny Example' must be",
        ),
        (
            "        cidrs: [203.0.113.0/24]",
            "        cidrs: [203.0.113.7/24]",
            "203.0.113.7",
            "services[2].egress[0].cidrs: not a CIDR",
        ),
        ("mesh: istio", "mesh: consul", "mesh: consul", "mesh: Input should be 'istio'"),
        (
            "    dataClasses: [payment]",
            "    dataClasses: [payment]\n    colour: blue",
            "colour: blue",
            "services[0].colour: unknown field 'colour'",
        ),
    ],
)
def test_each_mistake_is_reported_with_line_and_path(
    tmp_path: Path, old: str, new: str, marker: str, expected: str
) -> None:
    text = broken(old, new)
    (problem,) = _problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'estate.yaml'}:{line_of(text, marker)}: {expected}")


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = (
        MINIMAL_ESTATE.replace("      - to: payments-api\n", "      - to: nowhere\n")
        .replace("    namespace: subs-shop\n", "    namespace: subs-nope\n")
        .replace("  - name: booking\n    squad", "  - name: payments\n    squad")
    )
    problems = _problems(tmp_path, text)
    assert len(problems) == 5, problems
    joined = "\n".join(problems)
    assert "duplicate subdomain 'payments'" in joined
    assert "unknown intent target holding/nowhere" in joined
    assert "unknown namespace 'subs-nope'" in joined
    assert joined.count("unknown subdomain 'booking'") == 2  # booking-api and shop-portal
    # Sorted by line.
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_duplicate_services_and_ports(tmp_path: Path) -> None:
    text = broken("  - name: booking-api\n", "  - name: payments-api\n").replace(
        "      - to: payments-api\n        port: http",
        "      - to: payments-api\n        port: 8080",
    )
    problems = "\n".join(_problems(tmp_path, text))
    assert (
        "services[1].name: duplicate service 'holding/payments-api' (also services[0])" in problems
    )


def test_wrong_kind_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"estate.yaml:2: expected kind Estate, found 'Pod'"):
        load_estate(_write(tmp_path, broken("kind: Estate", "kind: Pod")))
    with pytest.raises(InputError, match="must be a mapping"):
        load_estate(_write(tmp_path, "- just\n- a list\n"))


def test_missing_fields_are_named(tmp_path: Path) -> None:
    text = broken("organisation: Tiny Corp\n", "")
    (problem,) = _problems(tmp_path, text)
    assert problem.endswith("missing required field 'organisation'")
