"""``redact_url``/``redact_urls``: userinfo and token-like query parameters never printed."""

from __future__ import annotations

import pytest

from seccli.core.redaction import REDACTED
from seccli.core.urls import redact_url, redact_urls, same_origin


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:p4ss@vault:8200", f"http://{REDACTED}@vault:8200"),
        ("https://p4ss@registry.example/v2/", f"https://{REDACTED}@registry.example/v2/"),
        ("nats://u:p4ss@10.0.0.1:4222", f"nats://{REDACTED}@10.0.0.1:4222"),
        ("http://u:p%40ss@host/", f"http://{REDACTED}@host/"),
        ("http://u:p@ss@host/x", f"http://{REDACTED}@host/x"),  # '@' inside the password
        ("http://host/t?token=p4ss&scope=pull", f"http://host/t?token={REDACTED}&scope=pull"),
        ("http://host/t?X-Amz-Signature=p4ss", f"http://host/t?X-Amz-Signature={REDACTED}"),
        ("http://host/t?access_token=p4ss", f"http://host/t?access_token={REDACTED}"),
        ("http://host:8181", "http://host:8181"),
        ("http://host/a?scope=pull", "http://host/a?scope=pull"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "p4ss" not in redact_url(url)


def test_unparsable_urls_still_lose_userinfo() -> None:
    assert "p4ss" not in redact_url("http://u:p4ss@[::1")  # bad IPv6 literal: ValueError
    assert "p4ss" not in redact_url("http://u:p4ss@host:notaport/")


def test_redact_urls_in_text() -> None:
    text = "cannot reach 'http://admin:p4ss@127.0.0.1:1/v1' (and nats://x:y4ss@h:4222)"
    out = redact_urls(text)
    assert "p4ss" not in out and "y4ss" not in out and "admin" not in out
    assert "127.0.0.1:1/v1" in out
    assert redact_urls("no url here: a@b") == "no url here: a@b"


def test_same_origin() -> None:
    assert same_origin("http://h/a", "http://h:80/b")
    assert same_origin("https://H:443/a", "https://h/b?x")
    assert not same_origin("http://h/a", "https://h/a")
    assert not same_origin("http://h:1/a", "http://h:2/a")
    assert not same_origin("http://127.0.0.1:1/", "http://localhost:1/")
    assert not same_origin("http://h/", "http://h.evil/")


def test_redacting_log_filter_strips_url_credentials() -> None:
    import io
    import logging

    from seccli.core.redaction import RedactingFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("seccli.test.urls")
    logger.addHandler(handler)
    try:
        logger.warning("GET %s", "http://u:p4ss@h/x?token=t0k")
        try:
            raise ValueError("cannot reach http://u:p4ss@h/")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "p4ss" not in text and "t0k" not in text
    assert "http://***REDACTED***@h/x" in text
