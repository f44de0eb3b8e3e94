"""Response shapes. Three audiences see a case: the public (no contact data, public events,
scrubbed text), the citizen who holds the tracking code, and staff/departments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from functions.domain import board_card, desk, sla
from functions.domain import photos as photos_rules
from functions.domain.actions import EVENT_LABELS, is_public
from functions.domain.calendar import SHANGHAI
from functions.domain.cases import (
    Assignment,
    Case,
    Event,
    InfoRequest,
    MergedRating,
    Reply,
    public_content,
    public_text,
    public_title,
    running_triage,
)
from functions.domain.integrity import Link, Verification
from functions.domain.lifecycle import (
    PUBLIC_STATE_LABELS,
    PUBLIC_STATES,
    ROLE_LABELS,
    STATE_LABELS,
    STATES,
    State,
)
from functions.domain.photos import Photo, PhotoState, display_key, media_url, thumb_key
from functions.domain.platforms import CITY, CITY_LABEL
from functions.domain.policy import SlaPolicy, policy_to_dict
from functions.domain.privacy import mask_email, mask_name, mask_phone, scrub
from functions.domain.support import ATTENTION, LEVEL_LABELS
from functions.domain.taxonomy import (
    CHANNEL_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    RATING_LABELS,
    REJECT_REASON_LABELS,
    URGENCY_LABELS,
    Kind,
    Outcome,
    Rating,
)
from functions.settings import settings
from functions.storage.codec import iso, parse_iso
from functions.storage.directory import Taxonomy
from functions.storage.showcase_repo import Featured

EXCERPT = board_card.EXCERPT
CARD_LABELS = {"yellow": "黄牌", "red": "红牌"}
PHOTO_STATE_LABELS = {
    PhotoState.PENDING: "处理中",
    PhotoState.PROCESSED: "已处理",
    PhotoState.REJECTED: "不是图片，已拒收",
}

Clean = Callable[[str], str]


def _as_written(text: str) -> str:
    return text


def _masked(case: Case) -> Clean:
    """The one scrubbing policy (§8) with this case's contact names: every text the public
    or an auditor reads of the case passes it."""
    return lambda text: public_text(case, text)


def _excerpt(case: Case) -> str:
    return board_card.excerpt(case)


def _point(case: Case) -> dict[str, float] | None:
    return board_card.point(case)


def _public_location(case: Case) -> dict[str, Any] | None:
    """The place as the public sees it: the address through the scrubber (cut at the
    building, §8) and the rounded point."""
    loc = case.location
    if loc is None:
        return None
    point = _point(case)
    return {
        "address": public_text(case, loc.address) if loc.address else None,
        "lat": point["lat"] if point else None,
        "lng": point["lng"] if point else None,
    }


def _own_location(case: Case) -> dict[str, Any] | None:
    """The place as the citizen gave it (their own view, staff, the department)."""
    loc = case.location
    return {"address": loc.address, "lat": loc.lat, "lng": loc.lng} if loc else None


def _iso(instant: datetime | None) -> str | None:
    return iso(instant) if instant else None


def _ref(ref: Any) -> dict[str, str] | None:
    return {"id": ref.id, "name": ref.name} if ref else None


def _rating(
    reply: Reply | None, *, with_comment: bool, clean: Clean = _as_written
) -> dict[str, Any] | None:
    if reply is None or reply.rating is None:
        return None
    out: dict[str, Any] = {
        "rating": reply.rating.value,
        "rating_label": RATING_LABELS[reply.rating],
    }
    if with_comment:
        out["comment"] = clean(reply.rating_comment or "")
        out["at"] = _iso(reply.rated_at)
    return out


def _deadlines(a: Assignment | None) -> dict[str, Any]:
    return {
        "response_due_at": _iso(a.response_due_at) if a else None,
        "reply_due_at": _iso(a.reply_due_at) if a else None,
        "deadline_provisional": a.provisional if a else False,
    }


def _coded(case: Case, tax: Taxonomy) -> dict[str, str]:
    """The case's coded fields with their Chinese labels."""
    return {
        "kind": case.kind.value,
        "kind_label": KIND_LABELS[case.kind],
        "category": case.category,
        "category_label": tax.category_label(case.category),
        "district": case.district,
        "district_label": tax.district_label(case.district),
    }


