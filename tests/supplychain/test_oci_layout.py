"""``images verify`` over the example's OCI image layout (offline) and tampered copies of it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "claytom"
LAYOUT = EXAMPLE / "oci" / "layout"
POLICY = EXAMPLE / "oci" / "trust-policy.demo.yaml"


def _verify(tmp_path: Path, *args: str) -> tuple[int, dict[str, object] | str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seccli",
            "--store",
            str(tmp_path / "s.db"),
            "images",
            "verify",
            "--no-cache",
            "-f",
            "json",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.returncode, result.stdout + result.stderr


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "layout"
    shutil.copytree(LAYOUT, target)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.read_text())
    shutil.copy(EXAMPLE / "oci" / "demo-only.pub", tmp_path / "demo-only.pub")
    return target


def test_every_example_image_verifies_offline(tmp_path: Path) -> None:
    code, body = _verify(
        tmp_path,
        "--estate",
        str(EXAMPLE / "estate.yaml"),
        "--oci-layout",
        str(LAYOUT),
        "-p",
        str(POLICY),
    )
    assert code == 0, body
    assert isinstance(body, dict) and body["summary"] == {"pass": 73, "warn": 0, "block": 0}
    images = body["images"]
    assert all(i["attestations"] for i in images)  # type: ignore[union-attr]


def test_oci_input_verifies_what_the_layout_names(tmp_path: Path) -> None:
    code, body = _verify(tmp_path, f"oci:{LAYOUT}", "-p", str(POLICY))
    assert code == 0, body
    assert isinstance(body, dict) and body["summary"]["pass"] == 73  # type: ignore[index]


def _index(layout: Path) -> dict[str, object]:
    return json.loads((layout / "index.json").read_text())


def _blob(layout: Path, digest: str) -> Path:
    return layout / "blobs" / "sha256" / digest.split(":", 1)[1]


def _first_image(layout: Path) -> tuple[str, str]:
    for item in _index(layout)["manifests"]:  # type: ignore[attr-defined]
        name = item["annotations"]["org.opencontainers.image.ref.name"]
        if ":sha256-" not in name:
            return name, item["digest"]
    raise AssertionError("no image")


@pytest.mark.parametrize("damage", ["layer", "signature", "attestation", "symlink", "missing"])
def test_tampered_layout_blocks(tmp_path: Path, damage: str) -> None:
    layout = _copy(tmp_path)
    name, digest = _first_image(layout)
    manifest = json.loads(_blob(layout, digest).read_text())
    hex_digest = digest.split(":", 1)[1]
    if damage == "layer":
        _blob(layout, manifest["layers"][0]["digest"]).write_bytes(b"changed")
        target = _blob(layout, digest)
        target.write_text(target.read_text().replace('"size"', '"size" ', 1))
    elif damage == "signature":
        index = _index(layout)
        index["manifests"] = [  # type: ignore[index]
            m
            for m in index["manifests"]  # type: ignore[attr-defined]
            if not m["annotations"]["org.opencontainers.image.ref.name"].endswith(
                f"sha256-{hex_digest}.sig"
            )
        ]
        (layout / "index.json").write_text(json.dumps(index))
    elif damage == "attestation":
        index = _index(layout)
        index["manifests"] = [  # type: ignore[index]
            m
            for m in index["manifests"]  # type: ignore[attr-defined]
            if not m["annotations"]["org.opencontainers.image.ref.name"].endswith(
                f":sha256-{hex_digest}"
            )
        ]
        (layout / "index.json").write_text(json.dumps(index))
    elif damage == "symlink":
        path = _blob(layout, digest)
        (tmp_path / "outside").write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(tmp_path / "outside")
    else:
        _blob(layout, digest).unlink()
    code, body = _verify(tmp_path, f"oci:{layout}", "-p", str(tmp_path / "policy.yaml"))
    assert code in (1, 3), body
    assert isinstance(body, dict)
    blocked = [i for i in body["images"] if i["verdict"] == "block"]  # type: ignore[union-attr]
    assert len(blocked) == 1 and blocked[0]["reference"].startswith(name.split(":")[0])


def test_wrong_key_blocks_everything(tmp_path: Path) -> None:
    from seccli.supplychain.keys import generate_key_pair

    _copy(tmp_path)
    (tmp_path / "demo-only.pub").write_bytes(generate_key_pair()[1])
    code, body = _verify(tmp_path, f"oci:{LAYOUT}", "-p", str(tmp_path / "policy.yaml"))
    assert code == 1
    assert isinstance(body, dict) and body["summary"]["block"] == 73  # type: ignore[index]


@pytest.mark.parametrize("kind", ["empty-dir", "file", "bad-index", "no-images"])
def test_not_a_layout_is_exit_2(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    if kind == "file":
        folder = tmp_path / "f"
        folder.write_text("x")
    if kind == "bad-index":
        (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        (folder / "index.json").write_text("{not json")
    if kind == "no-images":
        (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        (folder / "index.json").write_text('{"schemaVersion": 2, "manifests": []}')
    code, body = _verify(tmp_path, f"oci:{folder}", "-p", str(POLICY))
    assert code == 2, body
