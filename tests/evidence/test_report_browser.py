"""The pack's index.html in a real headless Chromium: no console errors, the control table and
the chart in the DOM, a non-blank screenshot."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.evidence.conftest import run_cli
from tests.evidence.fixtures import ALL_TIME, EXAMPLE, fill_store, keys

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-extensions",
]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run does)")


@pytest.fixture(scope="module")
def index_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    fill_store(folder / "state.db")
    key, _ = keys(folder)
    pack = folder / "pack.zip"
    mp = pytest.MonkeyPatch()
    mp.setenv("SECCLI_STORE", str(folder / "state.db"))
    try:
        code, out = run_cli(
            [
                "evidence",
                "build",
                "-o",
                str(pack),
                "--key",
                str(key),
                "--estate",
                str(EXAMPLE),
                "--from",
                ALL_TIME[0],
                "--to",
                ALL_TIME[1],
            ]
        )
    finally:
        mp.undo()
    assert code == 0, out
    with zipfile.ZipFile(pack) as archive:
        (folder / "index.html").write_bytes(archive.read("index.html"))
    return folder / "index.html"


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, "--enable-logging=stderr", "--v=0", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_report_is_self_contained(index_html: Path) -> None:
    html = index_html.read_text()
    for external in ("http://", "https://", "<script src", "<link "):
        assert external not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_dom_has_the_control_table_and_chart_without_console_errors(index_html: Path) -> None:
    result = _chromium("--dump-dom", index_html.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'id="control-table"' in dom and dom.count('class="control"') == 61 + 93 + 10
    assert 'id="status-chart"' in dom and "<rect" in dom
    assert "seccli evidence verify" in dom
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line], console


def _png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = b"", 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(chunks)
    sample = {raw[i : i + 3] for i in range(1, min(len(raw), 4_000_000), 997)}
    return width, height, sample


def test_screenshot_is_not_blank(index_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = _chromium(f"--screenshot={shot}", "--window-size=1280,2000", index_html.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, sample = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    assert len(sample) > 5  # text, table lines and coloured bars, not one flat colour
