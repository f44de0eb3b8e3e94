"""Staff single sign-on through a government identity provider (OpenID Connect, §17, issue 19
§3), against a fake IdP on 127.0.0.1 (its discovery document and token endpoint, as a real
one answers them): the authorization code flow with PKCE S256, state and nonce; the ID
token's iss/aud/azp/exp/iat/nonce/email checked; the e-mail mapped to an active staff
account (unknown: 403); the same sign-in token as the e-mailed link's, so the second step
follows unless the deployment trusts the IdP's MFA."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import STAFF, T0, Api
from tests.fake_idp import CLIENT_ID, CLIENT_SECRET, SECRET_NAME, FakeIdp, b64url, running


@pytest.fixture
def idp(aws: None) -> Iterator[FakeIdp]:
    from functions import clock

    with running(clock.utcnow, STAFF["operator"]) as fake:
        yield fake


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


# The cookie each start set, by the test's client: what that browser sends to the callback.
_BROWSER: dict[int, str] = {}


def start(api: Api) -> str:
    answer = api.get("/api/staff/oidc/start")
    assert answer.status == 302, (answer.status, answer.body)
    _BROWSER[id(api)] = _browser_cookie(answer)
    return answer.headers["Location"]


def _browser_cookie(answer: Any) -> str:
    name, _, rest = answer.headers["Set-Cookie"].partition("=")
    assert name == "wz_oidc"
    return rest.split(";", 1)[0]


def callback(api: Api, code: str, state: str, cookie: str | None = None) -> Any:
    """The browser coming back from the IdP with its ``wz_oidc`` cookie (``cookie`` given:
    that one, as another browser would send its own)."""
    sent = _BROWSER.get(id(api), "") if cookie is None else cookie
    headers = {"Cookie": f"wz_oidc={sent}"} if sent else {}
    return api.get(f"/api/staff/oidc/callback?code={code}&state={state}", headers)


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


def test_starting_sign_ins_counts_against_the_sign_in_limit_per_address(
    sso: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each start keeps a state for ten minutes: a flood of them from one address is refused
    like a flood of e-mailed link requests (``signin_ip``, shared with them)."""
    from functions.settings import settings

    api = sso
    monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")  # the suite runs with them off
    monkeypatch.setenv("WZ_RATE_LIMITS", "signin_ip=2/1h")
    settings.cache_clear()
    assert settings().rate_limits_enabled
    start(api)
    api.ok(api.post("/api/staff/sign-in", {"email": STAFF["operator"]}), 202)
    refused = api.get("/api/staff/oidc/start")
    assert refused.status == 429 and refused.code == "rate_limited"


def test_a_sign_in_finishes_only_in_the_browser_that_started_it(sso: Api, idp: FakeIdp) -> None:
    """Login CSRF (RFC 6749 §10.12): someone who starts a sign-in with their own IdP account
    and hands the callback URL to another person's browser signs no one in there; the start's
    cookie is HttpOnly, SameSite=Lax, for the callback's path only, and the callback clears it."""
    api = sso
    started = api.get("/api/staff/oidc/start")
    cookie = started.headers["Set-Cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes
    assert "Path=/api/staff/oidc/callback" in attributes and "Max-Age=600" in attributes
    assert "Secure" not in attributes  # the test deployment's site is http://wenzheng.test
    mine = _browser_cookie(started)
    code, state = idp.grant(started.headers["Location"])

    for other in (
        "",
        "a-cookie-of-another-sign-in",
        _browser_cookie(api.get("/api/staff/oidc/start")),
    ):
        refused = (
            callback(api, code, state, cookie=other)
            if other
            else api.get(f"/api/staff/oidc/callback?code={code}&state={state}")
        )
        assert refused.status == 401 and refused.code == "oidc_other_browser", refused.body
        assert "本浏览器" in refused.body["error"]["message"]

    # The browser that started it still finishes it (the refusals spent nothing).
    done = callback(api, code, state, cookie=mine)
    signed_in_token(done)
    assert (
        done.headers["Set-Cookie"].startswith("wz_oidc=;")
        and "Max-Age=0" in done.headers["Set-Cookie"]
    )
