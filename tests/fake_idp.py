"""A government identity provider on 127.0.0.1 for the single sign-on tests (OpenID Connect,
§17): its discovery document, an authorization endpoint that signs the configured person in
at once and sends the browser back with a code, and a token endpoint that checks the client's
credentials, the code, its redirect URI and the PKCE verifier, and answers an ID token with
the usual claims (a test overrides or drops them per code)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "wenzheng-platform"
CLIENT_SECRET = "s3cret-of-the-client"
SECRET_NAME = "wenzheng/oidc-client"
REALM = "/realms/gov"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(claims: dict[str, Any]) -> str:
    """A compact JWS as an IdP's token endpoint answers it (the signature is not checked:
    the token came over TLS from the token endpoint, OIDC Core §3.1.3.7 (6))."""
    header = b64url(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'signature')}"


@dataclass
class FakeIdp:
    server: ThreadingHTTPServer
    clock: Callable[[], datetime]  # the platform's: the ID tokens' iat and exp
    email: str = ""  # whom the authorization endpoint signs in
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → what it grants
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    discovery_status: int = 200

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{REALM}"

    def grant(self, authorization: str, **claims: Any) -> tuple[str, str]:
        """What the IdP does after the person signs in: a code for the request
        ``authorization`` (the platform's redirect), whose ID token has the usual claims
        (overridden or, as None, left out by ``claims``); answers (code, state)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization).query).items()}
        now = int(self.clock().timestamp())
        base: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "gov-user-1",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": query["nonce"],
            "email": self.email,
            "email_verified": True,
        }
        base.update(claims)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "claims": {k: v for k, v in base.items() if v is not None},
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
        }
        return code, query["state"]


def _handler(idp: FakeIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            base = idp.issuer
            path = urlsplit(self.path).path
            if path == f"{REALM}/protocol/openid-connect/auth":
                # The person signs in at once: back to the platform with a code.
                code, state = idp.grant(base + self.path)
                query = parse_qs(urlsplit(self.path).query)
                back = query["redirect_uri"][0] + "?" + urlencode({"code": code, "state": state})
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path != f"{REALM}/.well-known/openid-configuration":
                return self._json(404, {"error": "not_found"})
            self._json(
                idp.discovery_status,
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/protocol/openid-connect/auth",
                    "token_endpoint": f"{base}/protocol/openid-connect/token",
                    "jwks_uri": f"{base}/protocol/openid-connect/certs",
                },
            )

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            idp.token_requests.append(
                {"path": self.path, "form": form, "auth": self.headers.get("Authorization")}
            )
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                return self._json(401, {"error": "invalid_client"})
            granted = idp.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if (
                granted is None
                or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != granted["redirect_uri"]
                or b64url(hashlib.sha256(verifier.encode()).digest()) != granted["challenge"]
            ):
                return self._json(400, {"error": "invalid_grant"})
            self._json(
                200,
                {
                    "access_token": "at",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": jws(granted["claims"]),
                },
            )

    return Handler


@contextmanager
def running(clock: Callable[[], datetime], email: str) -> Iterator[FakeIdp]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeIdp(server, clock, email)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
