"""A small valid estate as text, and helpers to break it in precise places."""

from __future__ import annotations

MINIMAL_ESTATE = """\
apiVersion: seccli.dev/v1alpha1
kind: Estate
metadata:
  name: tiny
organisation: Tiny Corp
trustDomain: tiny.example
cluster: tiny-prod
mesh: istio
namespaces:
  - name: holding
    role: holding
  - name: subs-shop
    role: subsidiary
subdomains:
  - name: payments
    squad: squad-payments
  - name: booking
    squad: squad-booking
services:
  - name: payments-api
    namespace: holding
    subdomain: payments
    ports:
      - name: http
        port: 8080
    image: registry.tiny.example/payments-api:1.0.0
    secrets:
      - path: kv/holding/payments-api
    dataClasses: [payment]
  - name: booking-api
    namespace: holding
    subdomain: booking
    ports:
      - name: http
        port: 8080
    image: registry.tiny.example/booking-api:1.0.0
    intents:
      - to: payments-api
        port: http
        methods: [POST]
        paths: [/v1/charges]
  - name: shop-portal
    namespace: subs-shop
    subdomain: booking
    ports:
      - name: http
        port: 8080
    image: registry.tiny.example/shop-portal@sha256:{digest}
    intents:
      - to: holding/booking-api
        port: 8080
    egress:
      - host: api.stripe.com
        cidrs: [203.0.113.0/24]
""".replace("{digest}", "a" * 64)


def line_of(text: str, marker: str) -> int:
    """1-based line number of the first line containing ``marker``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"marker {marker!r} not in text")


def broken(old: str, new: str) -> str:
    """The minimal estate with exactly one occurrence of ``old`` replaced by ``new``."""
    assert MINIMAL_ESTATE.count(old) == 1, f"{old!r} must occur exactly once"
    return MINIMAL_ESTATE.replace(old, new)
