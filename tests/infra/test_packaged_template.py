"""The template ``make package`` produces (Chalice's SAM output merged with
infra/template.py): the merge replaced Chalice's placeholder policies with
the per-function ones, and the schedules and the SNS subscription are there. cfn-lint checks it
in tests/infra/test_china_region.py, beside the China stage's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra import template

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def sam(package_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    return loaded


def test_every_role_carries_its_functions_policy_and_nothing_of_chalices(
    sam: dict[str, Any],
) -> None:
    expected = template.build("prod")["Resources"]
    roles = {k for k, v in sam["Resources"].items() if v["Type"] == "AWS::IAM::Role"}
    assert roles == {template.role_logical_id(n) for n in template.function_names()}
    for role in roles:
        assert (
            sam["Resources"][role]["Properties"]["Policies"]
            == (expected[role]["Properties"]["Policies"])
        )
    assert "logs:*" not in json.dumps(sam)


def test_the_schedules_and_the_ses_subscription_are_generated(sam: dict[str, Any]) -> None:
    from app import app
    from functions.jobs import JOBS

    scheduled = {}
    for source in app.event_sources:
        events = sam["Resources"][template.function_logical_id(source.name)]["Properties"]["Events"]
        [event] = events.values()
        if event["Type"] == "Schedule":
            scheduled[source.name] = event["Properties"]["Schedule"]
            assert event["Properties"]["Schedule"] == source.schedule_expression.to_string()
        else:
            assert event["Type"] == "SNS"
            assert event["Properties"]["Topic"]["Fn::Sub"].endswith(":wenzheng-prod-ses-events")
    assert set(scheduled) == set(JOBS)
    assert scheduled["outbox"] == "rate(1 minute)" and scheduled["sla-sweep"] == "rate(5 minutes)"
    api = sam["Resources"]["APIHandler"]["Properties"]
    assert api["Handler"] == "app.app" and api["FunctionName"] == "wenzheng-prod-api-handler"
    assert api["Environment"]["Variables"]["WZ_STAGE"] == "prod"  # Chalice's, kept by the merge


def test_the_api_is_an_http_api_with_one_route_per_chalice_route_to_the_handler(
    sam: dict[str, Any],
) -> None:
    """Outside China the REST API Chalice generates is replaced by an HTTP API (a third of the
    price per request): every route of the app, no other, each a Lambda proxy integration with
    payload format 1.0 (the REST-shaped event Chalice reads) to the API handler; the $default
    stage deployed automatically; API Gateway allowed to invoke the handler; nothing left of
    the REST API."""
    from app import app

    resources = sam["Resources"]
    assert "RestAPI" not in resources and "APIHandlerInvokePermission" not in resources
    assert "RestAPI" not in json.dumps(sam)
    api = resources["HttpApi"]
    assert api["Type"] == "AWS::ApiGatewayV2::Api"
    assert api["Properties"]["FailOnWarnings"] is True
    body = api["Properties"]["Body"]
    assert body["openapi"].startswith("3.0")
    routed = {
        (method.upper(), path)
        for path, operations in body["paths"].items()
        for method in operations
    }
    # The dev routes exist on the local stage only (the tests' app); prod has none.
    expected = {
        (method, path)
        for path, entries in app.routes.items()
        for method in entries
        if not path.startswith("/api/dev/")
    }
    assert routed == expected and len(routed) > 100
    for operations in body["paths"].values():
        for operation in operations.values():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST"
            assert integration["payloadFormatVersion"] == "1.0"
            assert "${APIHandler.Arn}" in integration["uri"]["Fn::Sub"]
    stage = resources["HttpApiStage"]["Properties"]
    assert stage == {"ApiId": {"Ref": "HttpApi"}, "StageName": "$default", "AutoDeploy": True}
    permission = resources["HttpApiInvokesApiHandler"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "APIHandler"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith(":${HttpApi}/*")
    assert sam["Outputs"]["HttpApiId"] == {"Value": {"Ref": "HttpApi"}}
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    [origin] = [o for o in config["Origins"] if o["Id"] == "api"]
    assert origin["DomainName"]["Fn::Sub"].startswith("${HttpApi}.execute-api.")
