"""``seccli policy conformance`` and ``seccli policy eval``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from seccli.cli.app import app

runner = CliRunner()

CASES = """cases:
- note: ok
  modules: ["package t\\nimport rego.v1\\np := input.x + 1"]
  input: {x: 1}
  query: data.t.p = x
  want_result: [{x: 2}]
- note: wrong
  modules: ["package t\\nimport rego.v1\\np := 1"]
  query: data.t.p = x
  want_result: [{x: 3}]
- note: skipped
  modules: ["package t"]
  query: data.t = x
  want_result: [{x: {}}]
"""


def _suite(tmp_path: Path) -> tuple[Path, Path]:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "cases.yaml").write_text(CASES, encoding="utf-8")
    skips = tmp_path / "skips.yaml"
    skips.write_text(
        'skips:\n  - case: "suite/cases.yaml::skipped"\n    reason: "demo skip"\n', encoding="utf-8"
    )
    return suite, skips


def test_conformance_table_output_and_exit_code(tmp_path: Path) -> None:
    suite, skips = _suite(tmp_path)
    res = runner.invoke(app, ["policy", "conformance", str(suite), "--skips", str(skips)])
    assert res.exit_code == 1, res.output
    assert "PASS suite/cases.yaml::ok" in res.output
    assert "FAIL suite/cases.yaml::wrong" in res.output
    assert "SKIP suite/cases.yaml::skipped" in res.output and "demo skip" in res.output
    assert "1 passed, 1 failed, 1 skipped" in res.output
    res = runner.invoke(
        app,
        ["policy", "conformance", str(suite), "--skips", str(skips), "--min-pass-rate", "0.5"],
    )
    assert res.exit_code == 0, res.output


def test_conformance_json_output(tmp_path: Path) -> None:
    suite, skips = _suite(tmp_path)
    res = runner.invoke(
        app,
        [
            "policy",
            "conformance",
            str(suite),
            "--skips",
            str(skips),
            "-f",
            "json",
            "--show",
            "fail",
        ],
    )
    doc = json.loads(res.output)
    assert doc["totals"]["failed"] == 1
    assert [c["id"] for c in doc["cases"]] == ["suite/cases.yaml::wrong"]


def test_conformance_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["policy", "conformance", str(tmp_path / "nope")])
    assert res.exit_code != 0


def test_eval_command(tmp_path: Path) -> None:
    mod = tmp_path / "p.rego"
    mod.write_text('package t\nimport rego.v1\nallow if input.user == "ana"\n', encoding="utf-8")
    inp = tmp_path / "in.json"
    inp.write_text('{"user": "ana"}', encoding="utf-8")
    res = runner.invoke(app, ["policy", "eval", "data.t.allow", "-m", str(mod), "-i", str(inp)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["value"] is True
    inp.write_text('{"user": "bob"}', encoding="utf-8")
    res = runner.invoke(app, ["policy", "eval", "data.t.allow", "-m", str(mod), "-i", str(inp)])
    assert res.exit_code == 1
    assert json.loads(res.output)["defined"] is False


def test_eval_and_conformance_through_an_opa_server(tmp_path: Path) -> None:
    from tests.policy.fake_opa import fake_opa

    mod = tmp_path / "p.rego"
    mod.write_text('package t\nimport rego.v1\nallow if input.user == "ana"\n', encoding="utf-8")
    inp = tmp_path / "in.json"
    inp.write_text('{"user": "ana"}', encoding="utf-8")
    suite, skips = _suite(tmp_path)
    with fake_opa() as (url, state):
        res = runner.invoke(
            app,
            [
                "policy",
                "eval",
                "data.t.allow",
                "-m",
                str(mod),
                "-i",
                str(inp),
                "--engine",
                "opa-server",
                "--opa-url",
                url,
            ],
        )
        assert res.exit_code == 0, res.output
        assert json.loads(res.output)["value"] is True
        res = runner.invoke(
            app,
            [
                "policy",
                "conformance",
                str(suite),
                "--skips",
                str(skips),
                "-f",
                "json",
                "--engine",
                "opa-server",
                "--opa-url",
                url,
            ],
        )
        doc = json.loads(res.output)
        assert doc["engine"] == "opa-server"
        assert (doc["totals"]["passed"], doc["totals"]["failed"]) == (1, 1)
        assert any(r.startswith("POST /v1/query") for r in state.requests)


def test_opa_server_unreachable_exits_3(tmp_path: Path) -> None:
    mod = tmp_path / "p.rego"
    mod.write_text("package t\nimport rego.v1\nallow := true\n", encoding="utf-8")
    import pytest

    from seccli.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(
            [
                "policy",
                "eval",
                "data.t.allow",
                "-m",
                str(mod),
                "--engine",
                "opa-server",
                "--opa-url",
                "http://127.0.0.1:9",
            ]
        )
    assert exc.value.code == 3
