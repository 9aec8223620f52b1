"""Shared scan results: the real tools run once per session over a copy of the fixture repo."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from seccli.core.redaction import Redactor
from seccli.scan.cache import ScanCache
from seccli.scan.engine import ScanOptions, run_scan
from seccli.scan.model import ScanReport
from seccli.scan.owners import OwnerRouter

FIXTURES = Path(__file__).parent / "fixtures"
# The planted credential of fixtures/repo/app/settings.py: it must never reach any output.
PLANTED_SECRET = "wJa9Xr4Tq2Lm8Nz5Kp7Vb3Yc6Hd1Fg0SeRtUiOpQ"


@dataclass
class Scanned:
    root: Path
    store_path: Path
    report: ScanReport
    redactor: Redactor


@pytest.fixture(scope="session")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The fixture repository scanned once by all three real tools, with a warm cache."""
    base = tmp_path_factory.mktemp("scan")
    root = base / "repo"
    shutil.copytree(FIXTURES / "repo", root)
    store_path = base / "state.db"
    cache = ScanCache(store_path)
    redactor = Redactor()
    try:
        report = run_scan(
            root, ScanOptions(), cache=cache, owners=OwnerRouter.for_root(root), redactor=redactor
        )
    finally:
        cache.close()
    return Scanned(root, store_path, report, redactor)
