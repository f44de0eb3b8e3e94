"""Hostile input that outside testing found without credentials (issue 13 §2), pinned: a body
nested 1,000 deep, and a lone surrogate (``"\\ud800"``, no UTF-8 form) in a string of the body,
a path parameter, a query value or a header, is a 400 naming what is wrong, never a 500.

The routes come from the OpenAPI document, made of the routes the app registers and their specs
(tests/api/test_api_openapi.py), so a route is covered the day it is registered. Each is called
with the credentials its ``security`` and ``x-roles`` ask for, so the body is what it judges."""

from __future__ import annotations

import json
from typing import Any

import schemas
from tests.api.helpers import Answer, Api, Link, dept_email, submission
from tests.api.test_api_openapi import document

METHODS = ("get", "put", "post", "delete", "patch")
LONE = "\ud800"
DEEP_OBJECT = '{"a": ' * 1000 + "1" + "}" * 1000
DEEP_ARRAY = "[" * 1000 + "]" * 1000
# Open311's ``services/{service_code}.json`` is one Chalice route parameter for the whole file
# name (``services/{service_file}``): the answer names that parameter.
FILE_PARAMETERS = {"service_code": "service_file", "service_request_id": "request_file"}

Operation = tuple[str, str, dict[str, Any]]


def _operations() -> list[Operation]:
    return [
        (method.upper(), path, item[method])
        for path, item in document()["paths"].items()
        for method in METHODS
        if method in item
    ]


def _json_operations() -> list[Operation]:
    return [
        op
        for op in _operations()
        if "application/json" in op[2].get("requestBody", {}).get("content", {})
    ]


def _schema_name(operation: dict[str, Any]) -> str:
    ref: str = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.removesuffix(".json")


