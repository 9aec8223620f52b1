"""Secrets stay out of str/repr/format and out of logs."""

from __future__ import annotations

import logging
import pickle

import pytest

from seccli.core.redaction import REDACTED, RedactingFilter, Redactor, Secret

CANARY = "canary-7f3a9c1e-do-not-leak"


def test_secret_never_shows_its_value() -> None:
    redactor = Redactor()
    secret = Secret(CANARY, redactor=redactor)
    for text in (
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        "%s" % (secret,),  # noqa: UP031
        repr([secret]),
        repr({"k": secret}),
    ):
        assert CANARY not in text
    assert secret.reveal() == CANARY
    assert CANARY in redactor
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_redactor_replaces_longest_values_first() -> None:
    redactor = Redactor()
    redactor.register("abcd")
    redactor.register("abcdefgh")
    redactor.register("xy")  # too short to register safely
    assert redactor.redact("v=abcdefgh w=abcd xy") == f"v={REDACTED} w={REDACTED} xy"


def test_logging_filter_redacts_messages_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redactor = Redactor()
    secret = Secret(CANARY, redactor=redactor)
    logger = logging.getLogger("seccli.test.redaction")
    logger.addFilter(RedactingFilter(redactor))
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("token is %s", secret.reveal())
        logger.info(f"inline {secret.reveal()}")
        try:
            raise RuntimeError(f"failed with {secret.reveal()}")
        except RuntimeError:
            logger.exception("boom")
    assert CANARY not in caplog.text
    assert caplog.text.count(REDACTED) >= 3
