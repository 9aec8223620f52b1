"""Drill records in the store and the audit log, history, the after-action report (Markdown and
HTML checked in a real headless Chromium), and the monthly schedule with its iCalendar file."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.drill.conftest import seccli


def test_runs_are_recorded_in_store_and_audit_log(tmp_path: Path) -> None:
    run = seccli("drill", "run", "ddos-edge", "--seed", "2", "-f", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)["drill"]
    sim = seccli("drill", "simulate", "ddos-edge", "--runs", "200", cwd=tmp_path)
    assert sim.returncode == 0, sim.stderr
    history = json.loads(seccli("drill", "history", "-f", "json", cwd=tmp_path).stdout)
    drills = history["drills"]
    assert [d["mode"] for d in drills] == ["simulate", "automated"]
    automated = drills[1]
    assert automated["scenario"] == "ddos-edge" and automated["seed"] == 2
    assert automated["metrics"] == result["metrics"]
    from seccli.drill.service import report_digest

    assert automated["reportDigest"] == report_digest(result)
    audit = json.loads(seccli("audit", "log", "-f", "json", cwd=tmp_path).stdout)["entries"]
    actions = [e["action"] for e in audit]
    assert actions.count("drill.run") == 1 and actions.count("drill.simulate") == 1
    entry = next(e for e in audit if e["action"] == "drill.run")
    assert entry["actor"] == "facilitator"
    import sqlite3

    db = sqlite3.connect(tmp_path / "state.db")
    dump = "\n".join(db.iterdump())
    db.close()
    audited = [line for line in dump.splitlines() if "INSERT INTO" in line and "drill.run" in line]
    assert any(automated["reportDigest"] in line for line in audited)  # the audit payload
    verify = seccli("audit", "verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_markdown_report_sections(tmp_path: Path) -> None:
    result = seccli("drill", "run", "ransomware-node", "-f", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for heading in (
        "## Objectives",
        "## SLOs",
        "## Timeline",
        "## What went well",
        "## Gaps",
        "## Improvement plan",
    ):
        assert heading in text
    assert "| MTTA | 5.0 |" in text and "not met" in text
    plan = text.split("## Improvement plan", 1)[1]
    assert "unassigned" not in plan and "| squad-ceo | appsec-0032 |" in plan  # org owners
    assert "escalation(s)" in text


def _png_is_blank(png: bytes) -> bool:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels[1:4096])) <= 2 and len(set(pixels)) <= 3


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
@pytest.mark.parametrize("command", ["run", "simulate"])
def test_html_report_renders_in_headless_chromium(tmp_path: Path, command: str) -> None:
    page = tmp_path / "report.html"
    extra = ["--runs", "500"] if command == "simulate" else []
    made = seccli(
        "drill", command, "gdpr-breach", *extra, "-f", "html", "-o", str(page), cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    html = page.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html  # self-contained
    flags = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        ["chromium", *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="timeline-chart"' in dom.stdout and 'id="slo-table"' in dom.stdout
    assert 'id="timeline"' in dom.stdout and "<rect" in dom.stdout
    if command == "simulate":
        assert 'class="distribution"' in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    shot = tmp_path / "shot.png"
    taken = subprocess.run(
        ["chromium", *flags, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    assert not _png_is_blank(shot.read_bytes())


def test_schedule_picks_the_longest_unrun_and_writes_ics(tmp_path: Path) -> None:
    import icalendar  # dev extra: parses the written calendar back

    for name in ("crypto-miner", "ddos-edge"):
        assert seccli("drill", "run", name, cwd=tmp_path).returncode == 0
    result = seccli(
        "drill", "schedule", "--months", "10", "--from", "2027-01", "-f", "json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    slots = json.loads(result.stdout)["schedule"]
    names = [s["scenario"] for s in slots]
    # never-run scenarios first (by name), then the two run ones, oldest first
    assert names[:6] == sorted(set(names[:6]))
    assert "crypto-miner" not in names[:6] and "ddos-edge" not in names[:6]
    assert names[6:8] == ["crypto-miner", "ddos-edge"]
    assert len(set(names[:8])) == 8
    assert all(s["facilitator"].startswith("ir-dfir-") for s in slots)
    assert [s["month"] for s in slots][:2] == ["2027-01", "2027-02"]
    ics = tmp_path / "drills.ics"
    made = seccli(
        "drill",
        "schedule",
        "--months",
        "10",
        "--from",
        "2027-01",
        "-f",
        "ics",
        "-o",
        str(ics),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    raw = ics.read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 10
    assert [str(e["UID"]).split("@")[0].split("-", 3)[3] for e in events] == names
    assert events[0].decoded("DTSTART").isoformat() == slots[0]["date"]
    assert "Tabletop drill" in str(events[0]["SUMMARY"])


def test_schedule_rejects_a_bad_month(tmp_path: Path) -> None:
    result = seccli("drill", "schedule", "--from", "2027-13", cwd=tmp_path)
    assert result.returncode == 2 and "--from" in result.stderr


def test_drill_records_are_evidence_for_the_incident_response_controls() -> None:
    """Every command a drill is recorded under maps to the evidence pack's drills check, which
    names ISO 27001:2022 A.5.24-A.5.27 and SOC 2 CC7.3-CC7.5."""
    from seccli.drill.service import DRILL_COMMANDS
    from seccli.evidence.mapping import ISO, SOC2, check_for_command

    wanted = {(ISO, f"A.5.{n}") for n in range(24, 28)} | {(SOC2, f"CC7.{n}") for n in (3, 4, 5)}
    for command in DRILL_COMMANDS:
        check = check_for_command(command)
        assert check is not None and check.id == "drills", command
        named = {(ref.framework, ref.control_id) for ref in check.controls}
        assert wanted <= named, sorted(wanted - named)
