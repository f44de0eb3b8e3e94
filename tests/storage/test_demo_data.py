"""The demo city replays through the real use cases into every state of the lifecycle."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from functions.domain.lifecycle import State
from infra.bootstrap import DEMO


@pytest.mark.parametrize(
    "now",
    [
        # An ordinary Wednesday; and the Spring Festival week of 2027, when the scripts'
        # working-day timeline has the most calendar days to skip.
        datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
        datetime(2027, 2, 15, 3, 0, tzinfo=UTC),
        # Saturday 03:25 in Shanghai: a day off, when a script's "today" once moved on to
        # Monday, after now.
        datetime(2026, 12, 4, 19, 25, tzinfo=UTC),
    ],
    ids=["weekday", "spring-festival", "saturday-night"],
)
def test_demo_cases_replay_into_every_state_whatever_the_day(aws: None, now: datetime) -> None:
    """`make run` loads the demo on whatever day it is run: every script must stay valid
    (no reply already overdue when it asks for an extension, no promised date in the past)."""
    from functions.storage import cases_repo
    from infra import bootstrap
    from infra.demo_loader import load_demo

    bootstrap.load_city()
    samples = load_demo(now=now)
    counts = cases_repo.state_counts()
    expected = len(json.loads((DEMO / "cases.json").read_text(encoding="utf-8"))["cases"])
    assert sum(counts.values()) == expected >= 55
    assert {s.value for s in State} - {State.ARCHIVED.value} <= {k for k, v in counts.items() if v}
    assert samples and all(s["tracking_code"] for s in samples)
    for card in ("yellow", "red"):  # the 督办 lists have something to show
        assert cases_repo.carded(card, {}, None, public=False).cases, card
    _waits_for_triage_past_its_deadline(now)
    assert not _dated_after(now)
    assert not _misplaced()
    _supported_and_unsatisfied(now)
    _at_every_level()
    _a_hotspot_warning()
    _reviewed_by_a_supervisor(now)


def _a_hotspot_warning() -> None:
    """舆情预警: the demo's morning of water-outage reports in 滨河区 raised one warning."""
    from functions.storage import hotspots_repo
    from functions.storage.models import HotspotWarningModel

    months = {m.month for m in HotspotWarningModel.scan()}
    warnings = [w for month in months for w in hotspots_repo.warnings(month)]
    assert [w.district for w in warnings] == ["binhe"], warnings
    assert "停水" in warnings[0].terms and len(warnings[0].cases) >= 8


def _reviewed_by_a_supervisor(now: datetime) -> None:
    """监督评议 (§16): one closed public case carries the demo supervisor's approved review,
    and none waits for moderation."""
    from functions.domain.reviews import ReviewState
    from functions.services import citizen
    from functions.storage import reviews_repo

    (approved,), _ = reviews_repo.by_state(ReviewState.APPROVED, None)
    assert reviews_repo.by_state(ReviewState.PENDING, None) == ([], None)
    assert approved.title == "市人大代表 张建国" and approved.written_at < now
    page = citizen.public_case(approved.case_id, now)
    assert page["state"] == "closed" and [r["title"] for r in page["reviews"]] == [approved.title]


def _at_every_level() -> None:
    """1+8+N: a case handed city → county → town, on the clock the city's hand-off started;
    南湖县 holds the new cases of its own district (it triages them)."""
    from functions.storage import cases_repo

    levels, open_cases, cursor = [], [], None
    while True:  # every page: the demo's newest cases (the 舆情 outage) fill the first
        page = cases_repo.queue({}, sort="newest", bucket="open", cursor=cursor)
        open_cases += page.cases
        if not (cursor := page.next_cursor):
            break
    for case in open_cases:
        events = [e.type for e in cases_repo.timeline(case.case_id, public_only=True)]
        if "handed_down" in events:
            levels.append((case, events))
    [(case, events)] = levels
    assert events.index("handed_down") < events.index("county_assigned")
    assert case.lead is not None and case.lead.id == "jiangcheng-cuihu"
    assert case.holder == "jiangcheng-platform" and case.handoff is None
    held = cases_repo.queue({"holder": "nanhu-platform"}, sort="newest", bucket="open", cursor=None)
    assert held.cases and all(c.district == "nanhu" for c in held.cases)


