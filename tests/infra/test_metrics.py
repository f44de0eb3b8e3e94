"""The custom metrics behind two production alarms (infra/template.py): the outbox job emits
how many messages it dead-lettered, the SLA sweep how long the oldest due clock had waited,
each as one CloudWatch Embedded Metric Format line on stdout (functions/metrics.py)."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from functions import metrics
from tests.api import conftest as api_fixtures
from tests.api.helpers import Api, reply_body

# The API tests' fixtures: one moto account for the module, fresh tables per test.
_moto, aws, recorder = api_fixtures._moto, api_fixtures.aws, api_fixtures.recorder
client, api = api_fixtures.client, api_fixtures.api


def _emitted(text: str, name: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]
    return [line for line in lines if name in line]


def _run(client: Client, job: str) -> Any:
    """Invoke the job's Lambda handler with a schedule event. (Not by name through
    ``client.lambda_``: the local stage's dev route ``outbox`` shares the job's name.)"""
    from functions.jobs import JOBS, schedules

    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    return getattr(schedules, JOBS[job].handler)(event, None)


def _without_timestamp(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "_aws": {k: v for k, v in line["_aws"].items() if k != "Timestamp"}}


def test_an_emf_line_names_namespace_dimension_unit_and_value() -> None:
    out = io.StringIO()
    metrics.emit(metrics.OUTBOX_DEAD_LETTERED, 3, stream=out)
    [line] = out.getvalue().splitlines()
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "Wenzheng",
        "Dimensions": [["Stage"]],
        "Metrics": [{"Name": "OutboxDeadLettered", "Unit": "Count"}],
    }
    assert isinstance(document["_aws"]["Timestamp"], int)
    assert document["Stage"] == "local" and document["OutboxDeadLettered"] == 3
    lag = json.loads(metrics.emf_line(metrics.SLA_SWEEP_LAG, 12.5, stage="prod", timestamp_ms=1))
    assert lag["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "SlaSweepLagSeconds", "Unit": "Seconds"}
    ]
    assert lag["SlaSweepLagSeconds"] == 12.5 and lag["Stage"] == "prod"


def test_a_measurement_that_fails_is_skipped_and_never_stops_the_job(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> float:
        raise RuntimeError("storage unavailable")

    metrics.emit_measured(metrics.SLA_SWEEP_LAG, broken)
    assert _emitted(capsys.readouterr().out, metrics.SLA_SWEEP_LAG) == []
    [record] = [r for r in caplog.records if r.getMessage() == "metric_not_measured"]
    assert record.metric == metrics.SLA_SWEEP_LAG  # type: ignore[attr-defined]
    assert record.error == "RuntimeError" and "storage unavailable" not in caplog.text  # type: ignore[attr-defined]
    metrics.emit_measured(metrics.SLA_SWEEP_LAG, lambda: 7.0)
    [line] = _emitted(capsys.readouterr().out, metrics.SLA_SWEEP_LAG)
    assert line[metrics.SLA_SWEEP_LAG] == 7.0


def test_the_outbox_job_reports_the_messages_it_dead_lettered(
    api: Api, client: Client, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.notify import adapter

    created = api.submit()
    api.accept(created["case_id"])  # the citizen is told by email and by SMS
    capsys.readouterr()

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise adapter.Refused("refused for the test")

    monkeypatch.setattr(adapter, "send_email", refuse)
    monkeypatch.setattr(adapter, "send_sms", refuse)
    report = _run(client, "outbox")
    [line] = _emitted(capsys.readouterr().out, metrics.OUTBOX_DEAD_LETTERED)
    assert report["dead"] >= 1
    assert line[metrics.OUTBOX_DEAD_LETTERED] == report["dead"]

    _run(client, "outbox")  # nothing left to send: zero, still reported
    [line] = _emitted(capsys.readouterr().out, metrics.OUTBOX_DEAD_LETTERED)
    assert line[metrics.OUTBOX_DEAD_LETTERED] == 0


def test_the_sla_sweep_reports_how_long_the_oldest_due_clock_waited(
    api: Api, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.storage import cases_repo

    created, _ = api.assigned_case("dept-1")
    case = cases_repo.get(created["case_id"])
    assert case is not None and case.assignment is not None
    due = case.assignment.next_check_at
    assert due is not None
    api.set_clock(due + timedelta(hours=1))
    capsys.readouterr()
    _run(client, "sla-sweep")
    [line] = _emitted(capsys.readouterr().out, metrics.SLA_SWEEP_LAG)
    # An hour late, give or take the seconds the platform clock ran during the test.
    assert 3600 <= line[metrics.SLA_SWEEP_LAG] < 3600 + 120

    _run(client, "sla-sweep")  # the sweep moved the clock on: nothing waits
    [line] = _emitted(capsys.readouterr().out, metrics.SLA_SWEEP_LAG)
    assert line[metrics.SLA_SWEEP_LAG] == 0


def test_every_metric_is_emitted_by_a_job_of_the_table() -> None:
    from functions.jobs import JOBS

    assert {job.metric for job in JOBS.values() if job.metric} == set(metrics.UNITS)


def test_the_local_timer_and_the_dev_route_emit_the_same_metrics_as_the_schedules(
    api: Api, client: Client, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """One table, one ``run``: a job started by its schedule, by a tick of the local timer or
    by ``POST /api/dev/jobs/{name}`` emits the same metric lines (name, unit, value) in the
    same situation: one clock an hour overdue, no message dead-lettered."""
    from functions.jobs import JOBS
    from functions.storage import cases_repo
    from infra import local_stack

    emitting = {name: job.metric for name, job in JOBS.items() if job.metric}
    ways: dict[str, Any] = {
        "schedule": lambda: [_run(client, name) for name in emitting],
        "local timer": local_stack.tick,
        "dev route": lambda: [api.ok(api.post(f"/api/dev/jobs/{name}")) for name in emitting],
    }
    seen = {}
    for way, run in ways.items():
        created, link = api.assigned_case("dept-1")
        case = cases_repo.get(created["case_id"])
        assert case is not None and case.assignment is not None
        due = case.assignment.next_check_at
        assert due is not None
        api.set_clock(due + timedelta(hours=1))
        capsys.readouterr()
        with caplog.at_level(logging.ERROR, logger="wenzheng"):
            run()
        assert not [r for r in caplog.records if r.getMessage() == "job_failed"]
        out = capsys.readouterr().out
        seen[way] = {
            name: [_without_timestamp(line) for line in _emitted(out, metric)]
            for name, metric in emitting.items()
        }
        [lag] = seen[way]["sla-sweep"]
        assert 3600 <= lag[metrics.SLA_SWEEP_LAG] < 3601  # the clock stands still
        lag[metrics.SLA_SWEEP_LAG] = 3600
        api.ok(api.handle_act(link, "sign"))  # its clocks stop: the next way starts quiet
        api.ok(api.handle_act(link, "reply", reply_body()))
    assert seen["local timer"] == seen["schedule"] == seen["dev route"]
    assert [line["OutboxDeadLettered"] for line in seen["schedule"]["outbox"]] == [0]
