"""The JSON Schemas of every request body, loaded by import (packaged with the functions), and
beside them the OpenAPI document that references them (``openapi.json``, not a request schema)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BASE_URI = "https://wenzheng.example/schemas/"
OPENAPI = "openapi"


@cache
def load(name: str) -> dict[str, Any]:
    # Only a name of the folder's files reaches the file system: a hostile one (too long for a
    # file name, a path) is unknown, not an OSError (tests/stack/test_openapi_fuzz.py).
    if name == OPENAPI or name not in names():
        raise KeyError(name)
    path = HERE / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.json") if p.stem != OPENAPI)


@cache
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document; its ``$ref``s name the schema files beside it."""
    data: dict[str, Any] = json.loads((HERE / f"{OPENAPI}.json").read_text(encoding="utf-8"))
    return data
