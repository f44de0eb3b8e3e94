"""Cold start (§10): what a fresh Lambda instance imports before it answers, as a ratio to
``import boto3`` alone measured in the same run.

For every route family (public read, submission, tracking/rating, a department's link page
and reply, the staff console, admin, audit, Open311, the API document) its probes' first
requests are answered once each in a fresh interpreter against a seeded moto
(tests/bench/cold_paths.py), which records the modules each one loads on top of ``import
app``. The family's cold path is then ``import app`` plus every module any of its probes
loaded (so it bounds each of its routes), timed in fresh interpreters alternately with
``import boto3`` and ``import app`` alone, several rounds, medians. The figure is CPU time
(user + system of the child): on a shared machine the wall time mostly measures the
neighbours. The code is timed as the Lambda zip holds it: each source with its bytecode
(``make package`` compiles them, infra/package.py), the virtualenv's packages with theirs,
as Lambda's runtime holds boto3. ``make bench`` also prints the figures of the sources alone
(each cold start compiling the platform's modules, as before the zip held bytecode).

``make bench`` (``BENCH_COLD_ROUNDS=15``) asserts every family within ``GOAL`` (1.5×)
and prints each family's heaviest imports. ``make test`` runs one round without the
warm-up, so the measurement itself stays tested, and asserts only what is deterministic: which heavy
packages ``import app`` and each family's first requests leave unloaded."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench.cold_paths import environment, probes, probes_json

ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "1"))
ROOT_TOO = ROUNDS >= 10  # the bench also times the sources without bytecode
ROOT = Path(__file__).resolve().parents[2]
GOAL = 1.5  # a family's cold path / import boto3, asserted from 10 rounds on (make bench)

# Loaded only where used: exports, the calendar's year tables, schema checks (an address's
# syntax check only for a body with an address), the CLI's bar; and every service with what
# it brings (storage, PynamoDB and botocore, the domain, the message texts): each view
# imports its service on first use.
LAZY = (
    "boto3",
    "jsonschema",
    "referencing",
    "email_validator",
    "holidays",
    "tqdm",
    "functions.services.exports",
    "botocore",
    "pynamodb",
    "functions.storage.models",
    "functions.domain.cases",
    "functions.domain.policy",
    "functions.notify.templates",
    "functions.services.staff_auth",
    "functions.services.citizen",
    "functions.services.handling",
    "functions.services.coordination",
    "functions.services.configuration",
    "functions.services.open311",
    "aws_lambda_powertools",  # the JSON log formatter: imported by the first log line
    "functions.schema_check",
    "PIL",  # photo processing only (functions/services/photos.py), never a request
    "functions.domain.hotspots",  # 舆情 segmentation: the hotspots job's, never the API's
    "functions.services.hotspots",
    # The domestic SMS SDKs (§17): the outbox and receipts jobs' only, inside the send.
    "functions.notify.providers",
    "alibabacloud_dysmsapi20170525",
    "tencentcloud",
)

# What each family's first requests must still not load: never boto3 (SES, SNS and S3 belong
# to jobs and exports), the export service or the CLI's bar; never jsonschema for a valid body
# (functions/schema_check.py reads it) nor the holidays package for a deadline in the
# calendar table's years; no address check without an address, no message texts or outbox
# where nothing is sent, no body check without a body, and for the API document no storage.
NEVER = (
    "boto3",
    "PIL",  # photos are decoded by the S3-event function, never on a request path
    "tqdm",
    "functions.services.exports",
    "jsonschema",
    "referencing",
    "holidays",
    "functions.domain.hotspots",  # the warnings list reads stored warnings, never segments
    "functions.notify.providers",  # an SDK or smtplib: the outbox job sends, never a request
    "alibabacloud_dysmsapi20170525",
    "tencentcloud",
    "smtplib",
)
SENDS_NOTHING = ("functions.notify.templates", "functions.storage.outbox_repo")
UNLOADED: dict[str, tuple[str, ...]] = {
    "public read": (*NEVER, *SENDS_NOTHING, "email_validator", "functions.schema_check"),
    "submission": NEVER,
    "tracking/rating": (*NEVER, "email_validator"),
    "department show/reply": (*NEVER, "email_validator"),
    "staff console": (*NEVER, "email_validator"),
    "admin": (*NEVER, *SENDS_NOTHING, "email_validator"),
    "audit": (*NEVER, *SENDS_NOTHING, "email_validator", "functions.schema_check"),
    "open311": NEVER,
    "docs": (
        *NEVER,
        *SENDS_NOTHING,
        "email_validator",
        "functions.schema_check",
        "pynamodb",
        "botocore",
        # (the lifecycle actions' operations come from the registry of action modules, so
        # the document loads the pure domain, never storage)
    ),
}


def _env() -> dict[str, str]:
    env = {**os.environ, "WZ_STAGE": "prod", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def _cpu_seconds(code: str, root: Path = ROOT) -> float:
    """User + system CPU time of a fresh interpreter running ``code`` in ``root``."""
    child = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=_env())
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, code[:200]
    return usage.ru_utime + usage.ru_stime


def _importing(modules: list[str]) -> str:
    """``import app``, then each module by name in the order the request loaded them
    (``__import__``, so ``-X importtime`` sees them too)."""
    return f"import app\nfor name in {modules!r}:\n    __import__(name)\n"


def _import_profile(code: str, root: Path, top: int = 8) -> list[tuple[int, str]]:
    """The modules with the largest own import time (µs) under ``code``, least of 3 runs."""
    least: dict[str, int] = {}
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            cwd=root,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        for line in done.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) == 3 and parts[0].strip().isdigit():
                name = parts[2].strip()
                least[name] = min(least.get(name, sys.maxsize), int(parts[0]))
    return sorted(((us, name) for name, us in least.items()), reverse=True)[:top]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``app.py``, ``functions/`` and ``schemas/`` as the Lambda zip holds them: each source
    with the bytecode ``make package`` writes beside it."""
    from infra.package import compile_source

    task = tmp_path_factory.mktemp("task")
    shutil.copy2(ROOT / "app.py", task)
    for tree in ("functions", "schemas"):
        shutil.copytree(ROOT / tree, task / tree, ignore=shutil.ignore_patterns("__pycache__"))
    for source in task.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert compile_source(source, cached, source.relative_to(task).as_posix())
    return task


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[str, dict[str, Any]]]:
    """moto in server mode with a case, link or session for every probe (its own process,
    which ends when its stdin closes)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.cold_paths", "serve"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        started: dict[str, Any] = {}
        while "moto" not in started:  # the platform's JSON log lines come first
            line = server.stdout.readline()
            assert line, "the seeded moto did not start"
            started = json.loads(line) if line.startswith("{") else {}
        yield started["moto"], started["seeded"]
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def first_requests(seeded: tuple[str, dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """Family → probe → the modules its request loaded after ``import app`` and the family's
    earlier requests (one fresh interpreter per family: the union is the family's cold path)."""
    moto, data = seeded
    found: dict[str, dict[str, list[str]]] = {}
    for family, family_probes in probes(data).items():
        command = ["-m", "tests.bench.cold_paths", "first", moto, probes_json(family_probes)]
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env=environment(moto),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        answers = json.loads(done.stdout.splitlines()[-1])
        for probe, answer in zip(family_probes, answers, strict=True):
            assert answer["status"] < 300, (probe.label, answer)  # the whole path, not a refusal
            found.setdefault(family, {})[probe.label] = answer["modules"]
    return found


def test_handler_import_leaves_heavy_packages_and_services_unloaded() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, app; print(*[m in sys.modules for m in {LAZY!r}])"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == ["False"] * len(LAZY), dict(zip(LAZY, loaded, strict=True))


def test_each_family_first_request_loads_only_what_it_uses(
    first_requests: dict[str, dict[str, list[str]]],
) -> None:
    assert set(first_requests) == set(UNLOADED)
    loaded_where = {
        (family, probe, name)
        for family, by_probe in first_requests.items()
        for probe, modules in by_probe.items()
        for name in UNLOADED[family]
        if name in modules
    }
    assert not loaded_where


def test_cold_path_of_each_family_as_a_ratio_to_boto3(
    first_requests: dict[str, dict[str, list[str]]], packaged: Path
) -> None:
    paths = {
        family: _importing(list(dict.fromkeys(m for mods in by.values() for m in mods)))
        for family, by in first_requests.items()
    }
    commands = {"import app": "import app", **paths}
    trees = {"packaged": packaged, **({"source": ROOT} if ROOT_TOO else {})}
    runs = [("import boto3", "import boto3", ROOT)] + [
        (f"{name}|{tree}", code, root)
        for tree, root in trees.items()
        for name, code in commands.items()
    ]
    if ROUNDS > 1:  # a figure worth comparing: warm the OS file cache for every command
        for _, code, root in runs:
            _cpu_seconds(code, root)
    samples: dict[str, list[float]] = {key: [] for key, _, _ in runs}
    for _ in range(ROUNDS):
        for key, code, root in runs:
            samples[key].append(_cpu_seconds(code, root))
    median = {key: statistics.median(values) for key, values in samples.items()}
    boto3 = median["import boto3"]
    ratio = {key: seconds / boto3 for key, seconds in median.items()}
    print(f"\ncold paths, CPU time, medians of {ROUNDS} rounds (import boto3 {boto3:.3f} s):")
    print(f"  {'':24s} {'as packaged':>16s}" + (f" {'from source':>16s}" if ROOT_TOO else ""))
    for name in commands:
        cells = [f"{median[f'{name}|{t}']:.3f} s {ratio[f'{name}|{t}']:4.2f}×" for t in trees]
        routes = len(first_requests.get(name, {}))
        probed = f"  ({routes} routes)" if routes else ""
        print(f"  {name:24s} " + " ".join(f"{c:>16s}" for c in cells) + probed)
    heaviest = max(paths, key=lambda family: ratio[f"{family}|packaged"])
    print(f"  heaviest own imports of {heaviest} (as packaged):")
    for micros, module in _import_profile(paths[heaviest], packaged):
        print(f"  {micros / 1000:8.1f} ms  {module}")
    if ROUNDS >= 10:
        over = {
            name: round(ratio[f"{name}|packaged"], 2)
            for name in commands
            if ratio[f"{name}|packaged"] > GOAL
        }
        assert not over, f"cold paths above {GOAL}× import boto3: {over}"
