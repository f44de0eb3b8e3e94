"""The API's own description: the OpenAPI 3.1 document of ``schemas/openapi.json``, served at
``/api/openapi.json`` (docs/API.md, "API document") and rendered by ``frontend/api.html``. It is
served bundled (``schemas.bundle``): the request schemas it names by file are copied into
``components/schemas``, so outside tools resolve it from its URL alone."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from chalice.app import Blueprint, Response

from functions.api.http import JSON_HEADERS, route
from functions.settings import settings

docs = Blueprint(__name__)

CACHE_SECONDS = 300
LOCAL_ONLY = "x-local-only"


def published(document: dict[str, Any], *, local: bool) -> dict[str, Any]:
    """The document as this stage serves it: the local stage's dev routes (``x-local-only``)
    are registered nowhere else, so elsewhere they are left out."""
    if local:
        return document
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        kept = {k: v for k, v in item.items() if not (isinstance(v, dict) and v.get(LOCAL_ONLY))}
        if any(isinstance(v, dict) and "responses" in v for v in kept.values()):
            paths[path] = kept
    return {**document, "paths": paths}


@cache
def _document_text() -> str:
    """Read and bundled on the first request, not at import (cold starts), then kept for the
    process."""
    import schemas

    document = schemas.bundle(published(schemas.openapi(), local=settings().is_local))
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


@route(docs, "/api/openapi.json")
def openapi() -> Response:
    return Response(
        body=_document_text(),
        status_code=200,
        headers={**JSON_HEADERS, "Cache-Control": f"public, max-age={CACHE_SECONDS}"},
    )
