"""Staff single sign-on through a government identity provider (OpenID Connect, §17, issue 19
§3), against a fake IdP on 127.0.0.1 (its discovery document and token endpoint, as a real
one answers them): the authorization code flow with PKCE S256, state and nonce; the ID
token's iss/aud/azp/exp/iat/nonce/email checked; the e-mail mapped to an active staff
account (unknown: 403); the same sign-in token as the e-mailed link's, so the second step
follows unless the deployment trusts the IdP's MFA."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import STAFF, T0, Api

CLIENT_ID = "wenzheng-platform"
CLIENT_SECRET = "s3cret-of-the-client"
SECRET_NAME = "wenzheng/oidc-client"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(claims: dict[str, Any]) -> str:
    """A compact JWS as an IdP's token endpoint answers it (the signature is not checked:
    the token came over TLS from the token endpoint, OIDC Core §3.1.3.7 (6))."""
    header = b64url(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'signature')}"


@dataclass
class FakeIdp:
    """A loopback IdP: discovery, and a token endpoint that answers the codes ``grant`` made."""

    server: ThreadingHTTPServer
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → what it grants
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    discovery_status: int = 200

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/realms/gov"

    def grant(self, authorization: str, **claims: Any) -> tuple[str, str]:
        """What the IdP does after the person signs in: a code for the request
        ``authorization`` (the platform's redirect), whose ID token has the usual claims
        (overridden or, as None, left out by ``claims``); answers (code, state)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorization).query).items()}
        now = int(T0.timestamp())
        base: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "gov-user-1",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": query["nonce"],
            "email": STAFF["operator"],
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
            if self.path != "/realms/gov/.well-known/openid-configuration":
                return self._json(404, {"error": "not_found"})
            base = idp.issuer
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


