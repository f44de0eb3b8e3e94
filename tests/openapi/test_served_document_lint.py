"""The document ``GET /api/openapi.json`` serves, linted the way outside tools lint it: Redocly
CLI (``recommended``) and Spectral CLI (``spectral:oas``), both pinned in
``tests/openapi/package-lock.json`` and installed by ``make test``, run on the served file
alone. No error; a warning only of a rule that the checked-in ruleset sets to ``warn`` with its
reason written above it (``tests/openapi/redocly.yaml``, ``tests/openapi/spectral.yaml``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.openapi.conftest import HERE

BIN = HERE / "node_modules" / ".bin"
REDOCLY_CONFIG = HERE / "redocly.yaml"
SPECTRAL_RULESET = HERE / "spectral.yaml"
ALLOWANCE = re.compile(r"^  (?P<rule>[a-z0-9-]+): warn\s*$")
SPECTRAL_ERROR = 0  # Spectral's severities: 0 error, 1 warning, 2 information, 3 hint


def allowances(ruleset: Path) -> dict[str, str]:
    """Each rule the ruleset turns to ``warn``, with the reason in the comment lines above it."""
    found: dict[str, str] = {}
    reason: list[str] = []
    for line in ruleset.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#"):
            reason.append(line.strip().lstrip("#").strip())
            continue
        allowed = ALLOWANCE.match(line)
        if allowed:
            found[allowed["rule"]] = " ".join(reason)
        reason = []
    return found


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    binary = BIN / tool
    if not binary.exists():
        pytest.fail(
            f"{tool} is missing: run `make openapi-deps` (make test does), i.e. "
            "`npm ci --prefix tests/openapi --no-audit --no-fund --ignore-scripts`"
        )
    quiet = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}
    return subprocess.run(
        [str(binary), *args],
        cwd=HERE,
        env={**os.environ, **quiet},
        capture_output=True,
        text=True,
        timeout=600,
    )


def report(output: str, errors: str) -> Any:
    try:
        return json.loads(output)
    except ValueError:
        pytest.fail(f"no JSON report:\n{output}\n{errors}")


def test_each_warning_a_ruleset_allows_has_its_reason_written() -> None:
    for ruleset in (REDOCLY_CONFIG, SPECTRAL_RULESET):
        allowed = allowances(ruleset)
        assert allowed, f"{ruleset.name} allows no warning: then it needs no list"
        assert all(allowed.values()), f"{ruleset.name}: an allowed warning without a reason"


def test_redocly_finds_no_error_and_only_allowed_warnings_in_the_served_document(
    served_document: Path,
) -> None:
    done = run("redocly", "lint", str(served_document), "--config", str(REDOCLY_CONFIG),
               "--format", "json")  # fmt: skip
    found = report(done.stdout, done.stderr)
    problems = [
        (p["severity"], p["ruleId"], p["location"][0]["pointer"], p["message"])
        for p in found["problems"]
    ]
    errors = [p for p in problems if p[0] == "error"]
    assert errors == [], errors
    allowed = allowances(REDOCLY_CONFIG)
    assert [p for p in problems if p[1] not in allowed] == []
    assert found["totals"]["errors"] == 0 and done.returncode == 0, done.stderr


def test_spectral_finds_no_error_and_only_allowed_warnings_in_the_served_document(
    served_document: Path,
) -> None:
    done = run("spectral", "lint", str(served_document), "--ruleset", str(SPECTRAL_RULESET),
               "--format", "json", "--quiet")  # fmt: skip
    found = report(done.stdout, done.stderr)
    problems = [
        (p["severity"], p["code"], "/".join(map(str, p["path"])), p["message"]) for p in found
    ]
    errors = [p for p in problems if p[0] == SPECTRAL_ERROR]
    assert errors == [], errors
    allowed = allowances(SPECTRAL_RULESET)
    assert [p for p in problems if p[1] not in allowed] == []
    assert done.returncode == 0, done.stderr
