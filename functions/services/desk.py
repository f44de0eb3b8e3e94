"""单位工作台 (§15): a unit's desk, reached by its desk link (``desk.html#t=…``, sent in
``X-Link-Token``). The link is asked for by one of the unit's registered addresses or sent
weekly; it lists the unit's open cases as lead, most urgent first, and opens each into its
handling view by minting that case's handling link. Reading never changes anything; minting a
link, asking for one and revoking them are POSTs. The rules are in functions/domain/desk.py,
the links and the units' desk records in functions/storage/desks.py."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from functions.domain import desk as rules
from functions.domain.calendar import SHANGHAI
from functions.domain.errors import Conflict, Gone, NotFound, Unauthorized
from functions.domain.lifecycle import ROLE_LABELS
from functions.domain.rate_limits import normalise_email
from functions.notify import templates
from functions.services import presenters, talks
from functions.services.common import deadline_rules, fresh_link
from functions.settings import settings
from functions.storage import cases_repo, desks, directory, job_markers, outbox_repo, tokens
from functions.storage.codec import iso
from functions.storage.directory import Department

if TYPE_CHECKING:
    from functions.domain.cases import Case
    from functions.services.staff_auth import StaffSession

log = logging.getLogger("wenzheng.desk")

# The open cases a desk lists, most urgent first (the index gives the nearest deadlines
# first, so the overdue and carded ones are always among them); a unit with more is told so.
DESK_LIMIT = 300
# The weekly job counts every open case of a unit, not only those a desk lists.
WEEKLY_LIMIT = 10_000
SEND_AT = time(8, 0)  # Asia/Shanghai, on the first working day of each ISO week

_ENDED = {
    rules.LinkState.EXPIRED: (
        "工作台链接已过期。请在下方填写贵单位登记的邮箱，重新获取链接。",
        "the desk link has expired",
        "desk_link_expired",
    ),
    rules.LinkState.REPLACED: (
        "此工作台链接已被更新的链接取代。请使用最新一封工作台邮件中的链接，或在下方重新获取。",
        "a newer desk link replaced this one",
        "desk_link_replaced",
    ),
    rules.LinkState.REVOKED: (
        "此工作台链接已被平台管理员停用。如需继续使用，请在下方重新获取，或联系总平台。",
        "the unit's desk links were revoked",
        "desk_link_revoked",
    ),
}


def desk_url(token: str) -> str:
    return f"{settings().public_base_url}/desk.html#t={token}"


def _unit(unit: Department) -> dict[str, str]:
    return {"id": unit.id, "name": unit.name}


def addresses(unit: Department) -> frozenset[str]:
    """The unit's registered e-mail addresses (its contacts'), normalised."""
    return frozenset(normalise_email(c.email) for c in unit.contacts().values() if c.email.strip())


def _send(
    unit: Department,
    recipient: str,
    now: datetime,
    *,
    tally: rules.Tally | None = None,
    marker: tuple[str, int] | None = None,
) -> bool:
    """A fresh desk link for ``unit`` e-mailed to ``recipient``: it replaces the unit's live
    one in the same transaction (functions/storage/desks.py ``issue``)."""
    token = tokens.new_token()
    days = settings().desk_link_days
    max_age = timedelta(days=days)
    text = templates.desk_link(
        unit.name, desk_url(token), days=days, expires_at=now + max_age, now=now, tally=tally
    )
    message = outbox_repo.email(
        recipient,
        text,
        case_id=None,
        template=templates.DESK_WEEKLY if tally is not None else templates.DESK_REQUESTED,
        now=now,
    )
    return desks.issue(unit.id, token, now=now, max_age=max_age, message=message, marker=marker)


def request_link(email: str, now: datetime) -> None:
    """E-mail a fresh desk link to ``email`` for each unit that has it as a registered address.
    The caller learns nothing either way (the route answers the same 202)."""
    address = normalise_email(email)
    for unit in directory.departments().values():
        if address in addresses(unit):
            try:
                _send(unit, address, now)
            except Conflict:
                # Other requests kept changing the unit's desk record: they sent it links.
                # Answering 409 here would tell the caller the address is a unit's.
                log.warning("desk_link_not_issued", extra={"unit": unit.id})


def _resolve(token: str | None, now: datetime) -> tuple[Department, rules.IssuedLink]:
    found = desks.find(token or "")
    if found is None:
        raise Unauthorized(
            "工作台链接无效。请从邮件中完整打开链接，或在本页重新获取。",
            "the desk link is invalid",
            "invalid_link",
        )
    state = rules.link_state(found.link, found.desk, now)
    if state != rules.LinkState.LIVE:
        raise Gone(*_ENDED[state])
    unit = directory.department(found.link.unit_id)
    if unit is None:
        raise Gone(
            "该单位已停用，工作台链接不再有效。如有疑问请联系总平台。",
            "the unit is no longer active",
            "desk_unit_inactive",
        )
    return unit, found.link


def unit_of(token: str | None, now: datetime) -> Department:
    """The unit a live desk link stands for (the errors of ``show`` otherwise)."""
    return _resolve(token, now)[0]


def _work(unit_id: str, limit: int) -> tuple[list[Case], list[Case], bool]:
    """A unit's open cases as lead and as co-handler (each at most ``limit``), and whether
    either list was cut: one Query of the desk index, one of the unit's co-handling entries
    and one BatchGetItem of those cases."""
    lead, more = cases_repo.on_desk(unit_id, limit)
    co, more_co = cases_repo.co_handled(unit_id, limit)
    return lead, co, more or more_co


def show(token: str | None, now: datetime) -> dict[str, Any]:
    """The unit's desk: its open cases as lead, then those it co-handles, each most urgent
    first, with the figures the weekly mail gives. Reads only (the link, the unit's record,
    two Queries and a BatchGetItem)."""
    unit, link = _resolve(token, now)
    lead, co, more = _work(unit.id, DESK_LIMIT)
    co = rules.co_handled_by_urgency(co, unit.id, now)
    tax = directory.taxonomy()
    t = rules.tally(lead, now, co, unit.id)
    return {
        "unit": _unit(unit),
        "expires_at": iso(link.expires_at),
        "as_of": iso(now),
        "counts": {
            "open": t.open,
            "overdue": t.overdue,
            "yellow": t.yellow,
            "red": t.red,
            "co_open": t.co_open,
            "co_overdue": t.co_overdue,
        },
        "lead": [presenters.desk_case(c, tax, now) for c in rules.by_urgency(lead, now)],
        "co_handling": [presenters.co_desk_case(c, unit.id, tax, now) for c in co],
        "truncated": more,
        # 约谈 records of the unit (functions/services/talks.py): the open one shows a form.
        "talks": talks.for_desk(unit.id, now),
    }


def open_case(token: str | None, case_id: str, now: datetime) -> dict[str, Any]:
    """A fresh handling link for one of the unit's open cases, in the role the unit holds on
    it (lead or co-handler), made as every case link is (``common.fresh_link``). 404 for any
    case the unit does not hold now: closed, reassigned, another unit's or none."""
    unit, _ = _resolve(token, now)
    case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    role = rules.role_on(case, unit.id) if case is not None else None
    if case is None or case.assignment is None or role is None:
        raise NotFound(
            "贵单位没有在办这件诉求（可能已办结、已改派或编号有误）",
            "the unit holds no open case with this id",
            "not_on_desk",
        )
    records: list[Any] = []
    url = fresh_link(
        records,
        case_id=case.case_id,
        department_id=unit.id,
        role=role.value,
        assignment_no=case.assignment.no,
        now=now,
    )
    tokens.save(records[0])
    return {
        "case_id": case.case_id,
        "role": role.value,
        "role_label": ROLE_LABELS[role],
        "url": url,
        "expires_at": iso(records[0].expires_at),
    }


