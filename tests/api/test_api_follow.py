"""关注 (§14): following a case by e-mail. Double opt-in (``POST /api/cases/{id}/follow`` →
confirmation e-mail → ``POST /api/follows/confirm``), the follower told of the reply, the
reopening and the closing, each message with its own one-click unsubscribe (RFC 8058
``List-Unsubscribe`` + ``List-Unsubscribe-Post``, and ``POST /api/follows/unsubscribe``), the
answers that tell no one whether an address follows, the rate limits, the fan-out that keeps a
transition's transaction small however many follow, and the addresses gone with the case."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from tests.api.helpers import EMAIL, NAME, PHONE, Answer, Api, reply_body

FOLLOWER = "neighbour@example.net"
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}
CONFIRM_LINK = re.compile(r"(https?://[A-Za-z0-9.:-]+/follow\.html\?do=confirm#t=([A-Za-z0-9_-]+))")
UNSUBSCRIBE_LINK = re.compile(
    r"(https?://[A-Za-z0-9.:-]+/follow\.html\?do=unsubscribe#t=([A-Za-z0-9_-]+))"
)


def follow(api: Api, case_id: str, address: str = FOLLOWER, **more: Any) -> Answer:
    return api.post(f"/api/cases/{case_id}/follow", {"email": address, **more})


def to(api: Api, address: str, template: str | None = None) -> list[dict[str, Any]]:
    """What the dev outbox sent to ``address`` (after delivering what is due), oldest first."""
    found = api.messages(to=address)
    return [m for m in found if template is None or m["template"] == template]


def confirmation_token(api: Api, address: str = FOLLOWER) -> str:
    [*_, last] = to(api, address, "follow_confirm")
    found = CONFIRM_LINK.search(last["body"])
    assert found, last["body"]
    return found.group(2)


def confirm(api: Api, token: str) -> Answer:
    return api.post("/api/follows/confirm", {"token": token})


def followed(api: Api, case_id: str, address: str = FOLLOWER) -> None:
    """``address`` follows the public case, confirmed."""
    assert api.ok(follow(api, case_id, address), 202)["case_id"] == case_id
    assert api.ok(confirm(api, confirmation_token(api, address)))["following"] is True


def fan_out(api: Api) -> None:
    """Two outbox runs: the first expands a notice's fan-out, the second sends its e-mails."""
    api.deliver()
    api.deliver()


