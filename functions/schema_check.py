"""The quick check of a request body against its JSON Schema (``schemas/``, Draft 2020-12),
without jsonschema: the keywords the request schemas use, with jsonschema's meaning (its
``type``, its equality for ``enum`` and ``uniqueItems``, ``re.search`` for ``pattern``, only
the ``email`` format checked). ``functions.validation.check`` lets a body through when this
finds it valid and asks jsonschema about any other (an invalid body, a keyword unknown
here), which then names each offending field. tests/unit/test_validation_quick_check.py holds
the two to the same answers on generated bodies of every request schema. Imported on the
first body checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin


def deliverable_email(instance: object) -> bool:
    """``"format": "email"``: an address mail can be sent to (``email-validator``'s syntax
    rules, internationalised addresses included), not merely text around an @. Checked
    without DNS. The library is imported here, on the first request that carries an address."""
    if not isinstance(instance, str):
        return True  # the schema's "type" speaks for other values
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(instance, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# Keywords that only describe: no effect on whether a body is valid.
_ANNOTATIONS = frozenset(
    {"$schema", "$defs", "$comment", "title", "description", "x-message", "default", "examples"}
)


class _Unknown(Exception):
    """A schema the quick check cannot read (a keyword or reference it does not know)."""


def conforms(name: str, body: Any) -> bool | None:
    """Whether ``body`` is valid against schema ``name``, read without jsonschema; None
    where the schema uses what this check does not know."""
    import schemas

    root = schemas.load(name)
    try:
        return _valid(root, body, root)
    except _Unknown:
        return None


def _valid(schema: Any, instance: Any, root: dict[str, Any]) -> bool:
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise _Unknown(schema)
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or (keyword == "$id" and schema is root):
            continue
        check = _KEYWORDS.get(keyword)
        if check is None:
            raise _Unknown(keyword)
        if not check(value, instance, schema, root):
            return False
    return True


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, ``1`` is ``1.0``, recursively."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(k in two and _equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return one is two
    return bool(one == two)


def _is_type(instance: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    if kind not in ("integer", "number"):
        raise _Unknown(kind)
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return False
    return kind == "number" or isinstance(instance, int) or instance.is_integer()


def _number(instance: Any) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool)


def _ref(ref: str, instance: Any, _schema: Any, root: dict[str, Any]) -> bool:
    import schemas

    uri = urljoin(str(root.get("$id") or schemas.BASE_URI), ref)
    document, _, pointer = uri.partition("#")
    if document != root.get("$id"):
        if not document.startswith(schemas.BASE_URI) or not document.endswith(".json"):
            raise _Unknown(ref)
        try:
            root = schemas.load(document.removeprefix(schemas.BASE_URI).removesuffix(".json"))
        except KeyError:
            raise _Unknown(ref) from None
    node: Any = root
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            raise _Unknown(ref)
        node = node[key]
    return _valid(node, instance, root)


def _properties(value: Any, instance: Any, _schema: Any, root: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(
        _valid(sub, instance[key], root) for key, sub in value.items() if key in instance
    )


def _additional(value: Any, instance: Any, schema: Any, root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unknown("patternProperties")
    known = schema.get("properties", {})
    extras = [key for key in instance if key not in known]
    if value is False:
        return not extras
    return value is True or all(_valid(value, instance[key], root) for key in extras)


def _unique_key(item: Any) -> tuple[str, Any]:
    """Equal under ``_equal`` exactly when the keys are equal (for scalars: ``True`` apart
    from ``1``, ``1`` with ``1.0``)."""
    if isinstance(item, bool) or item is None:
        return ("literal", item)
    if isinstance(item, int | float):
        return ("number", item)
    if isinstance(item, str):
        return ("string", item)
    raise _Unknown("uniqueItems of arrays or objects")  # jsonschema compares those


def _unique(value: Any, instance: Any, *_: Any) -> bool:
    if not value or not isinstance(instance, list):
        return True
    keys = [_unique_key(item) for item in instance]  # one pass: a long array costs no more
    return len(set(keys)) == len(keys)


def _format(value: Any, instance: Any, *_: Any) -> bool:
    return value != "email" or deliverable_email(instance)  # no other format is checked


_Check = Callable[[Any, Any, Any, dict[str, Any]], bool]
_KEYWORDS: dict[str, _Check] = {
    "$ref": _ref,
    "type": lambda v, i, *_: any(_is_type(i, k) for k in (v if isinstance(v, list) else [v])),
    "enum": lambda v, i, *_: any(_equal(i, option) for option in v),
    "const": lambda v, i, *_: _equal(i, v),
    "minLength": lambda v, i, *_: not isinstance(i, str) or len(i) >= v,
    "maxLength": lambda v, i, *_: not isinstance(i, str) or len(i) <= v,
    "pattern": lambda v, i, *_: not isinstance(i, str) or re.search(v, i) is not None,
    "format": _format,
    "minimum": lambda v, i, *_: not _number(i) or not i < v,
    "maximum": lambda v, i, *_: not _number(i) or not i > v,
    "exclusiveMinimum": lambda v, i, *_: not _number(i) or not i <= v,
    "exclusiveMaximum": lambda v, i, *_: not _number(i) or not i >= v,
    "required": lambda v, i, *_: not isinstance(i, dict) or all(key in i for key in v),
    "dependentRequired": lambda v, i, *_: (
        not isinstance(i, dict)
        or all(all(d in i for d in needs) for key, needs in v.items() if key in i)
    ),
    "properties": _properties,
    "additionalProperties": _additional,
    "items": lambda v, i, _s, r: not isinstance(i, list) or all(_valid(v, x, r) for x in i),
    "minItems": lambda v, i, *_: not isinstance(i, list) or len(i) >= v,
    "maxItems": lambda v, i, *_: not isinstance(i, list) or len(i) <= v,
    "uniqueItems": _unique,
    "anyOf": lambda v, i, _s, r: any(_valid(sub, i, r) for sub in v),
    "allOf": lambda v, i, _s, r: all(_valid(sub, i, r) for sub in v),
    "oneOf": lambda v, i, _s, r: sum(_valid(sub, i, r) for sub in v) == 1,
    "not": lambda v, i, _s, r: not _valid(v, i, r),
}
