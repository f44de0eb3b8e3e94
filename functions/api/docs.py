"""The API's own description: the OpenAPI 3.1 document of ``schemas/openapi.json``, served at
``/api/openapi.json`` (docs/API.md, "API document") and rendered by ``frontend/api.html``."""

from __future__ import annotations

import json
from functools import cache

from chalice.app import Blueprint, Response

from functions.api.http import JSON_HEADERS, route

docs = Blueprint(__name__)

CACHE_SECONDS = 300


@cache
def _document_text() -> str:
    """Read on the first request, not at import (cold starts), then kept for the process."""
    import schemas

    return json.dumps(schemas.openapi(), ensure_ascii=False, separators=(",", ":"))


@route(docs, "/api/openapi.json")
def openapi() -> Response:
    return Response(
        body=_document_text(),
        status_code=200,
        headers={**JSON_HEADERS, "Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )
