"""A case and its events as DynamoDB items, and back: the attributes, the nested parts, and
the sparse index keys each state and deadline of a case puts it under (decided by the
properties of states, never by naming them)."""

from __future__ import annotations

from typing import Any

from functions.domain import board_card, integrity
from functions.domain.cases import (
    Actor,
    Case,
    Event,
    archivable,
    latest_rating,
    month_key,
    promise_awaiting_followup,
    running_triage,
)
from functions.domain.citizen_access import phone_key
from functions.domain.desk import desk_lead
from functions.domain.lifecycle import (
    AUDITED,
    OPEN,
    PUBLIC_STATES,
    READ_ONLY,
    Role,
    State,
)
from functions.domain.platforms import holding_platform
from functions.domain.sla import active_card, next_look
from functions.domain.taxonomy import Rating
from functions.storage.codec import decode, encode, iso
from functions.storage.models import (
    CaseModel,
    EventModel,
)

SHARDS = 4  # partitions of the sparse due-time indexes


def triage_partition(platform: str) -> str:
    """The ``cards`` index partition of the cases waiting for 受理 at ``platform``, by their 受理
    deadline (the 督办 lists' third list: 平台受理超时)."""
    return f"triage#{platform}"


_NESTED = (
    "contact",
    "assignment",
    "pending",
    "rejection",
    "replies",
    "public_version",
    "info_requests",
    "location",
    "photos",
    "files",
    "mail_messages",
    "attention",
    "merged",
    "merged_cases",
    "merged_complaints",
    "handoff",
    "triage",
    "reply_review",
)
# Nested lists left out of the item while empty, so that a filter can ask whether they exist.
_SPARSE = frozenset({"merged_complaints", "files", "mail_messages"})


def _shard(case_id: str) -> str:
    return str(sum(case_id.encode()) % SHARDS)


def to_model(case: Case) -> CaseModel:
    data = encode(case)
    model = CaseModel(
        case_id=case.case_id,
        created_at=case.created_at,
        created_key=f"{iso(case.created_at)}#{case.case_id}",
        state=case.state.value,
        kind=case.kind.value,
        category=case.category,
        district=case.district,
        channel=case.channel.value,
        urgency=case.urgency.value if case.urgency else None,
        title=case.title,
        content=case.content,
        consent_public=case.consent_public,
        approved_public=case.approved_public,
        tracking_hash=case.tracking_hash,
        extensions_used=case.extensions_used,
        reopen_count=case.reopen_count,
        escalated=case.escalated,
        rating_window_ends_at=case.rating_window_ends_at,
        closed_at=case.closed_at,
        updated_at=case.updated_at,
        version=case.version,
        event_count=case.event_count,
        breaches=list(case.breaches),
        head_hash=case.head_hash,
        contact_salt=case.contact_salt,
        archived_at=case.archived_at,
        anonymised_at=case.anonymised_at,
        open311_client=case.open311_client,
        district_source=case.district_source,
        district_claimed=case.district_claimed,
        media_link=case.media_link,
        rating=(
            case.last_reply.rating.value if case.last_reply and case.last_reply.rating else None
        ),
        queue="open" if case.state in OPEN else "done",
        due_key=iso(d) if (d := case.queue_deadline()) else "~",
        lead_id=case.lead.id if case.lead else None,
        holder=case.holder,
        desk_lead=desk_lead(case),
        phone_key=phone_key(case.contact.phone) if case.contact.phone else None,
    )
    for name in _NESTED:
        setattr(model, name, data.get(name) or None if name in _SPARSE else data.get(name))
    if (check := next_look(case)) is not None:
        model.sla_shard = _shard(case.case_id)
        model.next_check_key = iso(check)
    if (card := active_card(case)) is not None:
        model.card = card
        model.card_key = f"{model.due_key}#{case.case_id}"
    elif (triage := running_triage(case)) is not None:
        model.card = triage_partition(holding_platform(case))
        model.card_key = f"{iso(triage.due_at)}#{case.case_id}"
    if case.state == State.REPLIED and case.rating_window_ends_at is not None:
        model.rating_shard = _shard(case.case_id)
        model.rating_window_key = iso(case.rating_window_ends_at)
    if (promise := promise_awaiting_followup(case)) is not None and promise.planned_date:
        model.followup_shard = _shard(case.case_id)
        model.followup_key = promise.planned_date.isoformat()
    if archivable(case) and case.closed_at is not None:
        model.retire_shard = f"archive#{_shard(case.case_id)}"
        model.retire_key = iso(case.closed_at)
    elif case.state in READ_ONLY and case.anonymised_at is None and case.archived_at:
        model.retire_shard = f"anonymise#{_shard(case.case_id)}"
        model.retire_key = iso(case.archived_at)
    if case.state in AUDITED:
        month = month_key(case.created_at)
        model.audit_month = month
        model.audit_district = f"{case.district}#{month}"
        if case.lead is not None:
            model.audit_department = f"{case.lead.id}#{month}"
    if case.is_public:
        model.pub_all = "1"
        model.pub_state = PUBLIC_STATES[case.state].value
        model.pub_kind = case.kind.value
        model.pub_category = case.category
        model.pub_district = case.district
        model.pub_department = case.lead.id if case.lead else None
        model.pub_card = board_card.dumps(board_card.card(case))
        rated = latest_rating(case)
        if rated is not None and rated.rating == Rating.UNSATISFIED and rated.rated_at:
            model.pub_unsatisfied = "1"  # 不满意专区
            model.unsatisfied_key = f"{iso(rated.rated_at)}#{case.case_id}"
            model.pub_rounds = board_card.dumps(board_card.rounds(case))
    return model


