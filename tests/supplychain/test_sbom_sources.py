"""SBOMs from a project's own files (Python, npm, Go), their serial numbers and root component,
and diffs keyed by package identity. Every SBOM is checked with cyclonedx-python-lib's strict
CycloneDX 1.6 JSON validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from seccli.cli.app import main
from seccli.core.errors import InputError
from seccli.supplychain.purl import purl_identity
from seccli.supplychain.sbom import build_sbom, plan_for_path
from seccli.supplychain.sbom_diff import diff_sboms

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)


def valid(sbom: dict[str, Any]) -> dict[str, Any]:
    error = VALIDATOR.validate_str(json.dumps(sbom))
    assert error is None, error
    assert sbom["serialNumber"].startswith("urn:uuid:")
    assert sbom["metadata"]["component"]["name"]
    return sbom


def sbom_of(path: Path) -> dict[str, Any]:
    return valid(build_sbom(plan_for_path(path)))


def purls(sbom: dict[str, Any]) -> set[str]:
    return {c["purl"] for c in sbom["components"]}


PYPROJECT = """
[project]
name = "demo"
version = "0.3.0"
dependencies = [
  "requests==2.32.3",
  "click>=8",
  "Typing_Extensions[extra]==4.12.2; python_version < '3.13'",
]
[project.optional-dependencies]
dev = ["pytest==8.3.0"]
[dependency-groups]
lint = ["ruff==0.6.0", {include-group = "dev"}]
"""


def test_pyproject_alone_is_read_as_pep_621(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    sbom = sbom_of(tmp_path)
    assert purls(sbom) == {
        "pkg:pypi/requests@2.32.3",
        "pkg:pypi/click",  # a range has no version to report
        "pkg:pypi/typing-extensions@4.12.2",
        "pkg:pypi/pytest@8.3.0",
        "pkg:pypi/ruff@0.6.0",
    }
    by_name = {c["name"]: c for c in sbom["components"]}
    assert "version" not in by_name["click"]
    assert by_name["pytest"]["scope"] == "optional" and "scope" not in by_name["requests"]
    assert sbom["metadata"]["component"]["name"] == "demo"
    assert sbom["metadata"]["component"]["version"] == "0.3.0"


def test_uv_and_poetry_locks_win_over_requirements_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    assert purls(sbom_of(tmp_path)) == {"pkg:pypi/flask@3.0.0"}
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "Django"\nversion = "5.0.1"\n\n'
        '[[package]]\nname = "black"\nversion = "24.1.0"\noptional = true\n'
    )
    sbom = sbom_of(tmp_path)
    assert purls(sbom) == {"pkg:pypi/django@5.0.1", "pkg:pypi/black@24.1.0"}
    assert sbom["metadata"]["component"]["name"] == "demo"  # from pyproject beside the lock
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "demo"\nversion = "0.3.0"\n'
        'source = { editable = "." }\n\n'
        '[[package]]\nname = "anyio"\nversion = "4.4.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    sbom = sbom_of(tmp_path)
    assert purls(sbom) == {"pkg:pypi/anyio@4.4.0"}  # the project itself is the root component
    assert sbom["metadata"]["component"]["version"] == "0.3.0"


def test_requirement_files_includes_hashes_markers_and_options(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("urllib3==2.2.2  # pinned\n")
    (tmp_path / "requirements.txt").write_text(
        "# comment\n"
        "-r requirements/base.txt\n"
        "--index-url https://pypi.org/simple\n"
        "-e .\n"
        "certifi==2024.7.4 \\\n"
        "    --hash=sha256:" + "a" * 64 + "\n"
        "idna==3.7 ; python_version >= '3.8'\n"
        "charset_normalizer>=3,<4\n"
    )
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==8.3.2\n")
    assert purls(sbom_of(tmp_path)) == {
        "pkg:pypi/urllib3@2.2.2",
        "pkg:pypi/certifi@2024.7.4",
        "pkg:pypi/idna@3.7",
        "pkg:pypi/charset-normalizer",
        "pkg:pypi/pytest@8.3.2",
    }
    (tmp_path / "requirements-dev.txt").write_text("-r missing.txt\n")
    with pytest.raises(InputError, match="missing.txt not found"):
        sbom_of(tmp_path)
    (tmp_path / "requirements-dev.txt").write_text("not a valid == requirement ===\n")
    with pytest.raises(InputError, match=r"requirements-dev.txt:1: not a valid requirement"):
        sbom_of(tmp_path)


def test_package_lock_versions_one_to_three(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "web",
                "version": "1.0.0",
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "web", "version": "1.0.0"},
                    "node_modules/left-pad": {"version": "1.0.0", "license": "WTFPL"},
                    "node_modules/@babel/core": {"version": "7.24.0", "dev": True},
                    "node_modules/a/node_modules/left-pad": {"version": "0.9.0"},
                    "node_modules/local": {"resolved": "packages/local", "link": True},
                    "packages/local": {"name": "local", "version": "0.0.1"},
                },
            }
        )
    )
    sbom = sbom_of(tmp_path)
    assert purls(sbom) == {
        "pkg:npm/left-pad@1.0.0",
        "pkg:npm/left-pad@0.9.0",
        "pkg:npm/%40babel/core@7.24.0",
    }
    babel = next(c for c in sbom["components"] if c["name"] == "core")
    assert babel["group"] == "@babel" and babel["scope"] == "optional"
    pad = next(c for c in sbom["components"] if c.get("version") == "1.0.0")
    assert pad["licenses"] == [{"expression": "WTFPL"}]
    assert sbom["metadata"]["component"]["name"] == "web"
    (tmp_path / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "old",
                "lockfileVersion": 1,
                "dependencies": {
                    "a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}}
                },
            }
        )
    )
    assert purls(sbom_of(tmp_path)) == {"pkg:npm/a@1.0.0", "pkg:npm/b@2.0.0"}
    (tmp_path / "package-lock.json").write_text('{"name": "x", "packages": {"node_modules/a": {}}}')
    with pytest.raises(InputError, match="has no version"):
        sbom_of(tmp_path)


def test_go_mod_blocks_replacements_and_go_sum_alone(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/svc\n\ngo 1.22\n\n"
        "require (\n\tgithub.com/pkg/errors v0.9.1\n"
        "\tgolang.org/x/sys v0.20.0 // indirect\n)\n"
        "require github.com/google/uuid v1.6.0\n"
        "replace github.com/pkg/errors => github.com/fork/errors v0.9.2\n"
        "replace github.com/google/uuid => ../uuid\n"
    )
    sbom = sbom_of(tmp_path)
    assert purls(sbom) == {
        "pkg:golang/github.com/fork/errors@v0.9.2",
        "pkg:golang/golang.org/x/sys@v0.20.0",
        "pkg:golang/github.com/google/uuid@v1.6.0",
    }
    assert sbom["metadata"]["component"]["name"] == "example.com/svc"
    (tmp_path / "go.mod").unlink()
    (tmp_path / "go.sum").write_text(
        "github.com/a/b v1.0.0 h1:abc=\ngithub.com/a/b v1.0.0/go.mod h1:def=\n"
    )
    assert purls(sbom_of(tmp_path)) == {"pkg:golang/github.com/a/b@v1.0.0"}
    (tmp_path / "go.sum").write_text("github.com/a/b\n")
    with pytest.raises(InputError, match="go.sum:1"):
        sbom_of(tmp_path)


def test_a_mixed_repository_gets_every_ecosystem(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "package-lock.json").write_text(
        '{"lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.0.0"}}}'
    )
    (tmp_path / "go.mod").write_text("module m\nrequire github.com/x/y v1.0.0\n")
    sbom = sbom_of(tmp_path)
    kinds = {purl.split("/")[0] for purl in purls(sbom)}
    assert kinds == {"pkg:pypi", "pkg:npm", "pkg:golang"}
    assert sbom["metadata"]["component"]["name"] == "demo"
    sources = {p["value"] for c in sbom["components"] for p in c["properties"]}
    assert sources == {"pyproject.toml", "package-lock.json", "go.mod"}


def test_serial_numbers_are_derived_from_content(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        (folder / "requirements.txt").write_text("requests==2.32.3\n")
    first, again = sbom_of(one), sbom_of(one)
    assert first["serialNumber"] == again["serialNumber"]
    assert first == again
    assert sbom_of(two)["metadata"]["component"]["name"] == "two"
    (two / "requirements.txt").write_text("requests==2.32.4\n")
    assert sbom_of(two)["serialNumber"] != first["serialNumber"]


def test_malformed_toml_is_an_input_error_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nname = "y"\n')
    with pytest.raises(SystemExit) as exited:
        main(["sbom", str(tmp_path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "pyproject.toml:3" in err and "Traceback" not in err
    (tmp_path / "pyproject.toml").write_text("[project]\ndependencies = 'requests'\n")
    with pytest.raises(InputError, match="must be a list of requirement strings"):
        sbom_of(tmp_path)


def component(purl: str | None, name: str, version: str, lic: str | None = None) -> Any:
    item: dict[str, Any] = {"type": "library", "name": name, "version": version}
    if purl:
        item["purl"] = purl
    if lic:
        item["licenses"] = [{"license": {"id": lic}}]
    return item


def bom(*components: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list(components)}


def test_diff_tells_npm_and_pypi_left_pad_apart() -> None:
    old = bom(
        component("pkg:npm/left-pad@1.0.0", "left-pad", "1.0.0", "MIT"),
        component("pkg:pypi/left-pad@1.0.0", "left-pad", "1.0.0", "MIT"),
        component("pkg:npm/gone@1.0.0", "gone", "1.0.0"),
    )
    new = bom(
        component("pkg:npm/left-pad@2.0.0", "left-pad", "2.0.0", "MIT"),
        component("pkg:pypi/left-pad@1.0.0", "left-pad", "1.0.0", "Apache-2.0"),
        component("pkg:npm/fresh@0.1.0", "fresh", "0.1.0"),
    )
    for pair in ((old, new), (new, old)):
        assert VALIDATOR.validate_str(json.dumps(pair[0])) is None
    diff = diff_sboms(old, new)
    changes = {c.key: c for c in diff.changed}
    assert set(changes) == {"pkg:npm/left-pad", "pkg:pypi/left-pad"}
    npm, pypi = changes["pkg:npm/left-pad"], changes["pkg:pypi/left-pad"]
    assert (npm.old_version, npm.new_version, npm.what) == ("1.0.0", "2.0.0", ["version"])
    assert pypi.what == ["licenses"] and pypi.new_licenses == ("Apache-2.0",)
    assert [e.key for e in diff.added] == ["pkg:npm/fresh"]
    assert [e.key for e in diff.removed] == ["pkg:npm/gone"]
    body = diff.to_json()
    assert body["changed"][0]["changes"] == ["version"]
    assert diff_sboms(old, old).empty


def test_diff_keys_normalise_purls_and_match_several_versions() -> None:
    assert purl_identity("pkg:PyPI/Left_Pad@1?x=1#sub") == "pkg:pypi/left-pad"
    assert purl_identity("pkg:npm/%40scope/name@1") == "pkg:npm/%40scope/name"
    old = bom(
        component("pkg:pypi/Left_Pad@1.0", "Left_Pad", "1.0"),
        component("pkg:npm/lodash@3.10.1", "lodash", "3.10.1"),
        component("pkg:npm/lodash@4.17.21", "lodash", "4.17.21", "MIT"),
    )
    new = bom(
        component("pkg:pypi/left-pad@1.0", "left-pad", "1.0"),
        component("pkg:npm/lodash@4.17.21", "lodash", "4.17.21", "ISC"),
        component("pkg:npm/lodash@4.17.22", "lodash", "4.17.22"),
    )
    diff = diff_sboms(old, new)
    assert [(e.key, e.version) for e in diff.removed] == [("pkg:npm/lodash", "3.10.1")]
    assert [(e.key, e.version) for e in diff.added] == [("pkg:npm/lodash", "4.17.22")]
    assert [(c.key, c.what) for c in diff.changed] == [("pkg:npm/lodash", ["licenses"])]


def test_sbom_diff_cli_on_generated_sboms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, npm_version in (("a", "1.0.0"), ("b", "2.0.0")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "requirements.txt").write_text("left-pad==1.0.0\n")
        packages = {"node_modules/left-pad": {"version": npm_version}}
        (folder / "package-lock.json").write_text(
            json.dumps({"lockfileVersion": 3, "packages": packages})
        )
        with pytest.raises(SystemExit) as exited:
            main(["sbom", name, "-o", f"{name}.json"])
        assert exited.value.code in (0, None)
        valid(json.loads((tmp_path / f"{name}.json").read_text()))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["sbom", "diff", "a.json", "b.json", "--format", "json"])
    assert exited.value.code == 1
    body = json.loads(capsys.readouterr().out)
    assert [c["key"] for c in body["changed"]] == ["pkg:npm/left-pad"]
    assert body["added"] == [] and body["removed"] == []
    with pytest.raises(SystemExit) as exited:
        main(["sbom", "diff", "a.json", "b.json"])
    out = capsys.readouterr().out
    assert exited.value.code == 1 and "~ pkg:npm/left-pad 1.0.0 → 2.0.0" in out
