"""What the schemathesis run against the served OpenAPI document (tests/stack/
test_openapi_fuzz.py) found, pinned as ordinary API tests: each hostile input is a 400 with
the error envelope naming the field, never a 500."""

from __future__ import annotations

import jsonschema

from tests.api.helpers import Api, reply_body
from tests.api.test_api_openapi import document


def test_a_planned_date_that_matches_the_pattern_but_is_no_calendar_day_is_a_400(
    api: Api,
) -> None:
    created, link = api.assigned_case("dept-1")
    api.ok(api.handle_act(link, "sign"))
    for impossible in ("2000-00-00", "2026-02-30", "2026-13-01"):
        answer = api.handle_act(link, "reply", reply_body("scheduled", planned_date=impossible))
        assert answer.status == 400 and answer.code == "validation_failed", answer.body
        assert "planned_date" in answer.fields and answer.error["message_en"]
    assert api.staff_case(created["case_id"])["state"] == "in_progress"


def test_a_fractional_response_time_is_stored_and_answered_as_the_document_describes(
    api: Api,
) -> None:
    """PUT /api/admin/policy takes working hours as a number (4.5 h); the answer's
    ``response_working_hours`` was documented as an integer."""
    components = document()["components"]
    policy_schema = {"$ref": "#/components/schemas/Policy", "components": components}
    answer = api.call(
        "PUT", "/api/admin/policy", {"response_working_hours": 4.5}, api.as_role("admin")
    )
    assert answer.status == 200, answer.body
    assert answer.body["response_working_hours"] == 4.5
    jsonschema.validate(answer.body, policy_schema)


def test_a_schema_name_too_long_for_a_file_name_is_a_404(api: Api) -> None:
    answer = api.get("/api/schemas/" + "𝕿𝖍𝖊 %20" * 60)
    assert answer.status == 404 and answer.code == "schema_not_found", answer.body


def test_an_export_of_a_month_in_the_year_210_is_an_empty_export_not_a_500(api: Api) -> None:
    """The month arithmetic lost the year's leading zero (``0210-01`` → ``209-12``)."""
    body = {"from": "0210-02", "to": "0210-02"}
    answer = api.call("POST", "/api/audit/exports", body, api.as_role("auditor"))
    assert answer.status == 201 and answer.body["count"] == 0, answer.body
    # Walking back across the years 0003 → 0001 keeps four-digit years too.
    wide = api.get("/api/audit/cases?from=0001-01&to=0003-01", api.as_role("auditor"))
    assert wide.status == 200 and wide.body["cases"] == [], wide.body
