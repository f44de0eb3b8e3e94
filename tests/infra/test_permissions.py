"""Least privilege, proven by recording: every AWS call each Lambda function makes while the
platform works (the full HTTP lifecycles of the API tests, every scheduled job, the SES
feedback function) must be allowed by that function's policy in the production template,
and no function may hold a table it never touched.

The drivers are existing API tests (they already walk every audience's paths and run every
job); here they run under a recorder that attributes each call to the function it runs in:
HTTP requests to ``api_handler``, ``POST /api/dev/jobs/<name>`` (the local stand-in for the
schedule) to the job ``<name>``, ``client.lambda_.invoke(name)`` to ``name``. The local-only
dev routes (the dev outbox listing, the clock) are not part of any deployed function."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.test import Client

from tests import clocks
from tests.api.conftest import (
    _moto,  # noqa: F401  (one moto account for this module)
    checked_client,
    fresh_state,
)
from tests.api.helpers import T0, Api
from tests.api.helpers import Recorder as Checks
from tests.infra.aws_calls import Call, Recorder, allowed, recording, resolve

STAGE = "prod"
DEV_JOB = re.compile(r"^/api/dev/jobs/([^/?]+)")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Grants (function, table) no driver reaches, each for a reason; anything else unrecorded
# fails the test (a grant nobody uses is a grant to remove).
UNRECORDED_GRANTS: list[tuple[str, str]] = [
    # Closing a replied case drops its co-handlers' desk entries (单位工作台); the drivers'
    # cases that close on their own have no co-handlers (tests/api/test_api_desk.py closes one
    # that has, through the citizen's rating).
    ("auto-close", "co-handling"),
]


def _drivers() -> list[Callable[..., Any]]:
    from tests.api import (
        test_api_admin,
        test_api_audit,
        test_api_desk,
        test_api_directory_admin,
        test_api_follow,
        test_api_hotspots,
        test_api_jobs,
        test_api_lifecycle,
        test_api_mailbox,
        test_api_outbox,
        test_api_photos,
        test_api_rankings,
        test_api_showcase,
        test_api_sla,
        test_api_supervisor_reviews,
    )

    return [
        test_api_lifecycle.test_one_case_walks_through_every_state_to_closure,
        test_api_audit.test_a_closed_case_is_archived_after_thirty_days_and_the_auditor_sees_its_verified_history,
        test_api_audit.test_an_export_holds_the_query_result_with_hashes_and_verifies_against_the_archive,
        test_api_audit.test_retention_anonymises_contact_data_and_the_history_still_verifies,
        test_api_showcase.test_a_coordinator_features_a_closed_public_case_and_the_wall_shows_it,
        test_api_admin.test_an_admin_replaces_the_calendar_and_the_write_is_recorded,
        test_api_rankings.test_the_job_freezes_last_month_once_and_the_frozen_month_stands,
        test_api_outbox.test_a_permanent_bounce_marks_the_message_the_department_and_alerts_coordinators,
        test_api_jobs.test_auto_close_closes_unrated_cases_and_follows_up_each_promise_once,
        test_api_jobs.test_digest_emails_each_department_with_open_cases_once_a_day,
        test_api_desk.test_the_weekly_mail_sends_each_unit_with_open_cases_a_fresh_desk_link_once_a_week,
        test_api_desk.test_the_admin_revokes_a_units_desk_links_and_the_unit_can_ask_again,
        test_api_desk.test_the_desk_opens_only_the_units_own_open_cases,
        # The directory (§15): writes with their records, the auditors' read, and the
        # open-case check through the desk index before a unit is disabled.
        test_api_directory_admin.test_a_hundred_units_import_in_one_go,
        test_api_directory_admin.test_a_unit_with_open_cases_is_disabled_only_after_they_are_reassigned,
        test_api_sla.test_the_ladder_on_both_clocks_each_rung_once,
        test_api_photos.test_photo_processed_after_submission_is_recorded_on_the_case,
        test_api_photos.test_department_reply_photos_show_with_the_reply,
        test_api_follow.test_a_follower_confirms_hears_of_the_reply_and_one_click_ends_it,
        test_api_follow.test_archiving_removes_the_followers_and_retention_any_left,
        test_api_follow.test_a_complaint_about_a_follower_mail_ends_the_follow_and_alerts_no_one,
        # 舆情: the job counts, raises a warning with its e-mails; the console lists it.
        test_api_hotspots.test_the_job_raises_a_warning_once_and_the_console_lists_it,
        # 监督评议 (§16): written, listed by author and by state, moderated, read by the case page.
        test_api_supervisor_reviews.test_an_approved_review_is_public_with_the_title_apart_from_the_rating,
        # 市长信箱: a mail with a photo, a reply joining its case, one answering a question.
        test_api_mailbox.test_a_mail_with_a_photo_becomes_a_case_with_the_processed_photo_and_one_auto_reply,
        test_api_mailbox.test_a_reply_to_the_platforms_mail_joins_its_case_as_a_note_for_staff,
        test_api_mailbox.test_a_reply_answers_the_question_of_a_case_awaiting_the_citizen,
        # … a staff member's download link (a presigned GET), retention deleting the files and
        # the stored message, and the IMAP poller's new case and reply.
        test_api_mailbox.test_staff_download_a_mailed_file_by_a_short_lived_link_with_its_original_name,
        test_api_mailbox.test_retention_deletes_a_mailed_cases_files_and_stored_messages,
        _mail_poll,
        _citizen_extras,
        _sms_receipts,
        _second_factor,
    ]


# What a driver's own file gives it that the recording gives it too: the API tests'
# ``client`` with its checks (``checked_client``: no 5xx, no contact data in a public answer
# or a log line), fresh tables, the clock at T0, and for the IMAP poller's test its loopback
# server (``_mail_poll``).
RECORDED_FIXTURES = frozenset(
    {"api", "client", "aws", "_moto", "recorder", "still_clock", "server", "configured"}
)


def driven_tests() -> set[str]:
    """The node ids of the API tests the recording runs as drivers. When the recording is
    collected, tests/conftest.py deselects them in their own files: they run once, here,
    with their assertions and their file's checks, rather than twice (a driver whose file
    gives it a fixture of its own, as test_api_rankings' ``small_sample``, runs in both)."""
    from tests.api import test_api_mail_poll

    driven = [
        *(d for d in _drivers() if d.__name__.startswith("test_")),
        test_api_mail_poll.test_a_photo_and_an_answer_fetched_by_imap_take_the_same_paths_as_from_ses,
    ]
    return {f"{d.__module__.replace('.', '/')}.py::{d.__name__}" for d in driven}


def _mail_poll(api: Api) -> None:
    """The IMAP poller against the loopback server (tests/imap_fake.py): its own function's
    calls (the password from the local setting, so no secret is read here)."""
    from tests.api import test_api_mail_poll
    from tests.imap_fake import environment, imap_server

    with imap_server() as server, environment(server.environment()):
        test_api_mail_poll.test_a_photo_and_an_answer_fetched_by_imap_take_the_same_paths_as_from_ses(
            api, server
        )


def _citizen_extras(api: Api) -> None:
    """Two citizen paths no driver above takes: a retried submission (Idempotency-Key) and
    附议 on a public case."""
    headers = {"Idempotency-Key": "permissions-test-1"}
    first = api.submit(headers=headers)
    assert api.submit(headers=headers)["case_id"] == first["case_id"]
    api.accept(first["case_id"], public=True)
    answer = api.post(f"/api/cases/{first['case_id']}/support")
    assert answer.status == 200, answer.body


def _sms_receipts(api: Api) -> None:
    """送达回执 on a stage with a domestic SMS provider (the fake of Alibaba Cloud's API): one
    sent SMS awaits its receipt, and the job records it. The provider's secret is read first
    by the test itself (its grant is the template's, wherever WZ_SMS_SECRET is set)."""
    import json

    from functions.storage import outbox_repo, secrets
    from tests import provider_fakes as fakes

    with fakes.sms_api() as sms, pytest.MonkeyPatch.context() as patch:
        fakes.put_secret(fakes.SMS_SECRET, fakes.ALIYUN_KEYS)
        fakes.stage(
            patch,
            WZ_SMS_PROVIDER="aliyun",
            WZ_SMS_SECRET=fakes.SMS_SECRET,
            WZ_SMS_TEMPLATES=json.dumps({"closed": "SMS_1"}),
            WZ_SMS_ENDPOINT=sms.endpoint,
        )
        try:
            secrets.fields(fakes.SMS_SECRET)
            fakes.sent_sms("BIZ-1^0", api.now())
            sms.answer("QuerySendDetails", 200, fakes.aliyun_details(3))
            result = api.ok(api.post("/api/dev/jobs/sms-receipts"))["result"]
            assert result["delivered"] == 1, result
            assert outbox_repo.awaiting_receipt() == []
        finally:
            patch.undo()
            fakes.restage()


