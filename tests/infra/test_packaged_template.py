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
