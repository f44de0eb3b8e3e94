"""Every ``package-lock.json`` the repository tracks installs as it is, on a fresh clone, with
no network: ``npm ci --dry-run --offline`` with an empty cache, in a copy of its folder (the
repository is never touched). That fails when the lock is out of sync with its
``package.json``, and also when resolving it needs the registry at all, as a dependency on a
dist-tag (``"latest"``) does: such a lock goes out of sync by itself whenever a new version is
published. tests/bench/lighthouse pins the two ``latest`` dependencies of Lighthouse's
``@paulirish/trace_engine`` with ``overrides`` for that reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tracked_locks() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*package-lock.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(listed.stdout.split())


def installs_offline(folder: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the browser tests and make bench need it too")
    return subprocess.run(
        [npm, "ci", "--dry-run", "--offline", "--cache", str(cache), "--ignore-scripts",
         "--no-audit", "--no-fund"],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def copy_of(lock: Path, into: Path) -> Path:
    into.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(lock.parent / name, into / name)
    return into


def test_the_repository_tracks_the_locks_of_the_site_build_browser_bench_and_openapi_tools() -> (
    None
):
    assert {
        "infra/site/package-lock.json",
        "tests/browser/package-lock.json",
        "tests/bench/lighthouse/package-lock.json",
        "tests/openapi/package-lock.json",
    } <= set(tracked_locks())


@pytest.mark.parametrize("lock", tracked_locks())
def test_each_tracked_lock_installs_offline_exactly_as_locked(lock: str, tmp_path: Path) -> None:
    folder = copy_of(ROOT / lock, tmp_path / "project")
    done = installs_offline(folder, tmp_path / "empty-cache")
    assert done.returncode == 0, (
        f"npm ci cannot install {lock} from the lock alone (out of sync with its package.json, "
        f"or a dependency on a dist-tag): regenerate it with `npm install --package-lock-only` "
        f"in its folder, pinning any dist-tag with `overrides`\n{done.stderr}"
    )


def _without_overrides(manifest: dict[str, Any]) -> None:
    del manifest["overrides"]  # the lighthouse lock as it was: trace_engine asks for "latest"


def _other_axe(manifest: dict[str, Any]) -> None:
    manifest["dependencies"]["axe-core"] = "4.10.0"  # the lock holds 4.14.1


@pytest.mark.parametrize(
    ("lock", "change"),
    [
        ("tests/browser/package-lock.json", _other_axe),
        ("tests/bench/lighthouse/package-lock.json", _without_overrides),
    ],
    ids=["package.json pins another version", "a dependency asks for a dist-tag"],
)
def test_a_lock_that_needs_the_registry_is_caught(
    lock: str, change: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    folder = copy_of(ROOT / lock, tmp_path / "project")
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    change(manifest)
    (folder / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    done = installs_offline(folder, tmp_path / "empty-cache")
    assert done.returncode != 0
    assert "ENOTCACHED" in done.stderr, done.stderr
