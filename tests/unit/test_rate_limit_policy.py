"""The rate-limit policy (functions/domain/rate_limits.py) and the trusted client address
(functions/api/http.py ``client_ip``): pure functions, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from functions.domain import rate_limits as policy

T = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # on the hour


def test_defaults_leave_room_for_a_household_and_stop_a_script() -> None:
    table = policy.limits({})
    assert {limit.name for limit in policy.DEFAULTS} == set(table)
    assert table["submit_ip"].max >= 20 and table["submit_ip"].window == 3600
    assert table["submit_contact"].max <= 20 and table["submit_contact"].window == 86400
    assert table["track_case"].failures_only and table["track_case"].max <= 10
    assert table["signin_address"].window == 900
    # Only citizen submissions (their photos, and the similar cases shown while typing) fail
    # open, and the mailbox's receipts (past the limit a letter still becomes a case, only its
    # auto-reply is withheld); every check guarding a secret fails closed.
    fail_open = {n for n, limit in table.items() if limit.fail_open}
    assert fail_open == {"submit_ip", "submit_contact", "upload_ip", "similar_ip", "mail_sender"}


def test_overrides_replace_max_and_window_and_reject_typos() -> None:
    parsed = policy.parse_overrides(" submit_ip = 60/2h, track_case=5/30m,signin_ip=9/45s ")
    assert parsed == {"submit_ip": (60, 7200), "track_case": (5, 1800), "signin_ip": (9, 45)}
    table = policy.limits(parsed)
    assert (table["submit_ip"].max, table["submit_ip"].window) == (60, 7200)
    assert table["track_case"].failures_only  # the rest of the limit is kept
    assert policy.parse_overrides("") == {}
    for bad in ("submit_id=1/1h", "submit_ip=1", "submit_ip=0/1h", "submit_ip=1/0s", "x"):
        with pytest.raises(ValueError):
            policy.parse_overrides(bad)


def test_windows_are_fixed_and_retry_after_never_exceeds_the_window() -> None:
    hourly = policy.limits({})["submit_ip"]
    assert policy.window_start(hourly, T) == int(T.timestamp())
    later = T + timedelta(minutes=59, seconds=59)
    assert policy.window_start(hourly, later) == int(T.timestamp())
    assert policy.window_start(hourly, T + timedelta(hours=1)) == int(T.timestamp()) + 3600
    assert policy.retry_after(hourly, T) == 3600
    assert policy.retry_after(hourly, later) == 1
    assert policy.retry_after(hourly, T + timedelta(minutes=20, milliseconds=500)) == 2400


def test_counter_keys_never_hold_the_subject() -> None:
    limit = policy.limits({})["submit_contact"]
    key = policy.item_key(limit, "phone:13912345678", T)
    name, digest, start = key.split("#")
    assert name == "submit_contact" and len(digest) == 64 and int(start) <= T.timestamp()
    assert "13912345678" not in key
    assert key != policy.item_key(limit, "phone:13912345679", T)
    assert key == policy.item_key(limit, "phone:13912345678", T + timedelta(hours=1))


def test_contacts_are_normalised_before_counting() -> None:
    assert policy.contact_subjects("+86 139-1234-5678", " Ouyang@Example.COM ") == [
        "phone:13912345678",
        "email:ouyang@example.com",
    ]
    assert policy.contact_subjects("8613912345678", None) == ["phone:13912345678"]
    assert policy.contact_subjects(None, "") == []


def test_the_refusal_says_how_long_to_wait_in_both_languages() -> None:
    submit = policy.limits({})["submit_ip"]
    assert policy.refusal(submit, 125) == (
        "提交过于频繁，请 3 分钟后再试",
        "too many submissions: try again in 3 minutes",
    )
    assert policy.refusal(submit, 30)[0] == "提交过于频繁，请 30 秒后再试"
    assert policy.refusal(submit, 20000)[0] == "提交过于频繁，请 6 小时后再试"


def _request(source: str, headers: dict[str, str]) -> Any:
    return SimpleNamespace(
        context={"identity": {"sourceIp": source}},
        headers={k.lower(): v for k, v in headers.items()},
    )


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Any:
    from functions.settings import settings

    def configure(value: str) -> None:
        monkeypatch.setenv("WZ_ORIGIN_SECRET", value)
        settings.cache_clear()

    yield configure
    monkeypatch.undo()
    settings.cache_clear()


def test_the_viewer_address_is_trusted_only_with_the_origin_secret(secret: Any) -> None:
    from functions.api.http import client_ip

    via = {"X-Origin-Verify": "s3cret", "CloudFront-Viewer-Address": "203.0.113.9:51234"}
    secret("")
    assert client_ip(_request("10.1.2.3", via)) == "10.1.2.3"  # no secret configured
    secret("s3cret")
    assert client_ip(_request("10.1.2.3", via)) == "203.0.113.9"
    v6 = {**via, "CloudFront-Viewer-Address": "2001:db8:85a3::8a2e:370:7334:46532"}
    assert client_ip(_request("10.1.2.3", v6)) == "2001:db8:85a3::8a2e:370:7334"
    for forged in (
        {**via, "X-Origin-Verify": "s3cre"},
        {"CloudFront-Viewer-Address": "203.0.113.9:1"},
        {**via, "CloudFront-Viewer-Address": "not-an-address:1"},
    ):
        assert client_ip(_request("10.1.2.3", forged)) == "10.1.2.3"
