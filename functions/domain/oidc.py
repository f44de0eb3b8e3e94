"""Staff single sign-on through a government identity provider (§17, issue 19 §3): OpenID
Connect's authorization code flow with PKCE (RFC 7636, S256), a ``state`` and a ``nonce``.

Pure rules: the PKCE pair, the authorization request, and the checks of the ID token the token
endpoint answers. That ID token comes straight from the token endpoint over TLS, so by OIDC
Core §3.1.3.7 (6) the TLS server validation stands in for its signature (no JWKS, no
``cryptography`` in the Lambda package); its issuer, audience, authorised party, expiry and
nonce are checked regardless. Nothing here reads a clock or the network."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

STATE_MINUTES = 10  # from the start to the callback: the IdP's sign-in page in between
SKEW = timedelta(seconds=60)  # the IdP's clock and ours
SCOPE = "openid email"


class Rejected(Exception):
    """An ID token (or token answer) the platform does not accept; the reason is for the log
    (English, no claim values)."""


def pkce_verifier() -> str:
    """A code verifier (RFC 7636 §4.1: 43–128 unreserved characters): 64, 384 bits."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    endpoint: str, *, client_id: str, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def claims_of(id_token: str) -> dict[str, Any]:
    """The payload of a compact JWS (header.payload.signature), unverified: see the module's
    note on §3.1.3.7 (6). An encrypted (JWE, five parts) or malformed token is rejected."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise Rejected("the ID token is not a compact JWS")
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as error:
        raise Rejected("the ID token's payload is not base64url JSON") from error
    if not isinstance(claims, dict):
        raise Rejected("the ID token's payload is not an object")
    return claims


def _instant(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Rejected(f"the ID token has no numeric {name}")
    return datetime.fromtimestamp(value, tz=UTC)


def checked_email(
    claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str, now: datetime
) -> str:
    """The staff e-mail an accepted ID token names (lower case), after OIDC Core §3.1.3.7's
    checks: ``iss`` is the configured issuer exactly; ``aud`` holds our client id, and with
    more than one audience ``azp`` is ours; ``exp`` is not past and ``iat`` not ahead (each
    within ``SKEW``); ``nonce`` is the one this sign-in sent; ``email`` is an address the IdP
    has not marked unverified."""
    if claims.get("iss") != issuer:
        raise Rejected("iss is not the configured issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise Rejected("aud does not hold the client id")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise Rejected("azp is not the client id")
    if _instant(claims, "exp") + SKEW <= now:
        raise Rejected("the ID token has expired")
    if _instant(claims, "iat") - SKEW > now:
        raise Rejected("the ID token was issued in the future")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, nonce):
        raise Rejected("nonce is not the one sent")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise Rejected("the ID token has no email claim")
    if claims.get("email_verified") is False:
        raise Rejected("the IdP marks the email unverified")
    return email.strip().lower()


def mfa_asserted(claims: dict[str, Any]) -> bool:
    """The IdP says the person passed more than one factor (RFC 8176 ``amr`` value ``mfa``)."""
    methods = claims.get("amr")
    return isinstance(methods, list) and "mfa" in methods
