"""API-layer fixtures. Every request a test makes goes through a recording wrapper that

- fails the test at once on any 5xx (a client error is never a server error), and
- keeps the body of every answer of a PUBLIC route and every log line; at teardown none may
  contain a contact's phone number, email, full name or given name submitted during the test,
  and no text of a public answer may hold anything the scrubber would still remove (a phone
  number, ID number, e-mail, QQ/WeChat id or flat number written into the text) (§8)."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from tests.api.helpers import T0, Api, Recorder

# Every public GET: the board, case pages, 回音壁, rankings and their drill-downs and CSV, the
# directory, and Open311 (JSON and XML).
PUBLIC_GET = re.compile(
    r"^/(api/(cases(/[^/?]+)?|taxonomy|departments|overdue|showcase"
    r"|rankings(/cases|\.csv)?)|open311/.*)(\?.*)?$"
)
SUBMISSIONS = re.compile(r"^/api/(staff/)?cases$")


@pytest.fixture(scope="module")
def _moto() -> Iterator[None]:
    """The mock on for the whole module (tests/moto_account.py), each test's state made by
    ``fresh_state``. (Module, not package, scope: ``tests/`` has no ``__init__.py``, so a
    package-scoped fixture would live for the whole session and its mock would leak into the
    other test directories.)"""
    from tests.moto_account import account

    with account():
        yield


def fresh_state() -> None:
    """Empty tables, the test city and staff, the platform clock not shifted."""
    from functions import clock
    from infra import bootstrap
    from tests.conftest import TEST_CITY
    from tests.moto_account import fresh

    fresh()
    clock.reset()
    bootstrap.load_city(TEST_CITY)


@pytest.fixture
def aws(_moto: None) -> Iterator[None]:
    """Overrides the suite's ``aws``: the same fresh state per test (empty tables, the test
    city and staff), with the mock on for the whole module."""
    from functions import clock
    from functions.storage import directory

    fresh_state()
    yield
    clock.reset()
    directory.clear_cache()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(aws: None, recorder: Recorder) -> Iterator[Client]:
    with checked_client(recorder) as c:
        yield c


@contextlib.contextmanager
def checked_client(recorder: Recorder) -> Iterator[Client]:
    """The ``client`` fixture's: the app's test client, its requests checked as the module
    docstring says. (Also the permission recording's, tests/infra/test_permissions.py, which
    runs API tests as its drivers with the same checks.)"""
    from app import app
    from infra.local_gateway import route_greedily

    # The platform clock stands still (tests/conftest.py ``still_clock``) unless a test moves it.
    with Client(app, stage_name="local") as c:
        # Greedy path variables (/open311/{proxy+}) matched as API Gateway matches them.
        route_greedily(c.http._local_gateway, app)
        send = c.http.request

        def request(
            method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
        ) -> Any:
            response = send(method, path, headers=headers, body=body)
            text = response.body.decode("utf-8", "replace") if response.body else ""
            assert response.status_code < 500, f"{method} {path} → {response.status_code}: {text}"
            if method.upper() == "POST" and SUBMISSIONS.match(path):
                recorder.note_submission(body)
            if method.upper() == "GET" and PUBLIC_GET.match(path):
                recorder.public.append((path, text))
            return response

        c.http.request = request  # type: ignore[method-assign]
        lines = _LogLines()
        with lines.attached():
            yield c
    leaks = recorder.leaks()
    assert not leaks, f"contact data in public responses: {leaks}"
    unscrubbed = recorder.unscrubbed()
    assert not unscrubbed, f"personal data left in public text: {unscrubbed}"
    logged = [
        (line, secret) for line in lines.messages for secret in recorder.secrets if secret in line
    ]
    assert not logged, f"contact data in log lines: {logged}"


class _LogLines(logging.Handler):
    """Every log line the platform writes during a test, whole as it is written (message,
    keys, traceback) (§8: contact data never in a log)."""

    def __init__(self) -> None:
        from functions.logs import JsonFormatter

        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        # Chalice's app logger ("wenzheng", parent of the platform's loggers) does not
        # propagate to the root: listen on both.
        loggers = [logging.getLogger(), logging.getLogger("wenzheng")]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeHandler(self)


@pytest.fixture
def written(client: Client) -> Iterator[io.StringIO]:
    """What the app's log handler writes while the test runs: the JSON lines CloudWatch gets."""
    from app import app
    from functions.logs import JsonFormatter

    [handler] = [
        h
        for h in app.log.handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    buffer = io.StringIO()
    before = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(before)  # type: ignore[arg-type]


@pytest.fixture
def api(client: Client) -> Api:
    """The JSON helper, with the platform clock at T0 (Mon 10:00 in Shanghai)."""
    from functions import clock

    clock.set_now(T0)
    return Api(client)
