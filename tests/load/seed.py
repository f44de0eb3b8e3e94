"""Seed a running local stack for the load tests, through its embedded moto and the real use
cases (the same path infra/demo_loader.py takes): ``published`` cases accepted as public, and
``replied`` cases walked through accept → assign → sign → reply, rateable by their tracking
codes. Prints one JSON line: {"published": [case id], "replied": [{case_id, tracking_code}]}.

    python -m tests.load.seed --moto http://127.0.0.1:PORT --published 20 --replied 30 \
        --now 2026-11-18T02:00:00+00:00

``--now`` is the stack's platform clock (which stands still in tests): the cases happen then.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

TITLES = [
    "滨河路路灯一周不亮",
    "翠湖小区电梯停运",
    "高新区夜间公交太少",
    "学校门口早高峰拥堵",
    "老旧小区雨天积水",
    "农贸市场噪音扰民",
]


def _environment(moto_url: str) -> None:
    """What infra/local_stack.py sets for its own process (same tables, same moto)."""
    os.environ.update(
        {
            "WZ_STAGE": "local",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "AWS_REGION": "ap-southeast-1",
            "AWS_ENDPOINT_URL": moto_url,
            "WZ_TABLE_PREFIX": "wenzheng-local-",
        }
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def seed(published: int, replied: int) -> dict[str, Any]:
    from functions import clock as platform_clock
    from functions.domain.cases import Actor, DepartmentRef
    from functions.domain.lifecycle import Role
    from functions.domain.taxonomy import Outcome, Urgency
    from functions.services import citizen
    from functions.services.common import commit, deadline_rules, load
    from functions.storage import directory
    from tests import transitions as domain

    coordinator = Actor(Role.COORDINATOR, "coordinator@wenzheng.example", "压测值班员")
    tax = directory.taxonomy()
    departments = list(directory.departments().values())
    handled = [(c, d) for c, _ in tax.categories for d in departments if c in d.categories]
    assert handled, "the city has no department handling any category"
    district = tax.districts[0][0]
    out: dict[str, Any] = {"published": [], "replied": []}
    for n in range(published + replied):
        category, department = handled[n % len(handled)]
        now = platform_clock.utcnow()
        body = {
            "kind": "complaint",
            "category": category,
            "district": district,
            "location": {"address": f"翠湖街{n + 1}号"},  # some categories need a place
            "title": f"{TITLES[n % len(TITLES)]}（压测 {n}）",
            "content": "压测数据：这条留言由负载测试生成，用来检验留言板在并发访问下的表现。",
            "contact": {"name": "压测市民", "phone": f"1370000{n:04d}"},
            "public": True,
        }
        created = citizen.submit(body, idempotency_key=None, now=now)
        case_id = created["case_id"]
        accepted = domain.accept(
            load(case_id),
            coordinator,
            urgency=Urgency.GENERAL,
            category=None,
            approve_public=True,
            now=now,
        )
        commit(accepted, now)
        if n < published:
            out["published"].append(case_id)
            continue
        lead = DepartmentRef(department.id, department.name)
        commit(
            domain.assign(
                load(case_id),
                coordinator,
                lead=lead,
                co_handlers=[],
                now=now,
                rules=deadline_rules(),
            ),
            now,
        )
        actor = Actor(Role.LEAD, lead.id, lead.name)
        commit(domain.sign(load(case_id), actor, now=now), now)
        reply = domain.reply(
            load(case_id),
            actor,
            outcome=Outcome("resolved"),
            text="您好！经现场核查，问题已处理完毕，感谢您的监督。",
            planned_date=None,
            now=now,
            rules=deadline_rules(),
        )
        commit(reply, now)
        out["replied"].append({"case_id": case_id, "tracking_code": created["tracking_code"]})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto", required=True)
    parser.add_argument("--published", type=int, default=20)
    parser.add_argument("--replied", type=int, default=0)
    parser.add_argument("--now", type=datetime.fromisoformat, default=None)
    args = parser.parse_args(argv)
    _environment(args.moto)
    sys.path.insert(0, str(ROOT))
    if args.now is not None:
        from functions import clock

        clock.stand_still(args.now)
    print(json.dumps(seed(args.published, args.replied)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
