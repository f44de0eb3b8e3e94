"""What every use case shares: the deadline rules, loading a case, committing the transitions
of one or more cases together with the links and messages their notices call for, and running
an action once per ``Idempotency-Key``. What only a transition needs (message texts, outbox,
links, the SLA ladder, the ranking cohorts, the unit of work) is imported where it is used, so
a read path that loads a case does without it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from functions.domain.actions.base import ActionDef, Context
from functions.domain.cases import (
    Actor,
    Case,
    DeadlineRules,
    DepartmentRef,
    Notice,
    TransitionResult,
)
from functions.domain.errors import Conflict, NotFound, invalid_field
from functions.domain.lifecycle import Role
from functions.domain.photos import Photo
from functions.domain.platforms import CITY
from functions.settings import settings
from functions.storage import cases_repo, config_repo
from functions.storage.models import IdempotencyModel

# An item, its update actions and the condition it must meet, in a unit of work.
Update = tuple[Model, list[Action], Condition]

if TYPE_CHECKING:
    from functions.notify.templates import Text


def deadline_rules() -> DeadlineRules:
    """The working-day calendar and SLA policy in force: the deployment's ``calendar`` and
    ``sla-policy`` settings over the defaults, cached per process for a minute."""
    return DeadlineRules(*config_repo.deadline_rules())


def _department(department_id: str, field: str) -> DepartmentRef:
    from functions.storage import directory

    found = directory.department(department_id)
    if found is None:
        raise invalid_field(field, "未找到该单位", f"unknown department {department_id}")
    return DepartmentRef(found.id, found.name)


def context(now: datetime, attached: list[Any] | None = None, scope: str | None = None) -> Context:
    """What an action module's function may consult: the time, the deadline rules in force,
    and the directory (departments, categories), read only if the action asks; with
    ``attached``, the upload slots its body's ``photos`` names (read when asked, and kept in
    ``attached`` for the transaction to attach)."""
    from functions.storage import directory

    def attach_photos(upload_ids: list[str]) -> list[Photo]:
        from functions.services import photos

        if attached is None:
            raise invalid_field("photos", "此处不能添加照片", "photos cannot be attached here")
        slots = photos.attachable(upload_ids)
        attached.extend(slots)
        return photos.as_photos(slots)

    read: dict[str, Case] = {}  # what an action's checks and its view both ask for: read once

    def case_of(case_id: str, field_name: str) -> Case:
        from functions.storage import cases_repo

        other = read.get(case_id) or (cases_repo.get(case_id) if len(case_id) <= 40 else None)
        if other is None or (scope is not None and other.holder != scope):
            raise invalid_field(field_name, f"没有编号为 {case_id} 的诉求", "no such case")
        read[case_id] = other
        return other

    def platform(unit_id: str) -> DepartmentRef | None:
        county = directory.platform(unit_id)
        return DepartmentRef(county.id, county.name) if county else None

    def unit_platform(unit_id: str) -> str:
        unit = directory.department(unit_id)
        return unit.platform if unit else CITY

    return Context(
        now=now,
        rules=deadline_rules(),
        case_of=case_of,
        platform=platform,
        unit_platform=unit_platform,
        department=_department,
        known_category=lambda code: code in dict(directory.taxonomy().categories),
        known_district=lambda code: code in dict(directory.taxonomy().districts),
        attach_photos=attach_photos,
        known_kb=_known_kb,
    )


def _known_kb(kb_id: str) -> bool:
    from functions.services import knowledge

    return knowledge.usable(kb_id)


def take(
    action: ActionDef,
    case: Case,
    actor: Actor,
    body: Mapping[str, Any],
    now: datetime,
    scope: str | None = None,
) -> Case:
    """Take ``action`` on ``case`` with the request's ``body`` and commit its result, with
    the upload slots it attached (a reply's photos) in the same transaction. ``scope``: a
    county coordinator's platform, beyond which no other case is found (并件)."""
    if action.run is None:
        raise NotFound("没有这个操作", f"{action.name} is not taken over HTTP", "no_such_action")
    attached: list[Any] = []
    result = action.run(case, actor, body, context(now, attached, scope))
    updates: list[Update] = []
    if attached:
        from functions.storage import uploads_repo

        updates = [uploads_repo.attach_update(slot, case.case_id) for slot in attached]
    # A merge writes its primary too: one unit of work, one transaction.
    return commit_all([result, *result.companions], now, updates=updates)[0]


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

    text = templates.citizen(
        notice.template,
        case,
        track_url=track_url(case.case_id),
        tracking_code=notice.tracking_code,  # the receipt: only to the case's own contact
    )
    return to_citizen(case, text, notice.template, now)


def case_mail_headers(case: Case, template: str) -> dict[str, str]:
    """The headers of an e-mail to the citizen about ``case`` (市长信箱, §17): the case's thread
    id, which a reply carries in ``References``, so that it joins the case as 补充; the
    mailbox as ``Reply-To`` when one is set; and, on the receipt of a mailed case (the
    auto-reply), ``Auto-Submitted: auto-replied`` (RFC 3834), so no responder answers it."""
    from functions.domain import mail
    from functions.domain.taxonomy import Channel

    s = settings()
    headers: dict[str, str] = {}
    if case.contact_salt:  # every case since the salt came; an older one has no thread
        domain = mail.domain_of(s.mailbox_address or s.mail_sender)
        thread = mail.thread_id(case.case_id, case.contact_salt, domain)
        headers.update({"References": thread, "In-Reply-To": thread})
    if s.mailbox_address:
        headers["Reply-To"] = s.mailbox_address
    if case.channel == Channel.MAIL and template == "received":
        headers["Auto-Submitted"] = "auto-replied"
    return headers


def to_citizen(case: Case, text: Text, template: str, now: datetime) -> list[Model]:
    """The outbox messages of a citizen notice: an e-mail and, with an SMS text, an SMS, to
    whichever of the two the case's contact gave."""
    from functions.storage import outbox_repo

    found: list[Model] = []
    if case.contact.email:
        found.append(
            outbox_repo.email(
                case.contact.email,
                text,
                case_id=case.case_id,
                template=template,
                now=now,
                headers=case_mail_headers(case, template),
            )
        )
    if case.contact.phone and text.sms:
        found.append(
            outbox_repo.new_message(
                channel="sms",
                recipient=case.contact.phone,
                subject="",
                body=text.sms.text,
                case_id=case.case_id,
                template=template,
                now=now,
                sms_kind=text.sms.kind,
                sms_params=text.sms.params,
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
            outbox_repo.email(
                address,
                text,
                case_id=case.case_id,
                template=notice.template,
                now=now,
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

    assert notice.department is not None and notice.rung is not None and notice.deadline
    rung, a = notice.rung, case.assignment
    assert a is not None
    dept = directory.department(notice.department.id)
    due_at = a.response_due_at if notice.deadline == "response" else a.reply_due_at
    found: list[Model] = []

    def send(recipient: str, email: str, phone: str, link: str | None) -> None:
        text = templates.ladder(
            rung,
            notice.deadline or "",
            case,
            recipient=recipient,
            department_name=notice.department.name if notice.department else "",
            due_at=due_at,
            link=link,
            console_url=staff_case_url(case.case_id),
        )
        if email:
            found.append(
                outbox_repo.email(
                    email,
                    text,
                    case_id=case.case_id,
                    template=notice.template,
                    now=now,
                )
            )
        if phone and text.sms:
            found.append(
                outbox_repo.new_message(
                    channel="sms",
                    recipient=phone,
                    subject="",
                    body=text.sms.text,
                    case_id=case.case_id,
                    template=notice.template,
                    now=now,
                    sms_kind=text.sms.kind,
                    sms_params=text.sms.params,
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


def public_case_url(case_id: str) -> str:
    return f"{settings().public_base_url}/case.html?id={case_id}"


def _office_messages(case: Case, notice: Notice, now: datetime) -> list[Model]:
    """A notice to the platform's own people by e-mail: every coordinator of the platform
    holding the case (audience ``coordinators``: the city's, or a county platform's, §15), or
    the leader of ``notice.department`` (``leader``: the 黄牌 contact the reminder ladder
    writes to)."""
    from functions.notify import templates
    from functions.storage import directory, outbox_repo

    if notice.audience == "leader":
        dept = directory.department(notice.department.id) if notice.department else None
        to = [("leader", dept.name, dept.leader.email)] if dept and dept.leader.email else []
    else:
        county = directory.platform(case.holder) if case.holder != CITY else None
        to = [
            ("coordinator", county.name if county else "", email)
            for email in directory.platform_coordinator_emails(case.holder)
        ]
    found: list[Model] = []
    for recipient, name, email in to:
        office = templates.Office(
            recipient, name, staff_case_url(case.case_id), public_case_url(case.case_id)
        )
        text = templates.staff(notice.template, case, office)
        found.append(
            outbox_repo.email(
                email,
                text,
                case_id=case.case_id,
                template=notice.template,
                now=now,
            )
        )
    return found


def materialise(case: Case, notices: list[Notice], now: datetime) -> list[Model]:
    """The link tokens and outbox messages the notices of a transition call for: a citizen
    notice that followers hear of too (the reply, reopening, closing) adds one fan-out message
    if the case has followers (functions/services/following.py)."""
    from functions.domain.following import FOLLOWED

    items: list[Model] = []
    for notice in notices:
        if notice.audience == "citizen":
            items += _citizen_messages(case, notice, now)
            if notice.template in FOLLOWED:
                from functions.services import following

                items += following.fanout(case, notice.template, now)
            if case.merged_cases:  # 并件: the citizens of the cases that follow this one
                from functions.services import merging

                items += merging.fanout(case, notice.template, now)
        elif notice.audience == "ladder":
            items += _ladder_messages(case, notice, now)
        elif notice.audience in ("coordinators", "leader"):
            items += _office_messages(case, notice, now)
        elif notice.audience == "platform":
            from functions.services import platforms

            items += platforms.ladder_messages(case, notice, now)
        else:
            items += _department_messages(case, notice, now)
    return items


def commit_all(
    results: Sequence[TransitionResult],
    now: datetime,
    idempotency: tuple[IdempotencyModel, Condition] | None = None,
    updates: Sequence[Update] = (),
    items: Sequence[Model] = (),
) -> list[Case]:
    """Commit the transitions of one or more cases as one unit of work (one transaction): each
    case with its deadlines reconciled, its links and messages, its ranking tallies, and
    ``items`` that belong to the change (a new case's similar-case index)."""
    from functions.domain import rankings, sla
    from functions.storage import case_commit

    extra: list[Model] = list(items)
    tallies: dict[str, dict[rankings.Cohort, dict[str, int]]] = {}
    for result in results:
        case = result.case
        if case.assignment is not None:
            # Every transition may start, stop or move a deadline: the rungs still earned and the
            # sweep's next look follow.
            sla.reconcile(case, now, deadline_rules())
            case.assignment.next_check_at = sla.next_check(case, deadline_rules())
            # Only a case with a department has a ranking cohort (a new case costs no
            # settings read) …
            tallies[case.case_id] = rankings.deltas(result, deadline_rules().calendar)
        elif case.replies and case.replies[-1].direct:
            # … or one a platform answered itself (直接答复, §16): the platform's own line.
            tallies[case.case_id] = rankings.deltas(result, deadline_rules().calendar)
        if case.triage is not None:
            # The platform's own 受理 deadline: its next rung while the case waits for 受理,
            # none once it has left (accepted, rejected, merged).
            case.triage.next_check_at = sla.triage_next_check(case, deadline_rules())
        extra += materialise(case, result.notices, now)
    case_commit.commit_all(
        results, extra=extra, idempotency=idempotency, tallies=tallies, updates=updates
    )
    return [result.case for result in results]


def commit(
    result: TransitionResult,
    now: datetime,
    idempotency: tuple[IdempotencyModel, Condition] | None = None,
    updates: Sequence[Update] = (),
    items: Sequence[Model] = (),
) -> Case:
    """``updates``: conditional updates of other items that belong to the change (the upload
    slots a submission attaches); ``items``: new items that do (its similar-case index); both
    in its transaction."""
    return commit_all([result], now, idempotency, updates, items)[0]


Answer = dict[str, Any]


def run_once(
    key: str | None,
    scope: Sequence[str],
    body: Mapping[str, Any],
    act: Callable[[], Answer],
    *,
    now: datetime,
    replay: Callable[[], Answer],
) -> Answer:
    """Run a staff or department action at most once per ``Idempotency-Key``.

    ``scope`` names who acts on what (e.g. ``("staff", email, case_id, action)``): a key is
    only ever replayed to the same actor for the same action on the same case. Without a key,
    ``act()`` runs as it is. With one, the first request writes its record in the
    transition's own transaction and keeps its answer; a retry with the same body gets that
    answer (from ``replay()``, the case as it is now, if the first request ended before
    keeping it), a retry with another body 409 ``idempotency_mismatch``. Errors are not
    kept: a refused request changed nothing, and its retry is a new attempt."""
    from functions.storage import idempotency as idempotency_keys

    if not key:
        return act()
    key_hash = idempotency_keys.action_key(key, scope)
    request_hash = idempotency_keys.request_hash(body)
    found = idempotency_keys.action(key_hash, now)
    if found is None:
        with idempotency_keys.joining(key_hash, request_hash, now) as joining:
            try:
                answer = act()
            except Conflict:
                # A stale case: perhaps a request with this key (a retry racing the first)
                # changed it first. Then its answer is ours.
                found = idempotency_keys.action(key_hash, now)
                if found is None:
                    raise
            else:
                idempotency_keys.answered(joining, answer)
                return answer
    if found.request_hash != request_hash:
        raise Conflict(
            "该请求标识已用于另一项不同内容的操作",
            "Idempotency-Key reused with a different body",
            "idempotency_mismatch",
        )
    return found.answer if found.answer is not None else replay()
