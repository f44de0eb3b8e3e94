"""Staff second factor (§17, issue 19 §3), enforced here as a deployment enforces it (the suite
and ``make run`` turn it off): after the e-mailed link, a coordinator, county coordinator,
admin or auditor enrols a TOTP authenticator (QR code, secret, 10 recovery codes) or gives its
6-digit code; ±1 step of drift; a code is good once; five wrong answers lock the account for
15 minutes and tell the admins; each recovery code works once; the admin's reset is recorded.
Codes are computed here with pyotp from the secret the enrolment showed, at the platform
clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest

from tests.api.helpers import STAFF, T0, Api

POLICY = "coordinator,county_coordinator,admin,auditor"


@pytest.fixture
def enforced(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from functions.settings import settings

    monkeypatch.setenv("WZ_STAFF_TOTP_ROLES", POLICY)
    settings.cache_clear()
    # Read now, outside a request: inside one, the local stage's own setting (off) applies.
    assert settings().staff_totp_roles == frozenset(POLICY.split(","))
    api.set_clock(T0)
    yield api
    settings.cache_clear()


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def first_step(api: Api, role: str) -> dict[str, Any]:
    token = api.sign_in_token(STAFF[role])
    step: dict[str, Any] = api.ok(api.post("/api/staff/session", {"token": token}))
    return step


def verify(api: Api, step: dict[str, Any], **sent: str) -> Any:
    return api.post("/api/staff/session/verify", {"step_token": step["step_token"], **sent})


def enrol(api: Api, role: str) -> tuple[str, list[str], dict[str, str]]:
    """Enrol ``role``'s account: its secret, recovery codes and a session's headers."""
    step = first_step(api, role)
    assert step["step"] == "enrol"
    secret = step["enrolment"]["secret"]
    opened = api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert opened["step"] == "session" and opened["role"] == role
    headers = {"Authorization": f"Bearer {opened['session_token']}"}
    return secret, step["enrolment"]["recovery_codes"], headers


def test_a_first_sign_in_enrols_and_the_first_code_opens_the_session(enforced: Api) -> None:
    api = enforced
    step = first_step(api, "coordinator")
    assert step["step"] == "enrol" and "session_token" not in step
    assert step["email"] == STAFF["coordinator"]
    enrolment = step["enrolment"]
    secret = enrolment["secret"]
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in enrolment["otpauth_uri"]
    assert enrolment["qr_svg"].startswith("data:image/svg+xml")
    codes = enrolment["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    # Nothing works before the code: the step token is no session.
    bearer = {"Authorization": f"Bearer {step['step_token']}"}
    assert api.get("/api/staff/me", bearer).status == 401
    wrong = verify(api, step, code="000000" if code_at(secret, api.now()) != "000000" else "111111")
    assert wrong.status == 401 and wrong.code == "code_rejected"
    opened = api.ok(verify(api, step, code=code_at(secret, api.now())))
    me = api.ok(api.get("/api/staff/me", {"Authorization": f"Bearer {opened['session_token']}"}))
    assert me["email"] == STAFF["coordinator"]
    # The step token is spent with the session it opened.
    again = verify(api, step, code=code_at(secret, api.now() + timedelta(seconds=30)))
    assert again.status == 401 and again.code == "step_expired"


def test_a_later_sign_in_asks_for_the_code_and_never_shows_the_secret_again(
    enforced: Api,
) -> None:
    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    api.advance(timedelta(minutes=5))
    step = first_step(api, "coordinator")
    assert step["step"] == "verify" and "enrolment" not in step
    assert secret not in str(step)
    opened = api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert opened["role"] == "coordinator"
    _, _, admin = enrol(api, "admin")
    listed = api.ok(api.get("/api/admin/staff", admin))["items"]
    assert secret not in str(listed)
    coordinator = next(a for a in listed if a["email"] == STAFF["coordinator"])
    assert coordinator["second_factor"] == "enrolled"


def test_a_code_is_good_once_and_a_step_of_drift_either_way(enforced: Api) -> None:
    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    step = first_step(api, "coordinator")
    reused = verify(api, step, code=code_at(secret, api.now()))
    assert reused.status == 401 and reused.code == "code_rejected"
    api.advance(timedelta(seconds=90))
    too_early = verify(api, step, code=code_at(secret, api.now() + timedelta(seconds=60)))
    assert too_early.status == 401
    # The phone's clock 30 s behind: the previous step's code still opens the session.
    api.ok(verify(api, step, code=code_at(secret, api.now() - timedelta(seconds=30))))
    # … and that step is spent, as is every step before it.
    step = first_step(api, "coordinator")
    late = verify(api, step, code=code_at(secret, api.now() - timedelta(seconds=30)))
    assert late.status == 401
    api.ok(verify(api, step, code=code_at(secret, api.now() + timedelta(seconds=30))))


def test_five_wrong_codes_lock_the_account_for_fifteen_minutes_and_tell_the_admins(
    enforced: Api,
) -> None:
    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    api.advance(timedelta(minutes=1))
    step = first_step(api, "coordinator")
    right = code_at(secret, api.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        answer = verify(api, step, code=wrong)
        assert answer.status == 401 and answer.code == "code_rejected"
    locked = verify(api, step, code=wrong)
    assert locked.status == 429 and locked.code == "second_factor_locked"
    assert "锁定" in locked.error["message"]
    # Locked: the right code is refused too, and a fresh link is not spent on it.
    assert verify(api, step, code=right).status == 429
    token = api.sign_in_token(STAFF["coordinator"])
    refused = api.post("/api/staff/session", {"token": token})
    assert refused.status == 429 and refused.code == "second_factor_locked"
    alerts = api.messages(to=STAFF["admin"])
    assert len(alerts) == 1 and STAFF["coordinator"] in alerts[0]["body"]
    assert "锁定" in alerts[0]["subject"]
    # Fifteen minutes on, the account signs in again (a new link: the step has expired).
    api.advance(timedelta(minutes=15, seconds=1))
    assert verify(api, step, code=code_at(secret, api.now())).code == "step_expired"
    step = first_step(api, "coordinator")
    api.ok(verify(api, step, code=code_at(secret, api.now())))


def test_wrong_answers_count_across_steps_and_a_right_one_starts_the_count_again(
    enforced: Api,
) -> None:
    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    for minute in (1, 2):
        api.advance(timedelta(minutes=1))
        step = first_step(api, "coordinator")
        for _ in range(3):
            assert verify(api, step, recovery_code="aaaaa-bbbbb-ccccc").status == 401
        assert api.ok(verify(api, step, code=code_at(secret, api.now())))["role"], minute
    # Six wrong in all, never five in a row: no lock, no alert.
    assert api.messages(to=STAFF["admin"], template="staff_factor_locked") == []


def test_each_recovery_code_works_once(enforced: Api) -> None:
    api = enforced
    _, codes, _ = enrol(api, "auditor")
    step = first_step(api, "auditor")
    opened = api.ok(verify(api, step, recovery_code=codes[3].upper()))
    assert opened["role"] == "auditor" and opened["recovery_codes_left"] == 9
    step = first_step(api, "auditor")
    used = verify(api, step, recovery_code=codes[3])
    assert used.status == 401 and used.code == "recovery_code_rejected"
    opened = api.ok(verify(api, step, recovery_code=codes[0]))
    assert opened["recovery_codes_left"] == 8


def test_code_or_recovery_code_exactly_one(enforced: Api) -> None:
    api = enforced
    step = first_step(api, "coordinator")
    neither = verify(api, step)
    assert neither.status == 400 and "code" in neither.fields
    both = verify(api, step, code="123456", recovery_code="aaaaa-bbbbb-ccccc")
    assert both.status == 400
    malformed = verify(api, step, code="12345")
    assert malformed.status == 400 and "code" in malformed.fields
    # No recovery code works before enrolment completes.
    early = verify(api, step, recovery_code=step["enrolment"]["recovery_codes"][0])
    assert early.status == 401


def test_the_admin_resets_a_second_factor_and_the_reset_is_recorded(enforced: Api) -> None:
    api = enforced
    secret, codes, _ = enrol(api, "coordinator")
    _, _, admin = enrol(api, "admin")
    # The directory's own edits keep the factor.
    email = STAFF["coordinator"]
    edited = api.ok(
        api.call(
            "PUT", f"/api/admin/staff/{email}", {"role": "coordinator", "name": "新名字"}, admin
        )
    )
    assert edited["second_factor"] == "enrolled"
    api.advance(timedelta(minutes=1))
    step = first_step(api, "coordinator")
    assert step["step"] == "verify"
    reset = api.ok(api.post(f"/api/admin/staff/{email}/reset-totp", {}, admin))
    assert reset["second_factor"] == "none"
    # The step asked for before the reset is dead; the old secret and codes are gone.
    assert verify(api, step, code=code_at(secret, api.now())).status == 401
    step = first_step(api, "coordinator")
    assert step["step"] == "enrol" and step["enrolment"]["secret"] != secret
    assert verify(api, step, recovery_code=codes[1]).status == 401
    _, _, auditor = enrol(api, "auditor")
    record = api.ok(api.get("/api/audit/directory-changes", auditor))["items"]
    resets = [r for r in record if r["action"] == "staff.reset-totp"]
    assert len(resets) == 1
    assert resets[0]["by"] == STAFF["admin"] and resets[0]["target"] == email
    assert resets[0]["before"]["second_factor"] == "enrolled"
    assert resets[0]["after"]["second_factor"] == "none"
    assert secret not in str(record)
    # Only admins reset.
    coordinator = enrol(api, "coordinator")[2]
    denied = api.post(f"/api/admin/staff/{email}/reset-totp", {}, coordinator)
    assert denied.status == 403
    missing = api.post("/api/admin/staff/nobody@wenzheng.example/reset-totp", {}, admin)
    assert missing.status == 404


def test_a_reset_ends_a_lock_out(enforced: Api) -> None:
    api = enforced
    _, _, admin = enrol(api, "admin")
    secret, _, _ = enrol(api, "coordinator")
    step = first_step(api, "coordinator")
    for _ in range(5):
        verify(api, step, recovery_code="aaaaa-bbbbb-ccccc")
    assert verify(api, step, code=code_at(secret, api.now())).status == 429
    api.ok(api.post(f"/api/admin/staff/{STAFF['coordinator']}/reset-totp", {}, admin))
    assert first_step(api, "coordinator")["step"] == "enrol"


def test_roles_outside_the_policy_sign_in_as_before(enforced: Api) -> None:
    api = enforced
    opened = api.session("operator")
    assert opened["step"] == "session" and "step_token" not in opened


def test_without_the_policy_every_role_signs_in_by_link_alone(api: Api) -> None:
    for role in ("coordinator", "admin", "auditor"):
        assert api.session(role)["step"] == "session"


@contextmanager
def kms_calls() -> Iterator[list[str]]:
    """The KMS operations the platform calls inside the block, in order."""
    from functions.storage import factor_key

    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = factor_key._client().meta.events
    events.register("before-call.kms", note)
    try:
        yield calls
    finally:
        events.unregister("before-call.kms", note)


def stored(email: str) -> Any:
    from functions.storage.models import StaffModel

    return StaffModel.get(email, consistent_read=True)


def test_the_secret_is_stored_sealed_and_each_code_costs_one_decrypt(enforced: Api) -> None:
    api = enforced
    email = STAFF["coordinator"]
    with kms_calls() as calls:
        step = first_step(api, "coordinator")
    secret, codes = step["enrolment"]["secret"], step["enrolment"]["recovery_codes"]
    assert calls == ["Encrypt"]
    pending = stored(email).totp_pending
    assert pending.startswith("kms:") and secret not in pending
    with kms_calls() as calls:
        api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert calls == ["Decrypt"]  # the pending secret opened; kept as it was sealed
    item = stored(email)
    assert item.totp_secret == pending and item.totp_pending is None
    api.advance(timedelta(minutes=1))
    step = first_step(api, "coordinator")
    with kms_calls() as calls:
        api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert calls == ["Decrypt"]
    step = first_step(api, "coordinator")
    with kms_calls() as calls:
        wrong = verify(api, step, code=f"{(int(code_at(secret, api.now())) + 1) % 10**6:06d}")
    assert wrong.code == "code_rejected" and calls == ["Decrypt"]
    # A recovery code is checked against its digest: no KMS call.
    with kms_calls() as calls:
        api.ok(verify(api, step, recovery_code=codes[0]))
    assert calls == []


def test_a_secret_stored_in_the_clear_still_signs_in_and_is_sealed_then(enforced: Api) -> None:
    """Enrolments from before sealing existed: the base32 secret on the item opens as it is,
    and the first sign-in with a code seals it (one Encrypt, once)."""
    from functions.storage.models import StaffModel

    api = enforced
    email = STAFF["coordinator"]
    secret = pyotp.random_base32()
    StaffModel(email).update(actions=[StaffModel.totp_secret.set(secret)])
    step = first_step(api, "coordinator")
    assert step["step"] == "verify"
    with kms_calls() as calls:
        api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert calls == ["Encrypt"]
    sealed = stored(email).totp_secret
    assert sealed.startswith("kms:") and secret not in sealed
    api.advance(timedelta(minutes=1))
    step = first_step(api, "coordinator")
    with kms_calls() as calls:
        api.ok(verify(api, step, code=code_at(secret, api.now())))
    assert calls == ["Decrypt"]


def test_a_sealed_secret_opens_only_for_its_own_account(enforced: Api) -> None:
    """The encryption context names the account: a secret copied onto another account's item
    (a restored backup gone wrong, a hand in the table) does not open there; the admin's reset
    is the way back."""
    from functions.storage.models import StaffModel

    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    _, _, admin = enrol(api, "admin")
    StaffModel(STAFF["auditor"]).update(
        actions=[StaffModel.totp_secret.set(stored(STAFF["coordinator"]).totp_secret)]
    )
    step = first_step(api, "auditor")
    refused = verify(api, step, code=code_at(secret, api.now()))
    assert refused.status == 409 and refused.code == "second_factor_unreadable"
    assert "重置" in refused.error["message"]
    api.ok(api.post(f"/api/admin/staff/{STAFF['auditor']}/reset-totp", {}, admin))
    assert first_step(api, "auditor")["step"] == "enrol"


def test_a_disabled_key_is_an_outage_not_a_wrong_code(
    enforced: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key disabled (or pending deletion, or not granted): 503 and an ERROR line for the
    operators, no failure counted against the account; usable again, the code works. (moto
    does not refuse a disabled key: KMS's answer is played here.)"""
    import json

    from botocore.exceptions import ClientError
    from chalice.test import Client

    from app import app
    from functions.storage import factor_key

    api = enforced
    secret, _, _ = enrol(api, "coordinator")
    api.advance(timedelta(minutes=1))
    step = first_step(api, "coordinator")

    def disabled(**_: Any) -> Any:
        error = {"Error": {"Code": "DisabledException", "Message": "key is disabled"}}
        raise ClientError(error, "Decrypt")  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(factor_key._client(), "decrypt", disabled)
        # The suite's client fails a test on any 5xx: this one goes through a client of its own.
        with Client(app, stage_name="local") as own:
            body = {"step_token": step["step_token"], "code": code_at(secret, api.now())}
            answer = own.http.post(
                "/api/staff/session/verify",
                headers={"Content-Type": "application/json"},
                body=json.dumps(body).encode(),
            )
    assert answer.status_code == 503
    assert json.loads(answer.body)["error"]["code"] == "unavailable"
    assert stored(STAFF["coordinator"]).totp_failures in (None, 0)
    api.ok(verify(api, step, code=code_at(secret, api.now())))
