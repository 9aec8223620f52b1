"""A facilitated tabletop session: injects shown as simulated time reaches them, the facilitator
records acknowledgements, phases, decisions and notes; pause, resume, skip ahead.

Every entry is appended (and fsynced) to a JSON Lines session file with its simulated and wall
time, so an interrupted session (Ctrl-C, closed terminal) keeps what was recorded; running the
same command again replays the file and continues. Pauses stop the simulated clock and are
excluded from scores. The session talks through ``ask``/``say`` given by the CLI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seccli.core.clock import utc_iso
from seccli.core.documents import parse_documents
from seccli.core.errors import InputError
from seccli.drill.engine import PhaseResult, Plan, RunOutcome, _score, outcome_json
from seccli.org.oncall import who

HELP = (
    "commands: next | skip MINUTES | ack PERSON | done PHASE | decide DECISION OPTION | "
    "note TEXT | pause | resume | status | end | help"
)


@dataclass
class _State:
    minutes: float = 0.0
    shown: int = 0
    paused_at: str | None = None
    ends: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    notes: list[dict[str, Any]] = field(default_factory=list)
    pauses: list[tuple[float, float]] = field(default_factory=list)
    ended: bool = False


class Session:
    """The state of one session and its log."""

    def __init__(self, plan: Plan, path: Path, now: Callable[[], datetime]) -> None:
        self.plan = plan
        self.path = path
        self.now = now
        self.state = _State()
        self.entries: list[dict[str, Any]] = []
        self.phase_ids = {step.phase.id for step in plan.phases}
        self.options = {d.id: {o.id: o for o in d.options} for d in plan.scenario.decisions}

    # the log

    def replay(self) -> int:
        """Apply the entries of an existing session file; how many."""
        if not self.path.exists():
            return 0
        text = self.path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            (document,) = parse_documents(line, f"{self.path}:{number}", fmt="json")
            entry = document.data
            if not isinstance(entry, dict) or entry.get("scenario") != self.name:
                raise InputError(f"{self.path}:{number}: not an entry of drill {self.name}")
            self._apply(entry)
            self.entries.append(entry)
        return len(self.entries)

    @property
    def name(self) -> str:
        return self.plan.scenario.metadata.name

    def record(self, kind: str, **data: Any) -> dict[str, Any]:
        """Apply and append one entry (simulated and wall time stamped)."""
        clock = self._clock()
        entry = {
            "scenario": self.name,
            "seq": len(self.entries) + 1,
            "type": kind,
            "minutes": round(self.state.minutes, 3),
            "simulated": utc_iso(clock.at(self.state.minutes)),
            "wall": utc_iso(self.now()),
            **data,
        }
        self._apply(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, sort_keys=True) + "\n")
            log.flush()
            os.fsync(log.fileno())
        self.entries.append(entry)
        return entry

    def _apply(self, entry: dict[str, Any]) -> None:
        state = self.state
        kind = entry["type"]
        state.minutes = max(state.minutes, float(entry["minutes"]))
        if kind == "advance":
            state.minutes = float(entry["to"])
            state.shown = int(entry.get("shown", state.shown))
        elif kind in ("ack", "done"):
            state.ends[entry["phase"]] = (state.minutes, entry.get("by"))
        elif kind == "decide":
            option = self.options[entry["decision"]][entry["option"]]
            state.skipped.update(option.skips)
            state.decisions.append(
                {
                    "decision": entry["decision"],
                    "chosen": entry["option"],
                    "at": state.minutes,
                    "question": next(
                        d.question
                        for d in self.plan.scenario.decisions
                        if d.id == entry["decision"]
                    ),
                }
            )
        elif kind == "note":
            state.notes.append({"minutes": state.minutes, "text": entry["text"]})
        elif kind == "pause":
            state.paused_at = entry["wall"]
        elif kind == "resume":
            began = datetime.fromisoformat(str(state.paused_at).replace("Z", "+00:00"))
            ended = datetime.fromisoformat(entry["wall"].replace("Z", "+00:00"))
            state.pauses.append((state.minutes, max(0.0, (ended - began).total_seconds() / 60)))
            state.paused_at = None
        elif kind == "end":
            state.ended = True

    def _clock(self) -> Any:
        from seccli.drill.clock import DrillClock

        clock = DrillClock(self.plan.scenario.start)
        pauses = [
            (float(i.at_minutes), float(i.pause_minutes or 0))
            for i in self.plan.scenario.injects
            if i.kind == "pause"
        ]
        for at, minutes in sorted([*pauses, *self.state.pauses]):
            clock.pause(at, minutes)
        return clock

    # facilitator commands

    def next_inject(self) -> list[str]:
        """Advance to the next inject; the lines to show."""
        injects = self.plan.scenario.injects
        if self.state.shown >= len(injects):
            return ["no more injects; record the remaining phases, then `end`"]
        inject = injects[self.state.shown]
        self.record(
            "advance",
            to=max(self.state.minutes, float(inject.at_minutes)),
            shown=self.state.shown + 1,
        )
        return [
            f"[minute {inject.at_minutes}] INJECT {inject.kind}: {inject.text}",
            *self.pending(),
        ]

    def ready(self) -> list[Any]:
        """Phases not yet recorded whose predecessors are (in dependency order)."""
        return [
            step.phase
            for step in self.plan.phases
            if step.phase.id not in self.state.ends
            and step.phase.id not in self.state.skipped
            and all(
                b in self.state.ends
                or b in self.state.skipped
                or (b in self.plan.injects and self._inject_shown(b))
                for b in step.phase.after
            )
        ]

    def pending(self) -> list[str]:
        """Decision points reached and phases now ready (who is paged for a page phase)."""
        decided = {d["decision"] for d in self.state.decisions}
        lines = [
            f"  decision point {d.id}: {d.question} options: "
            f"{' | '.join(o.id for o in d.options)}; record `decide {d.id} OPTION`"
            for d in self.plan.scenario.decisions
            if d.after in self.state.ends and d.id not in decided
        ]
        for phase in self.ready():
            if phase.kind == "page":
                answer = who(
                    self.plan.index,
                    self.plan.scenario.subdomain,
                    self._clock().at(self.state.minutes),
                )
                chain = ", ".join(
                    f"level {n.level}: {n.person or 'nobody'} at +{(n.at - answer.at) // 60} min"
                    for n in answer.escalations
                    if n.loop == 0
                )
                lines.append(f"  ready: {phase.id} (page) -> {chain}; record `ack PERSON`")
            else:
                lines.append(f"  ready: {phase.id} ({phase.team}); record `done {phase.id}`")
        return lines

    def _inject_shown(self, inject_id: str) -> bool:
        ids = [i.id for i in self.plan.scenario.injects]
        return ids.index(inject_id) < self.state.shown

    def handle(self, line: str) -> list[str]:
        """Run one facilitator command; the lines to show."""
        word, _, rest = line.strip().partition(" ")
        rest = rest.strip()
        if self.state.paused_at is not None and word not in ("resume", "note", "status", "help"):
            return ["paused: `resume` first (notes are allowed)"]
        if word in ("", "next"):
            return self.next_inject()
        if word == "skip":
            try:
                minutes = float(rest)
            except ValueError:
                return ["skip MINUTES: a number of minutes"]
            if minutes <= 0:
                return ["skip MINUTES: more than 0"]
            target = self.state.minutes + minutes
            shown = self.state.shown
            injects = self.plan.scenario.injects
            lines = []
            while shown < len(injects) and float(injects[shown].at_minutes) <= target:
                lines.append(
                    f"[minute {injects[shown].at_minutes}] INJECT "
                    f"{injects[shown].kind}: {injects[shown].text}"
                )
                shown += 1
            self.record("advance", to=target, shown=shown)
            return [*lines, f"now at minute {round(target, 3)}", *self.pending()]
        if word == "ack":
            page = next((p.id for p in self.ready() if p.kind == "page"), None)
            if page is None or not rest:
                return ["ack PERSON: no page is ready" if page is None else "ack PERSON"]
            self.record("ack", phase=page, by=rest)
            return [
                f"{page} acknowledged by {rest} at minute {round(self.state.minutes, 3)}",
                *self.pending(),
            ]
        if word == "done":
            ready = [p.id for p in self.ready() if p.kind == "work"]
            if rest not in ready:
                return [f"done PHASE: ready now: {', '.join(ready) or 'none'}"]
            self.record("done", phase=rest)
            return [f"{rest} done at minute {round(self.state.minutes, 3)}", *self.pending()]
        if word == "decide":
            decision, _, option = rest.partition(" ")
            if option.strip() not in self.options.get(decision, {}):
                return [
                    "decide DECISION OPTION: "
                    + "; ".join(f"{d}: {', '.join(o)}" for d, o in self.options.items())
                    or "no decisions"
                ]
            self.record("decide", decision=decision, option=option.strip())
            return [f"decision {decision}: {option.strip()}", *self.pending()]
        if word == "note":
            self.record("note", text=rest)
            return ["noted"]
        if word == "pause":
            self.record("pause")
            return ["paused: the simulated clock is stopped (excluded from scores)"]
        if word == "resume":
            if self.state.paused_at is None:
                return ["not paused"]
            self.record("resume")
            return ["resumed"]
        if word == "status":
            return [
                f"minute {round(self.state.minutes, 3)}, {self.state.shown} inject(s) shown, "
                f"done: {', '.join(sorted(self.state.ends)) or 'nothing'}",
                *self.pending(),
            ]
        if word == "end":
            self.record("end")
            return ["session ended"]
        return [HELP]

    # scoring

    def result(self, seed: int) -> dict[str, Any]:
        """Scores of what was recorded (phases not recorded are missed)."""
        plan = self.plan
        clock = self._clock()
        clock.advance_to(self.state.minutes)
        limit = float(plan.scenario.duration_minutes)
        results: dict[str, PhaseResult] = {}
        ends: dict[str, float | None] = dict(plan.injects)
        for step in plan.phases:
            phase = step.phase
            befores = [ends.get(b) for b in step.after]
            start = max((b for b in befores if b is not None), default=0.0)
            if phase.id in self.state.skipped:
                results[phase.id] = PhaseResult(phase.id, phase.team, start, start, "skipped")
                ends[phase.id] = start
                continue
            recorded = self.state.ends.get(phase.id)
            if recorded is None or any(b is None for b in befores):
                results[phase.id] = PhaseResult(phase.id, phase.team, start, None, "missed")
                ends[phase.id] = None
                continue
            end, actor = recorded
            status = "done" if end <= limit else "missed"
            results[phase.id] = PhaseResult(
                phase.id, phase.team, start, max(end, start), status, actor
            )
            ends[phase.id] = max(end, start) if status == "done" else None
        outcome: RunOutcome = _score(plan, results, self.state.decisions, clock)
        data = outcome_json(plan, outcome, seed)
        data["timeline"] = sorted(
            [
                *data["timeline"],
                *(
                    {
                        "minutes": round(n["minutes"], 3),
                        "event": "note",
                        "text": n["text"],
                        "by": "facilitator",
                        "at": utc_iso(clock.at(n["minutes"]))[:19] + "Z",
                    }
                    for n in self.state.notes
                ),
            ],
            key=lambda e: (e["minutes"], e["event"], e["text"]),
        )
        data["mode"] = "interactive"
        data["entries"] = self.entries
        return data


def run_session(
    plan: Plan,
    path: Path,
    seed: int,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Run (or resume) a session until `end`; the scored result.

    Ctrl-C or end of input leaves the session file as recorded and raises ``KeyboardInterrupt``.
    """
    session = Session(plan, path, now)
    replayed = session.replay()
    scenario = plan.scenario
    if replayed:
        say(f"resumed {path}: {replayed} entries, at minute {round(session.state.minutes, 3)}")
    else:
        say(f"drill {scenario.metadata.name}: {scenario.metadata.title}")
        say(HELP)
    while not session.state.ended:
        try:
            line = ask(f"[{round(session.state.minutes, 3)} min] > ")
        except (KeyboardInterrupt, EOFError):
            say(
                f"\ninterrupted: {len(session.entries)} entries kept in {path}; "
                "run the same command to resume"
            )
            raise KeyboardInterrupt from None
        for out in session.handle(line):
            say(out)
    return session.result(seed)