def raw_mail(to_address: str) -> list[str]:
    """The messages moto's SES took for ``to_address``, as they went out."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from functions.settings import settings

    return [
        sent.raw_data
        for sent in ses_backends[DEFAULT_ACCOUNT_ID][settings().region].sent_messages
        if to_address in getattr(sent, "destinations", [])
    ]


def sent_mail(to_address: str) -> list[EmailMessage]:
    """What moto's SES took for ``to_address``, parsed as a mail reader parses it."""
    found = []
    for raw in raw_mail(to_address):
        mail = email.message_from_string(raw, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        found.append(mail)
    return found


def one_click(api: Api, url: str, form: str = "List-Unsubscribe=One-Click") -> Answer:
    """What a mail client does with RFC 8058's headers: POST the form to the URL as it is."""
    parts = urlsplit(url)
    return api.call("POST", f"{parts.path}?{parts.query}", headers=ONE_CLICK, raw=form)


def followers_of(case_id: str) -> list[Any]:
    from functions.storage.models import FollowerModel

    return list(FollowerModel.query(case_id))


def public_case(api: Api, **overrides: Any) -> tuple[dict[str, Any], Any]:
    """A public case assigned to dept-1, and the department's link."""
    return api.assigned_case("dept-1", **overrides)


@pytest.fixture
def https(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The site on https, as deployed (the suite's own base URL is plain http)."""
    from functions.settings import settings

    monkeypatch.setenv("WZ_PUBLIC_BASE_URL", "https://wenzheng.example")
    settings.cache_clear()
    yield "https://wenzheng.example"
    monkeypatch.undo()
    settings.cache_clear()


# --- the whole way ------------------------------------------------------------------------------


def test_a_follower_confirms_hears_of_the_reply_and_one_click_ends_it(api: Api) -> None:
    created, link = public_case(api)
    case_id = created["case_id"]

    asked = api.ok(follow(api, case_id), 202)
    assert asked["case_id"] == case_id and "请查收确认邮件" in asked["message"]
    [mail] = to(api, FOLLOWER)
    assert mail["template"] == "follow_confirm" and case_id in mail["subject"]
    assert "确认关注" in mail["body"] and "如非本人操作，请忽略本邮件" in mail["body"]
    assert followers_of(case_id) == [], "nothing counts before the address confirms"

    token = confirmation_token(api)
    assert api.ok(confirm(api, token)) == {"case_id": case_id, "following": True, "already": False}
    assert [f.email for f in followers_of(case_id)] == [FOLLOWER]

    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    [replied] = to(api, FOLLOWER, "follower_replied")
    assert replied["subject"] == f"您关注的诉求 {case_id} 已答复"
    assert reply_body()["text"] in replied["body"] and "办理结果：已解决" in replied["body"]
    assert f"/case.html?id={case_id}" in replied["body"]
    # The follower reads what the public reads: never the citizen's contact data.
    for secret in (NAME, PHONE, EMAIL, "13698765432"):
        assert secret not in replied["body"]
    # The citizen's own notice is unchanged and separate.
    assert [m["template"] for m in to(api, EMAIL, "replied")] == ["replied"]

    [received] = [m for m in sent_mail(FOLLOWER) if "已答复" in str(m["Subject"])]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(received["List-Unsubscribe"]).strip("<>")
    gone = api.ok(one_click(api, url))
    assert gone == {"case_id": case_id, "following": False, "already": False}
    assert followers_of(case_id) == []

    # Later notices reach the citizen, not the former follower.
    api.ok(api.rate(case_id, created["tracking_code"], "unsatisfied", "路灯还是不亮"))
    fan_out(api)
    assert [m["template"] for m in to(api, EMAIL) if m["template"] == "reopened"] == ["reopened"]
    assert to(api, FOLLOWER, "follower_reopened") == []


def test_followers_hear_of_the_reopening_and_the_closing_each_with_its_own_link(
    api: Api,
) -> None:
    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(case_id, created["tracking_code"], "unsatisfied", "没有修好"))
    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "reply", reply_body("explained")))
    api.ok(api.rate(case_id, created["tracking_code"], "satisfied"))
    fan_out(api)

    templates = [m["template"] for m in to(api, FOLLOWER) if m["template"] != "follow_confirm"]
    assert sorted(templates) == [
        "follower_closed",
        "follower_reopened",
        "follower_replied",
        "follower_replied",
    ]
    links = [UNSUBSCRIBE_LINK.search(m["body"]) for m in to(api, FOLLOWER)[1:]]
    tokens = [found.group(2) for found in links if found]
    assert len(set(tokens)) == 4, "every message carries its own unsubscribe link"
    reopened = to(api, FOLLOWER, "follower_reopened")[0]
    assert "已退回" in reopened["body"] and "重新办理" in reopened["body"]
    # Any of them ends the follow; the page posts the token as JSON.
    answer = api.post("/api/follows/unsubscribe", {"token": tokens[0]})
    assert api.ok(answer)["following"] is False


