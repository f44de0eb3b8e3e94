"""Helpers for the API tests: one thin wrapper over Chalice's test client that speaks JSON, and
the citizen / staff / department moves a test needs (submit, sign in as a role, take the newest
link out of the dev outbox, act through a link)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.test import Client

JSON = {"Content-Type": "application/json"}

# Mon 2026-11-02 10:00 in Shanghai: an ordinary working week (no holidays in November).
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

STAFF = {
    "coordinator": "coordinator@wenzheng.example",
    "operator": "operator@wenzheng.example",
    "auditor": "auditor@wenzheng.example",
    "admin": "admin@wenzheng.example",
    "supervisor": "supervisor@wenzheng.example",
    "leader": "leader@wenzheng.example",
}

# Distinctive contact data: none of it may ever appear in a public response.
NAME = "欧阳明月"
PHONE = "13912345678"
EMAIL = "ouyang@example.com"
CONTENT_PHONE = "13698765432"  # a phone number written inside the case text


def dept_email(department_id: str) -> str:
    return f"{department_id}@dept.example"


def submission(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "complaint",
        "category": "urban",
        "district": "city",
        "title": "小区电梯停运两个月无人维修",
        "content": f"翠湖小区 3 号楼电梯停运两个月，物业一直推脱。联系我请拨 {CONTENT_PHONE}。",
        "contact": {"name": NAME, "phone": PHONE, "email": EMAIL},
        "public": True,
    }
    body.update(overrides)
    return body


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> dict[str, Any]:
        assert isinstance(self.body, dict) and "error" in self.body, self.body
        error: dict[str, Any] = self.body["error"]
        return error

    @property
    def code(self) -> str:
        return str(self.error["code"])

    @property
    def fields(self) -> dict[str, dict[str, str]]:
        return {f["field"]: f for f in self.error.get("fields", [])}


@dataclass
class Link:
    """A department's magic link, as taken from its email."""

    token: str
    department_id: str
    case_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Link-Token": self.token}