def _second_factor(api: Api) -> None:
    """The staff second factor, enforced for coordinators (the suite has it off): an
    enrolment (its secret sealed by KMS) and a later sign-in with a code (opened)."""
    from datetime import timedelta

    from functions.services import second_factor
    from functions.settings import settings
    from tests.api.test_api_second_factor import code_at, enrol, first_step, verify

    enforced = dataclasses.replace(settings(), staff_totp_roles=frozenset({"coordinator"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(second_factor, "settings", lambda: enforced)
        secret, _, _ = enrol(api, "coordinator")
        api.advance(timedelta(minutes=1))
        step = first_step(api, "coordinator")
        assert step["step"] == "verify"
        api.ok(verify(api, step, code=code_at(secret, api.now())))


def _cold_caches(calls: Recorder, name: str) -> None:
    """Each function is its own process: what one cached (departments, staff, settings) the
    next must read itself, or its reads would go unrecorded. (A function called again keeps
    its cache, as a warm Lambda does.)"""
    from functions.storage import directory

    if calls.last_function != name:
        directory.clear_cache()
        calls.last_function = name


@contextlib.contextmanager
def _attributing(client: Client, calls: Recorder) -> Iterator[None]:
    """Route each request / invocation's calls to the function that would make them."""
    send, invoke = client.http.request, client.lambda_.invoke

    def request(method: str, path: str, **kwargs: Any) -> Any:
        job = DEV_JOB.match(path)
        name = job.group(1) if job else "dev" if path.startswith("/api/dev/") else "api_handler"
        with calls.as_function(name):
            _cold_caches(calls, name)
            return send(method, path, **kwargs)

    def lambda_invoke(name: str, payload: Any = None) -> Any:
        with calls.as_function(name):
            _cold_caches(calls, name)
            return invoke(name, payload)

    client.http.request = request  # type: ignore[method-assign]
    client.lambda_.invoke = lambda_invoke  # type: ignore[method-assign]
    try:
        yield
    finally:
        client.http.request = send  # type: ignore[method-assign]
        client.lambda_.invoke = invoke  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def recorded(_moto: None) -> list[Call]:  # noqa: F811
    """Run every driver once under the recorder (about 15 s on two cores)."""
    import inspect

    from functions import clock
    from functions.settings import settings

    s = settings()
    calls = Recorder(
        table_prefix=s.table_prefix,
        stage_prefix=f"wenzheng-{STAGE}-",
        stage=STAGE,
        sender_domain=s.mail_sender.split("@", 1)[1],
        configuration_set=f"wenzheng-{STAGE}",
        export_bucket_test=s.export_bucket,
        export_bucket_stage=f"wenzheng-{STAGE}-audit-exports",
        uploads_bucket_test=s.uploads_bucket,
        uploads_bucket_stage=f"wenzheng-{STAGE}-uploads",
    )
    with recording(calls), pytest.MonkeyPatch.context() as patch:
        # The drivers assert deadlines to the second: the clock stands still between readings.
        clocks.install(patch)
        # Production names the configuration set on every email (the tests' settings do not).
        from functions.notify import adapter

        staged = dataclasses.replace(s, ses_configuration_set=calls.configuration_set)
        patch.setattr(adapter, "settings", lambda: staged)
        # Production counts requests (the suite switches the limiter off): count here too, with
        # maxima no driver reaches, so the counters' table calls are recorded.
        from functions.domain import rate_limits as policy
        from functions.services import rate_limits

        counting = dataclasses.replace(
            s,
            rate_limits_enabled=True,
            rate_limits=",".join(f"{limit.name}=100000/1h" for limit in policy.DEFAULTS),
        )
        patch.setattr(rate_limits, "settings", lambda: counting)
        for driver in _drivers():
            fresh_state()
            with checked_client(Checks()) as c, _attributing(c, calls):
                an_api = Api(c)
                clock.set_now(T0)
                wanted = inspect.signature(driver).parameters
                driver(*[an_api if p == "api" else c for p in wanted])
            clock.reset()
    return [c for c in calls.calls if c.function not in ("dev", "test")]


@pytest.fixture(scope="module")
def policies() -> dict[str, list[dict[str, Any]]]:
    """Each function's policy statements as the production template renders them, resolved."""
    from functions.settings import settings
    from infra import template

    built = template.build(STAGE)
    parameters = {
        "SenderAddress": settings().mail_sender,
        "DomainName": "wenzheng.example",
        "OidcClientSecretName": "wenzheng/prod/oidc-client",
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for name in template.function_names():
        role = built["Resources"][template.role_logical_id(name)]
        [policy] = role["Properties"]["Policies"]
        found[name] = resolve(policy["PolicyDocument"]["Statement"], built, parameters)
    return found


def test_every_recorded_call_is_allowed_by_its_functions_policy(
    recorded: list[Call], policies: dict[str, list[dict[str, Any]]]
) -> None:
    functions = {c.function for c in recorded}
    # The recording reached every deployed function (else the proof has a hole).
    assert functions == set(policies), (sorted(functions), sorted(policies))
    denied = sorted(
        {
            (c.function, c.action, c.resource)
            for c in recorded
            if not allowed(policies[c.function], c.action, c.resource)
        }
    )
    assert denied == [], "calls the production policy would refuse:\n" + "\n".join(
        " ".join(d) for d in denied
    )


def _tables_in(statements: list[dict[str, Any]]) -> set[str]:
    arns = [
        r
        for s in statements
        for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    return {arn.split(":table/", 1)[1].split("/", 1)[0] for arn in arns if ":dynamodb:" in arn}


def test_no_function_holds_a_table_it_never_touches(
    recorded: list[Call], policies: dict[str, list[dict[str, Any]]]
) -> None:
    """Hard: a grant no recorded call uses is listed; the list must be exactly the grants
    known to be reached only by paths the drivers do not walk (kept short and explained)."""
    touched: dict[str, set[str]] = {}
    for c in recorded:
        if ":table/" in c.resource:
            table = c.resource.split(":table/", 1)[1].split("/", 1)[0]
            touched.setdefault(c.function, set()).add(table)
    unused = sorted(
        (name, table.removeprefix(f"wenzheng-{STAGE}-"))
        for name, statements in policies.items()
        for table in _tables_in(statements) - touched.get(name, set())
    )
    assert unused == sorted(UNRECORDED_GRANTS), "\n".join(map(str, unused))


def test_every_table_is_granted_to_a_function_and_no_policy_names_a_missing_one() -> None:
    from functions.storage.models import ALL_MODELS
    from infra import permissions, template

    tables = {template._table_base_name(model) for model in ALL_MODELS}
    granted = {table for access in permissions.FUNCTIONS.values() for table in access.tables}
    assert tables - granted == set(), "tables no function may use"
    assert granted - tables == set(), "grants on tables that do not exist"


def test_no_statement_grants_every_resource_but_sms() -> None:
    from infra import template

    built = template.build(STAGE)
    wildcards = sorted(
        (name, tuple(s["Action"]))
        for name in template.function_names()
        for s in built["Resources"][template.role_logical_id(name)]["Properties"]["Policies"][0][
            "PolicyDocument"
        ]["Statement"]
        if s["Resource"] == "*" or "*" in str(s["Action"])
    )
    assert wildcards == [("outbox", ("sns:Publish",))]


def test_only_the_api_seals_and_opens_totp_secrets_and_only_under_their_context(
    recorded: list[Call], policies: dict[str, list[dict[str, Any]]]
) -> None:
    """The key of the staff TOTP secrets (§17): Encrypt at enrolment and Decrypt per code,
    both recorded from the API function; no other function's policy names KMS, and the
    API's grant holds only under the ``purpose: staff-totp`` encryption context."""
    used = {(c.function, c.action) for c in recorded if c.action.startswith("kms:")}
    assert used == {("api_handler", "kms:Encrypt"), ("api_handler", "kms:Decrypt")}
    holders = sorted(n for n, s in policies.items() if "kms:" in str([x["Action"] for x in s]))
    assert holders == ["api_handler"]
    [grant] = [s for s in policies["api_handler"] if s["Sid"] == "TotpKey"]
    assert grant["Condition"] == {"StringEquals": {"kms:EncryptionContext:purpose": "staff-totp"}}