def _resolved(schema: dict[str, Any], base: str) -> dict[str, Any]:
    """A property's schema with its ``$ref`` (``common.json#/$defs/x``, or ``#/$defs/x`` in
    the schema file ``base``) read."""
    if "$ref" not in schema:
        return schema
    name, _, pointer = schema["$ref"].partition("#")
    target: Any = schemas.load(name.removesuffix(".json") or base)
    for part in pointer.strip("/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}


def _string_field(schema: dict[str, Any], base: str) -> list[str] | None:
    """The path of the first text field of a schema of the file ``base`` (into nested
    objects), or None."""
    for name, sub in schema.get("properties", {}).items():
        sub = _resolved(sub, base)
        if sub.get("type") == "string":
            return [name]
        if sub.get("type") == "object":
            inner = _string_field(sub, base)
            if inner:
                return [name, *inner]
    return None


def _nested(path: list[str], value: Any) -> dict[str, Any]:
    body: Any = value
    for name in reversed(path):
        body = {name: body}
    assert isinstance(body, dict)
    return body


class Caller:
    """Sends to a documented operation with the credentials it asks for."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.case_id = api.submit()["case_id"]
        self.link: Link = api.assigned_case("dept-1")[1]
        self.desk = {"X-Link-Token": api.desk_token(dept_email("dept-1"))}
        self.citizen = api.citizen_session()

    def headers(self, operation: dict[str, Any]) -> dict[str, str]:
        schemes = {name for entry in operation.get("security", []) for name in entry}
        headers = {"Content-Type": "application/json"}
        if "staffSession" in schemes:
            headers.update(self.api.as_role(operation["x-roles"][0]))
        if "linkToken" in schemes:
            headers.update(self.link.headers)
        if "deskLink" in schemes:
            headers.update(self.desk)
        if "citizenSession" in schemes:
            headers.update(self.citizen)
        return headers

    def path(self, template: str, **values: str) -> str:
        path = template.replace("{case_id}", values.get("case_id", self.case_id))
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path

    def send(self, method: str, template: str, operation: dict[str, Any], raw: str) -> Answer:
        return self.api.call(method, self.path(template), headers=self.headers(operation), raw=raw)


def test_a_body_nested_1000_deep_is_a_400_naming_the_body_on_every_json_route(api: Api) -> None:
    caller = Caller(api)
    operations = _json_operations()
    assert len(operations) > 20  # the document was read, not an empty list
    failures: list[str] = []
    for method, template, operation in operations:
        for raw in (DEEP_OBJECT, DEEP_ARRAY):
            answer = caller.send(method, template, operation, raw)
            if answer.status != 400 or answer.code != "too_deep" or "" not in answer.fields:
                failures.append(f"{method} {template}: {answer.status} {answer.body}")
            elif not (answer.error["message"] and answer.fields[""]["message_en"]):
                failures.append(f"{method} {template}: not bilingual {answer.body}")
    assert not failures, "\n".join(failures)


def test_a_lone_surrogate_in_a_text_field_is_a_400_naming_it_on_every_json_route(
    api: Api,
) -> None:
    """The field is the route's first text field (from its schema); a schema without one
    (``empty``) gets it in a field of its own, which is named just the same."""
    caller = Caller(api)
    failures: list[str] = []
    for method, template, operation in _json_operations():
        name = _schema_name(operation)
        path = _string_field(schemas.load(name), name) or ["note"]
        raw = json.dumps(_nested(path, f"a{LONE}b"))  # ASCII JSON: the escape \ud800
        answer = caller.send(method, template, operation, raw)
        field = ".".join(path)
        if answer.status != 400 or answer.code != "invalid_text" or field not in answer.fields:
            failures.append(f"{method} {template} [{field}]: {answer.status} {answer.body}")
        elif not (answer.error["message"] and answer.fields[field]["message_en"]):
            failures.append(f"{method} {template}: not bilingual {answer.body}")
    assert not failures, "\n".join(failures)


def test_without_credentials_hostile_bodies_are_client_errors_on_every_json_route(
    api: Api,
) -> None:
    caller = Caller(api)
    failures: list[str] = []
    for method, template, _ in _json_operations():
        for raw in (DEEP_OBJECT, json.dumps({"title": LONE})):
            answer = api.call(
                method, caller.path(template), headers={"Content-Type": "application/json"}, raw=raw
            )
            if answer.status not in (400, 401, 403):
                failures.append(f"{method} {template}: {answer.status} {answer.body}")
    assert not failures, "\n".join(failures)


def _lone(api: Api, path: str, body: Any, headers: dict[str, str] | None = None) -> Answer:
    raw = json.dumps(body)  # ensure_ascii: every lone surrogate travels as a \u escape
    sent = {"Content-Type": "application/json", **(headers or {})}
    return api.call("POST", path, headers=sent, raw=raw)


def test_a_staff_sign_in_with_a_lone_surrogate_in_the_email_is_a_400_naming_email(
    api: Api,
) -> None:
    answer = _lone(api, "/api/staff/sign-in", {"email": f"a{LONE}@b.cn"})
    assert answer.status == 400 and answer.code == "invalid_text", answer.body
    assert set(answer.fields) == {"email"}
    assert "无效字符" in answer.fields["email"]["message"]


def test_a_submission_with_lone_surrogates_names_each_field_and_stores_nothing(
    api: Api,
) -> None:
    body = submission(
        title=f"电梯{LONE}停运",
        content=f"三号楼电梯停运两个月{LONE}",
        contact={"name": f"欧阳{LONE}", "phone": "13912345678"},
    )
    answer = _lone(api, "/api/cases", body)
    assert answer.status == 400 and answer.code == "invalid_text", answer.body
    assert set(answer.fields) == {"title", "content", "contact.name"}
    assert api.counts().get("submitted", 0) == 0


def test_a_lone_surrogate_in_a_key_or_a_list_item_is_named_by_its_place(api: Api) -> None:
    answer = _lone(api, "/api/cases", submission(contact={LONE: "x", "phone": "13912345678"}))
    assert answer.status == 400 and set(answer.fields) == {"contact.\\ud800"}, answer.body
    created = api.submit()
    api.accept(created["case_id"])
    answer = _lone(
        api,
        f"/api/staff/cases/{created['case_id']}/assign",
        {"lead": "dept-1", "co_handlers": ["dept-2", f"dept{LONE}"]},
        api.as_role("coordinator"),
    )
    assert answer.status == 400 and set(answer.fields) == {"co_handlers.1"}, answer.body
    assert api.staff_case(created["case_id"])["state"] == "accepted"


def test_a_department_return_reason_with_a_lone_surrogate_is_a_400_naming_reason(
    api: Api,
) -> None:
    created, link = api.assigned_case("dept-1")
    answer = _lone(api, "/api/handle/return", {"reason": f"不属于本单位职责{LONE}"}, link.headers)
    assert answer.status == 400 and set(answer.fields) == {"reason"}, answer.body
    assert api.staff_case(created["case_id"])["state"] == "assigned"


def test_a_showcase_summary_with_a_lone_surrogate_is_a_400_naming_summary(api: Api) -> None:
    created, _ = api.replied_case("dept-1")
    answer = _lone(
        api,
        f"/api/staff/cases/{created['case_id']}/feature",
        {"summary": f"电梯已修复{LONE}"},
        api.as_role("coordinator"),
    )
    assert answer.status == 400 and set(answer.fields) == {"summary"}, answer.body
    assert api.ok(api.get("/api/showcase"))["items"] == []


def test_every_path_and_query_parameter_with_a_lone_surrogate_is_a_400_naming_it(
    api: Api,
) -> None:
    """As a gateway may pass on ``%ED%A0%80`` decoded; the Open311 routes answer in their
    own error format, naming the parameter too."""
    failures: list[str] = []
    checked = 0
    for method, template, operation in _operations():
        for parameter in operation.get("parameters", []):
            where, name = parameter.get("in"), parameter.get("name")
            if where == "path":
                path = template.replace("{" + name + "}", f"x{LONE}")
            elif where == "query":
                path = f"{template}?{name}=x{LONE}"
            else:
                continue
            path = path.replace("{case_id}", "WZ20261102-ABC234")
            answer = api.call(method, path, headers={"Content-Type": "application/json"})
            checked += 1
            text = json.dumps(answer.body, ensure_ascii=False)
            named = FILE_PARAMETERS.get(name, name) if "{" + name + "}." in template else name
            if answer.status != 400 or named not in text or "invalid characters" not in text:
                failures.append(f"{method} {path!r}: {answer.status} {text}")
    assert checked > 20
    assert not failures, "\n".join(failures)


def test_invalid_utf8_percent_escapes_in_a_path_or_query_are_not_found_not_a_500(
    api: Api,
) -> None:
    for escape in ("%ED%A0%80", "%FF", "%C0%AF"):
        answer = api.get(f"/api/cases/WZ{escape}")
        assert answer.status == 404 and answer.code == "case_not_found", answer.body
        answer = api.get(f"/api/cases?district={escape}")
        assert answer.status in (200, 400), answer.body
        answer = api.get(f"/open311/v2/requests/WZ{escape}.json")
        assert answer.status == 404, answer.body


def test_credential_headers_with_a_lone_surrogate_are_a_400_naming_the_header(api: Api) -> None:
    answer = api.get("/api/staff/me", {"Authorization": f"Bearer {LONE}"})
    assert answer.status == 400 and set(answer.fields) == {"authorization"}, answer.body
    answer = api.get("/api/handle", {"X-Link-Token": f"t{LONE}"})
    assert answer.status == 400 and set(answer.fields) == {"x-link-token"}, answer.body
    answer = api.post("/api/cases", submission(), {"Idempotency-Key": f"k{LONE}"})
    assert answer.status == 400 and set(answer.fields) == {"idempotency-key"}, answer.body


def test_odd_bytes_in_credential_headers_are_refused_as_credentials_not_a_500(api: Api) -> None:
    """What an HTTP server hands on for bytes that are not ASCII: ISO-8859-1 text."""
    answer = api.get("/api/staff/me", {"Authorization": "Bearer \xff\xfe\x00"})
    assert answer.status == 401 and answer.code == "unauthorized", answer.body
    answer = api.get("/api/handle", {"X-Link-Token": "\xff\x00\x01"})
    assert answer.status == 401, answer.body
    first = api.ok(api.post("/api/cases", submission(), {"Idempotency-Key": "\xff\xfe\x80"}), 201)
    again = api.ok(api.post("/api/cases", submission(), {"Idempotency-Key": "\xff\xfe\x80"}), 201)
    assert again["case_id"] == first["case_id"]


def test_a_text_body_holding_a_lone_surrogate_is_a_400_naming_the_body(api: Api) -> None:
    """A gateway hands a Lambda the body as text; one that cannot be encoded has no bytes."""
    response = api.client.http.request(
        "POST",
        "/api/staff/sign-in",
        headers={"Content-Type": "application/json"},
        body=f'{{"email": "a{LONE}@b.cn"}}',  # type: ignore[arg-type]
    )
    answer = json.loads(response.body)
    assert response.status_code == 400 and answer["error"]["code"] == "malformed_body"
    assert [f["field"] for f in answer["error"]["fields"]] == [""]