class Api:
    """JSON in, JSON out, plus the moves of each audience."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._sessions: dict[str, dict[str, str]] = {}

    # --- raw ---------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        raw: bytes | str | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        data: bytes = b""
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        elif body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        response = self.client.http.request(method, path, headers=sent, body=data)
        text = response.body.decode("utf-8") if response.body else ""
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.call("GET", path, headers=headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        return self.call("POST", path, {} if body is None else body, headers)

    def ok(self, answer: Answer, status: int = 200) -> Any:
        assert answer.status == status, (answer.status, answer.body)
        return answer.body

    # --- platform clock and outbox -----------------------------------------------------------

    def set_clock(self, instant: datetime) -> None:
        """Move the platform clock. A jump of more than half an hour drops the cached staff
        sessions (they would run into the idle timeout); tests of timeouts use ``session``."""
        if abs(instant - self.now()) > timedelta(minutes=30):
            self._sessions.clear()
        self.ok(self.post("/api/dev/clock", {"now": iso(instant)}))

    def now(self) -> datetime:
        from functions import clock

        return clock.utcnow()

    def advance(self, delta: timedelta) -> None:
        self.set_clock(self.now() + delta)

    def deliver(self) -> dict[str, Any]:
        result: dict[str, Any] = self.ok(self.post("/api/dev/jobs/outbox"))["result"]
        return result

    def outbox(self) -> list[dict[str, Any]]:
        """Deliver what is due, then every message sent so far, oldest first."""
        self.deliver()
        messages: list[dict[str, Any]] = self.ok(self.get("/api/dev/outbox"))["messages"]
        return messages

    def messages(
        self, *, case_id: str | None = None, to: str | None = None, **match: str
    ) -> list[dict[str, Any]]:
        return [
            m
            for m in self.outbox()
            if (case_id is None or m["case_id"] == case_id)
            and (to is None or m["to"] == to)
            and all(m.get(k) == v for k, v in match.items())
        ]

    # --- citizen -----------------------------------------------------------------------------

    def citizen_session(self, phone: str = PHONE) -> dict[str, str]:
        """我的诉求: the headers of a citizen session for ``phone``, opened with the code the
        dev outbox shows (the number must have given a case)."""
        self.ok(self.post("/api/citizen/otp", {"phone": phone}), 202)
        sent = [m["body"] for m in self.messages(to=f"+86{phone}", template="citizen_otp")]
        found = re.search(r"验证码为(\d{6})", sent[-1])
        assert found, sent
        opened = self.ok(self.post("/api/citizen/session", {"phone": phone, "code": found[1]}))
        return {"Authorization": f"Bearer {opened['session_token']}"}

    def submit(self, headers: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.ok(
            self.post("/api/cases", submission(**overrides), headers), 201
        )
        return created

    def track(self, case_id: str, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.ok(
            self.post(f"/api/cases/{case_id}/track", {"tracking_code": code})
        )
        return found

    def rate(self, case_id: str, code: str, rating: str, comment: str | None = None) -> Answer:
        body: dict[str, Any] = {"tracking_code": code, "rating": rating}
        if comment is not None:
            body["comment"] = comment
        return self.post(f"/api/cases/{case_id}/rating", body)

    def public(self, case_id: str) -> Answer:
        return self.get(f"/api/cases/{case_id}")

    # --- staff -------------------------------------------------------------------------------

    def sign_in_token(self, email: str) -> str:
        def links() -> list[str]:
            return [
                _token(m["body"], "staff.html")
                for m in self.outbox()
                if m["to"] == email and "staff.html#t=" in m["body"]
            ]

        before = set(links())
        self.ok(self.post("/api/staff/sign-in", {"email": email}), 202)
        fresh = [t for t in links() if t not in before]
        assert len(fresh) == 1, f"expected one new sign-in email for {email}"
        return fresh[0]

    def session(self, role: str) -> dict[str, Any]:
        token = self.sign_in_token(STAFF[role])
        opened: dict[str, Any] = self.ok(self.post("/api/staff/session", {"token": token}))
        assert opened["role"] == role
        return opened

    def as_role(self, role: str) -> dict[str, str]:
        """``Authorization`` headers for a fresh session of ``role`` (cached per test)."""
        if role not in self._sessions:
            opened = self.session(role)
            self._sessions[role] = {"Authorization": f"Bearer {opened['session_token']}"}
        return self._sessions[role]

    def staff_case(self, case_id: str, role: str = "coordinator") -> dict[str, Any]:
        found: dict[str, Any] = self.ok(self.get(f"/api/staff/cases/{case_id}", self.as_role(role)))
        return found

    def act(self, case_id: str, action: str, body: Any, role: str = "coordinator") -> Answer:
        return self.post(f"/api/staff/cases/{case_id}/{action}", body, self.as_role(role))

    def accept(self, case_id: str, urgency: str = "general", public: bool = True) -> dict[str, Any]:
        found: dict[str, Any] = self.ok(
            self.act(case_id, "accept", {"urgency": urgency, "public": public})
        )
        return found

    def assign(
        self, case_id: str, lead: str, co_handlers: list[str] | None = None
    ) -> dict[str, Any]:
        found: dict[str, Any] = self.ok(
            self.act(case_id, "assign", {"lead": lead, "co_handlers": co_handlers or []})
        )
        return found

    def queue(self, role: str = "coordinator", **params: str) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        found: dict[str, Any] = self.ok(
            self.get("/api/staff/queue" + (f"?{query}" if query else ""), self.as_role(role))
        )
        return found

    def counts(self) -> dict[str, int]:
        return dict(self.queue()["counts"])

    # --- department --------------------------------------------------------------------------

    def link(self, department_id: str, case_id: str) -> Link:
        """The newest magic link emailed to the department for the case."""
        found = [
            m
            for m in self.outbox()
            if m["to"] == dept_email(department_id)
            and m["case_id"] == case_id
            and "handle.html#t=" in m["body"]
        ]
        assert found, f"no link for {department_id} on {case_id}"
        return Link(_token(found[-1]["body"], "handle.html"), department_id, case_id)

    def handle(self, link: Link) -> Answer:
        return self.get("/api/handle", link.headers)

    def handle_act(self, link: Link, action: str, body: Any = None) -> Answer:
        return self.post(f"/api/handle/{action}", {} if body is None else body, link.headers)

    # --- a unit's desk (单位工作台) -------------------------------------------------------------

    def desk_token(self, email: str) -> str:
        """Ask for a unit's desk link as ``email`` (one of the unit's addresses); the token of
        the one e-mail that came."""

        def tokens() -> list[str]:
            return [
                _token(m["body"], "desk.html")
                for m in self.outbox()
                if m["to"] == email and "desk.html#t=" in m["body"]
            ]

        before = set(tokens())
        self.ok(self.post("/api/desk/request", {"email": email}), 202)
        fresh = [t for t in tokens() if t not in before]
        assert len(fresh) == 1, f"expected one new desk link for {email}"
        return fresh[0]

    # --- journeys ----------------------------------------------------------------------------

    def assigned_case(
        self,
        lead: str = "dept-1",
        co_handlers: list[str] | None = None,
        urgency: str = "general",
        **overrides: Any,
    ) -> tuple[dict[str, Any], Link]:
        created = self.submit(**overrides)
        self.accept(created["case_id"], urgency)
        self.assign(created["case_id"], lead, co_handlers)
        return created, self.link(lead, created["case_id"])

    def replied_case(self, lead: str = "dept-1", **overrides: Any) -> tuple[dict[str, Any], Link]:
        created, link = self.assigned_case(lead, **overrides)
        self.ok(self.handle_act(link, "sign"))
        self.ok(self.handle_act(link, "reply", reply_body()))
        return created, link


def reply_body(outcome: str = "resolved", **extra: Any) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "text": "您好！经现场核查，电梯主板损坏，已督促物业更换并恢复运行。",
        **extra,
    }


def _token(body: str, page: str) -> str:
    found = re.search(rf"{re.escape(page)}#t=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


# Public answers that carry what citizens and departments wrote: boards, case pages, 回音壁,
# the cases behind ranking figures, Open311 requests.
CASE_TEXT = re.compile(
    r"^/(api/(cases|overdue|showcase|rankings/cases)|open311/v2/requests)([/?.].*)?$"
)


# Opaque paging tokens (base64 of a DynamoDB key): not text anyone reads, and a random case id
# inside one can look like an account name to the scrubber.
OPAQUE_KEYS = frozenset({"next_cursor", "cursor"})


def _strings(text: str) -> list[str]:
    """Every string value of a JSON answer but its paging tokens; an XML or CSV answer as a
    whole."""
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if k not in OPAQUE_KEYS)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def event_types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


@dataclass
class Recorder:
    public: list[tuple[str, str]] = field(default_factory=list)  # (path, body text)
    secrets: set[str] = field(default_factory=set)

    def note_submission(self, body: bytes) -> None:
        try:
            contact = json.loads(body or b"{}").get("contact") or {}
        except (ValueError, AttributeError, RecursionError):  # hostile bodies, refused anyway
            return
        if not isinstance(contact, dict):
            return
        for key in ("name", "phone", "email"):
            value = contact.get(key)
            if isinstance(value, str) and len(value.strip()) >= 3:
                value = value.strip()
                self.secrets.add(value[-11:] if key == "phone" else value)
        name = contact.get("name")
        if isinstance(name, str) and 3 <= len(name.strip()) <= 4 and not name.isascii():
            self.secrets.add(name.strip()[-2:])  # the given name alone (欧阳明月 → 明月)

    def unscrubbed(self) -> list[tuple[str, str]]:
        """(path, text) of every string in a public answer that the scrubber would still
        change: a surface that forgot the policy shows here whatever its text was."""
        from functions.domain.privacy import scrub

        found = []
        for path, text in self.public:
            if not CASE_TEXT.match(path):
                continue  # the directory and discovery carry the operator's own contacts
            for value in _strings(text):
                if scrub(value) != value:
                    found.append((path, value))
        return found

    def leaks(self) -> list[tuple[str, str]]:
        return [
            (path, secret)
            for path, text in self.public
            for secret in self.secrets
            if secret in text
        ]


def sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of 2026 in Shanghai."""
    from functions.domain.calendar import SHANGHAI

    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def sweep(api: Api, client: Client, at: datetime) -> dict[str, Any]:
    """The ``sla-sweep`` scheduled function at ``at``, through Chalice's Lambda test client."""
    api.set_clock(at)
    payload: dict[str, Any] = client.lambda_.invoke(
        "sla-sweep",
        client.events.generate_cw_event(
            source="aws.events", detail_type="", detail={}, resources=[]
        ),
    ).payload
    return payload
