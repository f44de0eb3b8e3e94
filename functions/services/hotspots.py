"""舆情 hotspots and early warning (§16): the ``hotspots`` job and the warnings' list.

One run (hourly): read the cases created since the job's cursor (the ``queue-created`` index,
never a scan), add their terms to the day × place tallies (each tally skips the cases it has
already counted: a rerun or a crashed run's retry adds nothing twice), move the cursor, then
test the places whose day changed (functions/domain/hotspots.py). A burst raises a 舆情预警
once: the warning and its e-mails are written in one transaction, conditional on the warning
being new, and a burst overlapping a warning of its district's day or the day before (the next
hour of the same outage) only brings that warning up to date.

Imported by the job only: the API's warnings list imports ``warnings_between`` lazily, and
the segmentation is pure Python (tests/bench/test_cold_start.py keeps it off the API's
import path)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.models import Model

from functions.domain import hotspots
from functions.domain.calendar import SHANGHAI
from functions.domain.platforms import CITY, platform_of_district
from functions.notify import templates
from functions.services import hotspot_warnings
from functions.settings import settings
from functions.storage import directory, hotspots_repo, outbox_repo
from functions.storage.codec import iso
from functions.storage.hotspots_repo import NewCase, Tally, WarningRecord

# The index behind the cursor is eventually consistent: a run counts cases created at least
# this long before it, so none appears later behind the cursor.
SETTLE = timedelta(minutes=2)
# A first run (no cursor) starts this far back: the baseline's days and today.
FIRST_RUN_DAYS = hotspots.BASELINE_DAYS + 1
# A burst is raised only for today and yesterday (a catch-up run does not warn of old news).
WARN_DAYS = 2
# A tally is kept while a baseline can read it.
KEEP_DAYS = hotspots.BASELINE_DAYS + 7
MAX_CASES = 200  # cases a warning lists
MAX_RECIPIENTS = 90  # a transaction holds 100 items: the warning and its e-mails


def _day(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).date().isoformat()


def _days_before(day: str, n: int) -> list[str]:
    d = date.fromisoformat(day)
    return [(d - timedelta(days=k)).isoformat() for k in range(n, 0, -1)]


def run(now: datetime) -> dict[str, Any]:
    """One run of the ``hotspots`` job at ``now``."""
    after = hotspots_repo.cursor()
    if not after:
        after = iso(now - timedelta(days=FIRST_RUN_DAYS))
    new = hotspots_repo.cases_between(after, now - SETTLE)
    report: dict[str, Any] = {"cases": len(new), "places": 0, "raised": 0, "updated": 0}
    if not new:
        return report
    touched = _count(new, now)
    hotspots_repo.move_cursor(new[-1].created_key)
    report["places"] = len(touched)
    today = _day(now)
    recent = set(_days_before(today, WARN_DAYS - 1)) | {today}
    by_day: dict[tuple[str, str], list[hotspots.Burst]] = defaultdict(list)
    for tally in touched:
        if tally.day in recent:
            district = tally.place.split("#", 1)[0]
            by_day[(tally.day, district)] += _bursts(tally)
    for (day, _district), found in sorted(by_day.items()):
        for burst in hotspots.combine(found):
            raised = _warn(day, burst, now)
            report["raised" if raised else "updated"] += 1
    return report


def _places(case: NewCase) -> tuple[str, str]:
    return f"{case.district}#{case.category}", f"{case.district}#{hotspots.ALL_CATEGORIES}"


def _count(new: list[NewCase], now: datetime) -> list[Tally]:
    """Add the new cases' terms to their tallies; the tallies as written."""
    grouped: dict[tuple[str, str], list[NewCase]] = defaultdict(list)
    for case in new:
        for place in _places(case):
            grouped[(_day(case.created_at), place)].append(case)
    found = {case.case_id: hotspots.terms(case.title, case.content) for case in new}
    expires = now + timedelta(days=KEEP_DAYS)
    current = hotspots_repo.tallies(grouped)
    written = []
    for key, cases in sorted(grouped.items()):
        previous = current.get(key)
        while True:
            tally = _added(key, previous, cases, found)
            if hotspots_repo.save_tally(tally, previous, expires):
                break
            previous = hotspots_repo.tallies([key]).get(key)  # another run moved it: again
        written.append(tally)
    return written


def _added(
    key: tuple[str, str], previous: Tally | None, cases: list[NewCase], found: dict[str, Any]
) -> Tally:
    counts = dict(previous.terms) if previous else {}
    through = previous.through if previous else ""
    reports = previous.reports if previous else 0
    for case in cases:
        if case.created_key <= through:
            continue  # counted by an earlier run
        hotspots.add_terms(counts, found[case.case_id])
        reports += 1
        through = case.created_key
    return Tally(key[0], key[1], hotspots.prune(counts), reports, through)


def _history(day: str, place: str, terms: list[str]) -> dict[str, list[int]]:
    days = _days_before(day, hotspots.BASELINE_DAYS)
    past = hotspots_repo.tallies((d, place) for d in days)
    return {
        term: [past[(d, place)].terms.get(term, 0) if (d, place) in past else 0 for d in days]
        for term in terms
    }


def _bursts(tally: Tally) -> list[hotspots.Burst]:
    candidates = [t for t, n in tally.terms.items() if n >= hotspots.MIN_COUNT]
    if not candidates:
        return []
    district, category = tally.place.split("#", 1)
    history = _history(tally.day, tally.place, candidates)
    today = {t: tally.terms[t] for t in candidates}
    return hotspots.bursts(today, history, district, category)