def _waits_for_triage_past_its_deadline(now: datetime) -> None:
    """平台受理超时: a case submitted three working days ago still waits for 受理; its 受理
    deadline passed and the platform's ladder climbed to 催办, each rung once."""
    from functions.domain.platforms import CITY
    from functions.storage import cases_repo

    late = cases_repo.triage_overdue(CITY, now, None).cases
    assert "西山工业园一到晚上就有刺鼻气味" in [c.title for c in late]
    case = next(c for c in late if c.title.startswith("西山工业园"))
    assert case.triage is not None and case.triage.rungs == ["due", "urge"]
    assert "triage" in case.breaches
    assert cases_repo.triage_overdue_count(CITY, now) == (len(late), False)


def _supported_and_unsatisfied(now: datetime) -> None:
    """热议 has counts to sort, one case is past the 群众关注 threshold, and the 不满意专区
    lists a reopened case."""
    from functions.services import supports

    hot = supports.listing({"sort": "supports"}, None, now)["items"]
    assert [c["supports"] for c in hot] == sorted((c["supports"] for c in hot), reverse=True)
    assert hot[0]["supports"] >= 30 and hot[0]["attention"]["label"] == "群众关注"
    unsatisfied = supports.listing({"rating": "unsatisfied"}, None, now)["items"]
    assert "reopened" in {c["state"] for c in unsatisfied}


def _misplaced() -> list[str]:
    """Demo cases whose point lies outside the district they are filed under (where that
    district has a boundary); and the one case whose citizen chose another district than the
    point's must still be waiting for the coordinator to settle it."""
    from functions.domain import geo
    from functions.storage import boundaries, cases_repo
    from functions.storage.models import CaseModel

    bounds, _ = boundaries.current()
    shaped = {b.code for b in bounds}
    found: list[str] = []
    claimed = []
    for model in CaseModel.scan():
        case = cases_repo.get(model.case_id)
        assert case is not None
        if case.district_claimed:
            claimed.append((case.district_claimed, case.district, case.state))
        loc = case.location
        if case.district in shaped and not (loc and loc.lat is not None and loc.lng is not None):
            found.append(f"{case.case_id} in {case.district} has no point")
        elif loc and loc.lat is not None and loc.lng is not None:
            at = geo.district_at(bounds, loc.lat, loc.lng)
            if at != case.district and not case.district_claimed:
                found.append(f"{case.case_id} filed in {case.district}, its point in {at}")
    assert claimed == [("binhe", "jiangcheng", State.SUBMITTED)], claimed
    return found


def _dated_after(now: datetime) -> list[str]:
    """Every case, event, message and link the demo wrote that says it happened after ``now``
    (deadlines, expiries and promised dates are in the future by nature, and not looked at)."""
    from functions.storage.models import CaseModel, EventModel, OutboxModel, TokenModel

    found: list[str] = []
    for case in CaseModel.scan():
        for name in ("created_at", "updated_at", "closed_at"):
            at = getattr(case, name)
            if at is not None and at > now:
                found.append(f"case {case.case_id} {name} {at}")
    found += [f"event {e.case_id}#{e.seq} {e.type} {e.at}" for e in EventModel.scan() if e.at > now]
    found += [
        f"message {m.template} {m.created_at}" for m in OutboxModel.scan() if m.created_at > now
    ]
    found += [f"link {t.purpose} {t.created_at}" for t in TokenModel.scan() if t.created_at > now]
    return found


def test_demo_city_has_counties_and_departments_with_contacts() -> None:
    city = json.loads((DEMO / "city.json").read_text(encoding="utf-8"))
    assert len(city["districts"]) == 9 and len(city["departments"]) >= 25
    for department in city["departments"]:
        assert department["handler"]["email"].endswith("@linjiang.example")
        assert department["spokesperson"]["phone"].startswith("+861")
