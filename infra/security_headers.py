"""The security headers every page and answer carries, defined once: CloudFront's response
headers policy (infra/template.py) and the local stack's static responses
(infra/local_stack.py) both read them, so the browser tests run against the production CSP.

The site has no inline script, no inline event handler and no ``style`` attribute (a test
parses every page), so the policy needs no ``'unsafe-inline'`` anywhere."""

from __future__ import annotations

# Directive → sources, in the order they are sent.
CSP_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}

HSTS_MAX_AGE_SECONDS = 63_072_000  # two years, the preload list's minimum is one
REFERRER_POLICY = "no-referrer"
FRAME_OPTION = "DENY"


def content_security_policy() -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in CSP_DIRECTIVES.items())


def strict_transport_security() -> str:
    return f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"


SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": content_security_policy(),
    "Strict-Transport-Security": strict_transport_security(),
    "Referrer-Policy": REFERRER_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": FRAME_OPTION,
}


def cloudfront_security_headers_config() -> dict[str, object]:
    """The same headers as CloudFront's ``SecurityHeadersConfig`` (overriding whatever the
    origin sent, so S3 and the API answer alike)."""
    return {
        "ContentSecurityPolicy": {
            "ContentSecurityPolicy": content_security_policy(),
            "Override": True,
        },
        "StrictTransportSecurity": {
            "AccessControlMaxAgeSec": HSTS_MAX_AGE_SECONDS,
            "IncludeSubdomains": True,
            "Preload": False,
            "Override": True,
        },
        "ReferrerPolicy": {"ReferrerPolicy": REFERRER_POLICY, "Override": True},
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": FRAME_OPTION, "Override": True},
    }