def revoke(unit_id: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    """The admin revokes a unit's desk links: none opens the desk from now on, until the unit
    asks for a fresh one (or the weekly mail sends one). Who and when are kept on the unit's
    desk record and answered."""
    unit = directory.department(unit_id) if len(unit_id) <= 64 else None
    if unit is None:
        raise NotFound("未找到该单位", f"no unit {unit_id[:64]}", "no_such_unit")
    before = desks.revoke(unit.id, by=session.email, at=now)
    log.info("desk_links_revoked", extra={"unit": unit.id})
    return {
        "unit": _unit(unit),
        "had_current_link": bool(before and before.current),
        "revoked_at": iso(now),
        "revoked_by": session.email,
    }


def send_weekly(now: datetime) -> dict[str, Any]:
    """每周工作台: once per ISO week, on its first working day from 08:00 (Shanghai), every
    unit with open cases as lead or co-handler gets a fresh desk link (replacing the one
    before) and its figures: open, overdue, 黄牌, 红牌, co-handled. Each unit's mail is written
    with its marker ``desk#<week>#<unit>`` in one conditional transaction, so a rerun sends
    nothing; once every unit is done the week's marker makes later runs a single read."""
    local = now.astimezone(SHANGHAI)
    day = local.date()
    year, week, _ = day.isocalendar()
    week_key = f"desk#{year}-W{week:02d}"
    result: dict[str, Any] = {"week": week_key.removeprefix("desk#"), "sent": 0, "already_sent": 0}
    if not deadline_rules().calendar.is_working_day(day):
        return {**result, "skipped": "non_working_day"}
    if local.time() < SEND_AT:
        return {**result, "skipped": "before_send_time"}
    if job_markers.done(week_key):
        return {**result, "skipped": "done_this_week"}
    no_address: list[str] = []
    for unit in sorted(directory.departments().values(), key=lambda u: u.id):
        lead, co, _ = _work(unit.id, WEEKLY_LIMIT)
        co = rules.co_handled_by_urgency(co, unit.id, now)
        if not lead and not co:
            continue
        if not unit.handler.email.strip():
            no_address.append(unit.id)
            continue
        t = rules.tally(lead, now, co, unit.id)
        marker = (f"{week_key}#{unit.id}", t.open + t.co_open)
        sent = _send(unit, unit.handler.email.strip(), now, tally=t, marker=marker)
        result["sent" if sent else "already_sent"] += 1
    job_markers.mark(week_key, result["sent"] + result["already_sent"])
    return {**result, "no_address": no_address, "skipped": None}
