"""Lighthouse (pinned in tests/bench/lighthouse/package-lock.json) against the local stack with
the demo city, driving Debian's chromium: performance and accessibility of the board, a case
page, a case page with its pin on the district map and two photos, and the submission form
(with the map), with Lighthouse's default mobile emulation and simulated slow
4G. Prints a Markdown table for docs/PERFORMANCE.md. Run by `make bench`; not a test: the
scores are recorded, not asserted.

    python -m tests.bench.lighthouse_pages [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.localstack import Stack, start, stop

HERE = Path(__file__).resolve().parent / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility")
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
}


def _placed_with_photos(stack: Stack) -> str:
    """A public case with a pin on the demo map and two processed photos, as a citizen files
    it through the pages (upload slots, the same-origin POST, the submission)."""
    from tests.browser.test_photos import uploaded
    from tests.photo_files import camera_jpeg

    photos = [uploaded(stack, camera_jpeg(2000, 1500)) for _ in range(2)]
    created = stack.submit(
        "翠湖街井盖破损有塌陷危险（附照片）",
        district="jiangcheng",
        location={"address": "翠湖街12号门前", "lat": 30.052731, "lng": 113.951846},
        photos=photos,
    )
    token = stack.staff_session("coordinator@wenzheng.example")
    status, answer = stack.call(
        "POST",
        f"/api/staff/cases/{created['case_id']}/accept",
        {"urgency": "general", "public": True},
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 200, answer
    return str(created["case_id"])


def _pages(stack: Stack) -> dict[str, str]:
    status, listing = stack.call("GET", "/api/cases")
    assert status == 200 and listing["items"], listing
    case_id = listing["items"][0]["case_id"]
    return {
        "留言板 index.html": "/index.html",
        "案件页 case.html": f"/case.html?id={case_id}",
        "案件页（地图 + 2 张照片）": f"/case.html?id={_placed_with_photos(stack)}",
        "我要留言 submit.html（含地图）": "/submit.html",
    }


def _audit(url: str, out: Path) -> dict[str, object]:
    command = [
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(command, check=True, env=env, timeout=240)
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    metrics = {label: report["audits"][key]["displayValue"] for key, label in METRICS.items()}
    return {**scores, **metrics}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median is kept")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print("lighthouse is missing: `make bench` installs it", file=sys.stderr)
        return 2
    stack = start(lighter=False)  # moto as it comes: figures comparable with earlier runs
    try:
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in _pages(stack).items():
                runs = [_audit(stack.url(path), Path(tmp) / f"{i}.json") for i in range(args.runs)]
                median = sorted(runs, key=lambda r: r["performance"])[len(runs) // 2]
                perf = [r["performance"] for r in runs]
                rows.append((name, median, min(perf), statistics.median(perf)))
    finally:
        stop(stack)
    print(
        f"\nLighthouse {_version()} · Debian chromium · mobile, simulated slow 4G, "
        f"median of {args.runs} runs\n"
    )
    print("| page | performance (min) | accessibility | FCP | LCP | TBT | CLS |")
    print("|---|---|---|---|---|---|---|")
    for name, r, low, _ in rows:
        print(
            f"| {name} | {r['performance']} ({low}) | {r['accessibility']} | {r['FCP']} "
            f"| {r['LCP']} | {r['TBT']} | {r['CLS']} |"
        )
    return 0


def _version() -> str:
    package = HERE / "node_modules" / "lighthouse" / "package.json"
    return str(json.loads(package.read_text(encoding="utf-8"))["version"])


if __name__ == "__main__":
    sys.exit(main())
