"""关注 (§14): follow a case by e-mail with double opt-in, confirm, unsubscribe in one click,
and tell the followers of a case's reply, reopening and closing.

A case's notices reach its followers in two steps. The transition that makes a followed
notice (``FOLLOWED``) writes, in its own transaction, ONE fan-out message to the outbox, and
only when the case has a follower (one Query of its partition, stopping at the first): the
case's transaction grows by one item however many follow it, so it stays within DynamoDB's
100 items. The outbox job then expands the fan-out (functions/services/fanout.py, with
``batches``) into one e-mail per follower, each with its own unsubscribe link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.models import Model

from functions.domain import following
from functions.domain.cases import Case
from functions.domain.following import CONFIRM_TEMPLATE, FANOUT_BATCH, Via, follower_template
from functions.services.fanout import Batch, NextBatch
from functions.settings import settings
from functions.storage import cases_repo, followers_repo, outbox_repo, tokens
from functions.storage.outbox_repo import FANOUT

ONE_CLICK = ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
# What a follower message's fan-out is addressed to: everyone, or those following their own.
AUDIENCES = {"all": "followers", Via.OWN.value: "followers:own"}


def confirm_url(token: str) -> str:
    return f"{settings().public_base_url}/follow.html?do=confirm#t={token}"


def unsubscribe_page(token: str) -> str:
    """The link in a follower message's text: a page that unsubscribes with one click (a POST
    from the page: opening it changes nothing)."""
    return f"{settings().public_base_url}/follow.html?do=unsubscribe#t={token}"


def one_click_url(token: str) -> str:
    """The ``List-Unsubscribe`` URL (RFC 8058): a mail client POSTs
    ``List-Unsubscribe=One-Click`` to it. The token is in the query (a POST carries no
    fragment); the route never logs a query string."""
    return f"{settings().public_base_url}/api/follows/unsubscribe?token={token}"


def case_url(case: Case) -> str:
    base = settings().public_base_url
    page = "case.html" if case.is_public else "track.html"
    return f"{base}/{page}?id={case.case_id}"


REQUESTED = (
    "请查收确认邮件：打开邮件中的链接并确认后即开始关注。如该邮箱已关注本诉求，不会重复发送。"
)


ROUTE = "/api/cases/{case_id}/follow"


def follow(
    case: Case | None, email: str, *, own: bool, client: str, now: datetime
) -> dict[str, Any]:
    """Ask to follow ``case`` (``own``: the tracking code's holder asks, the case need not be
    public): a confirmation e-mail to ``email`` unless the address already follows. The answer
    is the same either way, so it tells no one whether an address follows a case. Counted per
    client and per address (``follow_ip``, ``follow_email``)."""
    from functions.notify import templates
    from functions.services import rate_limits

    rate_limits.hit("follow_ip", client, now, route=ROUTE)
    case = following.require_followable(case, own=own)
    address = email.strip()
    rate_limits.hit("follow_email", following.normalise(address), now, route=ROUTE)
    key = following.follower_key(case.case_id, address)
    via = Via.OWN if own else Via.PUBLIC
    found = followers_repo.get(case.case_id, key)
    if found is not None:
        if own and found.via != Via.OWN:
            followers_repo.set_via(case.case_id, key, Via.OWN)  # the code proves it theirs
        return {"case_id": case.case_id, "message": REQUESTED}
    token = tokens.new_token()
    text = templates.follow_confirmation(
        case.case_id,
        title=_public_title(case),
        link=confirm_url(token),
        days=following.CONFIRM_DAYS,
    )
    message = outbox_repo.email(
        address,
        text,
        case_id=case.case_id,
        template=CONFIRM_TEMPLATE,
        now=now,
    )
    item = followers_repo.confirm_item(
        token, case_id=case.case_id, follower=key, email=address, via=via, now=now
    )
    followers_repo.request(item, message)
    return {"case_id": case.case_id, "message": REQUESTED}


def _public_title(case: Case) -> str | None:
    from functions.domain.cases import public_title

    return public_title(case) if case.is_public else None


def _answer(case_id: str, *, following_now: bool, already: bool) -> dict[str, Any]:
    return {"case_id": case_id, "following": following_now, "already": already}


def confirm(token: str, now: datetime) -> dict[str, Any]:
    """The address confirms: it follows the case (409 ``case_finished`` if the case's handling
    ended meanwhile, 404 if it is no longer public and the follow was not the citizen's own)."""
    grant = followers_repo.grant(token, followers_repo.CONFIRM, now)
    case = cases_repo.get(grant.case_id)
    following.require_followable(case, own=grant.via == Via.OWN)
    already = followers_repo.get(grant.case_id, grant.follower) is not None
    followers_repo.confirm(grant, now)
    return _answer(grant.case_id, following_now=True, already=already)


def unsubscribe(token: str, now: datetime) -> dict[str, Any]:
    """The follower leaves, whatever became of the case."""
    grant = followers_repo.grant(token, followers_repo.UNSUBSCRIBE, now)
    already = followers_repo.get(grant.case_id, grant.follower) is None
    followers_repo.unsubscribe(grant, now)
    return _answer(grant.case_id, following_now=False, already=already)


def fanout(case: Case, template: str, now: datetime) -> list[Model]:
    """The fan-out message a followed notice calls for, if anyone hears of it: one outbox item
    in the transition's transaction, whatever the number of followers."""
    from functions.notify import templates

    audience = following.audience(case)
    via = None if audience == "all" else audience
    if not templates.followed(template) or not followers_repo.has_any(case.case_id, via):
        return []
    text = templates.follower(template, case, url=case_url(case), public=case.is_public)
    return [
        outbox_repo.new_message(
            channel=FANOUT,
            recipient=AUDIENCES[audience],
            subject=text.subject,
            body=text.body,
            case_id=case.case_id,
            template=follower_template(template),
            now=now,
            links=text.links,
        )
    ]


def _follower_message(
    message: outbox_repo.Message, follower: followers_repo.Follower, now: datetime
) -> list[Model]:
    """One follower's e-mail of a fan-out and the unsubscribe link it carries."""
    from functions.notify import templates

    assert message.case_id is not None
    token = tokens.new_token()
    page = unsubscribe_page(token)
    body = message.body + "\n".join(templates.follower_footer(page)) + "\n"
    return [
        followers_repo.unsubscribe_item(
            token, case_id=message.case_id, follower=follower.key, now=now
        ),
        outbox_repo.new_message(
            channel="email",
            recipient=follower.email,
            subject=message.subject,
            body=body,
            case_id=message.case_id,
            template=message.template,
            now=now,
            links=(*message.links, page),
            headers=dict([("List-Unsubscribe", f"<{one_click_url(token)}>"), ONE_CLICK]),
        ),
    ]


def batches(message: outbox_repo.Message, now: datetime) -> NextBatch:
    """A followers' fan-out's batches (functions/services/fanout.py): the next
    ``FANOUT_BATCH`` followers by key, each with their e-mail and unsubscribe link."""
    assert message.case_id is not None
    case_id = message.case_id
    via = Via.OWN.value if message.recipient == AUDIENCES[Via.OWN.value] else None

    def next_batch(cursor: str | None) -> Batch | None:
        found = followers_repo.page(case_id, after=cursor, limit=FANOUT_BATCH, via=via)
        if not found:
            return None
        items = [item for f in found for item in _follower_message(message, f, now)]
        return Batch(len(found), items, found[-1].key)

    return next_batch


def followers(case_id: str) -> int:
    """How many follow a case: all that staff are shown."""
    return followers_repo.count(case_id)


def forget(case_id: str) -> int:
    """Remove a case's followers (archiving, retention)."""
    return followers_repo.remove_all(case_id)
