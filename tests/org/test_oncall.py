"""On-call: layer boundaries, overrides, DST, gap detection across time zones, escalation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from seccli.core.errors import DocumentInvalid, InputError
from seccli.org.model import SecurityOrg
from seccli.org.oncall import (
    OnCallIndex,
    gaps,
    iso,
    on_call_hours,
    schedule_coverage,
    schedule_timeline,
    to_epoch,
    who,
)
from tests.org.samples import load_data, minimal_org


def at(text: str) -> int:
    return to_epoch(datetime.fromisoformat(text))


def org_of(data: dict[str, Any]) -> SecurityOrg:
    return load_data(data).org


def test_turn_boundaries_of_a_12h_rotation() -> None:
    index = OnCallIndex(org_of(minimal_org()))
    # rotationStart 2026-01-05T00:00 UTC, turns of 12 h, members appsec-0005 then api-sec-0006
    assert index.on_call("payments-primary", at("2026-01-05T00:00:00Z")).person == "appsec-0005"
    assert index.on_call("payments-primary", at("2026-01-05T11:59:59Z")).person == "appsec-0005"
    assert index.on_call("payments-primary", at("2026-01-05T12:00:00Z")).person == "api-sec-0006"
    assert index.on_call("payments-primary", at("2026-01-05T23:59:59Z")).person == "api-sec-0006"
    assert index.on_call("payments-primary", at("2026-01-06T00:00:00Z")).person == "appsec-0005"
    # before the rotation starts, nobody is on call in that layer
    assert index.on_call("payments-primary", at("2026-01-04T23:59:59Z")) is None


def test_overrides_win_exactly_within_their_span() -> None:
    data = minimal_org()
    data["schedules"][0]["overrides"] = [
        {"person": "api-sec-0007", "start": "2026-01-05T06:00:00Z", "end": "2026-01-05T08:00:00Z"},
        {"person": "api-sec-0008", "start": "2026-01-05T07:00:00Z", "end": "2026-01-05T07:30:00Z"},
    ]
    index = OnCallIndex(org_of(data))
    assert index.on_call("payments-primary", at("2026-01-05T05:59:59Z")).person == "appsec-0005"
    seg = index.on_call("payments-primary", at("2026-01-05T06:00:00Z"))
    assert (seg.person, seg.source) == ("api-sec-0007", "override")
    # a later override wins over an earlier one
    assert index.on_call("payments-primary", at("2026-01-05T07:15:00Z")).person == "api-sec-0008"
    assert index.on_call("payments-primary", at("2026-01-05T07:30:00Z")).person == "api-sec-0007"
    assert index.on_call("payments-primary", at("2026-01-05T08:00:00Z")).person == "appsec-0005"


def test_later_layers_win_where_active_and_restrictions_in_local_time() -> None:
    index = OnCallIndex(org_of(minimal_org()))
    # booking: emea Madrid 08:00-20:00 local; "americas" UTC 17:00-08:00 (later layer, wins)
    winter_noon = index.on_call("booking-primary", at("2026-01-07T12:00:00Z"))
    assert winter_noon.source == "layer:emea"
    assert index.on_call("booking-primary", at("2026-01-07T17:00:00Z")).source == "layer:americas"
    # 07:30 UTC in winter is 08:30 Madrid: both active, the later layer wins until 08:00 UTC
    assert index.on_call("booking-primary", at("2026-01-07T07:30:00Z")).source == "layer:americas"
    assert index.on_call("booking-primary", at("2026-01-07T08:00:00Z")).source == "layer:emea"


def test_daily_handoff_follows_local_time_across_dst() -> None:
    data = minimal_org()
    data["schedules"][0]["layers"] = [
        {
            "name": "madrid",
            "timeZone": "Europe/Madrid",
            "rotationStart": "2026-03-28T09:00:00",
            "turn": "1d",
            "members": ["appsec-0005", "api-sec-0006"],
        }
    ]
    data["coverageCheck"] = {"start": "2026-03-29T00:00:00Z", "days": 30}
    index = OnCallIndex(org_of(data))
    # 2026-03-28 09:00 CET = 08:00 UTC; 2026-03-29 09:00 CEST = 07:00 UTC (clocks went forward)
    assert index.on_call("payments-primary", at("2026-03-28T07:59:59Z")) is None
    assert index.on_call("payments-primary", at("2026-03-28T08:00:00Z")).person == "appsec-0005"
    assert index.on_call("payments-primary", at("2026-03-29T06:59:59Z")).person == "appsec-0005"
    assert index.on_call("payments-primary", at("2026-03-29T07:00:00Z")).person == "api-sec-0006"
    # the turn across the DST change lasted 23 hours
    timeline = index.timeline(
        "payments-primary", at("2026-03-28T00:00:00Z"), at("2026-03-31T00:00:00Z")
    )
    assert timeline[0].end - timeline[0].start == 23 * 3600


def _two_zone_org(zone_a: str, zone_b: str) -> dict[str, Any]:
    data = minimal_org()
    data["schedules"][1]["layers"] = [
        {
            "name": "emea",
            "timeZone": zone_a,
            "rotationStart": "2026-01-01T08:00:00",
            "turn": "1w",
            "members": ["appsec-0010"],
            "restrictions": [{"type": "daily", "start": "08:00", "end": "20:00"}],
        },
        {
            "name": "americas",
            "timeZone": zone_b,
            "rotationStart": "2026-01-01T14:00:00",
            "turn": "1w",
            "members": ["api-sec-0011"],
            "restrictions": [{"type": "daily", "start": "14:00", "end": "02:00"}],
        },
    ]
    data["coverageCheck"] = {"start": "2026-01-06T00:00:00Z", "days": 360}
    return data


def test_gaps_appear_only_while_dst_rules_disagree() -> None:
    """Madrid 08-20 and New York 14-02 tile the day in winter and in summer, but not while the
    US is on summer time and Europe is not (2026-03-08..29 and 2026-10-25..11-01)."""
    with pytest.raises(DocumentInvalid) as caught:
        load_data(_two_zone_org("Europe/Madrid", "America/New_York"))
    (problem,) = caught.value.problems
    assert problem.location.path == "schedules[1]"
    assert "booking-primary does not cover 24x7" in problem.message
    assert "27 gaps (27 h): 2026-03-09T06:00:00Z/2026-03-09T07:00:00Z" in problem.message
    assert "and 19 more" in problem.message

    org = SecurityOrg.model_validate(_two_zone_org("Europe/Madrid", "America/New_York"))
    schedule = org.schedules_by_id["booking-primary"]
    start, end = at("2026-01-06T00:00:00Z"), at("2026-12-31T00:00:00Z")
    found = gaps(schedule_coverage(schedule, start, end), start, end)
    assert len(found) == 27
    assert {g.end - g.start for g in found} == {3600}
    assert iso(found[19].start) == "2026-03-28T06:00:00Z"
    assert iso(found[20].start) == "2026-10-25T06:00:00Z"
    assert iso(found[-1].start) == "2026-10-31T06:00:00Z"
    # the full timeline agrees with the coverage shortcut
    assert gaps(schedule_timeline(schedule, start, end), start, end) == found


def test_same_shifts_without_dst_have_no_gaps() -> None:
    load_data(_two_zone_org("Etc/GMT-1", "Etc/GMT+5"))  # fixed UTC+1 and UTC-5


def test_a_layer_that_ends_leaves_a_gap() -> None:
    data = minimal_org()
    data["schedules"][0]["layers"][0]["end"] = "2026-06-01T00:00:00Z"
    with pytest.raises(DocumentInvalid, match=r"payments-primary does not cover 24x7.*1 gap"):
        load_data(data)


def test_weekly_restriction_covering_a_weekend() -> None:
    data = minimal_org()
    data["schedules"][0]["layers"].append(
        {
            "name": "weekend",
            "timeZone": "UTC",
            "rotationStart": "2026-01-02T18:00:00",
            "turn": "1w",
            "members": ["api-sec-0009"],
            "restrictions": [
                {
                    "type": "weekly",
                    "startDay": "fri",
                    "start": "18:00",
                    "endDay": "mon",
                    "end": "08:00",
                }
            ],
        }
    )
    index = OnCallIndex(org_of(data))
    assert index.on_call("payments-primary", at("2026-01-09T17:59:00Z")).person != "api-sec-0009"
    assert index.on_call("payments-primary", at("2026-01-09T18:00:00Z")).person == "api-sec-0009"
    assert index.on_call("payments-primary", at("2026-01-11T12:00:00Z")).person == "api-sec-0009"
    assert index.on_call("payments-primary", at("2026-01-12T08:00:00Z")).person != "api-sec-0009"


def test_who_gives_primary_secondary_and_escalation_times() -> None:
    index = OnCallIndex(org_of(minimal_org()))
    answer = who(index, "payments", datetime(2026, 1, 5, 11, 55, tzinfo=UTC))
    assert answer.squad == "squad-payments" and answer.policy == "ep-payments"
    assert answer.primary is not None and answer.primary.person == "appsec-0005"
    assert answer.secondary is not None and answer.secondary.person == "appsec-0001"
    steps = [(s.loop, s.level, iso(s.at), s.person) for s in answer.escalations]
    # level 1 after 10 minutes goes to level 2; after 20 more the policy loops once.
    # The loop's level 1 page happens at 12:25, after the 12:00 hand-off: the next member.
    assert steps == [
        (0, 1, "2026-01-05T11:55:00Z", "appsec-0005"),
        (0, 2, "2026-01-05T12:05:00Z", "appsec-0001"),
        (1, 1, "2026-01-05T12:25:00Z", "api-sec-0006"),
        (1, 2, "2026-01-05T12:35:00Z", "appsec-0001"),
    ]
    as_json = answer.as_dict()
    assert as_json["primary"]["person"] == "appsec-0005" and as_json["at"] == "2026-01-05T11:55:00Z"


def test_who_for_unknown_subdomain_is_an_input_error() -> None:
    index = OnCallIndex(org_of(minimal_org()))
    with pytest.raises(InputError, match="no squad owns subdomain 'voice'"):
        who(index, "voice", datetime(2026, 1, 5, tzinfo=UTC))


def test_cached_weekly_lookup_agrees_with_direct_timelines() -> None:
    org = org_of(minimal_org())
    index = OnCallIndex(org)
    rng = random.Random(3)
    start = at("2026-01-06T00:00:00Z")
    span = 300 * 86400
    timeline = schedule_timeline(org.schedules_by_id["booking-primary"], start, start + span)
    starts = [seg.start for seg in timeline]
    from bisect import bisect_right

    for _ in range(500):
        moment = start + rng.randrange(span)
        i = bisect_right(starts, moment) - 1
        expected = timeline[i].person if i >= 0 and timeline[i].end > moment else None
        got = index.on_call("booking-primary", moment)
        assert (got.person if got else None) == expected, iso(moment)


def test_on_call_hours_add_up() -> None:
    index = OnCallIndex(org_of(minimal_org()))
    start = at("2026-01-05T00:00:00Z")
    hours = on_call_hours(index, start, start + int(timedelta(days=2).total_seconds()))
    # two fully covered schedules over 48 hours
    assert sum(hours.values()) == pytest.approx(96)
    assert hours["appsec-0005"] == pytest.approx(24)


def test_who_now_reads_the_clock() -> None:
    from seccli.core.clock import FixedClock
    from seccli.org.oncall import who_now

    index = OnCallIndex(org_of(minimal_org()))
    clock = FixedClock(datetime(2026, 1, 5, 11, 0, tzinfo=UTC))
    assert who_now(index, "payments", clock).primary.person == "appsec-0005"  # type: ignore[union-attr]
    clock.advance(timedelta(hours=1))
    assert who_now(index, "payments", clock).primary.person == "api-sec-0006"  # type: ignore[union-attr]


def test_example_follow_the_sun_hand_offs() -> None:
    from seccli.org.loader import load_org
    from tests.org.samples import EXAMPLE_ORG

    index = OnCallIndex(load_org(EXAMPLE_ORG).org)
    for day in ("2026-01-07", "2026-07-01", "2026-11-21"):
        before = index.on_call("payments-primary", at(f"{day}T13:59:59Z"))
        after = index.on_call("payments-primary", at(f"{day}T14:00:00Z"))
        assert before is not None and before.source == "layer:emea"
        assert after is not None and after.source == "layer:americas"
        assert index.on_call("payments-primary", at(f"{day}T06:59:59Z")).source == "layer:apac"  # type: ignore[union-attr]
        assert index.on_call("payments-primary", at(f"{day}T07:00:00Z")).source == "layer:emea"  # type: ignore[union-attr]
    # the Christmas override in the example
    seg = index.on_call("payments-primary", at("2026-12-25T03:00:00Z"))
    assert seg is not None and seg.source == "override"


def test_rotation_start_with_an_offset_is_read_in_the_layer_zone() -> None:
    data = minimal_org()
    layer = data["schedules"][0]["layers"][0]
    layer["timeZone"] = "Asia/Manila"
    layer["rotationStart"] = "2026-01-04T16:00:00Z"  # 2026-01-05T00:00 in Manila (UTC+8)
    index = OnCallIndex(org_of(data))
    assert index.on_call("payments-primary", at("2026-01-04T15:59:59Z")) is None
    assert index.on_call("payments-primary", at("2026-01-04T16:00:00Z")).person == "appsec-0005"  # type: ignore[union-attr]
    assert index.on_call("payments-primary", at("2026-01-05T04:00:00Z")).person == "api-sec-0006"  # type: ignore[union-attr]
