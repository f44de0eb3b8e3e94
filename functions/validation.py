"""Request bodies against the JSON Schemas of ``schemas/`` (Draft 2020-12), compiled once.

A failed validation becomes ``InvalidRequest`` naming each offending field with a message in
Chinese and English. Field labels come from the schemas' ``title``; a schema may give its own
message pair as ``x-message``.

A body is first read by ``functions.schema_check.conforms``, without jsonschema: a body it
finds valid is valid; for any other body jsonschema decides and names the fields. So the
usual request, a valid one, never imports jsonschema and its dependencies (~40 ms of a cold
start).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from functions.domain.errors import FieldError, InvalidRequest

# Far deeper than any request schema nests (a case submission's contact is the second level).
MAX_DEPTH = 32
# Fields named in one answer: a body full of bad text gets a short answer, not a long one.
MAX_NAMED = 20

_TYPES_ZH = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "object": "对象",
    "array": "列表",
}


@cache
def _format_checker() -> Any:
    """The formats the schemas use and this platform checks: only ``email``."""
    from jsonschema import FormatChecker

    from functions.schema_check import deliverable_email

    checker = FormatChecker(formats=())
    checker.checks("email")(deliverable_email)
    return checker


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    import schemas

    resources = [
        (schemas.BASE_URI + f"{n}.json", Resource.from_contents(schemas.load(n)))
        for n in schemas.names()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


def _path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _label(schema: dict[str, Any], fallback: str) -> str:
    return str(schema.get("title") or fallback or "请求")


def _field_errors(error: Any) -> list[FieldError]:
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    path = _path(error.absolute_path)
    if error.validator == "required":
        found = []
        for missing in (p for p in error.validator_value if p not in (error.instance or {})):
            sub = schema.get("properties", {}).get(missing, {})
            full = f"{path}.{missing}" if path else missing
            found.append(
                FieldError(full, f"请填写{_label(sub, missing)}", f"{missing} is required")
            )
        return found
    return [_field_error(error, schema, path)]


def _field_error(error: Any, schema: dict[str, Any], path: str) -> FieldError:
    label = _label(schema, path)
    kind, value = error.validator, error.validator_value
    custom = schema.get("x-message")
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        full = ".".join(filter(None, [path, extra[0] if extra else ""]))
        return FieldError(
            full, f"不支持的字段：{', '.join(extra)}", f"unexpected field(s): {', '.join(extra)}"
        )
    if custom and kind in ("pattern", "anyOf", "oneOf", "format"):
        return FieldError(path, custom[0], custom[1])
    if kind == "maxLength":
        return FieldError(path, f"{label}不能超过 {value} 个字", f"at most {value} characters")
    if kind == "minLength":
        if value <= 1 or not error.instance:
            return FieldError(path, f"请填写{label}", f"{path or 'value'} is required")
        return FieldError(path, f"{label}至少 {value} 个字", f"at least {value} characters")
    if kind == "enum":
        options = "、".join(str(v) for v in value)
        return FieldError(path, f"{label}的取值无效（可选：{options}）", f"must be one of {value}")
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        zh = "或".join(_TYPES_ZH.get(str(n), str(n)) for n in names)
        return FieldError(path, f"{label}应为{zh}", f"must be of type {value}")
    if kind in ("minimum", "maximum"):
        word, en = ("不能小于", "at least") if kind == "minimum" else ("不能大于", "at most")
        return FieldError(path, f"{label}{word} {value}", f"must be {en} {value}")
    if kind in ("maxItems", "minItems", "uniqueItems"):
        return FieldError(path, f"{label}数量或内容不符合要求", f"{kind} violated")
    return FieldError(path, f"{label}格式不正确", error.message)


def encodable(text: str) -> bool:
    """False for text holding a lone UTF-16 surrogate: it has no UTF-8 form."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bad_text(field: str) -> FieldError:
    return FieldError(
        field,
        "含有无效字符（不成对的代理码位），请删除后重试",
        "contains invalid characters (a lone surrogate, not Unicode text)",
    )


def invalid_text(fields: list[FieldError]) -> InvalidRequest:
    return InvalidRequest(
        "请求中有无效字符，请检查标出的字段",
        "The request contains invalid characters",
        "invalid_text",
        fields[:MAX_NAMED],
    )


def too_deep() -> InvalidRequest:
    message = f"请求内容嵌套层数过多（不能超过 {MAX_DEPTH} 层）"
    return InvalidRequest(
        message,
        f"the body nests deeper than {MAX_DEPTH} levels",
        "too_deep",
        [FieldError("", message, f"nested deeper than {MAX_DEPTH} levels")],
    )


def field_name(key: str) -> str:
    """A key as a field name: a lone surrogate written as its escape (``\\ud800``)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def screen(body: Any) -> None:
    """Refuse a parsed body nested deeper than ``MAX_DEPTH`` (``too_deep``) or holding a key or
    text without a UTF-8 form (``invalid_text``, naming each such field as the validator
    names fields: ``contact.name``, ``co_handlers.0``). Walks without recursion."""
    bad: list[FieldError] = []
    pending: list[tuple[Any, tuple[str, ...]]] = [(body, ())]
    while pending:
        value, path = pending.pop()
        if len(path) > MAX_DEPTH:
            raise too_deep()
        if isinstance(value, str):
            if not encodable(value):
                bad.append(bad_text(".".join(path)))
        elif isinstance(value, dict):
            for key, inner in value.items():
                if encodable(key):
                    pending.append((inner, (*path, key)))
                else:
                    bad.append(bad_text(".".join((*path, field_name(key)))))
        elif isinstance(value, list):
            pending.extend((inner, (*path, str(i))) for i, inner in enumerate(value))
    if bad:
        raise invalid_text(sorted(bad, key=lambda f: f.field))


def check(name: str, body: Any) -> dict[str, Any]:
    """Validate a parsed body against schema ``name``; return it or raise InvalidRequest."""
    from functions.schema_check import conforms

    screen(body)
    if conforms(name, body):
        assert isinstance(body, dict)
        return body
    errors = sorted(_validator(name).iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        seen: dict[str, FieldError] = {}
        for error in errors:
            for field in _field_errors(error):
                seen.setdefault(field.field, field)
        raise InvalidRequest(
            "请求内容有误，请检查标出的字段",
            "The request is invalid",
            "validation_failed",
            list(seen.values()),
        )
    assert isinstance(body, dict)
    return body


def parse_json(raw: bytes | None, *, limit: int) -> Any:
    """Parse a request body; malformed or oversized bodies are the client's error."""
    from functions.domain.errors import TooLarge

    if raw and len(raw) > limit:
        raise TooLarge("提交内容过大", f"the body exceeds {limit} bytes", "too_large")
    if not raw:
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:  # nested deeper than the parser's stack: what screen() refuses
        raise too_deep() from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidRequest(
            "请求内容不是有效的 JSON",
            "the body is not valid JSON",
            "malformed_json",
            [FieldError("", "请求内容不是有效的 JSON", "malformed JSON")],
        ) from error
