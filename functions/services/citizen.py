"""Citizen use cases: submit, browse the board, read a case, track it and rate the reply."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from functions.domain import geo, platforms
from functions.domain.actions.submit import new_case
from functions.domain.calendar import local_date
from functions.domain.cases import CITIZEN, Actor, Case, CaseFile, Contact
from functions.domain.errors import Conflict, FieldError, NotFound, invalid_fields
from functions.domain.geo import Location, PlacedDistrict
from functions.domain.lifecycle import STATE_LABELS, State
from functions.domain.taxonomy import Channel, Kind
from functions.services import photos, presenters, similar
from functions.services.common import commit, context, deadline_rules, load, take
from functions.storage import boundaries, cases_repo, directory, idempotency, uploads_repo

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
_NOT_FOUND = NotFound(
    "诉求编号或查询码不正确", "no case with this id and tracking code", "case_not_found"
)


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_case_id(now: datetime) -> str:
    return f"WZ{local_date(now):%Y%m%d}-{_random(6)}"


def _tracking_hash(case_id: str, code: str) -> str:
    return hashlib.sha256(f"{case_id}:{code}".encode()).hexdigest()


def new_tracking_code() -> str:
    """A tracking code: 8 characters of an alphabet without look-alikes."""
    return _random(8)


def tracking_digest(case_id: str, code: str) -> str:
    """What a case keeps of its tracking code."""
    return _tracking_hash(case_id, _normalise_code(code))


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def normalise_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = phone.removeprefix("+").removeprefix("86") if len(phone) > 11 else phone
    return f"+86{digits[-11:]}"


PLACE_KINDS = frozenset({Kind.COMPLAINT, Kind.HELP})  # 投诉 and 求助 of a place's problem


def _location(raw: dict[str, Any] | None) -> Location | None:
    if not raw:
        return None
    address = (raw.get("address") or "").strip() or None
    return Location(address, raw.get("lat"), raw.get("lng"))


def _place(body: dict[str, Any]) -> tuple[Location | None, PlacedDistrict]:
    """The submission's place and the district it settles (§13: the point's, else the one
    the address names, else the citizen's choice); 400 naming every field that is wrong."""
    tax = directory.taxonomy()
    bad: list[FieldError] = []
    chosen = body.get("district")
    if chosen is not None and chosen not in dict(tax.districts):
        bad.append(FieldError("district", "请选择有效的区县", "unknown district"))
        chosen = None
    if body["category"] not in dict(tax.categories):
        bad.append(FieldError("category", "请选择有效的问题分类", "unknown category"))
    location = _location(body.get("location"))
    if (
        (location is None or location.empty)
        and Kind(body["kind"]) in PLACE_KINDS
        and body["category"] in tax.place_categories
    ):
        bad.append(
            FieldError(
                "location",
                "这类问题需要知道地点：请填写地址，或在地图上标出位置",
                "this category needs a place: an address or a point",
            )
        )
    # The boundaries (a settings read, cached a minute per process) matter only to a point.
    bounds = boundaries.current()[0] if location is not None and location.has_point else []
    placed = geo.place(location, chosen, tax.districts, bounds)
    if placed.district is None and not any(f.field == "district" for f in bad):
        bad.append(
            FieldError(
                "district",
                "请选择所属区县（或填写含区县名的地址、在地图上标出位置）",
                "district is required unless the address or the point shows it",
            )
        )
    if bad:  # name each bad field, not only the first
        raise invalid_fields(bad)
    return location, placed


def _no_limits() -> None:
    return None


