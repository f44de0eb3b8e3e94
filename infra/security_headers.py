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


def content_security_policy(
    tile_origin: str | None = None, upload_origin: str | None = None
) -> str:
    """The policy; ``tile_origin``, the city's own tile server (functions/domain/geo.py
    ``tile_origin``), joins ``img-src`` and nothing else: the map draws its tiles as images;
    ``upload_origin``, the uploads bucket's own endpoint, where browsers post photos outside
    China (``post_url_origin``), joins ``connect-src`` and nothing else."""
    directives = dict(CSP_DIRECTIVES)
    if tile_origin:
        directives["img-src"] = (*directives["img-src"], tile_origin)
    if upload_origin:
        directives["connect-src"] = (*directives["connect-src"], upload_origin)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


# Where CloudFormation puts the tile server's origin into the policy (infra/template.py).
TILE_ORIGIN_MARK = "{{tile-origin}}"


def post_url_origin(post_url: str) -> str | None:
    """The origin of ``WZ_UPLOADS_POST_URL`` when it names another one (``https://<bucket>.s3.
    <region>.amazonaws.com/``, the global stack's), None when it is a path on the site's own
    origin (the local stack's ``/uploads``, China's ``/<bucket>``): ``'self'`` covers those."""
    from urllib.parse import urlsplit

    parts = urlsplit(post_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def strict_transport_security() -> str:
    return f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"


def security_headers(
    tile_origin: str | None = None, upload_origin: str | None = None
) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(tile_origin, upload_origin),
        "Strict-Transport-Security": strict_transport_security(),
        "Referrer-Policy": REFERRER_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTION,
    }


SECURITY_HEADERS: dict[str, str] = security_headers()


def deployment_security_headers() -> dict[str, str]:
    """What the local stack sends: the headers with this deployment's tile server, if
    ``WZ_MAP_TILES`` names a usable one, and the origin ``WZ_UPLOADS_POST_URL`` names, if any
    (none locally: the stack takes uploads at its own ``/uploads``)."""
    from functions.domain.geo import tile_origin
    from functions.settings import settings

    found = settings()
    return security_headers(tile_origin(found.map_tiles), post_url_origin(found.uploads_post_url))


def cloudfront_security_headers_config(csp: object | None = None) -> dict[str, object]:
    """The same headers as CloudFront's ``SecurityHeadersConfig`` (overriding whatever the
    origin sent, so S3 and the API answer alike); ``csp`` a CloudFormation expression for
    the policy where the template works the tile server's origin in."""
    return {
        "ContentSecurityPolicy": {
            "ContentSecurityPolicy": content_security_policy() if csp is None else csp,
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
