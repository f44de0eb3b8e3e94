"""What every use case shares: the deadline clock, loading a case, and committing a
transition together with the links and messages its notices call for. What only a
transition needs (message texts, outbox, links, the SLA ladder, the ranking cohorts) is
imported where it is used, so a read path that loads a case does without it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from functions.domain.cases import Case, Clock, Notice, TransitionResult
from functions.domain.errors import NotFound
from functions.domain.lifecycle import Role
from functions.settings import settings
from functions.storage import cases_repo, config_repo
from functions.storage.models import IdempotencyModel


def clock() -> Clock:
    """The working-day calendar and SLA policy in force: the deployment's ``calendar`` and
    ``sla-policy`` settings over the defaults, cached per process for a minute."""
    return Clock(*config_repo.deadline_rules())


def load(case_id: str) -> Case:
    case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    if case is None:
        raise NotFound("未找到该诉求", "no such case", "case_not_found")
    return case


def track_url(case_id: str) -> str:
    return f"{settings().public_base_url}/track.html?id={case_id}"


def handle_url(token: str) -> str:
    return f"{settings().public_base_url}/handle.html#t={token}"


def _citizen_messages(case: Case, notice: Notice, now: datetime) -> list[Model]:
    from functions.notify import templates
    from functions.storage import outbox_repo

    text = templates.citizen(
        notice.template,
        case,
        track_url=track_url(case.case_id),
        tracking_code=notice.tracking_code,  # the receipt: only to the case's own contact
    )
    found: list[Model] = []
    if case.contact.email:
        found.append(
            outbox_repo.new_message(
                channel="email",
                recipient=case.contact.email,
                subject=text.subject,
                body=text.body,
                case_id=case.case_id,
                template=notice.template,
                now=now,
                links=text.links,
            )
        )
    if case.contact.phone and text.sms:
        found.append(
            outbox_repo.new_message(
                channel="sms",
                recipient=case.contact.phone,
                subject="",
                body=text.sms,
                case_id=case.case_id,
                template=notice.template,
                now=now,
            )
        )
    return found


def fresh_link(
    items: list[Model],
    *,
    case_id: str,
    department_id: str,
    role: str,
    assignment_no: int,
    now: datetime,
) -> str:
    """A new magic link for the department in ``role`` on assignment ``assignment_no``: its
    token record joins ``items`` (written with the change or message), its URL is returned."""
    from functions.storage import tokens

    token = tokens.new_token()
    items.append(
        tokens.link_item(
            token,
            case_id=case_id,
            department_id=department_id,
            role=role,
            assignment_no=assignment_no,
            now=now,
            max_age=timedelta(days=settings().link_max_days),
        )
    )
    return handle_url(token)


def _fresh_link(
    items: list[Model], case: Case, department_id: str, role: Role, now: datetime
) -> str:
    assert case.assignment is not None
    return fresh_link(
        items,
        case_id=case.case_id,
        department_id=department_id,
        role=role.value,
        assignment_no=case.assignment.no,
        now=now,
    )


def _department_messages(case: Case, notice: Notice, now: datetime) -> list[Model]:
    from functions.notify import templates
    from functions.storage import directory, outbox_repo

    assert notice.department is not None
    found: list[Model] = []
    link = None
    if notice.link_role is not None and case.assignment is not None:
        link = _fresh_link(found, case, notice.department.id, notice.link_role, now)
    dept = directory.department(notice.department.id)
    address = dept.handler.email if dept else ""
    if address:
        text = templates.department(
            notice.template,
            case,
            department_id=notice.department.id,
            department_name=notice.department.name,
            link=link,
        )
        found.append(
            outbox_repo.new_message(
                channel="email",
                recipient=address,
                subject=text.subject,
                body=text.body,
                case_id=case.case_id,
                template=notice.template,
                now=now,
                links=text.links,
            )
        )
    return found


def staff_case_url(case_id: str) -> str:
    return f"{settings().public_base_url}/staff.html?case={case_id}"


def _ladder_messages(case: Case, notice: Notice, now: datetime) -> list[Model]:
    """A rung of the SLA ladder to each recipient it names: the handler by email with a fresh
    link, the spokesperson and leader by email (and SMS where the rung sends one), every
    coordinator by email."""
    from functions.notify import templates
    from functions.storage import directory, outbox_repo

    assert notice.department is not None and notice.rung is not None and notice.clock
    rung, a = notice.rung, case.assignment
    assert a is not None
    dept = directory.department(notice.department.id)
    due_at = a.response_due_at if notice.clock == "response" else a.reply_due_at
    found: list[Model] = []

    def send(recipient: str, email: str, phone: str, link: str | None) -> None:
        text = templates.ladder(
            rung,
            notice.clock or "",
            case,
            recipient=recipient,
            department_name=notice.department.name if notice.department else "",
            due_at=due_at,
            link=link,
            console_url=staff_case_url(case.case_id),
        )
        for channel, to, body in (("email", email, text.body), ("sms", phone, text.sms)):
            if to and body:
                found.append(
                    outbox_repo.new_message(
                        channel=channel,
                        recipient=to,
                        subject=text.subject if channel == "email" else "",
                        body=body,
                        case_id=case.case_id,
                        template=notice.template,
                        now=now,
                        links=text.links,
                    )
                )

    for recipient in rung.recipients:
        if recipient == "coordinator":
            for email in directory.coordinator_emails():
                send(recipient, email, "", None)
        elif dept is not None and recipient == "handler":
            link = None
            if notice.link_role is not None:
                link = _fresh_link(found, case, dept.id, notice.link_role, now)
            send(recipient, dept.handler.email, dept.handler.phone if rung.sms else "", link)
        elif dept is not None and recipient in ("spokesperson", "leader"):
            person = dept.spokesperson if recipient == "spokesperson" else dept.leader
            send(recipient, person.email, person.phone if rung.sms else "", None)
    return found


def materialise(case: Case, notices: list[Notice], now: datetime) -> list[Model]:
    """The link tokens and outbox messages the notices of a transition call for."""
    items: list[Model] = []
    for notice in notices:
        if notice.audience == "citizen":
            items += _citizen_messages(case, notice, now)
        elif notice.audience == "ladder":
            items += _ladder_messages(case, notice, now)
        else:
            items += _department_messages(case, notice, now)
    return items


def commit(
    result: TransitionResult,
    now: datetime,
    idempotency: tuple[IdempotencyModel, Condition] | None = None,
) -> Case:
    from functions.domain import rankings, sla

    if result.case.assignment is not None:
        # Every transition may start, stop or move a clock: the rungs still earned and the
        # sweep's next look follow.
        sla.reconcile(result.case, now, clock())
        result.case.assignment.next_check_at = sla.next_check(result.case, clock())
    # Only a case with a department has a ranking cohort (a new case costs no settings read).
    tallies = rankings.deltas(result, clock().calendar) if result.case.assignment else None
    cases_repo.commit(
        result,
        extra=materialise(result.case, result.notices, now),
        idempotency=idempotency,
        tallies=tallies,
    )
    return result.case
