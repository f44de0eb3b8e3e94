"""HTTP/1.1 for the local stack's server (``infra.local_stack``), held to what API Gateway
does in front of the deployed platform when a client sends something malformed: an answer
with a status, never a dropped connection, and no client holding a thread forever.

``chalice.local``'s handler and the standard library's ``http.server`` left these to the
caller; outside testing found each (issue 13 §2):

- ``Content-Length: abc``: chalice's ``int()`` raised and the connection closed without an
  answer. Now 400, as is a negative, repeated-and-different or non-decimal length.
- A Content-Length larger than the body sent: ``rfile.read(n)`` on a socket without a
  timeout waited forever. Now the whole body must arrive within ``read_timeout()`` seconds
  (one deadline, not per read, so a trickle does not extend it), else 408.
- A Content-Length of gigabytes: ``read(n)`` allocates n bytes up front (MemoryError). Now
  413 above API Gateway's 10 MB payload limit, unread.
- ``Transfer-Encoding``: chalice ignored it and read the chunks as the next request. 411.
- Errors the standard library answers itself (414 for a request line over 64 KB, 400 for a
  malformed one, 431 for headers): its ``send_error`` logs first, and the stack's request
  log read ``self.path``, which a request line that did not parse never set, so the log
  line raised and the answer was never written. ``send_error`` here logs safely and answers
  in the platform's error envelope for API paths.
- A request line that does not parse was answered HTTP/0.9-style, a bare body without a
  status line; an HTTP/0.9 request (``GET /``) waited for headers. Both are 400s now.
- An answer that closes the connection while the client is still sending (the rest of a
  long URL, a refused body) is followed by a short lingering read: closing a socket with
  unread input sends a TCP reset, which can destroy the answer before the client reads it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from typing import Any

from chalice.local import ChaliceRequestHandler, ForbiddenError, LocalGateway

from infra.local_gateway import route_greedily
from infra.security_headers import deployment_security_headers

log = logging.getLogger("wenzheng.local")

API_PREFIXES = ("/api/", "/open311/")
# API Gateway refuses payloads over 10 MB itself; the app's own limit (64 KiB) is far lower.
MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_READ_TIMEOUT = 10.0
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
_LENGTH = re.compile(r"[0-9]{1,12}")

# status → (code, message, message_en) of the error envelope
ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式不正确", "the request is malformed"),
    408: ("request_timeout", "请求超时，内容未能按时送达", "the request did not arrive in time"),
    411: ("length_required", "请以 Content-Length 给出请求内容的长度", "send a Content-Length"),
    413: ("too_large", "提交内容过大", "the body is too large"),
    414: ("uri_too_long", "网址过长", "the URL is too long"),
    431: ("headers_too_large", "请求头过大", "the request headers are too large"),
    501: ("not_implemented", "不支持的请求方法", "the method is not supported"),
    505: ("http_version_not_supported", "不支持的 HTTP 版本", "HTTP version not supported"),
}


# A secret a client may send in a query string (Open311's api_key, the one-click unsubscribe
# link's token): never in the request log.
_SECRET_QUERY = re.compile(r"((?:^|[?&])(?:api_key|token)=)[^&\s]*", re.IGNORECASE)


def read_timeout() -> float:
    """Seconds a client has to send a whole body (and for each read of its request line and
    headers): ``WZ_LOCAL_READ_TIMEOUT``, default 10; tests set it small."""
    return float(os.environ.get("WZ_LOCAL_READ_TIMEOUT") or DEFAULT_READ_TIMEOUT)


class Gateway(LocalGateway):
    """Chalice's local API Gateway, which quotes the ``Authorization`` header as ASCII in its
    answer to a path no route has: a header with other bytes raised instead of answering."""

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # no route
            auth = headers.get("authorization", headers.get("Authorization"))
            if auth is None or str(auth).isascii():
                raise  # chalice answers it as API Gateway does
            raise ForbiddenError(
                {"x-amzn-ErrorType": "UnauthorizedException"},
                b'{"message": "Missing Authentication Token"}',
            ) from None


class GuardedRequestHandler(ChaliceRequestHandler):
    """``ChaliceRequestHandler`` with the framing above. The body is read while the request is
    parsed, so every method (API or static) leaves the connection at the next request."""

    timeout = DEFAULT_READ_TIMEOUT  # socketserver sets it on the connection: every read/write
    # An answer to a request line that does not parse still carries a status line (the
    # standard library's default, HTTP/0.9, sends the bare body).
    default_request_version = "HTTP/1.0"
    _body: bytes | None = None
    _linger = False

    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: Any,
        app_object: Any,
        config: Any,
    ) -> None:
        # What ChaliceRequestHandler.__init__ does, with our gateway: the base class handles the
        # whole connection inside its __init__, so the gateway must exist before it is called.
        self.local_gateway = Gateway(app_object, config)
        # ...and API Gateway's greedy path variables (``/open311/{proxy+}``).
        route_greedily(self.local_gateway, app_object)
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def handle_one_request(self) -> None:
        # Nothing of the connection's previous request may name this one (a request line that
        # does not parse, or a keep-alive connection timing out while idle), and an error
        # answer finds what it needs before the request line is parsed.
        self.command = None  # type: ignore[assignment]
        self.raw_requestline, self.requestline = b"", ""
        self.request_version = self.default_request_version
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError):  # the client went away: nobody to answer
            self.close_connection = True

    # --- which request --------------------------------------------------------------------

    def _target(self) -> str:
        """The request's path, also when its request line did not parse (a 414 or 400 the
        standard library answers): then as far as the raw line shows it."""
        if self.command:
            return self.path
        words = str(self.raw_requestline[:4096], "iso-8859-1").split()
        return words[1] if len(words) > 1 else ""

    def _is_api(self) -> bool:
        target = self._target()
        return target.startswith(API_PREFIXES) or target == "/api"

    # --- the body ---------------------------------------------------------------------------

    def parse_request(self) -> bool:
        self._body = None
        if len(self.raw_requestline.split()) == 2:
            # HTTP/0.9 ("GET /"): the standard library would wait for headers that never come.
            self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
            self.close_connection = True
            self.send_error(400, "HTTP/0.9 is not supported")
            return False
        return super().parse_request() and self._receive_body()

    def _receive_body(self) -> bool:
        """Read the body the headers announce, or answer why not (400, 408, 411, 413)."""
        if self.headers.get("Transfer-Encoding") is not None:
            self.send_error(411)
            return False
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return True
        announced = lengths.pop()
        if lengths or not _LENGTH.fullmatch(announced):
            self.send_error(400, "bad Content-Length")
            return False
        length = int(announced)
        from infra.local_media import MAX_FORM_BYTES, UPLOAD_PATH

        limit = MAX_FORM_BYTES if self._target() == UPLOAD_PATH else MAX_BODY_BYTES
        if length > limit:
            self.send_error(413)
            return False
        if length == 0:
            return True
        try:
            body = self._read(length)
        except TimeoutError:
            self.send_error(408)
            return False
        if body is None:  # the client closed before sending it all: nobody to answer
            self.close_connection = True
            return False
        self._body = body
        return True

    def _read(self, length: int) -> bytes | None:
        """``length`` bytes within one deadline, or None if the client closes first."""
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        missing = length
        try:
            while missing:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the body did not arrive in time")
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(missing, 64 * 1024))  # type: ignore[attr-defined]
                if not chunk:
                    return None
                chunks.append(chunk)
                missing -= len(chunk)
        finally:
            self.connection.settimeout(self.timeout)
        return b"".join(chunks)

    def _parse_payload(self) -> tuple[dict[str, Any], bytes | None]:
        """What chalice's handler passes on to its gateway: the body read above."""
        return dict(self.headers), self._body

    # --- errors -----------------------------------------------------------------------------

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's error answers (and ours) in the platform's envelope on API
        paths, plain text elsewhere; always closing the connection."""
        name, zh, en = ERRORS.get(code, ("error", "请求无法处理", "the request cannot be handled"))
        self.log_error("code %d, message %s", code, message or en)
        if self._is_api():
            envelope = {"error": {"code": name, "message": zh, "message_en": en}}
            body = json.dumps(envelope).encode()
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            }
        else:
            body = f"{zh} {en}".encode()
            headers = {"Content-Type": "text/plain; charset=utf-8", **deployment_security_headers()}
        self.send_response(code)
        self.send_header("Connection", "close")
        for header, value in headers.items():
            self.send_header(header, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._linger = True

    def finish(self) -> None:
        super().finish()
        if self._linger:
            self._drain()

    def _drain(self) -> None:
        """Read (and drop) what the client is still sending, for at most LINGER_SECONDS and
        LINGER_BYTES, after the answer has gone out and our side is shut."""
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while drained < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.connection.settimeout(left)
                chunk = self.connection.recv(64 * 1024)
                if not chunk:
                    return
                drained += len(chunk)
        except OSError:  # reset or timed out: the client is gone or still talking; we are done
            return

    def log_message(self, format: str, *args: Any) -> None:
        if self._is_api():
            line = _SECRET_QUERY.sub(r"\1-", format % args)  # api_key, token: never logged
            log.info("%s %s", self.command or "-", line)
