"""Org benchmark: the 52,500-agent holding, and 100,000 ``who`` queries at random times.

Workload:
1. generate the holding of the example org (35 subsidiaries x 1,500 agents, 500 training
   cohorts) and validate it (floors, level shares, cohorts); goal <= 3 s;
2. 100,000 ``who`` queries (primary, secondary and the whole escalation chain with its times)
   for random subdomains at random instants over a year; goal >= 10,000 queries/s.
Also reported: loading and fully validating the example org (1,300 people, 73 schedules checked
for 24x7 coverage over 371 days) and the roster generation.

Run: python bench/org.py  (median of 3 runs for each figure)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from _timing import median_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seccli.org.holding import generate_holding, validate_holding  # noqa: E402
from seccli.org.loader import load_org  # noqa: E402
from seccli.org.oncall import OnCallIndex, to_epoch, who  # noqa: E402
from seccli.org.roster import generate_roster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_ORG = ROOT / "examples" / "claytom" / "org.yaml"
QUERIES = 100_000
HOLDING_GOAL_S = 3.0
QUERY_GOAL_PER_S = 10_000
RUNS = 3


def main() -> int:
    load_s = median_of(lambda: load_org(EXAMPLE_ORG), RUNS).wall
    org = load_org(EXAMPLE_ORG).org
    roster_s = median_of(lambda: generate_roster(org), RUNS).wall

    def holding_run() -> None:
        holding = generate_holding(org)
        problems = validate_holding(org, holding)
        if problems or len(holding) != 52_500:
            raise SystemExit(f"holding invalid: {len(holding)} agents, {problems[:3]}")

    holding = median_of(holding_run, RUNS)
    holding_s = holding.wall

    subdomains = sorted(org.squad_of_subdomain)
    rng = random.Random(2026)
    start = to_epoch(org.coverage_check.start) if org.coverage_check else 1_767_657_600
    span = 365 * 86400
    queries = [(rng.choice(subdomains), start + rng.randrange(span)) for _ in range(QUERIES)]

    def query_run() -> None:
        index = OnCallIndex(org)  # cold cache every run: compiling timelines is included
        unanswered = 0
        for subdomain, moment in queries:
            answer = who(index, subdomain, moment)
            if answer.primary is None or answer.primary.person is None:
                unanswered += 1
        if unanswered:
            raise SystemExit(f"{unanswered} queries found nobody on call")

    query = median_of(query_run, RUNS)
    query_s = query.wall
    rate = QUERIES / query_s

    print(f"example org load + full validation (1,300 people, 73 schedules): {load_s:.3f} s")
    print(f"roster generation (1,300 people):                               {roster_s:.3f} s")
    print(
        f"holding generate + validate (52,500 agents, 500 cohorts):        {holding_s:.3f} s "
        f"(goal <= {HOLDING_GOAL_S:g} s, ratio {holding_s / HOLDING_GOAL_S:.2f})"
    )
    print(
        f"who queries: {QUERIES:,} in {query_s:.3f} s = {rate:,.0f} queries/s "
        f"(goal >= {QUERY_GOAL_PER_S:,}/s, ratio {rate / QUERY_GOAL_PER_S:.2f})"
    )
    print(
        f"CPU time (median): holding {holding.cpu:.3f} s; who {query.cpu:.3f} s = "
        f"{QUERIES / query.cpu:,.0f} queries per CPU-second"
    )
    ok = holding_s <= HOLDING_GOAL_S and rate >= QUERY_GOAL_PER_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