# --- warnings --------------------------------------------------------------------------


def _same(day: str, burst: hotspots.Burst, cases: list[dict[str, Any]]) -> WarningRecord | None:
    """A warning of the burst's district on its day or the day before that names
    overlapping terms or lists mostly the same cases: the same burst, raised already."""
    ids = {c["case_id"] for c in cases}
    for d in (*_days_before(day, 1), day):
        prefix = f"{d}#{burst.district}#"
        for w in hotspots_repo.warnings(d[:7], prefix, prefix + "~"):
            if hotspots.same_burst(w.terms, burst.terms) or hotspots.same_cases(
                {c["case_id"] for c in w.cases}, ids
            ):
                return w
    return None


def _behind(day: str, burst: hotspots.Burst) -> list[dict[str, Any]]:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), SHANGHAI)
    day_cases = hotspots_repo.cases_between(
        iso(start - timedelta(seconds=1)) + "#~",  # every case of the day's first second on
        start + timedelta(days=1) - timedelta(seconds=1),
        district=burst.district,
    )
    wanted = [
        hotspots.Candidate(c.case_id, c.title, c.content)
        for c in day_cases
        if burst.category == hotspots.ALL_CATEGORIES or c.category == burst.category
    ]
    listed: list[dict[str, Any]] = []
    for n, cluster in enumerate(hotspots.clusters(hotspots.behind(burst.terms, wanted)), 1):
        listed += [{"case_id": c.case_id, "title": c.title, "cluster": n} for c in cluster]
    return listed[:MAX_CASES]


def _trend(day: str, burst: hotspots.Burst) -> dict[str, Any]:
    place = f"{burst.district}#{burst.category}"
    history = _history(day, place, [burst.lead])[burst.lead]
    return {"from": _days_before(day, hotspots.BASELINE_DAYS)[0], "counts": [*history, burst.count]}


def _warn(day: str, burst: hotspots.Burst, now: datetime) -> bool:
    """Raise the burst's warning (True), or fold it into the same burst's (False)."""
    cases = _behind(day, burst)
    existing = _same(day, burst, cases)
    if existing is not None:
        hotspots_repo.update(_folded(existing, day, burst, cases, now))
        return False
    record = WarningRecord(
        month=day[:7],
        key=f"{day}#{burst.district}#{burst.category}#{burst.lead}",
        day=day,
        district=burst.district,
        category=burst.category,
        terms=burst.terms,
        count=burst.count,
        baseline=burst.score.baseline,
        p_value=burst.score.p_value,
        trend=_trend(day, burst),
        cases=cases,
        raised_at=now,
        updated_at=now,
    )
    messages = _messages(record, now)
    return hotspots_repo.raise_once(replace(record, notified=len(messages)), messages)


def _folded(
    w: WarningRecord, day: str, burst: hotspots.Burst, cases: list[dict[str, Any]], now: datetime
) -> WarningRecord:
    """The warning with a later view of its burst (a later hour, or another phrase of the same
    reports): the stronger series names it and draws the trend; the cases are both lists'."""
    stronger = burst.count > w.count or (burst.count == w.count and day > w.day)
    terms = [*burst.terms, *w.terms] if stronger else [*w.terms, *burst.terms]
    listed = {c["case_id"] for c in w.cases}
    offset = max((int(c["cluster"]) for c in w.cases), default=0)
    more = [{**c, "cluster": c["cluster"] + offset} for c in cases if c["case_id"] not in listed]
    return replace(
        w,
        terms=tuple(dict.fromkeys(terms))[: hotspots.TOP_TERMS],
        count=max(burst.count, w.count),
        baseline=burst.score.baseline if stronger else w.baseline,
        p_value=min(burst.score.p_value, w.p_value),
        trend=_trend(day, burst) if stronger else w.trend,
        cases=[*w.cases, *more][:MAX_CASES],
        updated_at=now,
    )


def leader_recipients(district: str) -> list[str]:
    """The ``leader`` accounts (市领导/分管领导, §16) a 舆情预警 goes to, whatever its district:
    they watch the whole city."""
    return directory.staff_emails("leader")


def recipients(district: str) -> list[str]:
    """Who a warning of ``district`` goes to: the city's coordinators, the coordinators of the
    county platform covering the district (§15), and the leaders (``leader_recipients``)."""
    county = platform_of_district(directory.platforms(), district)
    found = [
        *directory.platform_coordinator_emails(CITY),
        *(directory.platform_coordinator_emails(county.id) if county else []),
        *leader_recipients(district),
    ]
    return list(dict.fromkeys(found))[:MAX_RECIPIENTS]


def _messages(record: WarningRecord, now: datetime) -> list[Model]:
    taxonomy = directory.taxonomy()
    category = (
        hotspot_warnings.SEVERAL
        if record.category == hotspots.ALL_CATEGORIES
        else taxonomy.category_label(record.category)
    )
    text = templates.hotspot_warning(
        district=taxonomy.district_label(record.district),
        category=category,
        day=record.day,
        terms=record.terms,
        count=record.count,
        baseline=record.baseline,
        titles=[c["title"] for c in record.cases],
        console_url=f"{settings().public_base_url}/staff.html?card=hotspots",
    )
    return [
        outbox_repo.email(
            email,
            text,
            case_id=None,
            template=templates.HOTSPOT_WARNING,
            now=now,
        )
        for email in recipients(record.district)
    ]
