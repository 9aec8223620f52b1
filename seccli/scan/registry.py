"""The plain table of scanner implementations, in the order they are reported."""

from __future__ import annotations

from collections.abc import Callable

from seccli.scan.bandit import BanditScanner
from seccli.scan.checkov import CheckovScanner
from seccli.scan.interface import Scanner
from seccli.scan.semgrep import SemgrepScanner

SCANNERS: dict[str, Callable[[], Scanner]] = {
    "checkov": CheckovScanner,
    "bandit": BanditScanner,
    "semgrep": SemgrepScanner,
}
