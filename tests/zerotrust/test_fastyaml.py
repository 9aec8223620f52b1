"""The fast reader of seccli's own YAML dialect: same values and lines as the safe loader, and
a fallback (None) for anything outside the dialect."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from seccli.core.documents import parse_documents
from seccli.core.errors import InputError
from seccli.estate.loader import load_estate
from seccli.zerotrust.fastyaml import read_dialect
from seccli.zerotrust.generate.tree import generate_tree
from seccli.zerotrust.manifests import load_manifests
from seccli.zerotrust.yamlout import dump_documents

MINI = Path(__file__).parent / "fixtures" / "mini-estate.yaml"


@pytest.mark.parametrize("mesh", ["istio", "linkerd", "none"])
def test_generated_files_read_like_the_safe_loader(mesh: str) -> None:
    tree = generate_tree(load_estate(MINI).estate, mesh=mesh)  # type: ignore[arg-type]
    checked = 0
    for path, objects in tree.objects.items():
        text = tree.files[path].decode("utf-8")
        fast = read_dialect(text, path)
        assert fast is not None, path
        slow = parse_documents(text, path)
        assert [d.data for d in fast] == [d.data for d in slow] == objects
        for f, s in zip(fast, slow, strict=True):
            assert (f.index, f.start_line) == (s.index, s.start_line)
            assert all(f.line_of(p) == line for p, line in s.lines.items())
        checked += 1
    assert checked >= 6


def test_values_and_lines() -> None:
    data = [
        {
            "a": {"b": [1, "two", None, True], "c": {}},
            "long": ["x" * 50, "y" * 50],
            "text": "l1\nl2\n",
            "q": "8080",
        }
    ]
    text = dump_documents(data)
    [doc] = read_dialect(text, "t.yaml") or []
    assert doc.data == data[0]
    assert doc.line_of(("long", 1)) == text.splitlines().index("- " + "y" * 50) + 1


@pytest.mark.parametrize(
    "text",
    [
        "---\na: 1 # comment\n",
        "---\na: &x 1\nb: *x\n",
        "---\na: 1\na: 2\n",
        '---\na: {"k": 1, "k": 2}\n',
        "---\na: 'single'\n",
        "---\na: !tag x\n",
        "---\na:\n\tb: 1\n",
        "---\na: 1.5\n",
        "---\na: two words\n",
        "---\n- a\n--- \n",
        "a: 1\n",
        "---\na: yes\nb: [1, 2\n",
    ],
)
def test_anything_outside_the_dialect_falls_back(text: str) -> None:
    assert read_dialect(text, "t.yaml") is None


def test_load_manifests_falls_back_with_located_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "---\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n  podSelector: {}\n"
        "  podSelector: {}\n"
    )
    with pytest.raises(InputError, match=r"p\.yaml:6"):
        load_manifests([bad])


def _random_value(rng: random.Random, depth: int) -> object:
    pieces = [
        "a",
        "B",
        "0",
        "7",
        "-",
        ".",
        "/",
        ":",
        " ",
        "#",
        "'",
        '"',
        "\\",
        "é",
        "*",
        "&",
        "\n",
        "yes",
        "null",
        "~",
        "\U0001f600",
        "\\ud83d",
        "\x85",
        "\u2028",
    ]
    kind = rng.randrange(8 if depth < 4 else 4)
    if kind == 0:
        return rng.randrange(-5, 70000)
    if kind == 1:
        return rng.choice([True, False, None])
    if kind in (2, 3):
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
    if kind in (4, 5):
        return {
            "".join(rng.choice(pieces[:9]) for _ in range(rng.randrange(1, 5))): _random_value(
                rng, depth + 1
            )
            for _ in range(rng.randrange(0, 5))
        }
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]


def test_random_documents_round_trip() -> None:
    rng = random.Random(5)
    fast_reads = 0
    for _ in range(300):
        docs = [{"k": _random_value(rng, 0), "x": _random_value(rng, 1)} for _ in range(2)]
        text = dump_documents(docs)
        slow = [d.data for d in parse_documents(text, "r.yaml")]
        assert slow == docs, text
        assert list(yaml.safe_load_all(text)) == docs, text  # YAML 1.1 readers agree
        fast = read_dialect(text, "r.yaml")
        if fast is not None:
            fast_reads += 1
            assert [d.data for d in fast] == docs, text
    assert fast_reads > 120  # texts with NEL, LS, PS or C1 characters go to the safe loader


HOSTILE = [
    '---\nkind: "a\x85b"\n',  # NEL: a line break for YAML, not for str.split
    '---\nkind: "a\u2028b"\n',
    "---\nk: |\n  a\u2029b\n",
    "---\nk: |\n  a\r\n  b\n",  # CR
    '---\nk: "\\ud83d\\ude00"\n',  # surrogate escapes: JSON pairs them, YAML refuses
    '---\nk: "\\ud83d"\n',
    '---\nk: "a\x7fb"\n',  # characters YAML does not allow raw
    '---\nk: "a\x80b"\n',
    "---\nk: |\n  a\x9fb\n",
    '---\nk: "\uffff"\n',
    "---\nk: " + "9" * 5000 + "\n",  # over Python's int-string limit
    '---\nk: {"a": ' + "9" * 5000 + "}\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_left_to_the_safe_loader(text: str) -> None:
    assert read_dialect(text, "t.yaml") is None


def test_escapes_read_like_the_safe_loader() -> None:
    for text in (
        '---\nkind: "Network\\u0050olicy"\n',
        '---\nkind: "\\u004EetworkPolicy"\n',
        '---\nk: "a\\/b\\n\\t\\u00e9"\n',
        '---\nk: {"kind": "Network\\u0050olicy"}\n',
    ):
        fast = read_dialect(text, "t.yaml")
        assert fast is not None, text
        assert [d.data for d in fast] == [d.data for d in parse_documents(text, "t.yaml")]


def test_random_hostile_characters_never_read_differently() -> None:
    rng = random.Random(11)
    specials = ["\x85", "\u2028", "\u2029", "\r", "\x7f", "\x9f", "\ufeff", "\\ud800", "\\u0000"]
    base = dump_documents(
        [{"kind": "NetworkPolicy", "metadata": {"name": "n"}, "spec": {"x": "v\nw\n", "y": ["z"]}}]
    )
    for _ in range(300):
        chars = list(base)
        for _ in range(rng.randrange(1, 3)):
            chars.insert(rng.randrange(4, len(chars)), rng.choice(specials))
        text = "".join(chars)
        fast = read_dialect(text, "r.yaml")
        if fast is None:
            continue
        try:
            slow = [d.data for d in parse_documents(text, "r.yaml")]
        except InputError:
            pytest.fail(f"fast reader accepted what the safe loader refuses: {text!r}")
        assert [d.data for d in fast] == slow, text
