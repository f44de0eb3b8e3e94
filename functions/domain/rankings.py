"""亮晒比: the monthly public ranking of departments and counties.

Method (what ``docs/OPERATIONS.md`` and the methodology page publish):

- A unit's month is its **cohort**: the cases assigned to it (as lead) in that month, by
  Shanghai time. Everything that later happens to such a case (signing, replies, ratings,
  reopening, closing, a return) counts in that cohort, so every rate compares like with
  like and none can pass 100 %. A case reassigned to another unit starts a new cohort there
  and counts as 退回 in the old one.
- Counters per unit-month are added in the same transaction as the transition that moves
  them (:func:`deltas`), so reading a month costs one item per unit, never one per case.
- Rates: 按时签收率 = signed on time / signed; 按时答复率 = replied by the reply deadline
  (approved extensions included) / replied; 办结率 = closed / assigned; 满意率 = (满意 + 基本满意)
  / rated; 重办率 = reopened / replied; 退回率 = returned / assigned; average working days
  from the start of the reply deadline to the reply.
- Composite score (0–100): 响应 (mean of the two on-time rates) × 30, 解决 (办结率 × (1 −
  重办率)) × 35, 满意 (满意率) × 35, over the weights of the parts that have data.
- Units with fewer than ``min_sample`` cases assigned are listed as 样本不足 and not ranked.
  Equal scores share a rank. Top 5 / bottom 5 departments and top 3 / bottom 3 counties are
  named; a unit in the bottom 3 two months running is flagged for a 约谈. City departments
  (市本级) rank one by one; a county ranks as the sum of its units: those of its county
  platform (§15) where the county has one, else every unit located in its district.
- 直接答复 (§16): the consultations a platform answers itself count in the platform's own
  line (its cohort: the month of the answer; its rating, reopening and close there), listed
  apart (``direct_answers``, each row marked ``platform``) and never ranked against units.
- Each county platform's own ranking (:func:`county_ranking`) ranks its units (departments,
  乡镇/街道, enterprises) one by one with the same method: top 3 / bottom 3 named, the same
  minimum sample and 约谈 rule against the county's own previous month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from functions.domain.calendar import WorkCalendar, local_date
from functions.domain.cases import Assignment, TransitionResult, month_key
from functions.domain.lifecycle import EventType, State
from functions.domain.platforms import CITY, Platform
from functions.domain.taxonomy import Rating

CITY_LEVEL = "city"  # the district code of 市本级 departments; every other district is a county


@dataclass
class Tally:
    """One unit's counters for one cohort month."""

    assigned: int = 0
    signed: int = 0
    signed_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    reply_days: int = 0  # working days from the reply deadline's start to the reply, summed
    closed: int = 0
    rated: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    reopened: int = 0
    returned: int = 0

    def add(self, other: Tally | Mapping[str, int]) -> Tally:
        more = asdict(other) if isinstance(other, Tally) else other
        for name, n in more.items():
            setattr(self, name, getattr(self, name) + int(n))
        return self

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Tally:
        return cls(**{f.name: int(values.get(f.name) or 0) for f in fields(cls)})


TALLY_FIELDS = tuple(f.name for f in fields(Tally))
Cohort = tuple[str, str]  # (unit id, "YYYY-MM")


def cohort(assignment: Assignment) -> Cohort:
    return assignment.lead.id, month_key(assignment.assigned_at)


