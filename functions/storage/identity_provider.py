"""The government identity provider's HTTP endpoints (OpenID Connect): its discovery document
and its token endpoint, over TLS, with the standard library (``urllib``: the Lambda runtime has
neither ``requests`` nor ``cryptography``, and nothing here needs them). The only code that
talks to the IdP.

An endpoint must be ``https://``; plain ``http://`` only to a loopback host (the tests' fake
IdP). The discovery document is read once per warm function and kept ``TTL_SECONDS``."""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

TTL_SECONDS = 3600.0
TIMEOUT_SECONDS = 5.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_ANSWER = 256 * 1024

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


class Unreachable(Exception):
    """The IdP did not answer, or not as OpenID Connect says (English, for the log)."""


class Refused(Exception):
    """The token endpoint refused the code (``error`` of RFC 6749 §5.2, e.g. invalid_grant)."""


def reset() -> None:
    _discovered.clear()


def _checked(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return url
    raise Unreachable(f"not an https endpoint: {parts.scheme}://{parts.hostname}")


def _call(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
    _checked(request.full_url)
    context = ssl.create_default_context()  # the system's CAs, hostname checked
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as answer:
            status, raw = answer.status, answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read(MAX_ANSWER + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        host = urlsplit(request.full_url).hostname
        raise Unreachable(f"{type(error).__name__} from {host}") from error
    if len(raw) > MAX_ANSWER:
        raise Unreachable("the answer is too large")
    try:
        found = json.loads(raw)
    except ValueError as error:
        raise Unreachable(f"a {status} answer that is not JSON") from error
    if not isinstance(found, dict):
        raise Unreachable(f"a {status} answer that is not a JSON object")
    return status, found


def discovery(issuer: str) -> dict[str, Any]:
    """The issuer's ``/.well-known/openid-configuration`` (OIDC Discovery §4), whose
    ``issuer`` must be the configured one exactly and whose endpoints must be https."""
    kept = _discovered.get(issuer)
    now = time.monotonic()
    if kept is not None and now - kept[0] < TTL_SECONDS:
        return kept[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    status, found = _call(urllib.request.Request(url, headers={"Accept": "application/json"}))
    if status != 200:
        raise Unreachable(f"discovery answered {status}")
    if found.get("issuer") != issuer:
        raise Unreachable("the discovery document names another issuer")
    for name in ("authorization_endpoint", "token_endpoint"):
        if not isinstance(found.get(name), str):
            raise Unreachable(f"the discovery document has no {name}")
        _checked(found[name])
    _discovered[issuer] = (now, found)
    return found


def exchange(
    token_endpoint: str,
    *,
    code: str,
    redirect_uri: str,
    verifier: str,
    client_id: str,
    client_secret: str,
) -> dict[str, Any]:
    """The authorization code (with its PKCE verifier) for the token answer (RFC 6749 §4.1.3),
    the client authenticated by HTTP Basic (``client_secret_basic``, OIDC Core §9)."""
    credentials = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode("ascii")
    request = urllib.request.Request(
        _checked(token_endpoint),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
        },
    )
    status, found = _call(request)
    if status == 400 or status == 401:
        raise Refused(str(found.get("error", "invalid_request"))[:64])
    if status != 200:
        raise Unreachable(f"the token endpoint answered {status}")
    return found
