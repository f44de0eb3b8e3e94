"""The JSON Schemas of every request body, loaded by import (packaged with the functions), and in
``components/`` the shapes of the API's answers, named as the API document's components.

The files are the single source of each request shape: ``functions/validation.py`` compiles them
and the API document (``functions/api/openapi.py``, made of the routes' specs) names them by
file (``"$ref": "case-submission.json"``). What the API serves is :func:`bundle`'s copy, which
holds them in ``components/schemas`` so that it resolves from its own URL alone."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

HERE = Path(__file__).parent
BASE_URI = "https://wenzheng.example/schemas/"
# Where the API document notionally sits, beside the schema files it names.
DOCUMENT_URI = BASE_URI + "openapi.json"
COMPONENTS = HERE / "components"


@cache
def load(name: str) -> dict[str, Any]:
    # Only a name of the folder's files reaches the file system: a hostile one (too long for a
    # file name, a path) is unknown, not an OSError (tests/stack/test_openapi_fuzz.py).
    if name not in names():
        raise KeyError(name)
    path = HERE / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.json"))


def components() -> dict[str, Any]:
    """The answer shapes of ``components/``, by component name (``StaffCase.json`` →
    ``StaffCase``); their ``$ref``s point into the document (``#/components/schemas/Event``).
    Read afresh on each call: the API document is made once per process."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(COMPONENTS.glob("*.json"))
    }


# A request schema's component: its file name in PascalCase plus ``Body``
# (``case-submission.json`` → ``CaseSubmissionBody``); one of its ``$defs``: file and definition
# name (``common.json#/$defs/department_id`` → ``CommonDepartmentId``).
BODY_SUFFIX = "Body"
DEFS = "/$defs/"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-"))


def component_name(name: str, definition: str | None = None) -> str:
    """The ``components/schemas`` key of schema file ``name`` (or of one of its ``$defs``)."""
    return _pascal(name) + (_pascal(definition) if definition else BODY_SUFFIX)


def bundle(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the OpenAPI ``document`` in which every schema file it names, and every
    definition those name in turn, is a component, and every ``$ref`` to them points there
    (``case-submission.json`` → ``#/components/schemas/CaseSubmissionBody``,
    ``common.json#/$defs/email`` → ``#/components/schemas/CommonEmail``). Each copied schema
    loses ``$schema``, ``$id`` and ``$defs`` (its ``$ref``s no longer need them) and links to the
    file as the API serves it (``externalDocs``). Raises ``ValueError`` for a ``$ref`` that is
    neither the document's own (``#/…``) nor a schema file's root or ``$defs`` entry, and for a
    component name the document already uses."""
    document_uri = DOCUMENT_URI
    wanted: list[tuple[str, str | None]] = []

    def component(uri: str) -> str:
        file_uri, _, fragment = uri.partition("#")
        name = file_uri.removeprefix(BASE_URI).removesuffix(".json")
        if not file_uri.startswith(BASE_URI) or name not in names():
            raise ValueError(f"$ref to no schema file of schemas/: {uri}")
        if fragment and not (fragment.startswith(DEFS) and "/" not in fragment[len(DEFS) :]):
            raise ValueError(f"$ref into a schema file other than one of its $defs: {uri}")
        definition = fragment[len(DEFS) :] or None
        key = component_name(name, definition)
        if (name, definition) not in wanted:
            wanted.append((name, definition))
        return f"#/components/schemas/{key}"

    def rewrite(node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        found: dict[str, Any] = {}
        for key, value in node.items():
            ref = value if key == "$ref" and isinstance(value, str) else None
            if ref is not None and not (base == document_uri and ref.startswith("#")):
                found[key] = component(urljoin(base, ref))
            else:
                found[key] = rewrite(value, base)
        return found

    result: dict[str, Any] = rewrite(document, document_uri)  # a copy: the cached one stays
    schemas: dict[str, Any] = result.setdefault("components", {}).setdefault("schemas", {})
    taken = set(schemas)
    index = 0
    while index < len(wanted):  # copying one may want more (common.json's $defs)
        name, definition = wanted[index]
        index += 1
        key = component_name(name, definition)
        if key in taken:
            raise ValueError(f"components/schemas/{key} is taken: {name}.json cannot use it")
        taken.add(key)
        source = load(name)
        if definition is None:
            body = {k: v for k, v in source.items() if k not in ("$schema", "$id", "$defs")}
            body["externalDocs"] = {"url": f"/api/schemas/{name}", "description": f"{name}.json"}
        elif definition in source.get("$defs", {}):
            body = source["$defs"][definition]
        else:
            raise ValueError(f"{name}.json has no $defs/{definition}")
        schemas[key] = rewrite(body, source.get("$id", BASE_URI + f"{name}.json"))
    return result
