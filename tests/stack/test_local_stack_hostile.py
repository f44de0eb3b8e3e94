"""Malformed HTTP against the local stack's server over raw sockets (issue 13 §2): each gets a
status line (the platform's error envelope on API paths), none empties the reply or hangs, a
slow client does not hold up others, and the server serves on afterwards. The root causes
are described in infra/local_http.py."""

from __future__ import annotations

import http.client
import json
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import pytest

from tests.localstack import Stack, start, stop

pytestmark = pytest.mark.stack

# Small, so the 408 tests wait seconds rather than the default 10; large enough that a
# normal request on a busy machine is answered well within it.
READ_TIMEOUT = 4
ANSWER_WITHIN = 30  # seconds a test waits for any answer before calling it a hang


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    running = start("--empty", env={"WZ_LOCAL_READ_TIMEOUT": str(READ_TIMEOUT)})
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop(running)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def error_code(self) -> str:
        assert self.headers["Content-Type"].startswith("application/json"), self.headers
        return str(json.loads(self.body)["error"]["code"])


def _connect(stack: Stack) -> socket.socket:
    address = urlsplit(stack.base)
    return socket.create_connection((address.hostname, address.port), timeout=ANSWER_WITHIN)


def _read_reply(stream: BinaryIO) -> Reply:
    """One answer from the connection's stream (several may follow on one connection)."""
    line = stream.readline(65537)
    assert line, "an empty reply"
    version, status, _ = line.split(b" ", 2)
    assert version == b"HTTP/1.1", line
    headers = http.client.parse_headers(stream)
    return Reply(int(status), headers, stream.read(int(headers.get("Content-Length") or 0)))


def _exchange(stack: Stack, raw: bytes) -> Reply:
    with _connect(stack) as sock, sock.makefile("rb") as stream:
        sock.sendall(raw)
        return _read_reply(stream)


