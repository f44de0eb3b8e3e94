"""The department's use cases, reached through a magic link bound to (case, department,
role, assignment). Reading never changes anything; every action is a POST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from functions.domain import actions
from functions.domain import cases as domain
from functions.domain.cases import Actor, Case
from functions.domain.errors import Gone, Unauthorized
from functions.domain.lifecycle import ROLE_LABELS, TERMINAL, Role
from functions.domain.taxonomy import Outcome
from functions.notify import templates
from functions.services import presenters
from functions.services.common import context, handle_url, take
from functions.settings import settings
from functions.storage import cases_repo, directory, outbox_repo, tokens
from functions.storage.codec import iso


@dataclass(frozen=True)
class Bearer:
    case: Case
    actor: Actor


def _resolve(token: str | None, now: datetime) -> Bearer:
    grant = tokens.find(token or "", "link", now)
    if grant is None or grant.case_id is None or grant.department_id is None:
        raise Unauthorized(
            "办理链接无效或已过期。请联系总平台重新发送链接。",
            "the link is invalid or expired",
            "invalid_link",
        )
    case = cases_repo.get(grant.case_id)
    a = case.assignment if case else None
    role = Role(grant.role or "lead")
    still_assigned = (
        a is not None
        and grant.assignment_no == a.no
        and (
            (role == Role.LEAD and a.lead.id == grant.department_id)
            or (role == Role.CO_HANDLER and a.co_handler(grant.department_id) is not None)
        )
    )
    if case is not None and still_assigned:
        domain.require_writable(case)  # archived: say so, not just "the assignment ended"
    # A closed case stays open to the link the 列入计划 follow-up sent (to look, not to act).
    if (
        case is None
        or not still_assigned
        or (
            case.state in TERMINAL
            and not domain.followup_link_open(case, grant.department_id, role, grant.created_at)
        )
    ):
        raise Gone(
            "本次交办已结束（已改派、重新交办或已办结），此链接不再有效。",
            "the assignment behind this link has ended",
            "assignment_ended",
        )
    dept = directory.department(grant.department_id)
    return Bearer(case, Actor(role, grant.department_id, dept.name if dept else ""))


def _view(bearer: Bearer, now: datetime) -> dict[str, Any]:
    case, actor = bearer.case, bearer.actor
    events = cases_repo.timeline(case.case_id, public_only=False)
    view = presenters.staff_case(case, events, directory.taxonomy(), now, [])
    view.pop("actions")
    ctx = context(now)
    policy = ctx.rules.policy
    offered = actions.offered(case, actor, ctx, "department")
    return {
        "role": actor.role.value,
        "role_label": ROLE_LABELS[actor.role],
        "department": {"id": actor.id, "name": actor.name},
        "case": view,
        "actions": offered,
        # What the page's forms state and offer, from the policy in force.
        "limits": {
            "extension_max_working_days": policy.extension_max_working_days,
            "extensions_left": max(0, policy.extensions_allowed - case.extensions_used),
            "info_requests_left": max(0, policy.info_requests_allowed - len(case.info_requests)),
        },
        "followup": _followup(case, actor),
        "templates": _templates(case, actor, "reply" in offered, now),
    }


def _templates(case: Case, actor: Actor, replying: bool, now: datetime) -> list[dict[str, str]]:
    """答复模板 (§16): the lead's templates with this case's placeholders filled, while it
    may reply (one GetItem; nothing otherwise). Only a draft: the reply is checked as any."""
    if actor.role != Role.LEAD or not replying:
        return []
    from functions.services import knowledge

    return knowledge.filled_templates(case, actor.id, now)


def _followup(case: Case, actor: Actor) -> dict[str, Any] | None:
    """The lead's 列入计划 promise once its follow-up was requested: what was promised and
    what to do now. There is no online action for it, so the page says whom to tell."""
    last = case.last_reply
    if (
        actor.role != Role.LEAD
        or last is None
        or last.outcome != Outcome.SCHEDULED
        or last.followup_requested_at is None
        or last.department.id != actor.id
    ):
        return None
    planned = last.planned_date.isoformat() if last.planned_date else None
    return {
        "planned_date": planned,
        "requested_at": iso(last.followup_requested_at),
        "message": f"贵单位答复本件时列入计划，承诺于 {planned} 前完成，该日期已过。"
        + templates.FOLLOWUP_ASK,
    }


def show(token: str | None, now: datetime) -> dict[str, Any]:
    return _view(_resolve(token, now), now)


def act(suffix: str, token: str | None, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A department's lifecycle action through its link (``POST /api/handle/<suffix>``), as
    its module declares it; the answer is the handling page's view after it."""
    action = actions.by_suffix("department", suffix)
    bearer = _resolve(token, now)
    case = take(action, bearer.case, bearer.actor, body, now)
    return _view(Bearer(case, bearer.actor), now)


def refresh(department_id: str, case_id: str, now: datetime) -> None:
    """Email a fresh link to the department's registered address, if (and only if) the
    department holds an open assignment on the case. The caller learns nothing either way."""
    case = cases_repo.get(case_id)
    dept = directory.department(department_id)
    a = case.assignment if case else None
    if case is None or dept is None or a is None or case.state in TERMINAL:
        return
    if a.lead.id == department_id:
        role = Role.LEAD
    elif a.co_handler(department_id) is not None:
        role = Role.CO_HANDLER
    else:
        return
    token = tokens.new_token()
    item = tokens.link_item(
        token,
        case_id=case_id,
        department_id=department_id,
        role=role.value,
        assignment_no=a.no,
        now=now,
        max_age=timedelta(days=settings().link_max_days),
    )
    template = "assigned_lead" if role == Role.LEAD else "assigned_co_handler"
    text = templates.department(
        template, case, department_id=dept.id, department_name=dept.name, link=handle_url(token)
    )
    message = outbox_repo.new_message(
        channel="email",
        recipient=dept.handler.email,
        subject="【重新发送】" + text.subject,
        body=text.body,
        case_id=case_id,
        template="link_refresh",
        now=now,
        links=text.links,
    )
    tokens.save_with_message(item, message)