def deltas(result: TransitionResult, calendar: WorkCalendar) -> dict[Cohort, dict[str, int]]:
    """The counter increments a transition brings, per cohort. Pure: the same transition
    always yields the same increments, which the storage adds in the transition's own
    transaction."""
    out: dict[Cohort, dict[str, int]] = {}

    def bump(where: Cohort, **counts: int) -> None:
        slot = out.setdefault(where, {})
        for name, n in counts.items():
            if n:
                slot[name] = slot.get(name, 0) + n

    case = result.case
    assignment = case.assignment
    last = case.last_reply
    # 直接答复 (§16): a platform's own answer counts in the platform's line, its cohort the
    # month of the answer; the rating, a reopening and the close of that answer count there.
    answered = (last.department.id, month_key(last.at)) if last and last.direct else None
    for event in result.events:
        if event.type == EventType.REPLIED and event.data.get("direct") == "true":
            where = (event.data["platform"], month_key(event.at))
            days = calendar.working_days_between(local_date(case.created_at), local_date(event.at))
            on_time = int(event.data.get("late") != "true")
            bump(where, assigned=1, replied=1, replied_on_time=on_time, reply_days=max(days, 0))
            continue
        if answered is not None and event.type == EventType.RATED:
            good = event.data.get("rating") in (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
            bump(answered, rated=1, satisfied=int(good))
            continue
        if answered is not None and event.type == EventType.REOPENED:
            bump(answered, reopened=1)
            continue
        if assignment is None:
            continue
        here = cohort(assignment)
        if event.type in (EventType.ASSIGNED, EventType.COUNTY_ASSIGNED):
            bump(here, assigned=1)  # by the city, or by a county platform to its unit (县级交办)
        elif event.type == EventType.REASSIGNED:
            bump(here, assigned=1)
            previous, month = event.data.get("previous"), event.data.get("previous_month")
            if previous and month:
                bump((previous, month), returned=1)
        elif event.type == EventType.SIGNED:
            due = assignment.response_due_at
            bump(here, signed=1, signed_on_time=int(due is None or event.at <= due))
        elif event.type == EventType.REPLIED:
            started = assignment.reply_started_at or assignment.assigned_at
            # 答复审核: a reviewed reply counts when the department wrote it, not when the
            # platform approved it (the review is the platform's time).
            submitted = event.data.get("submitted_at")
            at = datetime.fromisoformat(submitted) if submitted else event.at
            days = calendar.working_days_between(local_date(started), local_date(at))
            on_time = int(at <= assignment.reply_due_at)
            bump(here, replied=1, replied_on_time=on_time, reply_days=max(days, 0))
        elif event.type == EventType.RATED:
            good = event.data.get("rating") in (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
            bump(here, rated=1, satisfied=int(good))
        elif event.type == EventType.REOPENED:
            bump(here, reopened=1)
    if case.state == State.CLOSED and result.expected_state not in (State.CLOSED, None):
        if answered is not None:
            bump(answered, closed=1)
        elif assignment is not None:
            bump(cohort(assignment), closed=1)
    return {where: counts for where, counts in out.items() if counts}


# --- the ranking --------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingPolicy:
    weights: tuple[float, float, float] = (30, 35, 35)  # 响应, 解决, 满意
    min_sample: int = 10
    named: Mapping[str, int] = field(
        default_factory=lambda: {"departments": 5, "counties": 3, "units": 3}
    )  # top n and bottom n named per group (``units``: a county's own ranking)
    talk_bottom: int = 3  # in the bottom this many two months running → 约谈


def parse_policy(data: Mapping[str, Any]) -> tuple[RankingPolicy, list[str]]:
    """The ``rankings`` settings document over the defaults; each bad value is named and
    its default kept."""
    default, problems = RankingPolicy(), []
    weights, min_sample = default.weights, default.min_sample
    raw = data.get("weights")
    if raw is not None:
        keys = ("response", "resolution", "satisfaction")
        parts = [raw.get(k) for k in keys] if isinstance(raw, Mapping) else []
        numbers = [
            float(v)
            for v in parts
            if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100
        ]
        if len(numbers) == 3 and sum(numbers) > 0:
            weights = (numbers[0], numbers[1], numbers[2])
        else:
            problems.append("weights: response, resolution, satisfaction, each 0-100, not all 0")
    raw = data.get("min_sample")
    if raw is not None:
        if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 1000:
            min_sample = raw
        else:
            problems.append("min_sample: a whole number from 1 to 1000")
    return RankingPolicy(weights=weights, min_sample=min_sample), problems


@dataclass(frozen=True)
class Unit:
    """A handling unit as the ranking sees it. ``platform``: ``CITY`` or the county platform it
    belongs to; None where no county platform covers its district (then a unit outside
    市本级 counts in its district's county, as before county platforms existed)."""

    id: str
    name: str
    district: str
    platform: str | None = None


def county_of(unit: Unit) -> str | None:
    """The county a unit counts in (a county platform's id, or a district code where no
    platform covers it), or None for a city department."""
    if unit.platform is None:
        return None if unit.district == CITY_LEVEL else unit.district
    return None if unit.platform == CITY else unit.platform


def county_label(platform: Platform, district_labels: Mapping[str, str]) -> str:
    """A county platform's name in the city ranking: its districts' names (江城区), as the
    county row was named before it had a platform; the platform's own name without them."""
    names = [district_labels.get(d, d) for d in platform.districts]
    return "、".join(names) if names else platform.name


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rates(t: Tally) -> dict[str, float | None]:
    return {
        "signed_on_time_rate": _rate(t.signed_on_time, t.signed),
        "replied_on_time_rate": _rate(t.replied_on_time, t.replied),
        "closed_rate": _rate(t.closed, t.assigned),
        "satisfied_rate": _rate(t.satisfied, t.rated),
        "reopened_rate": _rate(t.reopened, t.replied),
        "returned_rate": _rate(t.returned, t.assigned),
        "average_reply_days": round(t.reply_days / t.replied, 2) if t.replied else None,
    }


def score(r: Mapping[str, float | None], policy: RankingPolicy) -> float | None:
    on_time = [v for v in (r["signed_on_time_rate"], r["replied_on_time_rate"]) if v is not None]
    response = sum(on_time) / len(on_time) if on_time else None
    closed = r["closed_rate"]
    resolution = None if closed is None else closed * (1 - (r["reopened_rate"] or 0))
    parts = [
        (w, v)
        for w, v in zip(policy.weights, (response, resolution, r["satisfied_rate"]), strict=True)
        if v is not None
    ]
    total = sum(w for w, _ in parts)
    return round(100 * sum(w * v for w, v in parts) / total, 1) if total else None


def _group_rows(
    group: str,
    tallies: Mapping[str, Tally],
    labels: Mapping[str, str],
    policy: RankingPolicy,
    previous: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    rows = []
    for unit_id, t in tallies.items():
        r = rates(t)
        rows.append(
            {
                "id": unit_id,
                "name": labels.get(unit_id, unit_id),
                **asdict(t),
                **r,
                "score": score(r, policy),
                "sample_too_small": t.assigned < policy.min_sample,
                "rank": None,
                "position": None,
                "talk": False,
            }
        )
    ranked = sorted(
        (row for row in rows if not row["sample_too_small"] and row["score"] is not None),
        key=lambda row: (-row["score"], row["name"]),
    )
    for i, row in enumerate(ranked):
        same = i and row["score"] == ranked[i - 1]["score"]
        row["rank"] = ranked[i - 1]["rank"] if same else i + 1
    named = policy.named.get(group, 3)
    top = ranked[:named]
    bottom = [row for row in ranked[-named:] if row not in top] if named else []
    for row in top:
        row["position"] = "top"
    for row in bottom:
        row["position"] = "bottom"
    low = {row["id"] for row in ranked[-policy.talk_bottom :]} if policy.talk_bottom else set()
    before = {row["id"]: row for row in (previous or {}).get(group, [])}
    earlier_low = {row["id"] for row in (previous or {}).get(group, []) if row.get("in_talk_zone")}
    for row in rows:
        row["in_talk_zone"] = row["id"] in low
        row["talk"] = row["id"] in low and row["id"] in earlier_low
        last = before.get(row["id"])
        row["score_change"] = (
            round(row["score"] - last["score"], 1)
            if last and row["score"] is not None and last.get("score") is not None
            else None
        )
        row["rank_change"] = (
            last["rank"] - row["rank"]
            if last and row["rank"] is not None and last.get("rank") is not None
            else None
        )
    unranked = sorted((row for row in rows if row["rank"] is None), key=lambda row: row["name"])
    return ranked + unranked


def _head(month: str, policy: RankingPolicy, frozen_at: datetime | None) -> dict[str, Any]:
    return {
        "month": month,
        "frozen": frozen_at is not None,
        "frozen_at": frozen_at.isoformat().replace("+00:00", "Z") if frozen_at else None,
        "method": {
            "weights": {
                "response": policy.weights[0],
                "resolution": policy.weights[1],
                "satisfaction": policy.weights[2],
            },
            "min_sample": policy.min_sample,
            "named": dict(policy.named),
            "talk_bottom": policy.talk_bottom,
        },
    }


def ranking(
    month: str,
    tallies: Mapping[str, Tally],
    units: Iterable[Unit],
    district_labels: Mapping[str, str],
    *,
    policy: RankingPolicy,
    previous: Mapping[str, Any] | None = None,
    frozen_at: datetime | None = None,
    platforms: Sequence[Platform] = (),
) -> dict[str, Any]:
    """The month's ranking document from its unit tallies: city departments (市直部门) one by
    one, and each county as the sum of its units (:func:`county_of`): a county platform's
    units, or where no platform covers a district, the units located there. ``previous`` is
    last month's document (month-on-month change and the second month of a 约谈)."""
    known = {u.id: u for u in units}
    departments: dict[str, Tally] = {}
    counties: dict[str, Tally] = {}
    answering = {CITY, *(p.id for p in platforms)}
    for unit_id in {*known, *tallies} - answering:
        t = tallies.get(unit_id, Tally())
        unit = known.get(unit_id)
        county = county_of(unit) if unit is not None else None
        if county is not None:
            counties.setdefault(county, Tally()).add(t)  # a county ranks as a whole
        else:
            departments[unit_id] = t  # 市直部门 (and any unit no longer in the directory)
    covered = {d: p.id for p in platforms for d in p.districts}
    labels = {p.id: county_label(p, district_labels) for p in platforms}
    for district, label in district_labels.items():
        if district != CITY_LEVEL and district not in covered:
            labels[district] = label
    for county in labels:
        counties.setdefault(county, Tally())
    if previous is not None:
        # A county ranked by its district before its platform existed is the same county.
        single = {p.districts[0]: p.id for p in platforms if len(p.districts) == 1}
        earlier = [
            {**row, "id": single.get(row["id"], row["id"])} for row in previous.get("counties", [])
        ]
        previous = {**previous, "counties": earlier}
    names = {u.id: u.name for u in known.values()}
    own = {p.id: p.name for p in platforms}
    return {
        **_head(month, policy, frozen_at),
        "departments": _group_rows("departments", departments, names, policy, previous),
        "counties": _group_rows("counties", counties, labels, policy, previous),
        "direct_answers": platform_lines(tallies, {CITY: CITY_PLATFORM_NAME, **own}, policy),
    }


CITY_PLATFORM_NAME = "总平台"


def platform_lines(
    tallies: Mapping[str, Tally], names: Mapping[str, str], policy: RankingPolicy
) -> list[dict[str, Any]]:
    """直接答复 (§16): each platform's own line, for the consultations it answered itself
    (its tally is kept under the platform's id): the same figures as a unit's, marked
    ``platform``, never ranked against the units (a platform answering from the 知识库 is
    not a unit handling a case)."""
    mine = {pid: tallies[pid] for pid in names if pid in tallies}
    rows = _group_rows("platforms", mine, dict(names), policy, None)
    for row in rows:
        row.update(rank=None, position=None, talk=False, in_talk_zone=False, platform=True)
    return sorted(rows, key=lambda row: (row["id"] != CITY, row["name"]))


def county_ranking(
    month: str,
    tallies: Mapping[str, Tally],
    units: Iterable[Unit],
    county: Platform,
    *,
    policy: RankingPolicy,
    previous: Mapping[str, Any] | None = None,
    frozen_at: datetime | None = None,
) -> dict[str, Any]:
    """A county platform's own ranking for the month: its units (departments, 乡镇/街道,
    enterprises) one by one, by the city's method, top 3 / bottom 3 named; ``previous`` is the
    county's own document of last month (change and 约谈)."""
    mine = {u.id: u for u in units if u.platform == county.id}
    groups = {unit_id: tallies.get(unit_id, Tally()) for unit_id in mine}
    names = {u.id: u.name for u in mine.values()}
    return {
        **_head(month, policy, frozen_at),
        "county": {"id": county.id, "name": county.name},
        "units": _group_rows("units", groups, names, policy, previous),
        "direct_answers": platform_lines(tallies, {county.id: county.name}, policy),
    }


def previous_month(month: str) -> str:
    """``YYYY-MM`` of the month before; the year stays four digits (``0210-01`` → ``0209-12``,
    not ``209-12``, which the next step could not read: found by the API fuzzer)."""
    year, mm = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if mm == 1 else f"{year:04d}-{mm - 1:02d}"


def is_month(value: str | None) -> bool:
    """``YYYY-MM`` exactly (``2026-1`` and ``26-11`` are not months here)."""
    if not value or len(value) != 7:
        return False
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        return False
    return True
