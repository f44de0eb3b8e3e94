"""Cold start (§10): importing the Lambda handler module (``app``, every Blueprint) in a fresh
interpreter, as a ratio to ``import boto3`` alone measured in the same run, alternating the
two so machine noise hits both. Also the heaviest imports on the request path (``-X
importtime``) and which heavy packages the handler does NOT load (they must stay lazy).

``make bench`` runs ``BENCH_COLD_ROUNDS=15``; ``make test`` a couple of rounds, so the
measurement itself stays tested. No timing is asserted."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "2"))
ROOT = Path(__file__).resolve().parents[2]
# Loaded only where used (exports, the calendar's year tables, schema checks, the CLI's bar).
LAZY = ("boto3", "jsonschema", "referencing", "holidays", "tqdm", "functions.services.exports")


def _env() -> dict[str, str]:
    env = {**os.environ, "WZ_STAGE": "prod", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), check=True)
    return time.perf_counter() - started


def _import_profile(top: int = 8) -> list[tuple[int, str]]:
    """The modules with the largest cumulative import time (µs) under ``import app``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            if name.startswith(("functions.", "pynamodb", "botocore", "chalice")) or name == "app":
                rows.append((int(parts[1]), name))
    return sorted(rows, reverse=True)[:top]


def test_handler_import_as_a_ratio_to_boto3_and_what_stays_lazy() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, app; print(*[m in sys.modules for m in {LAZY!r}])"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == ["False"] * len(LAZY), dict(zip(LAZY, loaded, strict=True))

    _seconds("import app")  # warm the OS file cache for both
    handler, baseline = [], []
    for _ in range(ROUNDS):
        handler.append(_seconds("import app"))
        baseline.append(_seconds("import boto3"))
    ratio = statistics.median(handler) / statistics.median(baseline)
    print(
        f"\ncold start, {ROUNDS} rounds, medians: import app {statistics.median(handler):.3f} s, "
        f"import boto3 {statistics.median(baseline):.3f} s, ratio {ratio:.2f}×"
    )
    for micros, name in _import_profile():
        print(f"  {micros / 1000:8.1f} ms  {name}")
    assert ratio > 0
