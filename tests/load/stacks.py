"""Shared by the burst and load tests: an empty local stack that trusts CloudFront's viewer
address (so one machine can speak for many clients), seeded through its own moto, and a
boto3 client on that moto to look at the stored items directly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

from tests.localstack import ROOT, Stack, start

SECRET = "origin-secret-for-load-tests"
PREFIX = "wenzheng-local-"


def empty_stack(*, lighter: bool = True, **env: str) -> Stack:
    """The DynamoDB read timeout (5 s) and the request budget (25 s, inside API Gateway's
    29 s) are raised: under a burst the one-request-at-a-time moto on two shared cores
    queues calls for seconds, which says nothing about DynamoDB; what these tests check is
    that every request gets through. ``lighter=False``: moto as it comes (tests/localstack.py),
    for figures comparable with earlier ``make bench`` runs."""
    return start(
        "--empty",
        "--tick",
        "30",  # the scheduled jobs every 30 s, not every 0.3 s: they would queue at moto too
        env={
            "WZ_ORIGIN_SECRET": SECRET,
            "WZ_REQUEST_TIMEOUT_SECONDS": "60",
            "WZ_REQUEST_BUDGET_SECONDS": "600",
            **env,
        },
        lighter=lighter,
    )


def finish(stack: Stack) -> None:
    """Ctrl-C, as tests/localstack.stop does, with more patience: after a load run the stack
    may still be answering requests locust gave up on (moto serves one at a time)."""
    if stack.process.poll() is not None:
        return
    stack.process.send_signal(signal.SIGINT)
    try:
        stack.process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait(timeout=30)
        raise


def viewer(ip: str) -> dict[str, str]:
    """The two headers CloudFront adds: the origin secret and the viewer's address."""
    return {"X-Origin-Verify": SECRET, "CloudFront-Viewer-Address": f"{ip}:50000"}


def client_ip(n: int) -> str:
    """The n-th distinct client address (10.0.0.0/8: 16 million of them)."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def seed(stack: Stack, published: int, replied: int = 0) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.load.seed",
            "--moto",
            stack.moto,
            "--published",
            str(published),
            "--replied",
            str(replied),
            "--now",
            stack.now().isoformat(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seeded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seeded


def dynamodb(stack: Stack) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=stack.moto,
        region_name="ap-southeast-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
