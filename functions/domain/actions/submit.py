"""提交诉求: a new case, from the public form, the hotline operator or an Open311 client. The
submission has its own routes (``POST /api/cases``, ``POST /api/staff/cases``, Open311), which
check the contact, the consent and the idempotency key before this runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from functions.domain.actions.base import ActionDef, EventKind, states
from functions.domain.cases import (
    Actor,
    Case,
    CaseFile,
    Contact,
    DeadlineRules,
    Event,
    Notice,
    TransitionResult,
    new_triage,
)
from functions.domain.errors import Forbidden, invalid_field
from functions.domain.geo import Location
from functions.domain.hashes import case_text_digest, contact_reference
from functions.domain.lifecycle import EventType, Role, State
from functions.domain.photos import MAX_PER_CASE, Photo
from functions.domain.platforms import CITY
from functions.domain.taxonomy import Channel, Kind

SUBMITTED = EventKind(EventType.SUBMITTED, "提交诉求", public=True)


def new_case(
    *,
    case_id: str,
    tracking_hash: str,
    tracking_code: str,
    kind: Kind,
    category: str,
    district: str,
    title: str,
    content: str,
    contact: Contact,
    consent_public: bool,
    channel: Channel,
    actor: Actor,
    now: datetime,
    rules: DeadlineRules,
    contact_salt: str,
    open311_client: str | None = None,
    location: Location | None = None,
    district_source: str | None = None,
    district_claimed: str | None = None,
    media_link: str | None = None,
    photos: Sequence[Photo] = (),
    holder: str = CITY,
    files: Sequence[CaseFile] = (),
    mail_message: str | None = None,
) -> TransitionResult:
    """A new case, its first event and the citizen's receipt. The event holds digests, never
    the contact data: the text's SHA-256 and the contact's salted reference (``contact_salt``
    is random, per case). The receipt carries ``tracking_code``, whose hash the case keeps:
    it can only be sent now, in the transaction that creates the case. The case waits for 受理
    from ``now``: the platform's own 受理 deadline starts (``rules``). ``district`` is the
    one the place settled (functions/domain/geo.py ``place``), ``district_claimed`` the
    citizen's choice when the place contradicts it. ``holder``: the platform whose queue it
    goes to first (functions/domain/platforms.py ``route``). ``files``: a mailed case's
    attachments other than photos, for staff only; ``mail_message``: where the message it came
    in is stored."""
    if actor.role not in ACTION.actors:
        raise Forbidden("无权提交诉求", "may not submit", "forbidden")
    if not (contact.phone or contact.email):
        raise invalid_field(
            "contact", "请至少填写手机号或电子邮箱之一", "phone or email is required"
        )
    if len(photos) > MAX_PER_CASE:
        raise invalid_field(
            "photos", f"最多 {MAX_PER_CASE} 张照片", f"at most {MAX_PER_CASE} photos"
        )
    case = Case(
        case_id=case_id,
        created_at=now,
        channel=channel,
        kind=kind,
        category=category,
        district=district,
        title=title.strip(),
        content=content.strip(),
        contact=contact,
        consent_public=consent_public,
        tracking_hash=tracking_hash,
        updated_at=now,
        version=1,
        event_count=1,
        contact_salt=contact_salt,
        open311_client=open311_client,
        location=location if location is not None and not location.empty else None,
        district_source=district_source,
        district_claimed=district_claimed,
        media_link=media_link,
        photos=list(photos),
        files=list(files),
        mail_messages=[mail_message] if mail_message else [],
        holder=holder,
        triage=new_triage(now, rules),
    )
    c = case.contact
    digests = {
        "text_sha256": case_text_digest(case.title, case.content),
        "contact_ref": contact_reference(contact_salt, c.name, c.phone, c.email),
    }
    event = Event(EventType.SUBMITTED, now, actor, None, State.SUBMITTED, "", digests)
    receipt = Notice("received", "citizen", tracking_code=tracking_code)
    return TransitionResult(case, None, 0, [event], [receipt])


ACTION = ActionDef(
    name="submit",
    label="提交诉求",
    sources=states(),
    targets=states(State.SUBMITTED),
    actors=frozenset({Role.CITIZEN, Role.OPERATOR, Role.COORDINATOR, Role.ADMIN}),
    events=(SUBMITTED,),
    notices=("received",),
    order=0,
)