@pytest.fixture
def idp(aws: None) -> Iterator[FakeIdp]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeIdp(server)
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sso(api: Api, idp: FakeIdp, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The deployment configured for the fake IdP, its client secret in Secrets Manager."""
    import boto3

    from functions.settings import settings
    from functions.storage import identity_provider

    boto3.client("secretsmanager", region_name=settings().region).create_secret(
        Name=SECRET_NAME, SecretString=CLIENT_SECRET
    )
    monkeypatch.setenv("WZ_OIDC_ISSUER", idp.issuer)
    monkeypatch.setenv("WZ_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("WZ_OIDC_CLIENT_SECRET", SECRET_NAME)
    settings.cache_clear()
    assert settings().oidc_issuer == idp.issuer  # read now, outside a request
    identity_provider.reset()
    api.set_clock(T0)
    yield api
    settings.cache_clear()
    identity_provider.reset()


def start(api: Api) -> str:
    answer = api.get("/api/staff/oidc/start")
    assert answer.status == 302, (answer.status, answer.body)
    return answer.headers["Location"]


def callback(api: Api, code: str, state: str) -> Any:
    return api.get(f"/api/staff/oidc/callback?code={code}&state={state}")


def signed_in_token(answer: Any) -> str:
    assert answer.status == 302, (answer.status, answer.body)
    location = answer.headers["Location"]
    assert location.startswith("http://wenzheng.test/staff.html#t="), location
    return str(location.split("#t=", 1)[1])


def test_a_staff_member_signs_in_through_the_idp_and_the_page_opens_the_session(
    sso: Api, idp: FakeIdp
) -> None:
    api = sso
    assert api.ok(api.get("/api/staff/oidc")) == {
        "enabled": True,
        "label": "政务服务统一身份认证",
        "start": "/api/staff/oidc/start",
    }
    authorization = start(api)
    parts = urlsplit(authorization)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}".startswith(idp.issuer)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["scope"] == "openid email"
    assert query["redirect_uri"] == "http://wenzheng.test/api/staff/oidc/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43

    code, state = idp.grant(authorization)
    token = signed_in_token(callback(api, code, state))
    # The client authenticated at the token endpoint, with the verifier of the challenge.
    [sent] = idp.token_requests
    assert sent["form"]["grant_type"] == "authorization_code"
    assert sent["form"]["redirect_uri"] == query["redirect_uri"]
    verifier = sent["form"]["code_verifier"]
    assert b64url(hashlib.sha256(verifier.encode()).digest()) == query["code_challenge"]
    assert verifier not in authorization  # the verifier never went through the browser

    opened = api.ok(api.post("/api/staff/session", {"token": token}))
    assert opened["step"] == "session" and opened["email"] == STAFF["operator"]
    # Single use: the state, and the sign-in token.
    again = callback(api, code, state)
    assert again.status == 401 and again.code == "oidc_state_invalid"
    assert api.post("/api/staff/session", {"token": token}).status == 401


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://another-idp.example/realms/gov"}, "another issuer"),
        ({"aud": "another-client"}, "another audience"),
        ({"aud": [CLIENT_ID, "another-client"]}, "two audiences, no azp"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "authorised for another party"),
        ({"exp": int((T0 - timedelta(minutes=2)).timestamp())}, "expired"),
        ({"iat": int((T0 + timedelta(minutes=5)).timestamp())}, "issued in the future"),
        ({"nonce": "a-nonce-of-another-sign-in"}, "another sign-in's nonce"),
        ({"email": None}, "no email"),
        ({"email_verified": False}, "an unverified email"),
    ],
)
def test_an_id_token_that_fails_a_check_signs_no_one_in(
    sso: Api, idp: FakeIdp, claims: dict[str, Any], why: str
) -> None:
    api = sso
    code, state = idp.grant(start(api), **claims)
    refused = callback(api, code, state)
    assert refused.status == 401 and refused.code == "oidc_token_invalid", why
    assert "统一身份认证" in refused.error["message"]


def test_two_audiences_with_our_azp_are_accepted(sso: Api, idp: FakeIdp) -> None:
    api = sso
    code, state = idp.grant(start(api), aud=[CLIENT_ID, "other"], azp=CLIENT_ID)
    signed_in_token(callback(api, code, state))


def test_an_account_the_directory_does_not_hold_or_has_disabled_is_refused_in_chinese(
    sso: Api, idp: FakeIdp
) -> None:
    api = sso
    code, state = idp.grant(start(api), email="zhang.san@gov.example")
    refused = callback(api, code, state)
    assert refused.status == 403 and refused.code == "not_staff"
    assert "未登记为本平台的工作人员" in refused.error["message"]
    admin = api.as_role("admin")
    api.ok(api.post(f"/api/admin/staff/{STAFF['operator']}/disable", {}, admin))
    code, state = idp.grant(start(api))
    assert callback(api, code, state).code == "not_staff"


def test_the_idp_refusing_the_code_or_answering_an_error_signs_no_one_in(
    sso: Api, idp: FakeIdp
) -> None:
    api = sso
    _, state = idp.grant(start(api))
    refused = callback(api, "a-code-the-idp-never-issued", state)
    assert refused.status == 401 and refused.code == "oidc_rejected"
    state = parse_qs(urlsplit(start(api)).query)["state"][0]
    denied = api.get(f"/api/staff/oidc/callback?error=access_denied&state={state}")
    assert denied.status == 401 and denied.code == "oidc_denied"
    missing = api.get(f"/api/staff/oidc/callback?state={state}")
    assert missing.status == 400 and "code" in missing.fields
    # A state nobody started.
    code, _ = idp.grant(start(api))
    forged = callback(api, code, "a-state-the-platform-never-made")
    assert forged.status == 401 and forged.code == "oidc_state_invalid"


def test_an_expired_state_signs_no_one_in(sso: Api, idp: FakeIdp) -> None:
    api = sso
    code, state = idp.grant(start(api))
    api.advance(timedelta(minutes=10, seconds=1))
    assert callback(api, code, state).code == "oidc_state_invalid"


def test_an_idp_that_cannot_be_reached_is_a_503_and_no_configuration_a_404(
    sso: Api, idp: FakeIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.test import Client

    from app import app
    from functions.settings import settings

    api = sso
    idp.discovery_status = 500
    # The suite's client fails a test on any 5xx: this one goes through a client of its own.
    with Client(app, stage_name="local") as own:
        down = own.http.get("/api/staff/oidc/start")
    assert down.status_code == 503
    assert json.loads(down.body)["error"]["code"] == "idp_unavailable"
    monkeypatch.setenv("WZ_OIDC_ISSUER", "")
    settings.cache_clear()
    assert settings().oidc_issuer == ""
    assert api.ok(api.get("/api/staff/oidc")) == {"enabled": False}
    off = api.get("/api/staff/oidc/start")
    assert off.status == 404 and off.code == "oidc_not_configured"


def test_a_plain_http_issuer_off_loopback_is_refused() -> None:
    from functions.storage import identity_provider

    with pytest.raises(identity_provider.Unreachable):
        identity_provider.discovery("http://idp.gov.example/realms/gov")


@pytest.fixture
def totp_for_operators(sso: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from functions.settings import settings

    monkeypatch.setenv("WZ_STAFF_TOTP_ROLES", "operator")
    settings.cache_clear()
    assert settings().staff_totp_roles == frozenset({"operator"})
    yield sso


def test_the_second_step_follows_unless_the_deployment_trusts_the_idps_mfa(
    totp_for_operators: Api, idp: FakeIdp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import settings

    api = totp_for_operators
    code, state = idp.grant(start(api), amr=["pwd", "mfa"])
    token = signed_in_token(callback(api, code, state))
    step = api.ok(api.post("/api/staff/session", {"token": token}))
    assert step["step"] == "enrol"  # not trusted: the TOTP step as after an e-mailed link

    monkeypatch.setenv("WZ_OIDC_TRUST_MFA", "1")
    settings.cache_clear()
    assert settings().oidc_trust_mfa
    code, state = idp.grant(start(api), amr=["pwd", "mfa"])
    token = signed_in_token(callback(api, code, state))
    opened = api.ok(api.post("/api/staff/session", {"token": token}))
    assert opened["step"] == "session"  # the IdP's MFA stands in for the TOTP step
    code, state = idp.grant(start(api), amr=["pwd"])
    token = signed_in_token(callback(api, code, state))
    assert api.ok(api.post("/api/staff/session", {"token": token}))["step"] == "enrol"
    # The e-mailed link is no IdP sign-in: the second step as ever.
    link = api.sign_in_token(STAFF["operator"])
    assert api.ok(api.post("/api/staff/session", {"token": link}))["step"] == "enrol"
