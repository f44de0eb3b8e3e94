"""Staff single sign-on through the city's government identity provider (OpenID Connect, §17,
issue 19 §3), beside the e-mailed link, when the deployment names an issuer (``WZ_OIDC_*``).

``start``: a ``state`` (kept ten minutes, used once, with its PKCE verifier and ``nonce``) and
the IdP's authorization URL. ``callback``: the state spent, the code exchanged at the token
endpoint over TLS (client secret from Secrets Manager), the ID token checked
(functions/domain/oidc.py), its e-mail mapped to an active staff account (unknown: 403, no
account is created: the IdP says who, the directory says what they may do), and a single-use
sign-in token made, as the e-mailed link's: the page opens ``staff.html#t=…`` and goes on as
from the link, the second step included unless the deployment trusts the IdP's MFA
(``WZ_OIDC_TRUST_MFA``) and the ID token asserts it.

The sign-in is bound to the browser that started it (login CSRF, RFC 6749 §10.12): ``start``
also makes a random value the route sets as a cookie (``BROWSER_COOKIE``, HttpOnly,
SameSite=Lax, for the callback's path only) and keeps its digest with the state; the callback
is refused unless the browser brings it back. Without it, someone with accounts at the IdP and
here could have another person's browser finish their own sign-in."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta

from functions.domain import oidc as rules
from functions.domain.errors import (
    Forbidden,
    NotFound,
    Unauthorized,
    Unavailable,
    invalid_field,
)
from functions.settings import settings
from functions.storage import directory, secrets, tokens
from functions.storage import identity_provider as idp
from functions.storage.models import TokenModel

STATE = "oidc-state"
BROWSER_COOKIE = "wz_oidc"  # infra/template.py forwards it to the callback's path only
BROWSER_SECONDS = rules.STATE_MINUTES * 60  # the cookie lives as long as the state
SIGNIN_MINUTES = 5  # the callback's sign-in token: the page exchanges it at once

log = logging.getLogger("wenzheng.security")


def configured() -> bool:
    s = settings()
    return bool(s.oidc_issuer and s.oidc_client_id and s.oidc_client_secret)


def redirect_uri() -> str:
    return f"{settings().public_base_url}/api/staff/oidc/callback"


def _not_configured() -> NotFound:
    return NotFound(
        "本平台未启用统一身份认证登录，请使用邮件登录链接",
        "single sign-on is not configured on this deployment",
        "oidc_not_configured",
    )


def _unavailable(reason: str) -> Unavailable:
    log.error("oidc_unavailable", extra={"reason": reason})
    return Unavailable(
        "统一身份认证平台暂时无法访问，请稍后再试或使用邮件登录链接",
        "the identity provider is unavailable",
        "idp_unavailable",
    )


def _rejected(reason: str, code: str = "oidc_rejected") -> Unauthorized:
    log.warning("oidc_rejected", extra={"reason": reason})
    return Unauthorized(
        "统一身份认证登录未完成或已过期，请重新登录",
        "the single sign-on did not complete",
        code,
    )


def _discovery() -> dict[str, object]:
    try:
        return idp.discovery(settings().oidc_issuer)
    except idp.Unreachable as error:
        raise _unavailable(str(error)) from error


def start(now: datetime) -> tuple[str, str]:
    """The IdP's authorization URL for a new sign-in (its state saved), and the value that
    binds it to this browser (to be set as ``BROWSER_COOKIE``)."""
    if not configured():
        raise _not_configured()
    endpoint = str(_discovery()["authorization_endpoint"])
    state, nonce, verifier = tokens.new_token(), tokens.new_token(), rules.pkce_verifier()
    browser = tokens.new_token()
    TokenModel(
        tokens.digest(state),
        purpose=STATE,
        created_at=now,
        expires_at=now + timedelta(minutes=rules.STATE_MINUTES),
        code_verifier=verifier,
        nonce=nonce,
        current=tokens.digest(browser),
    ).save(condition=TokenModel.token_hash.does_not_exist())
    return rules.authorization_url(
        endpoint,
        client_id=settings().oidc_client_id,
        redirect_uri=redirect_uri(),
        state=state,
        nonce=nonce,
        verifier=verifier,
    ), browser


def callback(params: dict[str, str], now: datetime, browser: str | None) -> str:
    """Where the browser goes after the IdP: ``staff.html#t=<sign-in token>``. ``browser``:
    the ``BROWSER_COOKIE`` the request brought (None without one)."""
    if not configured():
        raise _not_configured()
    if params.get("error"):
        said = "".join(
            ch for ch in params["error"][:64] if (ch.isascii() and ch.isalnum()) or ch == "_"
        )
        raise _rejected(f"the IdP answered {said}", "oidc_denied")
    for name in ("state", "code"):
        if not params.get(name):
            raise invalid_field(name, "统一身份认证的回调缺少参数", f"{name} is required")
    found = tokens.live(params["state"], STATE, now)
    if found is None or not found.code_verifier or not found.nonce:
        raise _rejected("unknown, used or expired state", "oidc_state_invalid")
    if not browser or not hmac.compare_digest(tokens.digest(browser), found.current or ""):
        log.warning("oidc_other_browser")
        raise Unauthorized(
            "这次登录不是从本浏览器发起的，请在本页面重新点击统一身份认证登录",
            "the sign-in was not started in this browser",
            "oidc_other_browser",
        )
    if not tokens.consume(params["state"], now):
        raise _rejected("the state was used", "oidc_state_invalid")
    s = settings()
    try:
        client_secret = secrets.value(s.oidc_client_secret)
    except secrets.SecretMissing as error:
        raise _unavailable("the client secret cannot be read") from error
    endpoint = str(_discovery()["token_endpoint"])
    try:
        answer = idp.exchange(
            endpoint,
            code=params["code"],
            redirect_uri=redirect_uri(),
            verifier=found.code_verifier,
            client_id=s.oidc_client_id,
            client_secret=client_secret,
        )
    except idp.Refused as error:
        raise _rejected(f"the token endpoint refused the code: {error}") from error
    except idp.Unreachable as error:
        raise _unavailable(str(error)) from error
    id_token = answer.get("id_token")
    if not isinstance(id_token, str):
        raise _rejected("the token answer has no id_token")
    try:
        claims = rules.claims_of(id_token)
        email = rules.checked_email(
            claims, issuer=s.oidc_issuer, client_id=s.oidc_client_id, nonce=found.nonce, now=now
        )
    except rules.Rejected as error:
        raise _rejected(str(error), "oidc_token_invalid") from error
    account = directory.staff_account(email)
    if account is None:
        log.warning("oidc_not_staff")
        raise Forbidden(
            "该统一身份认证账号未登记为本平台的工作人员（或已停用），请联系平台管理员",
            "the identity provider's account is not an active staff account here",
            "not_staff",
        )
    token = tokens.new_token()
    item = tokens.signin_item(
        token, email=account.email, now=now, max_age=timedelta(minutes=SIGNIN_MINUTES)
    )
    item.via = "oidc-mfa" if s.oidc_trust_mfa and rules.mfa_asserted(claims) else "oidc"
    tokens.save(item)
    return f"{s.public_base_url}/staff.html#t={token}"
