"""约谈 records (§16, issue 18 §5): when a frozen ranking flags a unit (in the bottom three two
months running, :mod:`functions.domain.rankings`), a coordinator records the 约谈 held with
it: the date, the attendees, the reasons and the date its rectification (整改) is due. The
unit reports its rectification through its desk link; the record then reads 已报整改, and
until then 整改中, or 逾期未报整改 once the due date has passed.

Pure: the record is plain data, time is a parameter, and every change appends who made it
and when (``changes``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from functions.domain.calendar import local_date
from functions.domain.errors import Conflict, FieldError, invalid_fields

OPEN, OVERDUE, REPORTED = "open", "overdue", "reported"
STATUS_LABELS = {OPEN: "整改中", OVERDUE: "逾期未报整改", REPORTED: "已报整改"}
RECORDED, RECTIFICATION_REPORTED = "recorded", "rectification_reported"
CHANGE_LABELS = {RECORDED: "记录约谈", RECTIFICATION_REPORTED: "报送整改情况"}
# The groups of a ranking document a flag can be in: the city's departments and counties, a
# county platform's own units.
GROUPS = ("departments", "counties", "units")


@dataclass(frozen=True)
class Change:
    at: datetime
    by: str  # a staff e-mail, or ``desk:<unit id>`` for the unit through its desk link
    by_name: str
    what: str  # RECORDED | RECTIFICATION_REPORTED


@dataclass(frozen=True)
class Rectification:
    text: str
    reported_at: datetime


@dataclass(frozen=True)
class Talk:
    month: str  # the frozen ranking's month whose flag called for it
    unit: str
    unit_name: str
    ranking: str  # "city", or the county platform whose own ranking flagged the unit
    held_on: date
    attendees: tuple[str, ...]
    reasons: str
    rectify_by: date
    changes: tuple[Change, ...]
    rectification: Rectification | None = None
    version: int = 1

    @property
    def talk_id(self) -> str:
        return talk_id(self.month, self.unit)

    @property
    def recorded(self) -> Change:
        return self.changes[0]


def talk_id(month: str, unit: str) -> str:
    """A record's id in URLs: ``<YYYY-MM>-<unit>`` (one record per unit and flag month)."""
    return f"{month}-{unit}"


def parse_id(value: str) -> tuple[str, str] | None:
    """(month, unit) of a record's id, or None for anything else."""
    if len(value) < 10 or len(value) > 80 or value[7] != "-":
        return None
    month, unit = value[:7], value[8:]
    if not (month[:4].isdigit() and month[4] == "-" and month[5:].isdigit()):
        return None
    return month, unit


def status(talk: Talk, now: datetime) -> str:
    """已报整改 once the unit reported; else overdue after its due date (Shanghai), else open."""
    if talk.rectification is not None:
        return REPORTED
    return OVERDUE if local_date(now) > talk.rectify_by else OPEN


def flagged_row(document: Mapping[str, Any], unit: str) -> dict[str, Any] | None:
    """The unit's row in a frozen ranking document, if the ranking flags it for a 约谈."""
    for group in GROUPS:
        for row in document.get(group, []):
            if row.get("id") == unit and row.get("talk"):
                return dict(row)
    return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def record(
    *,
    month: str,
    unit: str,
    ranking: str,
    document: Mapping[str, Any],
    body: Mapping[str, Any],
    by: str,
    by_name: str,
    now: datetime,
) -> Talk:
    """A new record for ``unit`` flagged by the frozen ranking ``document`` of ``month``
    (409 ``not_flagged`` when it is not). The body is schema-valid; the dates are checked
    here: a real date, held no later than today, the rectification due on or after it."""
    row = flagged_row(document, unit)
    if row is None:
        raise Conflict(
            "该单位在该月排名中没有约谈提示（连续两个月排名后三位），不能记录约谈",
            "the month's ranking does not flag this unit for a 约谈",
            "not_flagged",
        )
    held, due = _date(body["held_on"]), _date(body["rectify_by"])
    problems = []
    if held is None or held > local_date(now):
        problems.append(
            FieldError("held_on", "约谈日期无效或晚于今天", "held_on: a date, not later than today")
        )
    if due is None or (held is not None and due < held):
        problems.append(
            FieldError(
                "rectify_by", "整改期限无效或早于约谈日期", "rectify_by: a date, not before held_on"
            )
        )
    if problems:
        raise invalid_fields(problems)
    assert held is not None and due is not None
    return Talk(
        month=month,
        unit=unit,
        unit_name=str(row.get("name") or unit),
        ranking=ranking,
        held_on=held,
        attendees=tuple(a.strip() for a in body["attendees"] if a.strip()),
        reasons=body["reasons"].strip(),
        rectify_by=due,
        changes=(Change(now, by, by_name, RECORDED),),
    )


