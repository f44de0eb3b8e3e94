"""Shared fixtures. The environment is set before any project module is imported, because
PynamoDB models read their table names at import."""

from __future__ import annotations

import os

os.environ.update(
    {
        "WZ_STAGE": "local",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_REGION": "ap-southeast-1",
        "WZ_TABLE_PREFIX": "wz-test-",
        "WZ_PUBLIC_BASE_URL": "http://wenzheng.test",
    }
)
# The suite (and the stacks it starts, which inherit this) submits and signs in far more often
# from one address and contact than any citizen or official would, and under moto each counter
# update costs tens of milliseconds: rate limits are off here, and on (with small limits of
# their own) in tests/api/test_api_rate_limits.py.
os.environ.setdefault("WZ_RATE_LIMITS_ENABLED", "0")
# The staff second factor is off, as on the local stage (.chalice/config.json): the suite signs
# in by e-mailed link alone; tests/api/test_api_second_factor.py turns it on.
os.environ.setdefault("WZ_STAFF_TOTP_ROLES", "")
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
    os.environ.pop(_name, None)

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import moto.core  # noqa: E402, F401
import pytest  # noqa: E402

from tests.quick_moto import lighter_moto  # noqa: E402

# moto's generic answer serializer and its whole-table backup before each transaction are most
# of a request's time under test, and are nothing DynamoDB does (tests/quick_moto.py).
lighter_moto()

# moto answers through a handler it adds to the ones every new botocore session starts with,
# at import. The platform's models share one session (functions/storage/models.py), so moto
# must be imported before any test makes it, or a session made early would reach for AWS.

TEST_CITY: dict[str, Any] = {
    "city": {"code": "testcity", "name": "测试市", "platform_name": "测试市网络问政平台"},
    "districts": [{"code": "city", "label": "市本级"}, {"code": "east", "label": "东区"}],
    "categories": [
        {"code": "urban", "label": "城乡建设"},
        {"code": "transport", "label": "交通出行"},
    ],
    "departments": [
        {
            "id": f"dept-{n}",
            "name": name,
            "district": district,
            "categories": ["urban"],
            "handler": {"name": "经办人", "email": f"dept-{n}@dept.example"},
            "spokesperson": {
                "name": "发言人",
                "email": f"dept-{n}-fyr@dept.example",
                "phone": f"+86139000000{n:02d}",
            },
            "leader": {"name": "负责人", "email": f"dept-{n}-leader@dept.example"},
        }
        for n, (name, district) in enumerate(
            [
                ("市住房和城乡建设局", "city"),
                ("市交通运输局", "city"),
                ("市城市管理局", "city"),
                ("东区人民政府", "east"),
            ],
            start=1,
        )
    ],
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``pytest -n`` (make test runs one worker per core): each test file runs whole on
    one worker, so its module fixtures (a city loaded, a stack started) are made once; the
    browser tests share one worker and its one stack (tests/browser/conftest.py), the infra
    tests one ``make package`` (tests/infra/conftest.py), which rebuilds ``vendor/``. The largest
    groups go out first, so the browser tests start at once. (xdist's own ``loadgroup`` marks
    tests through a node attribute pytest 9 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            for shared in ("tests/browser/", "tests/infra/"):
                if path.startswith(shared):
                    return shared  # one stack; one `make package` (it rebuilds vendor/)
            return path

    return ByFile(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The permission recording (tests/infra/test_permissions.py ``recorded``) runs 29 API
    tests as its drivers, under its recorder, with the checks of their own files' client:
    when it is collected, those (28: one needs a fixture of its own file) are deselected in
    their own files, so that each runs once. (Last, after ``-k``/``-m``: the recording must
    itself still be selected.)"""
    recording = [
        item
        for item in items
        if item.nodeid.startswith("tests/infra/test_permissions.py::")
        and "recorded" in getattr(item, "fixturenames", ())
    ]
    if not recording:
        return
    module: Any = recording[0].module
    driven, allowed = module.driven_tests(), module.RECORDED_FIXTURES
    dropped = [
        item
        for item in items
        if item.nodeid in driven and set(getattr(item, "fixturenames", ())) <= allowed
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]


@pytest.fixture(autouse=True)
def still_clock() -> Iterator[Any]:
    """The platform clock stands still in every test unless the test moves it (tests/clocks.py),
    under its own MonkeyPatch: a test's ``monkeypatch.undo()`` must not set it running again."""
    from tests import clocks

    with pytest.MonkeyPatch.context() as patch:
        yield clocks.install(patch)


@pytest.fixture
def aws() -> Iterator[None]:
    """The mocked account as new, with the platform's tables, test city and staff
    (tests/moto_account.py: the tables are made once and emptied between tests)."""
    from functions import clock
    from functions.notify import adapter
    from functions.services import knowledge
    from functions.storage import directory, secrets
    from infra import bootstrap
    from tests.moto_account import account

    with account():
        bootstrap.load_city(TEST_CITY)
        yield
        clock.reset()
        adapter.reset_clients()
        directory.clear_cache()
        secrets.reset()
        knowledge.forget()  # the 知识库's in-process search set


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright, one per test process: Playwright's sync API
    allows one instance a thread, so every browser test of a worker (tests/browser/ and the
    stack tests that drive a page) shares it."""
    import shutil

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is missing: run `make browser-deps` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