def from_model(model: CaseModel) -> Case:
    data: dict[str, Any] = {
        "case_id": model.case_id,
        "created_at": iso(model.created_at),
        "channel": model.channel,
        "kind": model.kind,
        "category": model.category,
        "district": model.district,
        "title": model.title,
        "content": model.content,
        "consent_public": model.consent_public,
        "tracking_hash": model.tracking_hash,
        "state": model.state,
        "approved_public": model.approved_public,
        "urgency": model.urgency,
        "extensions_used": model.extensions_used,
        "reopen_count": model.reopen_count,
        "escalated": model.escalated,
        "version": model.version,
        "event_count": model.event_count,
        "breaches": list(model.breaches or []),
        "head_hash": model.head_hash,
        "contact_salt": model.contact_salt,
        "open311_client": model.open311_client,
        "district_source": model.district_source,
        "district_claimed": model.district_claimed,
        "media_link": model.media_link,
        "holder": model.holder or "city",
    }
    for name in (
        "rating_window_ends_at",
        "closed_at",
        "updated_at",
        "archived_at",
        "anonymised_at",
    ):
        value = getattr(model, name)
        data[name] = iso(value) if value else None
    for name in _NESTED:
        value = getattr(model, name)
        if value is None and name in _SPARSE:
            continue  # the field's default
        data[name] = value.as_dict() if hasattr(value, "as_dict") else value  # type: ignore[no-untyped-call]
    return decode(Case, data)


def event_item(case_id: str, link: integrity.Link) -> EventModel:
    from functions.domain.actions import is_public  # the registry, on the write path only

    event = link.event
    return EventModel(
        case_id=case_id,
        seq=link.seq,
        hash=link.hash,
        prev_hash=link.prev_hash,
        type=str(event.type),
        at=event.at,
        actor_role=event.actor.role.value,
        actor_id=event.actor.id,
        actor_name=event.actor.name,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        note=event.note,
        public=is_public(event),
        data={k: str(v) for k, v in event.data.items()},
    )


def event_from_item(model: EventModel) -> Event:
    return Event(
        type=model.type,
        at=model.at,
        actor=Actor(Role(model.actor_role), model.actor_id, model.actor_name),
        from_state=State(model.from_state) if model.from_state else None,
        to_state=State(model.to_state),
        note=model.note,
        data=dict(model.data.attribute_values) if model.data else {},
    )
