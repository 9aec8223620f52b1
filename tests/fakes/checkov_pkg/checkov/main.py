"""The fake entry point: ``Checkov(argv).run()`` like the real one, driven by ``--fake-*``."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from checkov.common.checks_infra import registry

if os.environ.get("FAKE_CHECKOV_BROKEN"):
    raise ImportError("fake checkov: broken installation")

RUNS = 0  # incremented by every run: a forked child must always see 1


class Checkov:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv

    def run(self) -> int | None:
        global RUNS
        RUNS += 1
        args = self.argv
        if "--fake-pidfile" in args:
            with open(args[args.index("--fake-pidfile") + 1], "w") as handle:
                handle.write(str(os.getpid()))
        if "--fake-sleep" in args:
            time.sleep(float(args[args.index("--fake-sleep") + 1]))
        if "--fake-crash" in args:
            os.kill(os.getpid(), signal.SIGKILL)
        if "--fake-big" in args:
            sys.stdout.write("x" * int(args[args.index("--fake-big") + 1]))
            return 0
        if "--fake-raise" in args:
            raise RuntimeError("fake checkov blew up")
        print(
            json.dumps(
                {
                    "argv": args,
                    "cwd": os.getcwd(),
                    "parallel": os.environ.get("CHECKOV_PARALLELIZATION_TYPE"),
                    "mark": os.environ.get("FAKE_MARK"),
                    "runs": RUNS,
                    "warmed": len(registry.LOADS),
                }
            )
        )
        print("fake stderr line", file=sys.stderr)
        if "--fake-exit" in args:
            raise SystemExit(int(args[args.index("--fake-exit") + 1]))
        return 1
