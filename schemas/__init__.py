"""The JSON Schemas of every request body, loaded by import (packaged with the functions)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BASE_URI = "https://wenzheng.example/schemas/"


@cache
def load(name: str) -> dict[str, Any]:
    path = HERE / f"{name}.json"
    if not path.is_file() or path.parent != HERE:
        raise KeyError(name)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.json"))
