"""The facilitated session driven through a pseudo-terminal: injects as simulated time reaches
them, acknowledgements, decisions, notes, pause and resume, skip ahead; Ctrl-C keeps what was
recorded and the same command resumes it; the result is scored and recorded."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

from tests.drill.conftest import BASE, DRILLS, ORG, PLAYBOOKS, scenario, write


class Terminal:
    """seccli in a child process whose controlling terminal is a pty."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {
            **os.environ,
            "SECCLI_ORG": str(ORG),
            "SECCLI_DRILLS": str(DRILLS),
            "SECCLI_PLAYBOOKS": str(PLAYBOOKS),
            "SECCLI_STORE": str(cwd / "state.db"),
            "SECCLI_ACTOR": "facilitator",
        }
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "seccli", *args], env)
        self.output = ""

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, f"waited for {text!r}; got:\n{self.output[-3000:]}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.output += chunk.decode(errors="replace")
        assert text in self.output, self.output[-3000:]
        return self.output

    def send(self, line: str, then: str = "min] > ") -> None:
        mark = len(self.output)
        os.write(self.fd, line.encode() + b"\r")
        deadline = time.monotonic() + 60
        while then not in self.output[mark + len(line) :]:
            assert time.monotonic() < deadline, self.output[-3000:]
            ready, _, _ = select.select([self.fd], [], [], 1)
            if ready:
                self.output += os.read(self.fd, 65536).decode(errors="replace")

    def wait(self, timeout: float = 60) -> int:
        """The child's exit code once it has ended (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self._drain()
                    return os.waitstatus_to_exitcode(status)
                assert time.monotonic() < deadline, f"still running:\n{self.output[-3000:]}"
                self._drain(0.2)
        except OSError:  # the terminal's other end is closed: the child is ending
            pass
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            assert time.monotonic() < deadline, f"still running:\n{self.output[-3000:]}"
            time.sleep(0.05)

    def _drain(self, timeout: float = 0) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            chunk = os.read(self.fd, 65536)
            self.output += chunk.decode(errors="replace")

    def interrupt(self) -> int:
        """Press Ctrl-C (SIGINT through the terminal); the child's exit code.

        A SIGINT that lands after the prompt is printed but before ``input()`` blocks in
        read() is only acted on at the next interruption (CPython checks signals on EINTR), so
        a facilitator may have to press it twice: the test presses it again only while the
        session has not answered the first one."""
        for _ in range(3):
            os.write(self.fd, b"\x03")
            deadline = time.monotonic() + 5
            while "interrupted:" not in self.output and time.monotonic() < deadline:
                try:
                    self._drain(0.1)
                except OSError:
                    break
            if "interrupted:" in self.output:
                break
        return self.wait()


def _scenario(tmp_path: Path) -> Path:
    injects = [
        *BASE["injects"],
        {"id": "call", "atMinutes": 6, "kind": "call", "text": "A journalist calls"},
    ]
    decisions = [
        {
            "id": "tell",
            "after": "contain",
            "question": "Tell customers?",
            "default": "yes",
            "options": [{"id": "yes", "label": "yes"}, {"id": "no", "label": "no"}],
        }
    ]
    return write(tmp_path / "room.yaml", scenario(injects=injects, decisions=decisions))


def test_interactive_session_interrupted_and_resumed(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    session = tmp_path / "room.session.jsonl"
    args = [
        "drill",
        "run",
        str(path),
        "--interactive",
        "--session",
        str(session),
        "-f",
        "json",
        "-o",
        str(tmp_path / "result.json"),
    ]
    first = Terminal(args, tmp_path)
    first.read_until("min] > ")
    first.send("next")
    assert "INJECT alert: an alert" in first.output
    first.send("skip 2")
    first.send("done detect")
    assert "level 1: appsec-0040" in first.output  # the org model's on-call for profiles
    first.send("skip 1")
    first.send("ack appsec-0040")
    first.send("pause")
    first.send("skip 100")
    assert "paused: `resume` first" in first.output  # nothing moves while paused
    first.send("note the room lost power")
    first.send("resume")
    assert first.interrupt() == 130  # Ctrl-C: SIGINT through the terminal
    assert "entries kept" in first.output
    kept = session.read_text().splitlines()
    assert [json.loads(line)["type"] for line in kept] == [
        "advance",
        "advance",
        "done",
        "advance",
        "ack",
        "pause",
        "note",
        "resume",
    ]
    assert all({"simulated", "wall", "minutes"} <= set(json.loads(line)) for line in kept)
    assert not (tmp_path / "result.json").exists()  # nothing scored or recorded yet

    second = Terminal(args, tmp_path)
    second.read_until("resumed")
    second.read_until("min] > ")
    assert "8 entries, at minute 3.0" in second.output
    second.send("skip 4")
    assert "INJECT call: A journalist calls" in second.output  # shown as time reached it
    second.send("done contain")
    assert "decision point tell: Tell customers?" in second.output
    second.send("decide tell no")
    second.send("skip 5")
    second.send("done recover")
    second.send("end", then="session ended")
    assert second.wait() == 0
    result = json.loads((tmp_path / "result.json").read_text())["drill"]
    assert result["mode"] == "interactive"
    assert result["metrics"] == {"mttd": 2.0, "mtta": 1.0, "mttc": 5.0, "mttr": 10.0}
    assert result["decisions"][0]["chosen"] == "no"
    assert any(t["event"] == "note" and "lost power" in t["text"] for t in result["timeline"])
    assert len(result["entries"]) == len(session.read_text().splitlines())
    assert result["expectations"][0]["status"] == "met"
    import sqlite3

    db = sqlite3.connect(tmp_path / "state.db")
    rows = db.execute("SELECT summary FROM runs WHERE command = 'drill run'").fetchall()
    db.close()
    assert len(rows) == 1 and '"interactive"' in rows[0][0]


def test_closed_terminal_keeps_the_entries_and_the_session_resumes(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    session = tmp_path / "room.session.jsonl"
    args = ["drill", "run", str(path), "--interactive", "--session", str(session), "-f", "json"]
    first = Terminal(args, tmp_path)
    first.read_until("min] > ")
    first.send("next")
    first.send("note the projector died")
    os.close(first.fd)  # the facilitator's terminal goes away (hang-up, end of input)
    deadline = time.monotonic() + 30
    while True:  # the session ends by itself: no hang on a terminal that is gone
        done, status = os.waitpid(first.pid, os.WNOHANG)
        if done:
            break
        assert time.monotonic() < deadline, "the session did not end when its terminal closed"
        time.sleep(0.05)
    kept = [json.loads(line) for line in session.read_text().splitlines()]
    assert [entry["type"] for entry in kept] == ["advance", "note"]
    assert kept[1]["text"] == "the projector died"

    second = Terminal(args, tmp_path)
    second.read_until("resumed")
    second.read_until("min] > ")
    assert "2 entries" in second.output
    second.send("end", then="session ended")
    assert second.wait() == 0