def _get(path: str, *headers: bytes) -> bytes:
    lines = [f"GET {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _post(path: str, body: bytes, *headers: bytes, length: bool = False) -> bytes:
    """A POST with ``headers``; with ``length``, its true Content-Length too."""
    lines = [
        f"POST {path} HTTP/1.1".encode(),
        b"Host: 127.0.0.1",
        b"Content-Type: application/json",
        *headers,
        *([b"Content-Length: %d" % len(body)] if length else []),
        b"Connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _serves_on(stack: Stack) -> None:
    reply = _exchange(stack, _get("/api/taxonomy"))
    assert reply.status == 200 and json.loads(reply.body)["platform_name"]


SIGN_IN = "/api/staff/sign-in"
EMAIL = b'{"email": "nobody@example.com"}'
SUBMISSION = json.dumps(
    {
        "kind": "complaint",
        "category": "urban",
        "district": "city",
        "location": {"address": "翠湖街与解放路交叉口"},
        "title": "滨河路路灯不亮",
        "content": "滨河路与翠湖街交叉口的路灯已经一周不亮。",
        "contact": {"phone": "13800001234"},
        "public": False,
    }
).encode()

MALFORMED: dict[str, tuple[bytes, int, str | None]] = {
    # name: (request, status, code of the error envelope; None: a site path or no envelope)
    "content length not a number": (
        _post(SIGN_IN, EMAIL, b"Content-Length: abc"),
        400,
        "bad_request",
    ),
    "negative content length": (_post(SIGN_IN, EMAIL, b"Content-Length: -5"), 400, "bad_request"),
    "two different content lengths": (
        _post(SIGN_IN, EMAIL, b"Content-Length: 5", length=True),
        400,
        "bad_request",
    ),
    "content length of gigabytes": (
        _post(SIGN_IN, EMAIL, b"Content-Length: 99999999999"),
        413,
        "too_large",
    ),
    "chunked body": (
        _post(SIGN_IN, b"2\r\n{}\r\n0\r\n\r\n", b"Transfer-Encoding: chunked"),
        411,
        "length_required",
    ),
    "url over 64 KiB on the API": (_get("/api/cases?q=" + "a" * 70_000), 414, "uri_too_long"),
    "url over 64 KiB on the site": (_get("/" + "a" * 70_000), 414, None),
    "segment over 255 bytes on the site": (_get("/" + "a" * 300 + ".html"), 404, None),
    "segment over 255 bytes in a case id": (_get("/api/cases/" + "a" * 300), 404, "case_not_found"),
    "segment over 255 bytes in a schema name": (
        _get("/api/schemas/" + "a" * 300),
        404,
        "schema_not_found",
    ),
    "NUL in a site path": (_get("/a\x00b.html"), 404, None),
    "header line over 64 KiB": (
        _get("/api/taxonomy", b"X-A: " + b"a" * 70_000),
        431,
        "headers_too_large",
    ),
    "request line with a space in the path": (
        b"GET /api/cases/a b HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
        "bad_request",
    ),
    "HTTP/0.9 request": (b"GET /\r\n", 400, None),
    "binary request line": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, None),
    "made-up method": (b"FOO /api/taxonomy HTTP/1.1\r\nHost: x\r\n\r\n", 405, None),
    "CONNECT": (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 405, None),
    "non-ASCII Authorization on no route": (
        _get("/api/no/such/route", b"Authorization: Bearer \xff\xfe"),
        403,
        None,
    ),
    "non-ASCII Authorization on a staff route": (
        _get("/api/staff/me", b"Authorization: Bearer \xff\xfe"),
        401,
        "unauthorized",
    ),
    "odd bytes in X-Link-Token": (_get("/api/handle", b"X-Link-Token: \xff\x00\x01"), 401, None),
    "odd bytes in Idempotency-Key": (
        _post("/api/cases", SUBMISSION, b"Idempotency-Key: \xff\xfe\x80", length=True),
        201,
        None,
    ),
    "percent-encoded lone surrogate in a path and a query": (
        _get("/api/cases/%ED%A0%80?district=%ED%A0%80"),
        404,
        "case_not_found",
    ),
    "invalid UTF-8 in a path": (_get("/api/cases/%FF"), 404, "case_not_found"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_request_gets_its_status_and_the_server_serves_on(
    stack: Stack, name: str
) -> None:
    request, status, code = MALFORMED[name]
    reply = _exchange(stack, request)
    assert reply.status == status, (reply.status, reply.body[:300])
    if code is not None:
        assert reply.error_code == code
        envelope = json.loads(reply.body)["error"]
        assert envelope["message"] and envelope["message_en"]
    _serves_on(stack)


def test_a_body_shorter_than_its_content_length_is_a_408_and_others_are_served_meanwhile(
    stack: Stack,
) -> None:
    with _connect(stack) as slow, slow.makefile("rb") as stream:
        slow.sendall(_post(SIGN_IN, b'{"email": ', b"Content-Length: 100"))
        _serves_on(stack)  # another client, while the slow one's body is still awaited
        waiting = select.select([slow], [], [], 0)[0]
        assert not waiting, "the slow client was answered before the others were served"
        reply = _read_reply(stream)
    assert reply.status == 408 and reply.error_code == "request_timeout"
    assert reply.headers["Connection"] == "close"
    _serves_on(stack)


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_at_one_deadline(stack: Stack) -> None:
    """Each byte arrives within the read timeout, so a timeout per read would wait for all
    100 of them (50 s); the deadline for the whole body answers 408 after READ_TIMEOUT."""
    with _connect(stack) as slow, slow.makefile("rb") as stream:
        slow.sendall(_post(SIGN_IN, b"", b"Content-Length: 100"))
        answered = False
        for _ in range(100):
            if select.select([slow], [], [], 0.5)[0]:
                answered = True
                break
            slow.sendall(b" ")
        assert answered, "the trickle was never cut off"
        reply = _read_reply(stream)
    assert reply.status == 408 and reply.error_code == "request_timeout"
    _serves_on(stack)


def test_requests_with_bodies_keep_their_framing_on_one_keep_alive_connection(
    stack: Stack,
) -> None:
    """The body is read with the request, for every method and path: a static GET's body is
    not taken for the next request on the connection."""
    sign_in = _post(SIGN_IN, EMAIL, length=True).replace(b"Connection: close\r\n", b"")
    page = b"GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    with _connect(stack) as sock, sock.makefile("rb") as stream:
        sock.sendall(sign_in + page + _get("/api/taxonomy"))
        statuses = [_read_reply(stream).status for _ in range(3)]
    assert statuses == [202, 200, 200]