def _overdue_working_days(running: datetime | None, now: datetime) -> int:
    from functions.services.common import deadline_rules  # read paths that show no deadline skip it

    return deadline_rules().calendar.overdue_working_days(running, now) if running else 0


def summary(case: Case, tax: Taxonomy, now: datetime) -> dict[str, Any]:
    """A case's card on the public lists: its stored card (``board_card.card``), labelled."""
    return from_card(case.case_id, board_card.card(case), tax, now)


def from_card(
    case_id: str, card: Mapping[str, Any], tax: Taxonomy, now: datetime
) -> dict[str, Any]:
    """The board's answer for one case from its stored card (the public-board indexes hold
    it): the labels of its codes, and what depends on ``now`` (overdue) from its deadlines."""
    kind = Kind(card["kind"])
    state = State(card["state"])
    running = parse_iso(card["running"]) if card.get("running") else None
    rating = Rating(card["rating"]) if card.get("rating") else None
    shown = card.get("card")
    at = card.get("attention")
    return {
        "case_id": case_id,
        "kind": kind.value,
        "kind_label": KIND_LABELS[kind],
        "category": card["category"],
        "category_label": tax.category_label(card["category"]),
        "district": card["district"],
        "district_label": tax.district_label(card["district"]),
        "title": card.get("title", ""),
        "excerpt": card.get("excerpt", ""),
        "name_masked": card.get("name_masked", ""),
        "state": state.value,
        "state_label": PUBLIC_STATE_LABELS[state],
        "created_at": card["created_at"],
        "lead": card.get("lead"),
        "co_handlers": card.get("co_handlers", []),
        "response_due_at": card.get("response_due_at"),
        "reply_due_at": card.get("reply_due_at"),
        "deadline_provisional": card.get("deadline_provisional", False),
        "overdue": bool(running and running < now),
        "overdue_working_days": _overdue_working_days(running, now),
        "card": shown,  # "yellow" 黄牌 | "red" 红牌 | None
        "card_label": CARD_LABELS.get(shown or ""),
        "rating": {"rating": rating.value, "rating_label": RATING_LABELS[rating]}
        if rating
        else None,
        "reopen_count": card.get("reopen_count", 0),
        "location": card.get("location"),
        # 并件: the primary a duplicate follows, and how many follow a primary.
        "merged_into": card.get("merged_into"),
        "merged_count": card.get("merged_count", 0),
        "attention": {
            "level": at["level"],
            "label": LEVEL_LABELS[ATTENTION],
            "at": at["at"],
            "supports": at["supports"],
            "threshold": at["threshold"],
            "days": at["days"],
            "leader_at": at.get("leader_at"),
        }
        if at
        else None,
    }


def attention(case: Case) -> dict[str, Any] | None:
    """群众关注: the level the case's 附议 reached, when, and the count and threshold it
    crossed (functions/domain/support.py); None below the first threshold."""
    a = case.attention
    if a is None:
        return None
    return {
        "level": a.level,
        "label": LEVEL_LABELS[ATTENTION],
        "at": iso(a.at),
        "supports": a.supports,
        "threshold": a.threshold,
        "days": a.days,
        "leader_at": _iso(a.leader_at),
    }


def unsatisfied(case: Case) -> dict[str, Any]:
    """不满意专区: what happened to the case since the citizen was not satisfied, as the public
    reads it: every reply with its rating (the text and comment scrubbed and cut), the running
    重办 deadline while the lead works on it again, and whether it went to the coordinator."""
    return from_rounds(board_card.rounds(case))


