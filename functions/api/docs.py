"""The API's own description: the OpenAPI 3.1 document made of the app's routes and what each
declares (``functions/api/openapi.py``), served at ``/api/openapi.json`` (docs/API.md, "API
document") and rendered by ``frontend/api.html``. It is served bundled (``schemas.bundle``): the
request schemas it names by file are copied into ``components/schemas``, so outside tools
resolve it from its URL alone."""

from __future__ import annotations

import json
from functools import cache

from chalice.app import Blueprint, Response

from functions.api.http import JSON_HEADERS, route
from functions.api.spec import PUBLIC, Spec, answer
from functions.settings import settings

docs = Blueprint(__name__)

CACHE_SECONDS = 300


@cache
def _document_text() -> str:
    """Made and bundled on the first request, not at import (cold starts), then kept for the
    process."""
    import schemas
    from functions.api import openapi as generator

    routes = docs.current_app.routes
    document = schemas.bundle(generator.document(routes, local=settings().is_local))
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


@route(
    docs,
    "/api/openapi.json",
    spec=Spec(
        summary="本接口文档（OpenAPI 3.1）",
        operation_id="openapi",
        tags=("public",),
        security=PUBLIC,
        description=(
            "This document, made of the routes and what each declares, with the request-body "
            "schemas it names by file (`schemas/*.json`) bundled into `components/schemas`: "
            "every `$ref` resolves inside it. Each bundled body links to its file, served at "
            "`/api/schemas/{name}` (the name without `.json`)."
        ),
        responses={200: answer({"type": "object", "description": "this document"})},
        cache_seconds=CACHE_SECONDS,
    ),
)
def openapi() -> Response:
    return Response(
        body=_document_text(),
        status_code=200,
        headers={**JSON_HEADERS, "Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )
