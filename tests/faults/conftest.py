"""Fault-injection fixtures: the API layer's per-module moto and Chalice test client (every
answer is checked to be below 500 and free of contact data), plus ``faults``, an
``Injector`` hooked into every botocore client the platform uses. botocore's retry sleeps
are recorded instead of slept, so a test of retries costs no wall time."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from tests.api.conftest import PUBLIC_GET, SUBMISSIONS, _moto, api, aws, recorder  # noqa: F401
from tests.api.helpers import Recorder
from tests.faults.injector import Injector, platform_clients


@pytest.fixture
def client(aws: None, recorder: Recorder) -> Iterator[Client]:  # noqa: F811
    """The API layer's client, except that a 503 is allowed, and only as the ``unavailable``
    envelope with a Chinese message: any other 5xx fails the test at once."""
    from app import app

    with Client(app, stage_name="local") as c:
        send = c.http.request

        def request(
            method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
        ) -> Any:
            response = send(method, path, headers=headers, body=body)
            text = response.body.decode("utf-8", "replace") if response.body else ""
            if response.status_code == 503:
                answer = json.loads(text)
                if isinstance(answer, list):  # Open311's own error shape
                    assert [e["code"] for e in answer] == [503], text
                    message = answer[0]["description"]
                else:
                    assert answer["error"]["code"] == "unavailable", text
                    message = answer["error"]["message"]
                assert any("\u4e00" <= ch <= "\u9fff" for ch in message), text
            else:
                assert response.status_code < 500, (
                    f"{method} {path} → {response.status_code}: {text}"
                )
            if method.upper() == "POST" and SUBMISSIONS.match(path):
                recorder.note_submission(body)
            if method.upper() == "GET" and PUBLIC_GET.match(path):
                recorder.public.append((path, text))
            return response

        c.http.request = request  # type: ignore[method-assign]
        yield c
    leaks = recorder.leaks()
    assert not leaks, f"contact data in public responses: {leaks}"


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff between retries, recorded rather than slept."""
    import botocore.endpoint

    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture
def faults(aws: None, retry_sleeps: list[float]) -> Iterator[Injector]:  # noqa: F811
    injector = Injector()
    injector.install(platform_clients())
    yield injector
    injector.uninstall()