def from_rounds(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The 不满意专区's story of a case from its stored rounds (``board_card.rounds``)."""
    return {
        "rounds": [
            {
                "n": n,
                "at": r["at"],
                "department": r["department"],
                "outcome": r["outcome"],
                "outcome_label": OUTCOME_LABELS[Outcome(r["outcome"])],
                "text": r["text"],
                "rating": r["rating"],
                "rating_label": RATING_LABELS[Rating(r["rating"])] if r["rating"] else None,
                "rating_comment": r["rating_comment"],
                "rated_at": r["rated_at"],
            }
            for n, r in enumerate(stored["rounds"], start=1)
        ],
        "reopen_count": stored["reopen_count"],
        "redo_due_at": stored["redo_due_at"],
        "escalated": stored["escalated"],
    }


def event(e: Event, *, internal: bool, clean: Clean = _as_written) -> dict[str, Any]:
    """One timeline entry; ``clean`` is the case's scrubber wherever the reader is not staff
    (the public, auditors)."""
    out: dict[str, Any] = {
        "at": iso(e.at),
        "type": str(e.type),
        "label": EVENT_LABELS.get(e.type, str(e.type)),
        "actor_label": e.actor.name
        if e.actor.name and e.actor.role.value in ("lead", "co_handler")
        else ROLE_LABELS[e.actor.role],
        "from_state": e.from_state.value if e.from_state else None,
        "to_state": e.to_state.value,
        "note": clean(e.note),
    }
    if internal:
        out["public"] = is_public(e)
        out["actor_id"] = e.actor.id
        out["data"] = dict(e.data)
    return out


def _reply(r: Reply, *, clean: Clean = _as_written) -> dict[str, Any]:
    return {
        "at": iso(r.at),
        "department": _ref(r.department),
        "outcome": r.outcome.value,
        "outcome_label": OUTCOME_LABELS[r.outcome],
        "text": clean(r.text),
        "planned_date": r.planned_date.isoformat() if r.planned_date else None,
        "rating": _rating(r, with_comment=True, clean=clean),
    }


def _photo(photo: Photo, alt: str) -> dict[str, Any]:
    return {
        "id": photo.upload_id,
        "url": media_url(display_key(photo.upload_id), settings().media_path),
        "thumb_url": media_url(thumb_key(photo.upload_id), settings().media_path),
        "alt": alt,
    }


def public_photos(case: Case, reply: int | None = None) -> list[dict[str, Any]]:
    """The photos the public sees (of the citizen, or of reply number ``reply``): processed,
    not hidden, and only while the case is public (accepted and published); alt text is the
    case's public title."""
    if not case.is_public:
        return []
    alt = public_title(case)
    return [
        _photo(p, alt) for p in case.photos if p.reply == reply and photos_rules.publicly_shown(p)
    ]


def all_photos(case: Case, reply: int | None = None) -> list[dict[str, Any]]:
    """Every photo, with its state, for staff and the department: a processed one has its
    URLs at once, public or not."""
    alt = case.title
    found = []
    for p in case.photos:
        if p.reply != reply:
            continue
        shown: dict[str, Any] = (
            _photo(p, alt) if p.state == PhotoState.PROCESSED else {"id": p.upload_id}
        )
        shown.update(
            {
                "state": p.state.value,
                "state_label": PHOTO_STATE_LABELS[p.state],
                "hidden": p.hidden,
                "hidden_note": p.hidden_note,
            }
        )
        found.append(shown)
    return found


def public_case(case: Case, events: list[Event], tax: Taxonomy, now: datetime) -> dict[str, Any]:
    clean = _masked(case)
    return {
        **summary(case, tax, now),
        "content": public_content(case),
        "urgency": case.urgency.value if case.urgency else None,
        "urgency_label": URGENCY_LABELS[case.urgency] if case.urgency else None,
        "timeline": [event(e, internal=False, clean=clean) for e in events if is_public(e)],
        "clock_paused": paused(case),
        "replies": [
            {**_reply(r, clean=clean), "photos": public_photos(case, i)}
            for i, r in enumerate(case.replies)
        ],
        "photos": public_photos(case),
        "location": _public_location(case),
    }


def time_limits(policy: SlaPolicy) -> dict[str, Any]:
    """The time limits of the policy in force, for the pages that state them (a page never
    writes a figure of its own): the reply days per kind (``default`` for every kind without
    a row) and urgency, the windows, and how far overdue a case is carded 红牌."""
    red = [r.amount for r in policy.ladder if r.card == "red" and r.trigger == "overdue"]
    return {
        "triage_working_hours": policy.triage_working_hours,
        "response_working_hours": policy.response_working_hours,
        "reply_working_days": policy_to_dict(policy)["reply_working_days"],
        "return_window_working_days": policy.return_window_working_days,
        "extension_max_working_days": policy.extension_max_working_days,
        "extensions_allowed": policy.extensions_allowed,
        "rating_window_days": policy.rating_window_days,
        "info_requests_allowed": policy.info_requests_allowed,
        "supplement_working_days": policy.supplement_working_days,
        "red_card_overdue_working_days": min(red) if red else None,
        "reply_review": policy_to_dict(policy)["reply_review"],
    }


def private_case(case: Case, events: list[Event], tax: Taxonomy, now: datetime) -> dict[str, Any]:
    """The citizen's own view: their text as written, their contact data, public events."""
    last = case.last_reply
    next_step = STATES[case.state].next_step
    request = case.open_info_request
    if case.state == State.REOPENED and case.escalated:
        next_step = "多次重办您仍不满意，诉求已转总平台研究处理。"
    if (triage := running_triage(case)) is not None:
        due = triage.due_at.astimezone(SHANGHAI)
        next_step += f"受理时限为 {due.month}月{due.day}日 {due:%H:%M}（按工作日计算）。"
    return {
        **public_case(case, events, tax, now),
        "title": case.title,
        "content": case.content,
        "replies": [_reply(r) for r in case.replies],  # their own case: as written to them
        "location": _own_location(case),
        "photos": all_photos(case),
        "contact": {
            "name": case.contact.name,
            "phone": case.contact.phone,
            "email": case.contact.email,
        },
        "public": case.consent_public,
        "published": case.is_public,
        "can_rate": case.state == State.REPLIED and last is not None and last.rating is None,
        # 补充材料: every question the lead asked and the citizen's answers (their own words),
        # and the open one, which the citizen answers on the tracking page.
        "info_requests": [
            {
                "question": r.question,
                "asked_at": iso(r.asked_at),
                "due_at": iso(r.due_at),
                "answer": r.answer,
                "answered_at": _iso(r.answered_at),
                "expired_at": _iso(r.expired_at),
            }
            for r in case.info_requests
        ],
        "info_request": {
            "question": request.question,
            "department": _ref(request.department),
            "asked_at": iso(request.asked_at),
            "due_at": iso(request.due_at),
        }
        if request
        else None,
        "rating_window_ends_at": _iso(case.rating_window_ends_at),
        "rejection": {
            "reason_code": case.rejection.reason_code.value,
            "reason_label": REJECT_REASON_LABELS[case.rejection.reason_code],
            "reason": case.rejection.reason,
            "duplicate_of": case.rejection.duplicate_of,
        }
        if case.rejection
        else None,
        "next_step": next_step,
    }


def _reach(ref: Any, unreachable: Mapping[str, list[str]]) -> dict[str, Any] | None:
    """A department for staff eyes, with whether mail reaches it (SES bounces/complaints):
    ``unreachable_contacts`` names the broken contacts (handler, spokesperson, leader)."""
    out = _ref(ref)
    if out is None:
        return None
    broken = list(unreachable.get(ref.id, []))
    return {**out, "unreachable": bool(broken), "unreachable_contacts": broken}


def staff_case(
    case: Case,
    events: list[Event],
    tax: Taxonomy,
    now: datetime,
    actions: list[str],
    unreachable: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """``unreachable``: department id → its contacts mail does not reach."""
    a = case.assignment
    reach = unreachable or {}
    view = private_case(case, events, tax, now)
    view.update(
        {
            "channel": case.channel.value,
            "channel_label": CHANNEL_LABELS[case.channel],
            **triage_view(case, now),
            "approved_public": case.approved_public,
            "escalated": case.escalated,
            "extensions_used": case.extensions_used,
            "district_source": case.district_source,
            "district_claimed": _claimed(case, tax),
            "media_link": case.media_link,
            "files": [
                {
                    "name": f.name,
                    "content_type": f.content_type,
                    "size": f.size,
                    "kept": bool(f.key),
                }
                for f in case.files
            ],
            "events": [event(e, internal=True) for e in events],
            "replies": [
                {**_reply(r), "photos": all_photos(case, i)} for i, r in enumerate(case.replies)
            ],
            "photos": all_photos(case),
            "public_version": {
                "title": public_title(case),
                "content": public_content(case),
                "edited": case.public_version is not None,
                "editable": "public-version" in actions,
                "edited_by": case.public_version.edited_by if case.public_version else None,
                "edited_at": _iso(case.public_version.edited_at) if case.public_version else None,
            },
            "assignment": {
                "no": a.no,
                "lead": _reach(a.lead, reach),
                "assigned_at": iso(a.assigned_at),
                "signed_at": _iso(a.signed_at),
                "return_window_ends_at": iso(a.return_window_ends_at),
                "co_handlers": [
                    {
                        **(_reach(c.department, reach) or {}),
                        "input": c.input,
                        "input_at": _iso(c.input_at),
                        "input_due_at": iso(c.input_due_at),
                    }
                    for c in a.co_handlers
                ],
            }
            if a
            else None,
            "pending": {
                "type": case.pending.type,
                "department": _ref(case.pending.department),
                "reason": case.pending.reason,
                "working_days": case.pending.working_days,
                "at": iso(case.pending.at),
            }
            if case.pending
            else None,
            "actions": actions,
            "reply_review": reply_review(case),
            "state": case.state.value,  # staff and the department see the platform's own states
            "state_label": STATE_LABELS[case.state],
            "info_requests": [_info_request(r) for r in case.info_requests],
            "merged": {
                "into": case.merged.into,
                "left": case.merged.left.value,
                "at": iso(case.merged.at),
                "ratings": [_merged_rating(r) for r in case.merged.ratings],
            }
            if case.merged
            else None,
            "merged_cases": list(case.merged_cases),
            "holder": holder(case),
            # 市级交办: the county must pass it on by ``due_at``; the citizen's clock
            "handoff": {
                "to": case.handoff.to,
                "at": iso(case.handoff.at),
                "due_at": iso(case.handoff.due_at),
                "reply_due_at": iso(case.handoff.reply_due_at),
            }
            if case.handoff
            else None,
            # 并件不满意: the merged cases' citizens not satisfied with this case's replies
            "merged_complaints": [
                {
                    "case_id": c.case_id,
                    "reply": c.reply,
                    "at": iso(c.at),
                    "comment": c.comment,
                    "current": c.reply == len(case.replies),  # about the latest reply
                }
                for c in case.merged_complaints
            ],
        }
    )
    return view


def reply_review(case: Case) -> dict[str, Any] | None:
    """答复审核: the lead's reply awaiting the platform's review (``draft``, with its photos), or
    the platform's note returning the last one (``returned_note``) while the lead has yet to
    reply again; None when neither."""
    r = case.reply_review
    if r is None or (r.draft is None and r.returned_at is None):
        return None
    waiting = case.state == State.REPLY_REVIEW and r.draft is not None
    return {
        "waiting": waiting,
        "draft": {**_reply(r.draft), "photos": all_photos(case, len(case.replies))}
        if waiting and r.draft
        else None,
        "late": r.late if waiting else None,
        "returned_at": _iso(r.returned_at),
        "returned_note": r.returned_note or None,
        "rounds": r.rounds,
    }


def _merged_rating(r: MergedRating) -> dict[str, Any]:
    return {
        "reply": r.reply,
        "rating": r.rating.value,
        "rating_label": RATING_LABELS[r.rating],
        "comment": r.comment,
        "at": iso(r.at),
    }


def merged_primary(case: Case, primary: Case) -> dict[str, Any]:
    """并件: what the citizen of a merged case reads of its primary on their own tracking page:
    its state, its latest reply (scrubbed of the primary citizen's contact data, without their
    rating) and their own rating of it. The photos of the reply only while the primary is
    public."""
    assert case.merged is not None
    last = primary.last_reply
    n = len(primary.replies)
    mine = case.merged.rated(n) if n else None
    return {
        "case_id": primary.case_id,
        "state": PUBLIC_STATES[primary.state].value,
        "state_label": PUBLIC_STATE_LABELS[primary.state],
        "published": primary.is_public,
        "reply": {
            **_reply(last, clean=_masked(primary)),
            "n": n,
            "rating": _merged_rating(mine) if mine else None,
            "photos": public_photos(primary, n - 1),
        }
        if last
        else None,
    }


def _info_request(r: InfoRequest) -> dict[str, Any]:
    """补充材料 as staff and the department see it: the question, the answer, the pause."""
    return {
        "question": r.question,
        "department": _ref(r.department),
        "asked_at": iso(r.asked_at),
        "due_at": iso(r.due_at),
        "answer": r.answer,
        "answered_at": _iso(r.answered_at),
        "expired_at": _iso(r.expired_at),
        "paused_working_hours": round(r.paused_seconds / 3600, 1),
    }


def paused(case: Case) -> dict[str, Any] | None:
    """中止计时: while the case waits for the citizen, since when and until when at most."""
    r = case.open_info_request
    return {"since": iso(r.asked_at), "until": iso(r.due_at)} if r else None


def triage_view(case: Case, now: datetime) -> dict[str, Any]:
    """受理时限: the platform's own deadline on the case (None once it no longer waits for 受理),
    whether it has passed, and by how many working hours."""
    running = running_triage(case)
    overdue = running is not None and now > running.due_at
    hours = 0.0
    if overdue:
        from functions.services.common import deadline_rules

        hours = sla.triage_overdue_hours(case, now, deadline_rules().calendar)
    return {
        "triage_due_at": _iso(running.due_at) if running else None,
        "triage_overdue": overdue,
        "triage_overdue_working_hours": round(hours, 1),
    }


def staff_summary(case: Case, tax: Taxonomy, now: datetime) -> dict[str, Any]:
    out = summary(case, tax, now)
    out.update(
        {
            "title": case.title,
            "urgency": case.urgency.value if case.urgency else None,
            "urgency_label": URGENCY_LABELS[case.urgency] if case.urgency else None,
            "channel": case.channel.value,
            "pending": case.pending.type if case.pending else None,
            "escalated": case.escalated,
            "next_deadline": _iso(case.queue_deadline()),  # what the queue sorts by
            "district_claimed": _claimed(case, tax),
            "merged_complaints": len(case.merged_complaints),  # 并件不满意 flags
            "holder": holder(case),
            "handoff_due_at": _iso(case.handoff.due_at) if case.handoff else None,
            **triage_view(case, now),
        }
    )
    return out


def holder(case: Case) -> dict[str, str]:
    """The platform holding the case (§15): the city's, or a county platform."""
    from functions.storage import directory

    county = directory.platform(case.holder) if case.holder != CITY else None
    return {"id": case.holder, "name": county.name if county else CITY_LABEL}


def desk_case(case: Case, tax: Taxonomy, now: datetime) -> dict[str, Any]:
    """One line of a unit's desk (单位工作台): what the case is, where it stands, and how
    urgent it is (the shape ``DeskCase`` documents)."""
    a = case.assignment
    s = desk.standing(case, now)
    return {
        "case_id": case.case_id,
        "title": case.title,
        **_coded(case, tax),
        "state": case.state.value,
        "state_label": STATE_LABELS[case.state],
        "urgency": case.urgency.value if case.urgency else None,
        "urgency_label": URGENCY_LABELS[case.urgency] if case.urgency else None,
        "assigned_at": _iso(a.assigned_at) if a else None,
        "deadline": _iso(s.due_at),
        "deadline_label": s.due_label,
        "overdue": s.overdue,
        "overdue_working_days": _overdue_working_days(s.due_at, now),
        "card": s.card,
        "card_label": CARD_LABELS.get(s.card or ""),
        "pending": case.pending.type if case.pending else None,
        "clock_paused": paused(case),
        "escalated": case.escalated,
    }


def co_desk_case(case: Case, unit_id: str, tax: Taxonomy, now: datetime) -> dict[str, Any]:
    """A line of the desk's 协办 list: the case as ``desk_case`` shows it, the deadline the
    co-handler's own (its input to the lead), the lead named, and whether the input is in."""
    a = case.assignment
    mine = a.co_handler(unit_id) if a is not None else None
    s = desk.co_standing(case, unit_id, now)
    return {
        **desk_case(case, tax, now),
        "deadline": _iso(s.due_at),
        "deadline_label": s.due_label,
        "overdue": s.overdue,
        "overdue_working_days": _overdue_working_days(s.due_at, now),
        "card": None,
        "card_label": None,
        "lead": {"id": a.lead.id, "name": a.lead.name} if a else None,
        "input_given_at": _iso(mine.input_at) if mine else None,
    }


def _claimed(case: Case, tax: Taxonomy) -> dict[str, str] | None:
    """The citizen's choice of district where the place says otherwise: the coordinator
    decides at 受理 (§13)."""
    code = case.district_claimed
    return {"code": code, "label": tax.district_label(code)} if code else None


# --- 回音壁 -----------------------------------------------------------------------------------


def showcase_snapshot(
    case: Case, tax: Taxonomy, *, summary: str, before_after: str | None
) -> dict[str, Any]:
    """What the 回音壁 shows of a closed case, taken when it is featured: public, scrubbed text
    only (no name, phone, email or address; the coordinator's summary too), the final reply
    and the rating as the citizen gave it (``None``: not rated, 未评价)."""
    clean = _masked(case)
    last = case.last_reply
    return {
        "title": public_title(case),
        "kind": case.kind.value,
        "category": case.category,
        "category_label": tax.category_label(case.category),
        "district": case.district,
        "district_label": tax.district_label(case.district),
        "excerpt": _excerpt(case),
        "lead": _ref(case.lead),
        "reply": {
            "text": clean(last.text),
            "outcome": last.outcome.value,
            "at": iso(last.at),
            "planned_date": last.planned_date.isoformat() if last.planned_date else None,
        }
        if last
        else None,
        "rating": last.rating.value if last and last.rating else None,
        "rating_comment": clean(last.rating_comment) if last and last.rating_comment else None,
        "closed_at": case.closed_at,
        "public_summary": clean(summary),
        "public_before_after": clean(before_after) if before_after else None,
    }


def showcase_item(entry: Featured) -> dict[str, Any]:
    """One 回音壁 card (the shape frontend/assets/js/showcase.js documents)."""
    s = entry.snapshot
    kind = Kind(s["kind"])
    reply = s.get("reply")
    rating = Rating(s["rating"]) if s.get("rating") else None
    return {
        "case_id": entry.case_id,
        "title": s["title"],
        "kind": kind.value,
        "kind_label": KIND_LABELS[kind],
        "category": s["category"],
        "category_label": s["category_label"],
        "district": s["district"],
        "district_label": s["district_label"],
        "excerpt": s["excerpt"],
        "department": dict(s["lead"]) if s.get("lead") else None,
        "reply": {
            "text": reply["text"],
            "outcome": reply["outcome"],
            "outcome_label": OUTCOME_LABELS[Outcome(reply["outcome"])],
            "at": reply.get("at"),
            "planned_date": reply.get("planned_date"),
        }
        if reply
        else None,
        "rating": {
            "rating": rating.value,
            "rating_label": RATING_LABELS[rating],
            "comment": s.get("rating_comment") or "",
        }
        if rating
        else None,
        # Scrubbed with the case's names when featured (the snapshot); older snapshots
        # without them fall back to the policy without names.
        "summary": s.get("public_summary") or scrub(entry.summary),
        "before_after": s.get("public_before_after")
        or (scrub(entry.before_after) if entry.before_after else None),
        "featured_at": iso(entry.featured_at),
        "closed_at": _iso(s.get("closed_at")),
    }


def featured(entry: Featured | None) -> dict[str, Any] | None:
    """The staff view's 回音壁 status: the summary as written, who featured it and when;
    ``None`` when the case is not on the wall."""
    if entry is None or not entry.on_wall:
        return None
    return {
        "summary": entry.summary,
        "before_after": entry.before_after,
        "featured_at": iso(entry.featured_at),
        "featured_by": entry.featured_by,
        "featured_by_name": entry.featured_by_name,
        "updated_at": iso(entry.updated_at),
        "updated_by": entry.updated_by,
    }


# --- the archive (auditors) -------------------------------------------------------------------

BREACH_LABELS = {"triage": "受理超时", "response": "签收超时", "reply": "答复超时"}


def audit_row(case: Case, tax: Taxonomy) -> dict[str, Any]:
    """One case in an auditor's result list (and one line of an export)."""
    rated = case.last_reply.rating if case.last_reply else None
    return {
        "case_id": case.case_id,
        "title": public_text(case, case.title),  # the original, personal data masked (§8)
        **_coded(case, tax),
        "state": case.state.value,
        "state_label": STATE_LABELS[case.state],
        "channel": case.channel.value,
        "created_at": iso(case.created_at),
        "closed_at": _iso(case.closed_at),
        "archived_at": _iso(case.archived_at),
        "anonymised_at": _iso(case.anonymised_at),
        "lead": _ref(case.lead),
        "breaches": list(case.breaches),
        "breach_labels": [BREACH_LABELS.get(b, b) for b in case.breaches],
        "extensions_used": case.extensions_used,
        "reopen_count": case.reopen_count,
        "rating": rated.value if rated else None,
        "rating_label": RATING_LABELS[rated] if rated else "未评价",
        "head_hash": case.head_hash,
        "event_count": case.event_count,
    }


def verification(case: Case, result: Verification) -> dict[str, Any]:
    broken = result.broken
    return {
        "case_id": case.case_id,
        "valid": result.valid,
        "checked": result.checked,
        "event_count": case.event_count,
        "head_hash": case.head_hash,
        "first_broken": {"seq": broken.seq, "problem": broken.problem, "message": broken.message}
        if broken
        else None,
        "facts": dict(result.facts),
    }


def audit_case(
    case: Case, links: list[Link], tax: Taxonomy, checked: Verification
) -> dict[str, Any]:
    """A case with its full history (internal events included), each event with its hash and
    the previous one, and the verification of the chain. Contact data only masked, in the
    contact fields and inside every text alike."""
    a = case.assignment
    contact = case.contact
    clean = _masked(case)
    return {
        **audit_row(case, tax),
        "content": clean(case.content),
        "urgency": case.urgency.value if case.urgency else None,
        "urgency_label": URGENCY_LABELS[case.urgency] if case.urgency else None,
        "contact": None
        if case.anonymised_at
        else {
            "name": mask_name(contact.name),
            "phone": mask_phone(contact.phone),
            "email": mask_email(contact.email),
        },
        "co_handlers": [_ref(c.department) for c in a.co_handlers] if a else [],
        "replies": [_reply(r, clean=clean) for r in case.replies],
        "events": [
            {
                "seq": x.seq,
                **event(x.event, internal=True, clean=clean),
                "hash": x.hash,
                "prev_hash": x.prev_hash,
            }
            for x in links
        ],
        "verification": verification(case, checked),
    }
