"""Run tests/load/locustfile.py against a seeded local stack as a subprocess (headless,
loopback only) and read its CSV: per endpoint, requests, failures, p50/p95/p99 and
requests/s. Shared by the smoke run (make test) and the bench run (make bench)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.load.stacks import SECRET, seed
from tests.localstack import ROOT, Stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


def run(
    stack: Stack,
    *,
    users: int,
    spawn_rate: float,
    seconds: int,
    published: int,
    replied: int,
    out: Path,
) -> tuple[dict[str, Row], str]:
    """Seed, run locust, return the rows by endpoint name (and "Aggregated") and its output."""
    seeded: dict[str, Any] = seed(stack, published=published, replied=replied)
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / "locust"
    env = {**os.environ, "LOAD_SEED": json.dumps(seeded), "LOAD_SECRET": SECRET}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "--headless",
            "-f",
            str(LOCUSTFILE),
            "--host",
            stack.base,
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(prefix),
            "--only-summary",
            "--exit-code-on-error",
            "1",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    output = done.stdout + done.stderr
    rows = read(Path(f"{prefix}_stats.csv"))
    assert done.returncode == 0, output[-4000:]
    return rows, output


def read(path: Path) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            name = r["Name"] if r["Type"] != "" else "Aggregated"
            rows[name] = Row(
                name=name,
                requests=int(r["Request Count"]),
                failures=int(r["Failure Count"]),
                p50=float(r["50%"] or 0),
                p95=float(r["95%"] or 0),
                p99=float(r["99%"] or 0),
                rps=float(r["Requests/s"] or 0),
            )
    return rows


def table(rows: dict[str, Row]) -> str:
    lines = ["| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | req/s |"]
    lines.append("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows.values():
        lines.append(
            f"| {row.name} | {row.requests} | {row.failures} | {row.p50:.0f} | {row.p95:.0f} "
            f"| {row.p99:.0f} | {row.rps:.1f} |"
        )
    return "\n".join(lines)