def test_a_delivered_follower_mail_read_by_an_outside_client_unsubscribes_in_one_click(
    api: Api, https: str
) -> None:
    """What a mail reader sees (Python's ``email``, ``policy=default``): RFC 8058's two
    headers, whole, the https URL in angle brackets, and the form it POSTs ending the follow;
    the body's own link opens the page that does the same."""
    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)

    [mail] = [m for m in sent_mail(FOLLOWER) if "已答复" in str(m["Subject"])]
    assert mail["Subject"] == f"您关注的诉求 {case_id} 已答复"
    assert mail["To"] == FOLLOWER
    header = mail["List-Unsubscribe"]
    one_click_url = r"<https://wenzheng\.example/api/follows/unsubscribe\?token=[\w-]+>"
    assert re.fullmatch(one_click_url, header)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As it went out: each header whole on one line, the URL as written (never cut into
    # RFC 2047 encoded words, which no client reads back as a URL).
    [raw] = [r for r in raw_mail(FOLLOWER) if header in r]
    assert f"\r\nList-Unsubscribe: {header}\r\n" in raw.replace("\n", "\r\n").replace(
        "\r\r\n", "\r\n"
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    page = UNSUBSCRIBE_LINK.search(plain.get_content())
    assert page and page.group(1).startswith("https://wenzheng.example/follow.html")
    assert f'href="{page.group(1)}"' in html.get_content(), "the page link is live in HTML"

    url = header.strip("<>")
    assert api.ok(one_click(api, url))["following"] is False
    again = one_click(api, url)
    assert again.status == 409 and again.code == "link_used"
    assert "已取消关注" in again.error["message"]


def test_the_one_click_form_may_come_as_multipart_and_must_say_one_click(api: Api) -> None:
    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    [mail] = [m for m in sent_mail(FOLLOWER) if "已答复" in str(m["Subject"])]
    url = urlsplit(str(mail["List-Unsubscribe"]).strip("<>"))

    wrong = one_click(api, url.geturl(), form="List-Unsubscribe=Please")
    assert wrong.status == 400 and "List-Unsubscribe" in wrong.fields
    no_token = api.call("POST", url.path, headers=ONE_CLICK, raw="List-Unsubscribe=One-Click")
    assert no_token.status == 400 and "token" in no_token.fields

    boundary = "----mailclient7MA4YWxkTrZu0gW"
    form = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    answer = api.call("POST", f"{url.path}?{url.query}", headers=headers, raw=form)
    assert api.ok(answer)["following"] is False
    assert followers_of(case_id) == []


def test_opening_the_one_click_url_in_a_browser_only_leads_to_the_page(api: Api) -> None:
    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    [mail] = [m for m in sent_mail(FOLLOWER) if "已答复" in str(m["Subject"])]
    url = urlsplit(str(mail["List-Unsubscribe"]).strip("<>"))
    token = url.query.removeprefix("token=")

    opened = api.get(f"{url.path}?{url.query}")
    assert opened.status == 303
    location = {k.lower(): v for k, v in opened.headers.items()}["location"]
    assert location.endswith(f"/follow.html?do=unsubscribe#t={token}")
    assert len(followers_of(case_id)) == 1, "GET never changes anything"
    assert api.get(url.path).status == 400


# --- no probing, once per address ------------------------------------------------------------


def test_a_second_follow_answers_the_same_and_mails_a_confirmed_address_nothing(
    api: Api,
) -> None:
    case_id = public_case(api)[0]["case_id"]
    first = api.ok(follow(api, case_id), 202)
    token = confirmation_token(api)
    # Not yet confirmed: asking again sends a fresh link (either confirms).
    assert api.ok(follow(api, case_id, "Neighbour@Example.NET"), 202) == first
    assert len(to(api, FOLLOWER, "follow_confirm")) == 1
    assert len(to(api, "Neighbour@Example.NET", "follow_confirm")) == 1
    api.ok(confirm(api, token))
    later = confirmation_token(api, "Neighbour@Example.NET")
    assert api.ok(confirm(api, later)) == {"case_id": case_id, "following": True, "already": True}
    assert len(followers_of(case_id)) == 1, "one address follows a case once"

    # Confirmed: the same answer, and no e-mail at all.
    sent = len(to(api, FOLLOWER))
    assert api.ok(follow(api, case_id), 202) == first
    assert len(to(api, FOLLOWER)) == sent
    # And an address that never followed gets the very same answer.
    assert api.ok(follow(api, case_id, "stranger@example.org"), 202) == first


# --- links: unknown, used, expired --------------------------------------------------------------


def test_unknown_used_and_expired_links_are_refused_with_their_reason(api: Api) -> None:
    case_id = public_case(api)[0]["case_id"]
    api.ok(follow(api, case_id), 202)
    token = confirmation_token(api)

    unknown = confirm(api, "x" * 43)
    assert unknown.status == 404 and unknown.code == "link_not_found"
    assert api.post("/api/follows/unsubscribe", {"token": "y" * 43}).code == "link_not_found"
    # A confirmation link does not unsubscribe, nor an unsubscribe link confirm.
    assert api.post("/api/follows/unsubscribe", {"token": token}).code == "link_not_found"
    malformed = confirm(api, "short")
    assert malformed.status == 400 and "token" in malformed.fields

    api.ok(confirm(api, token))
    used = confirm(api, token)
    assert used.status == 409 and used.code == "link_used"
    assert "已使用" in used.error["message"] and "used" in used.error["message_en"]

    api.ok(follow(api, case_id, "late@example.org"), 202)
    late = confirmation_token(api, "late@example.org")
    api.advance(timedelta(days=7, minutes=1))
    expired = confirm(api, late)
    assert expired.status == 409 and expired.code == "link_expired"
    assert "过期" in expired.error["message"] and "expired" in expired.error["message_en"]
    assert [f.email for f in followers_of(case_id)] == [FOLLOWER]


# --- which cases, by whom -----------------------------------------------------------------------


def test_only_a_public_case_whose_handling_goes_on_can_be_followed(api: Api) -> None:
    submitted = api.submit()["case_id"]  # not accepted: not public yet
    missing = follow(api, submitted)
    assert missing.status == 404 and missing.code == "case_not_found"
    private = api.submit(public=False)["case_id"]
    api.accept(private, public=False)
    assert follow(api, private).status == 404
    assert follow(api, "WZ20261102-NOSUCH").status == 404
    bad = follow(api, private, "not-an-address")
    assert bad.status == 400 and "email" in bad.fields

    created, _ = api.replied_case("dept-1")
    api.ok(api.rate(created["case_id"], created["tracking_code"], "satisfied"))
    finished = follow(api, created["case_id"])
    assert finished.status == 409 and finished.code == "case_finished"
    assert to(api, FOLLOWER) == [], "none of them sent anything"


def test_the_citizen_follows_their_own_private_case_with_the_tracking_code(api: Api) -> None:
    created = api.submit(public=False, contact={"name": NAME, "phone": PHONE})
    case_id, code = created["case_id"], created["tracking_code"]
    api.accept(case_id, public=False)
    api.assign(case_id, "dept-1")
    own = "me.too@example.com"

    wrong = follow(api, case_id, own, tracking_code="WRONGCODE")
    assert wrong.status == 404
    api.ok(follow(api, case_id, own, tracking_code=code), 202)
    [mail] = to(api, own, "follow_confirm")
    assert "诉求标题" not in mail["body"], "a private case's title is not mailed"
    api.ok(confirm(api, confirmation_token(api, own)))

    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    [replied] = to(api, own, "follower_replied")
    assert f"/track.html?id={case_id}" in replied["body"]
    assert reply_body()["text"] not in replied["body"], "only the id for a private case"


def test_public_followers_hear_nothing_once_the_case_is_no_longer_public(api: Api) -> None:
    from functions.storage import followers_repo
    from functions.storage.models import CaseModel

    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    # The citizen's own follow of the same case, through the tracking page.
    api.ok(follow(api, case_id, "own@example.com", tracking_code=created["tracking_code"]), 202)
    api.ok(confirm(api, confirmation_token(api, "own@example.com")))
    # No longer public (as when consent is withdrawn): the next write derives the rest.
    CaseModel(case_id).update(actions=[CaseModel.approved_public.set(False)])
    assert followers_repo.has_any(case_id, "own")

    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    assert to(api, FOLLOWER, "follower_replied") == []
    assert len(to(api, "own@example.com", "follower_replied")) == 1


# --- rate limits --------------------------------------------------------------------------------


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from functions.settings import settings

    monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")
    monkeypatch.setenv("WZ_RATE_LIMITS", "follow_email=2/1d,follow_ip=4/1h")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_follow_requests_are_limited_per_address_and_per_client(api: Api, limited: None) -> None:
    cases = [public_case(api)[0]["case_id"] for _ in range(3)]
    api.ok(follow(api, cases[0]), 202)
    api.ok(follow(api, cases[1], FOLLOWER.upper()), 202)  # the same address, however written
    refused = follow(api, cases[2])
    assert refused.status == 429 and refused.code == "rate_limited"
    assert "关注请求过于频繁" in refused.error["message"]
    sent = to(api, FOLLOWER, "follow_confirm") + to(api, FOLLOWER.upper(), "follow_confirm")
    assert len(sent) == 2, "the refused one sent nothing"
    api.ok(follow(api, cases[2], "other@example.org"), 202)
    ip = follow(api, cases[2], "third@example.org")  # the fifth request of this client
    assert ip.status == 429
    api.advance(timedelta(hours=1))
    api.ok(follow(api, cases[2], "third@example.org"), 202)


# --- many followers -------------------------------------------------------------------------------


def _add_followers(case_id: str, n: int) -> list[str]:
    from functions.domain.following import follower_key
    from functions.storage.models import FollowerModel

    addresses = [f"reader{i:03d}@example.org" for i in range(n)]
    with FollowerModel.batch_write() as batch:
        for address in addresses:
            batch.save(
                FollowerModel(
                    case_id,
                    follower_key(case_id, address),
                    email=address,
                    via="public",
                    confirmed_at=api_now(),
                )
            )
    return addresses


def api_now() -> Any:
    from functions import clock

    return clock.utcnow()


def test_a_reply_to_a_case_with_many_followers_stays_one_small_transaction(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply writes ONE fan-out message however many follow; the outbox job expands it a
    batch per transaction, and each follower gets exactly one e-mail, even when a run is cut
    short and the next goes on from where it stopped."""
    from functions.domain.following import FANOUT_BATCH
    from functions.services import fanout
    from functions.storage import case_commit

    created, link = public_case(api)
    case_id = created["case_id"]
    addresses = _add_followers(case_id, 2 * FANOUT_BATCH + 7)
    sizes: list[int] = []
    commit_all = case_commit.commit_all

    def measured(results: Any, **kwargs: Any) -> None:
        sizes.append(len(kwargs.get("extra") or ()))
        commit_all(results, **kwargs)

    monkeypatch.setattr(case_commit, "commit_all", measured)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    assert sizes[-1] <= 3, "the reply's own messages and one fan-out, not one per follower"

    monkeypatch.setattr(fanout, "BATCHES_PER_RUN", 1)
    made = [api.deliver()["expanded"] for _ in range(4)]
    assert made == [FANOUT_BATCH, FANOUT_BATCH, 7, 0]
    api.deliver()
    received = [m["to"] for m in api.messages(case_id=case_id, template="follower_replied")]
    assert sorted(received) == addresses, "each follower once"


# --- staff see a count; retention removes them ---------------------------------------------------


def test_staff_see_how_many_follow_never_who(api: Api) -> None:
    import json

    case_id = public_case(api)[0]["case_id"]
    followed(api, case_id)
    followed(api, case_id, "second@example.org")
    view = api.staff_case(case_id)
    assert view["followers"] == 2
    text = json.dumps(view, ensure_ascii=False)
    assert FOLLOWER not in text and "second@example.org" not in text
    public = api.ok(api.public(case_id))
    assert FOLLOWER not in json.dumps(public, ensure_ascii=False)


def test_a_dead_follower_message_is_listed_without_its_address(api: Api) -> None:
    from functions.services.outbox import FOLLOWER as HIDDEN
    from functions.storage import outbox_repo

    case_id = public_case(api)[0]["case_id"]
    api.ok(follow(api, case_id), 202)
    [pending] = [m for m in outbox_repo.due(api_now()) if m.template == "follow_confirm"]
    outbox_repo.mark_refused(pending, "email: test")
    listed = api.ok(api.get("/api/staff/outbox", api.as_role("coordinator")))["items"]
    assert [item["to"] for item in listed] == [HIDDEN]


def test_archiving_removes_the_followers_and_retention_any_left(api: Api) -> None:
    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(case_id, created["tracking_code"], "satisfied"))
    fan_out(api)
    assert len(to(api, FOLLOWER, "follower_closed")) == 1
    assert len(followers_of(case_id)) == 1

    api.advance(timedelta(days=31))
    assert api.ok(api.post("/api/dev/jobs/archive"))["result"]["archived"] == 1
    assert followers_of(case_id) == []

    # One recorded after archiving began (a race): retention removes it with the contact data.
    _add_followers(case_id, 1)
    api.advance(timedelta(days=365 * 3 + 1))
    assert api.ok(api.post("/api/dev/jobs/retention"))["result"]["anonymised"] == 1
    assert followers_of(case_id) == []


def test_a_complaint_about_a_follower_mail_ends_the_follow_and_alerts_no_one(
    api: Api, client: Client
) -> None:
    """SES says the follower called the mail spam: the address follows no longer, and no
    coordinator is sent (any part of) it: a follower's address hides no case."""
    from functions.storage import outbox_repo
    from tests.unit.test_notify import ses_complaint

    created, link = public_case(api)
    case_id = created["case_id"]
    followed(api, case_id)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    fan_out(api)
    [mail] = [
        m for m in outbox_repo.recent() if m.template == "follower_replied" and m.channel == "email"
    ]
    assert mail.recipient == FOLLOWER
    event = client.events.generate_sns_event(
        message=ses_complaint(FOLLOWER, message_id=mail.message_id, case_id=case_id),
        subject="Amazon SES Notification",
    )
    result = client.lambda_.invoke("ses_events", event).payload
    assert result["handled"] and result["unfollowed"] == 1 and result["alerts"] == 0
    assert followers_of(case_id) == []
    assert api.messages(template="contact_unreachable") == []
