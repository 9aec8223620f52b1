"""The matched-value helpers: checkov's mask undone against the line, bandit's quoted value,
literals in lines, and replacement that spares words but not the value."""

from __future__ import annotations

import pytest

from seccli.core.redaction import REDACTED
from seccli.scan.secret_match import (
    bandit_message,
    bandit_value,
    checkov_values,
    credential_like,
    literal_values,
    redact_values,
    secret_basis,
)

VALUES = [
    "a",
    "ab",
    "abc1",
    "hunter2",
    "AKIAJ2QW7XMPL3R5TZ4K",
    "correct horse battery staple",
    'it\'s "q" \\x',
    "pässwörd€",
    "x" * 60,
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize(
    "template",
    ['password: "{}"\n', "ENV TOKEN={}\n", "  key = '{}'  # note\n", "{}"],
)
def test_checkov_mask_is_undone_with_checkovs_own_masking(value: str, template: str) -> None:
    from checkov.common.util.secrets import omit_secret_value_from_line

    line = template.format(value)
    masked = omit_secret_value_from_line(value, line)
    assert masked != line
    found = checkov_values(line, masked)
    assert value in found
    # Whatever else is a candidate is a superstring of the value within the line.
    assert all(candidate in line for candidate in found)
    redacted = redact_values(line, found)
    assert REDACTED in redacted
    if len(value) > 2:  # shorter ones occur in the placeholder's own letters
        assert value not in redacted


def test_checkov_lines_that_do_not_line_up_give_nothing() -> None:
    assert checkov_values('password: "other"', 'password: "hun**********"') == set()
    assert checkov_values("no mask here", "no mask here") == set()


@pytest.mark.parametrize("value", VALUES)
def test_bandit_value_and_message(value: str) -> None:
    message = f"Possible hardcoded password: '{value}'"
    assert bandit_value(message) == value
    assert bandit_message(message, value) == f"Possible hardcoded password: '{REDACTED}'"


def test_bandit_message_without_a_quoted_value() -> None:
    assert bandit_value("Possible hardcoded password") is None
    assert bandit_value("Possible hardcoded password: ''") is None


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("password is a", "a", f"password is {REDACTED}"),  # short: only where it stands alone
        ("'Zq'", "Zq", f"'{REDACTED}'"),
        ("abcdefgh inside xabcdefghx", "abcdefgh", f"{REDACTED} inside x{REDACTED}x"),
        ('json "it\\"s"', 'it"s', f'json "{REDACTED}"'),  # escaped forms too
        ("uni \\u00e4b", "äb", f"uni {REDACTED}"),
        ("two words here and there", "two words here", f"{REDACTED} and there"),
    ],
)
def test_redact_values(text: str, value: str, expected: str) -> None:
    assert redact_values(text, [value]) == expected


def test_longest_value_first() -> None:
    assert redact_values("pass1234word", ["pass1234word", "1234"]) == REDACTED


def test_literal_values_skip_keys_and_unescape() -> None:
    found = literal_values('{"password": "it\\\'s", "user": "bob"} x = "q\\\\z" token: raw-v4l')
    assert {"it\\'s", "it's", "bob", "q\\\\z", "q\\z", "raw-v4l"} <= found
    assert "password" not in found and "user" not in found
    assert "v4l" not in found  # not split inside a value
    assert literal_values("ENV API_TOKEN sup3r s3cret") >= {"sup3r s3cret"}


def test_secret_basis_hides_every_literal() -> None:
    basis = secret_basis('pw = "hunter2"  # "x"\n', ["hunter2"])
    assert "hunter2" not in basis and '"x"' not in basis
    assert basis.startswith("pw = ")
    assert secret_basis('pw = "a"', ["a"]) == secret_basis('pw = "b"', ["b"])


def test_credential_like() -> None:
    assert credential_like("correct horse battery")  # passphrases are registered
    assert credential_like("Abc123Secret!xyz")
    assert not credential_like("password")  # a word: redacted where matched, not everywhere
    assert not credential_like("hunter2")  # short: redacted where matched only