def report_rectification(talk: Talk, text: str, *, by: str, by_name: str, now: datetime) -> Talk:
    """The unit reports its rectification, once (409 ``rectification_reported`` after)."""
    if talk.rectification is not None:
        raise Conflict(
            "整改情况已经报送，不能重复报送",
            "the rectification was already reported",
            "rectification_reported",
        )
    return replace(
        talk,
        rectification=Rectification(text.strip(), now),
        changes=(*talk.changes, Change(now, by, by_name, RECTIFICATION_REPORTED)),
        version=talk.version + 1,
    )


# --- as stored and as shown ----------------------------------------------------------------


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_json(talk: Talk) -> dict[str, Any]:
    return {
        "month": talk.month,
        "unit": talk.unit,
        "unit_name": talk.unit_name,
        "ranking": talk.ranking,
        "held_on": talk.held_on.isoformat(),
        "attendees": list(talk.attendees),
        "reasons": talk.reasons,
        "rectify_by": talk.rectify_by.isoformat(),
        "rectification": (
            {"text": talk.rectification.text, "reported_at": _iso(talk.rectification.reported_at)}
            if talk.rectification
            else None
        ),
        "changes": [
            {"at": _iso(c.at), "by": c.by, "by_name": c.by_name, "what": c.what}
            for c in talk.changes
        ],
    }


def from_json(data: Mapping[str, Any], version: int) -> Talk:
    done = data.get("rectification")
    return Talk(
        month=data["month"],
        unit=data["unit"],
        unit_name=data["unit_name"],
        ranking=data["ranking"],
        held_on=date.fromisoformat(data["held_on"]),
        attendees=tuple(data["attendees"]),
        reasons=data["reasons"],
        rectify_by=date.fromisoformat(data["rectify_by"]),
        rectification=(
            Rectification(done["text"], _instant(done["reported_at"])) if done else None
        ),
        changes=tuple(
            Change(_instant(c["at"]), c["by"], c["by_name"], c["what"]) for c in data["changes"]
        ),
        version=version,
    )


def public_view(talk: Talk, now: datetime) -> dict[str, Any]:
    """What the rankings page, the desk and the 通报 show: the attendees and who recorded it
    are the staff's view only (:func:`staff_view`)."""
    state = status(talk, now)
    done = talk.rectification
    return {
        "id": talk.talk_id,
        "month": talk.month,
        "unit": {"id": talk.unit, "name": talk.unit_name},
        "ranking": talk.ranking,
        "held_on": talk.held_on.isoformat(),
        "reasons": talk.reasons,
        "rectify_by": talk.rectify_by.isoformat(),
        "status": state,
        "status_label": STATUS_LABELS[state],
        "rectification": (
            {
                "text": done.text,
                "reported_at": _iso(done.reported_at),
                "late": local_date(done.reported_at) > talk.rectify_by,
            }
            if done
            else None
        ),
    }


def staff_view(talk: Talk, now: datetime) -> dict[str, Any]:
    return {
        **public_view(talk, now),
        "attendees": list(talk.attendees),
        "changes": [
            {
                "at": _iso(c.at),
                "by": c.by,
                "by_name": c.by_name,
                "what": c.what,
                "what_label": CHANGE_LABELS.get(c.what, c.what),
            }
            for c in talk.changes
        ],
    }


def in_bulletin(talks: Sequence[Talk], month: str, now: datetime) -> list[Talk]:
    """The records a month's 通报 lists: those held in the month, those whose rectification
    was reported in it, and every one still awaiting its rectification at ``now``."""
    out = []
    for talk in talks:
        held = talk.held_on.strftime("%Y-%m") == month
        done = talk.rectification
        reported = done is not None and local_date(done.reported_at).strftime("%Y-%m") == month
        if held or reported or done is None:
            out.append(talk)
    return sorted(out, key=lambda t: (t.held_on, t.unit))
