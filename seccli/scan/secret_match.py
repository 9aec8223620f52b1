"""The credential a secret-type finding matched, and text with that credential taken out.

Every tool says which string it matched: bandit quotes the value in its message, checkov masks
it inside the flagged line of its ``code_block``, semgrep gives the byte span of its match. The
adapters turn that into values; ``redact_values`` removes them from text whatever their shape
(passphrases with spaces, one-character passwords, quotes, backslashes, non-ASCII), and
``secret_basis`` gives a fingerprint basis that holds neither the value nor any other literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache

from seccli.core.redaction import REDACTED

# A quoted literal (single, double or back quotes), escapes inside it included.
_LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\\])*)\1""", re.S)
# An unquoted value after ``=`` or ``:`` (YAML, .env, Dockerfile ENV/ARG, HCL).
_ASSIGNED = re.compile(r"""[:=][ \t]*([^\s"'`,;{}()\[\]#][^\s"'`,;{}()\[\]]*)""")
# What follows a quoted key: ``"password": ...`` or ``"password" = ...`` (not ``==``).
_KEY_AFTER = re.compile(r"[ \t]*(?::|=(?!=))")
# ``ENV NAME value`` and ``ARG NAME value`` in Dockerfiles.
_DOCKER_ENV = re.compile(r"""(?mi)^\s*(?:ENV|ARG)\s+\w+[ \t]+(\S(?:.*\S)?)\s*$""")
_BANDIT_PREFIX = "Possible hardcoded password: '"
# checkov's mask: a prefix of the secret (at most six characters, a quarter of its length),
# then ten asterisks in place of the rest (checkov.common.util.secrets).
_CHECKOV_STARS = "*" * 10
_CHECKOV_MAX_EXPOSED = 6
# Values shorter than this are replaced only where they stand alone (not inside a word), so a
# one-letter password does not turn every "a" of a message into the placeholder.
_WHOLE_WORD_BELOW = 8


def variants(value: str) -> set[str]:
    """The value and the escaped forms it takes in JSON, Python reprs and source literals."""
    found = {
        value,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        value.replace("\\", "\\\\").replace("'", "\\'"),
        value.replace("\\", "\\\\").replace('"', '\\"'),
    }
    return {item for item in found if item}


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str]:
    body = re.escape(value)
    if len(value) >= _WHOLE_WORD_BELOW:
        return re.compile(body)
    head = r"(?<!\w)" if re.match(r"\w", value) else ""
    tail = r"(?!\w)" if re.search(r"\w$", value) else ""
    return re.compile(head + body + tail)


def redact_values(text: str, values: Iterable[str]) -> str:
    """``text`` with every value (and its escaped forms) replaced by the placeholder.

    Longest first, so a value containing another is replaced whole. Short values are replaced
    where they stand alone, not where they are part of a longer word.
    """
    if not text:
        return text
    forms = {form for value in values if value for form in variants(value)}
    for form in sorted(forms, key=lambda item: (-len(item), item)):
        if form in text:
            text = _pattern(form).sub(REDACTED, text)
    return text


def mask_literals(text: str) -> str:
    """Every quoted literal's content replaced by the placeholder (quotes kept)."""
    return _LITERAL.sub(lambda match: f"{match.group(1)}{REDACTED}{match.group(1)}", text)


def secret_basis(snippet: str, values: Iterable[str]) -> str:
    """A fingerprint basis for a secret finding: the flagged lines without the matched values
    and without any literal, so the id is not a function of the credential (a short password
    hashed with its line could be recovered by trying every candidate)."""
    return mask_literals(redact_values(snippet, values))


def literal_values(text: str) -> set[str]:
    """Candidate credential values in lines: quoted literals (as written and unescaped),
    values after ``=``/``:`` and Dockerfile ``ENV NAME value`` values."""
    found: set[str] = set()
    for match in _LITERAL.finditer(text):
        if _KEY_AFTER.match(text, match.end()):
            continue  # a key ("password": ...), not a value
        content = match.group(2)
        found.add(content)
        found.add(_unescape(content))
    found.update(match.group(1) for match in _ASSIGNED.finditer(text))
    found.update(match.group(1) for match in _DOCKER_ENV.finditer(text))
    return {value for value in found if value.strip()}


def _unescape(content: str) -> str:
    """A literal's content with backslash escapes resolved (``\\'`` → ``'``, ``\\\\`` → ``\\``)."""
    return re.sub(r"\\(.)", lambda match: match.group(1), content, flags=re.S)


def bandit_value(message: str) -> str | None:
    """The value bandit's hard-coded password tests (B105/B106/B107) quote in their message:
    ``Possible hardcoded password: '<value>'``. The value may itself hold quotes, so it runs
    from the first quote after the colon to the last quote of the message."""
    if (
        message.startswith(_BANDIT_PREFIX)
        and message.endswith("'")
        and len(message) > len(_BANDIT_PREFIX)
    ):
        return message[len(_BANDIT_PREFIX) : -1] or None
    _head, colon, rest = message.partition(": '")
    if colon and rest.endswith("'") and len(rest) > 1:
        return rest[:-1]
    return None


def bandit_message(message: str, value: str | None) -> str:
    """bandit's message with the quoted value replaced by the placeholder."""
    if value is None:
        return message
    head = message[: len(message) - len(value) - 1]
    if message.endswith(f"'{value}'") and head.endswith("'"):
        return f"{head}{REDACTED}'"
    return redact_values(message, [value])


def checkov_values(line: str, masked: str) -> set[str]:
    """The secret checkov masked in ``masked``, recovered from the original ``line``.

    checkov writes ``line[:i + k] + "*" * 10 + line[i + n:]`` for a secret of length ``n`` at
    ``i`` with ``k = min(n // 4, 6)`` characters exposed; every ``i`` consistent with both lines
    is a candidate (the longest covers the others)."""
    line = line.rstrip("\r\n")
    masked = masked.rstrip("\r\n")
    found: set[str] = set()
    start = masked.find(_CHECKOV_STARS)
    while start != -1:
        suffix = masked[start + len(_CHECKOV_STARS) :]
        end = len(line) - len(suffix)
        if line.startswith(masked[:start]) and line.endswith(suffix) and end > start - 1:
            for exposed in range(0, _CHECKOV_MAX_EXPOSED + 1):
                begin = start - exposed
                if begin < 0 or end <= begin:
                    continue
                if min((end - begin) // 4, _CHECKOV_MAX_EXPOSED) == exposed:
                    found.add(line[begin:end])
        start = masked.find(_CHECKOV_STARS, start + 1)
    return {value for value in found if value.strip()}


def credential_like(value: str) -> bool:
    """Long and mixed enough to be redacted everywhere in the output, not only in the findings
    that matched it: replacing plain words ("password") in every report would mangle them."""
    value = value.strip()
    if len(value) < 8:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    return classes >= 2 or len(value) >= 16
