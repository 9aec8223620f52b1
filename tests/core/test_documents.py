"""Safe document loading: lines, duplicates, bombs, limits, encodings, tags."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seccli.core.documents import LoadLimits, load_document, load_documents, parse_documents
from seccli.core.errors import InputError


def test_every_node_has_its_line() -> None:
    text = "a: 1\nb:\n  - x: 2\n    y: [3, 4]\n  - z\nc:\n  d: e\n"
    (doc,) = parse_documents(text, "t.yaml")
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": [3, 4]}, "z"], "c": {"d": "e"}}
    assert doc.line_of(("a",)) == 1
    assert doc.line_of(("b", 0, "y")) == 4
    assert doc.line_of(("b", 1)) == 5
    assert doc.line_of(("c", "d")) == 7
    # A path that does not exist falls back to its nearest ancestor.
    assert doc.line_of(("c", "d", "missing")) == 7
    assert str(doc.locate(("b", 0, "y"))) == "t.yaml:4: b[0].y"


def test_multi_document_stream_keeps_indexes_and_lines() -> None:
    docs = parse_documents("a: 1\n---\n---\nb: 2\n", "m.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert [d.index for d in docs] == [0, 2]
    assert docs[1].start_line == 4


def test_core_schema_scalars() -> None:
    (doc,) = parse_documents(
        "on: yes\nn: no\noct: 0o17\nhex: 0x1F\nf: 1.5\nnull1: ~\nt: true\nport: '8080'\n"
        "sexa: 1:20\nver: 1.10\n",
        "s.yaml",
    )
    assert doc.data == {
        "on": "yes",
        "n": "no",
        "oct": 15,
        "hex": 31,
        "f": 1.5,
        "null1": None,
        "t": True,
        "port": "8080",
        "sexa": "1:20",
        "ver": 1.1,
    }


def test_merge_keys_are_supported_and_explicit_keys_win() -> None:
    (doc,) = parse_documents("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert doc.data["d"] == {"x": 1, "y": 3}


def test_duplicate_keys_are_errors_with_both_lines() -> None:
    with pytest.raises(InputError) as info:
        parse_documents("a: 1\nb:\n  c: 1\n  c: 2\n", "dup.yaml")
    assert str(info.value) == "dup.yaml:4:3: duplicate key 'c' (first defined on line 3)"


def test_malformed_yaml_names_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        parse_documents("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    assert str(info.value).startswith("bad.yaml:")
    assert "invalid YAML" in str(info.value)
    assert "\n" not in str(info.value)


def _billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghij"[: levels - 1]:
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


def test_alias_bomb_is_refused_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_documents(_billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    assert "alias bomb" in str(info.value)
    assert str(info.value).startswith("bomb.yaml:6:")  # the alias that spends the budget


def test_modest_alias_use_is_allowed() -> None:
    (doc,) = parse_documents(_billion_laughs(levels=3), "ok.yaml")
    assert len(doc.data["c"]) == 9


def test_alias_expansion_limit_is_configurable() -> None:
    with pytest.raises(InputError):
        parse_documents(
            _billion_laughs(levels=3), "x.yaml", limits=LoadLimits(max_alias_expansion=50)
        )


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(InputError, match="recursive alias"):
        parse_documents("a: &a [1, *a]\n", "rec.yaml")


@pytest.mark.parametrize(
    "text", ["a: !!python/object/apply:os.system [id]\n", "a: !Ref x\n", "a: !!binary aGk=\n"]
)
def test_tags_are_never_instantiated(text: str) -> None:
    with pytest.raises(InputError, match="unsupported tag"):
        parse_documents(text, "tag.yaml")


def test_non_scalar_keys_are_refused() -> None:
    with pytest.raises(InputError, match="plain scalars"):
        parse_documents("? [a, b]\n: 1\n", "k.yaml")


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_documents(big)
    assert time.perf_counter() - started < 0.5
    assert "big.yaml" in str(info.value)
    assert "20,971,520-byte limit" in str(info.value)
    small = tmp_path / "small.yaml"
    small.write_text("a: " + "x" * 100 + "\n")
    with pytest.raises(InputError, match="limit"):
        load_documents(small, LoadLimits(max_bytes=50))


def test_binary_and_non_utf8_input_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"a: 1\nb: \x00\x01\x02")
    with pytest.raises(InputError) as info:
        load_documents(binary)
    assert str(info.value).startswith(f"{binary}:2: binary content")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nname: caf\xe9\n")
    with pytest.raises(InputError) as info:
        load_documents(latin)
    assert str(info.value).startswith(f"{latin}:2: not UTF-8 text (byte 0xe9")
    utf16 = tmp_path / "u16.yaml"
    utf16.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        load_documents(utf16)


def test_bom_is_accepted_and_control_characters_refused(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_document(bom).data == {"a": 1}
    with pytest.raises(InputError, match=r"ctl.yaml:2: .*#x0007"):
        parse_documents("a: 1\nb: \x07\n", "ctl.yaml")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_documents(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a folder"):
        load_documents(tmp_path)


def test_json_documents_with_lines_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "x.json"
    good.write_text('{\n  "a": 1,\n  "b": {"c": [1, 2]}\n}\n')
    doc = load_document(good)
    assert doc.data == {"a": 1, "b": {"c": [1, 2]}}
    assert doc.line_of(("b", "c")) == 3
    dup = tmp_path / "dup.json"
    dup.write_text('{\n  "a": 1,\n  "a": 2\n}\n')
    with pytest.raises(InputError, match=r"dup.json:3:3: duplicate key 'a'"):
        load_document(dup)
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": 1,\n  "b": \n}\n')
    with pytest.raises(InputError, match=r"bad.json:4:1: invalid JSON"):
        load_document(bad)
    nan = tmp_path / "nan.json"
    nan.write_text('{"a": NaN}')
    with pytest.raises(InputError, match="NaN"):
        load_document(nan)


def test_load_document_requires_exactly_one(tmp_path: Path) -> None:
    two = tmp_path / "two.yaml"
    two.write_text("a: 1\n---\nb: 2\n")
    with pytest.raises(InputError, match=r"two.yaml:3: expected one document, found 2"):
        load_document(two)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(InputError, match="no document"):
        load_document(empty)


def test_deep_nesting_is_bounded() -> None:
    text = "a: " + "[" * 300 + "]" * 300 + "\n"
    with pytest.raises(InputError, match="nesting deeper"):
        parse_documents(text, "deep.yaml")


def test_explicit_standard_tags_and_scalar_aliases() -> None:
    (doc,) = parse_documents(
        'a: !!int "12"\nb: !!float 3\nc: !!str 12\nd: !!bool true\ne: !!null x\n'
        "f: !!map {k: &v 1}\ng: !!seq [*v, *v]\n",
        "tags.yaml",
    )
    assert doc.data == {
        "a": 12,
        "b": 3.0,
        "c": "12",
        "d": True,
        "e": None,
        "f": {"k": 1},
        "g": [1, 1],
    }
    with pytest.raises(InputError, match=r"tags.yaml:1:4: not a number: 'abc'"):
        parse_documents("a: !!int abc\n", "tags.yaml")


def test_aliased_collections_are_independent_copies() -> None:
    (doc,) = parse_documents("a: &x {k: [1]}\nb: *x\n", "copy.yaml")
    doc.data["b"]["k"].append(2)
    assert doc.data["a"] == {"k": [1]}