def submit(
    body: dict[str, Any],
    *,
    idempotency_key: str | None,
    now: datetime,
    actor: Actor = CITIZEN,
    channel: Channel | None = None,
    limits: Callable[[], None] = _no_limits,
    open311_client: str | None = None,
    media_link: str | None = None,
    files: Sequence[CaseFile] = (),
    mail_message: str | None = None,
    receipt: Callable[[], bool] = lambda: True,
) -> dict[str, Any]:
    """Create a case with its first event (and idempotency record) in one transaction.
    ``channel`` names a citizen's own way in other than the web form (Open311);
    ``open311_client`` the fingerprint of the api_key an Open311 client filed it with, and
    ``media_link`` the ``media_url`` it sent (a link staff may open, never fetched).
    ``limits`` counts the request against the rate limits: only once it is known to be a new
    request, so a retry (or a request racing with the same ``Idempotency-Key``) replays the
    first answer without being counted or refused. ``receipt``, asked after ``limits`` for a
    new case only, says whether the receipt goes out (a mailed case: not to an automatic
    message, nor past the sender's limit); ``files`` are a mailed case's other attachments and
    ``mail_message`` where its message is stored."""
    place = _place(body)
    request_hash = idempotency.request_hash(body)

    def create(key_hash: str | None) -> dict[str, Any]:
        limits()
        quiet = not receipt()
        return _create(
            body,
            key_hash,
            request_hash,
            now=now,
            actor=actor,
            channel=channel,
            client=open311_client,
            place=place,
            media_link=media_link,
            files=files,
            mail_message=mail_message,
            quiet=quiet,
        )

    if not idempotency_key:
        return create(None)
    key_hash = hashlib.sha256(idempotency_key.encode()).hexdigest()
    held = idempotency.claim(key_hash, request_hash, now)
    if held is not None:
        return _replay(key_hash, request_hash, held)
    try:
        return create(key_hash)
    except BaseException:
        idempotency.release(key_hash, request_hash)
        raise


REPLAY_WAIT_SECONDS = 3.0


def _replay(key_hash: str, request_hash: str, held: idempotency.Record) -> dict[str, Any]:
    """The first answer for this key: at once when it is stored, else after waiting briefly
    for the request that holds the key (409 ``idempotency_in_progress`` if it is still
    running: retry in a moment)."""
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    while True:
        if held.request_hash != request_hash:
            raise Conflict(
                "该请求标识已用于另一份不同的留言",
                "Idempotency-Key reused with a different body",
                "idempotency_mismatch",
            )
        if held.case_id is not None and held.tracking_code is not None:
            case = load(held.case_id)
            return _created(
                held.case_id, held.tracking_code, case.state, case.district, replayed=True
            )
        if time.monotonic() >= deadline:
            raise Conflict(
                "同一请求正在处理中，请稍后用相同的请求标识重试",
                "a request with this Idempotency-Key is still being processed; retry shortly",
                "idempotency_in_progress",
            )
        time.sleep(0.1)
        found = idempotency.get(key_hash)
        if found is None:  # the first request failed and let go: nothing to replay
            raise Conflict(
                "同一请求未能完成，请重新提交",
                "the first request with this Idempotency-Key failed; submit again",
                "idempotency_released",
            )
        held = found


