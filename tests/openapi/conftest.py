"""The OpenAPI document as outside tools get it: fetched from the app (``GET /api/openapi.json``
through Chalice's test client, the local stage, dev routes included) and written to a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


def served() -> dict[str, Any]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as client:
        answer = client.http.get("/api/openapi.json")
    assert answer.status_code == 200, answer.body
    document: dict[str, Any] = json.loads(answer.body)
    return document


@pytest.fixture(scope="module")
def served_document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``openapi.json`` as served, alone in a folder: nothing beside it to resolve against."""
    path = tmp_path_factory.mktemp("served") / "openapi.json"
    path.write_text(json.dumps(served(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
