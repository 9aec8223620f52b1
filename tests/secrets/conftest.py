"""Fixtures for the Vault tests: the example estate, and (elsewhere) the Vault emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from seccli.estate.loader import load_estate  # noqa: E402
from seccli.estate.model import Estate  # noqa: E402

EXAMPLE_ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"


@pytest.fixture(scope="session")
def example_estate() -> Estate:
    """The ClayTomSystems example estate."""
    return load_estate(EXAMPLE_ESTATE).estate
