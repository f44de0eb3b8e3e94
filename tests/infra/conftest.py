"""Shared by the infra tests: one ``make package STAGE=prod`` per session, into a tmp dir."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def build_env() -> dict[str, str]:
    """The caller's environment without the test settings: ``make package`` must see what an
    operator's shell sees (the stage's variables come from .chalice/config.json)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WZ_", "AWS_")) and key != "PYTHONPATH"
    }


@pytest.fixture(scope="session")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``build/prod`` as ``make package`` makes it: ``sam.json``, ``deployment.zip``,
    ``merge.json``. ``-o .venv/.installed``: the suite's own venv is never reinstalled here."""
    return _package(tmp_path_factory.mktemp("package") / "prod")


@pytest.fixture(scope="session")
def china_package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same for a stage in a China region (``REGION=cn-northwest-1``)."""
    return _package(tmp_path_factory.mktemp("package-cn") / "prod", "REGION=cn-northwest-1")


def _package(out: Path, *variables: str) -> Path:
    started = time.monotonic()
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",
            "package",
            "STAGE=prod",
            *variables,
            f"PACKAGE_DIR={out}",
        ],
        cwd=ROOT,
        env=build_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    print(
        f"\nmake package STAGE=prod {' '.join(variables)}: {time.monotonic() - started:.1f} s\n"
        + result.stdout
    )
    return out