def _create(
    body: dict[str, Any],
    key_hash: str | None,
    request_hash: str,
    *,
    now: datetime,
    actor: Actor,
    channel: Channel | None,
    client: str | None,
    place: tuple[Location | None, PlacedDistrict],
    media_link: str | None = None,
    files: Sequence[CaseFile] = (),
    mail_message: str | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    contact = body["contact"]
    location, placed = place
    assert placed.district is not None  # _place refused the submission otherwise
    if actor is not CITIZEN:
        channel = Channel(body.get("channel", "web"))
    channel = channel or Channel.WEB
    upload_ids: list[str] = list(body.get("photos") or [])
    for _attempt in range(3):
        case_id, code = new_case_id(now), _random(8)
        slots = photos.attachable(upload_ids) if upload_ids else []
        result = new_case(
            case_id=case_id,
            tracking_hash=_tracking_hash(case_id, code),
            tracking_code=code,  # for the receipt only: the case keeps the hash
            kind=Kind(body["kind"]),
            category=body["category"],
            district=placed.district,
            title=body["title"],
            content=body["content"],
            contact=Contact(
                (contact.get("name") or "").strip() or None,
                normalise_phone(contact.get("phone")),
                contact.get("email"),
            ),
            consent_public=body["public"],
            channel=channel,
            actor=actor,
            now=now,
            rules=deadline_rules(),
            contact_salt=secrets.token_hex(16),
            open311_client=client,
            location=location,
            district_source=placed.source,
            district_claimed=placed.conflict[0] if placed.conflict else None,
            media_link=media_link,
            photos=photos.as_photos(slots),
            holder=platforms.route(directory.platforms(), placed.district, body["category"]),
            files=files,
            mail_message=mail_message,
        )
        if quiet:
            result.notices.clear()
        record = (
            idempotency.completed(
                key_hash, request_hash, case_id=case_id, tracking_code=code, now=now
            )
            if key_hash
            else None
        )
        try:
            commit(
                result,
                now,
                idempotency=record,
                updates=[uploads_repo.attach_update(slot, case_id) for slot in slots],
                items=similar.index_items(result.case),
            )
        except Conflict:
            # A case id collision (the claim is ours until we release it), or a slot that
            # changed since it was read (processed meanwhile, or attached by another
            # submission: the next attempt's read names it): draw again.
            continue
        return _created(case_id, code, State.SUBMITTED, placed.district, replayed=False)
    raise Conflict("提交失败，请重试", "could not allocate a case id", "retry")


def _created(
    case_id: str, code: str, state: State, district: str, *, replayed: bool
) -> dict[str, Any]:
    """The receipt; ``district`` is the one the case is filed under (inferred from the place
    when the submission gave none)."""
    return {
        "case_id": case_id,
        "tracking_code": code,
        "state": state.value,
        "state_label": STATE_LABELS[state],
        "district": district,
        "district_label": directory.taxonomy().district_label(district),
        "replayed": replayed,
    }


def board(filters: dict[str, str], cursor: str | None, now: datetime) -> dict[str, Any]:
    """The board: newest or 热议, optionally the 不满意专区 (functions/services/supports.py)."""
    from functions.services import supports

    return supports.listing(filters, cursor, now)


def public_case(case_id: str, now: datetime) -> dict[str, Any]:
    """Two DynamoDB requests: the case with its 附议 shards (one BatchGetItem), then its public
    timeline (one Query); a closed case a third, its approved 监督评议 (one Query)."""
    from functions.services import reviews
    from functions.services.supports import threshold_of
    from functions.settings import settings
    from functions.storage import supports_repo

    case, supports = (
        supports_repo.case_and_count(case_id, shards=settings().support_shards)
        if len(case_id) <= 40
        else (None, 0)
    )
    if case is None or not case.is_public:
        raise NotFound("未找到该诉求，或该诉求未公开", "no such public case", "case_not_found")
    events = cases_repo.timeline(case_id, public_only=True)
    view = presenters.public_case(case, events, directory.taxonomy(), now)
    view["supports"] = supports
    view["support_threshold"] = threshold_of(case)  # 附议 N / 阈值 T
    view["reviews"] = reviews.for_public_case(case)
    return view


def _authorised(case_id: str, code: str) -> Case:
    case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    if case is None:
        raise _NOT_FOUND
    given = _tracking_hash(case_id, _normalise_code(code))
    if not hmac.compare_digest(given, case.tracking_hash):
        raise _NOT_FOUND
    return case


def _private(case: Case, now: datetime) -> dict[str, Any]:
    from functions.domain import actions

    events = cases_repo.timeline(case.case_id, public_only=True)
    view = presenters.private_case(case, events, directory.taxonomy(), now)
    ctx = context(now)
    view["actions"] = actions.offered(case, CITIZEN, ctx, "citizen")
    if case.merged is not None:  # 并件: the primary's reply, which this citizen may rate
        primary = presenters.merged_primary(case, ctx.case_of(case.merged.into, "into"))
        view["primary"] = primary
        if primary["reply"] is not None:
            view["next_step"] = (
                "您已评价主件的答复，感谢您的参与。"
                if primary["reply"]["rating"]
                else "主件已答复，该答复即是对您诉求的答复，请在本页查看并评价。"
            )
    return view


def track(case_id: str, code: str, now: datetime) -> dict[str, Any]:
    return _private(_authorised(case_id, code), now)


def act(suffix: str, case_id: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The citizen's lifecycle action with the tracking code (``POST /api/cases/{case_id}/
    <suffix>``: 评价, 补充材料), as its module declares it; the answer is their own view."""
    from functions.domain import actions

    action = actions.by_suffix("citizen", suffix)
    case = _authorised(case_id, body["tracking_code"])
    return _private(take(action, case, CITIZEN, body, now), now)


def support(case_id: str, client: str, now: datetime) -> dict[str, Any]:
    """附议 ("我也遇到"), and the thresholds it may cross (functions/services/supports.py)."""
    from functions.services import supports

    return supports.support(case_id, client, now)


def follow(case_id: str, body: dict[str, Any], client: str, now: datetime) -> dict[str, Any]:
    """关注: anyone asks to follow a public case by e-mail; with the tracking code
    (``tracking_code``), the citizen follows their own case, public or not."""
    from functions.services import following

    code = body.get("tracking_code")
    if code is not None:
        case: Case | None = _authorised(case_id, code)
    else:
        case = cases_repo.get(case_id) if len(case_id) <= 40 else None
    return following.follow(case, body["email"], own=code is not None, client=client, now=now)
