"""THE proof of 舆情预警 (issue 18 §1): a synthetic month in the demo city. A steady
background of varied reports in every district and category for 28 days raises nothing; then
a water outage in 滨河区 brings 40 reports in one morning, the hourly job runs through it, and
one warning fires: it names the district and 停水 / 自来水, lists the 40 cases, and e-mails the
city's coordinators and 滨河's. Rerunning raises nothing new.

The cases are committed through the real submission transition (the domain's ``new_case`` and
``commit``), the platform clock moved day by day; the job is the real one, at each ``now``."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.domain.calendar import SHANGHAI
from functions.domain.cases import CITIZEN, Contact
from functions.domain.taxonomy import Channel, Kind
from tests import transitions as domain

DAY0 = datetime(2026, 10, 1, tzinfo=SHANGHAI)  # the first background day
OUTAGE_DAY = DAY0 + timedelta(days=28)  # 2026-10-29
DISTRICT = "binhe"

PLACES = [
    "幸福路",
    "人民路",
    "建设街",
    "光明小区",
    "锦绣花园",
    "和平里",
    "东风大道",
    "新华路",
    "滨江公寓",
    "青年路",
    "育才巷",
    "学府路",
    "阳光城",
    "翠湖苑",
    "长安街",
]
# (category, [(title, content)]) with {p} for a place: many problems, in many words.
BACKGROUND: dict[str, list[tuple[str, str]]] = {
    "urban": [
        ("{p}路灯不亮", "{p}一带路灯坏了很久，晚上走路看不清。"),
        ("{p}井盖缺失", "{p}人行道上井盖丢了，有安全隐患。"),
        ("{p}违章搭建", "{p}有人在楼顶违章搭建彩钢棚。"),
    ],
    "transport": [
        ("{p}公交站台破损", "{p}公交站台顶棚破了，下雨没法等车。"),
        ("{p}红绿灯时间太短", "{p}路口行人绿灯只有十几秒，老人过不去。"),
        ("{p}乱停车堵路", "{p}两边乱停车，消防通道被占。"),
    ],
    "environment": [
        ("{p}噪音扰民", "{p}工地夜间施工噪音很大，无法休息。"),
        ("{p}垃圾清运不及时", "{p}垃圾桶满了几天没人清运，气味难闻。"),
        ("{p}油烟污染", "{p}楼下餐馆油烟直排，窗户不敢开。"),
    ],
    "education": [
        ("{p}学校门口拥堵", "{p}放学时校门口车辆拥堵，孩子过马路危险。"),
        ("{p}幼儿园收费不明", "{p}幼儿园额外收取兴趣班费用。"),
    ],
    "health": [
        ("{p}社区医院排队久", "{p}卫生服务中心挂号排队要两小时。"),
        ("{p}药店价格过高", "{p}药店常用药价格比别处高很多。"),
    ],
    "housing": [
        ("{p}物业不作为", "{p}物业费照收，电梯坏了没人修。"),
        ("{p}房屋漏雨", "{p}顶楼房屋漏雨，开发商不管。"),
    ],
    "market": [
        ("{p}商家缺斤少两", "{p}菜市场摊位缺斤少两。"),
        ("{p}预付卡退费难", "{p}健身房关门，预付卡无法退费。"),
    ],
    "utilities": [
        ("{p}燃气费异常", "{p}燃气账单比往月高出很多。"),
        ("{p}电压不稳", "{p}晚上电压不稳，电器经常跳闸。"),
        ("{p}水压偏低", "{p}高层水压偏低，自来水上不去。"),
    ],
}
OUTAGE = [
    ("{p}突然停水", "{p}从早上开始停水，自来水公司没有任何通知。"),
    ("停水一整天了", "{p}自来水停了，家里老人孩子没水用。"),
    ("{p}自来水停水", "我们{p}停水，打自来水热线一直占线。"),
    ("什么时候恢复供水", "{p}停水到现在，请问什么时候恢复供水？"),
    ("{p}大面积停水", "{p}大面积停水，自来水管道好像爆了。"),
]


@pytest.fixture
def demo_city(aws: None) -> Iterator[None]:
    from infra import bootstrap

    bootstrap.load_city(bootstrap.city())
    yield


def _submit(n: int, at: datetime, district: str, category: str, title: str, content: str) -> str:
    from functions.services.common import commit, deadline_rules

    case_id = f"WZ{at.astimezone(SHANGHAI):%Y%m%d}-H{n:05d}"
    commit(
        domain.new_case(
            case_id=case_id,
            tracking_hash="h",
            tracking_code="TESTCODE",
            kind=Kind.COMPLAINT,
            category=category,
            district=district,
            title=title,
            content=content,
            contact=Contact("李四", "+8613800000002", None),
            consent_public=False,
            channel=Channel.WEB,
            actor=CITIZEN,
            now=at,
            rules=deadline_rules(),
            contact_salt="s",
        ),
        at,
    )
    return case_id


def _background_day(rng: random.Random, day: datetime, start: int) -> int:
    """12–18 reports spread over the day's working hours, any district and category."""
    from infra import bootstrap

    districts = [d["code"] for d in bootstrap.city()["districts"]]
    n = start
    for _ in range(rng.randint(12, 18)):
        category = rng.choice(sorted(BACKGROUND))
        title, content = rng.choice(BACKGROUND[category])
        p = rng.choice(PLACES)
        at = day + timedelta(hours=8, minutes=rng.randrange(14 * 60))
        _submit(n, at, rng.choice(districts), category, title.format(p=p), content.format(p=p))
        n += 1
    return n


def _run(at: datetime) -> dict[str, Any]:
    from functions.services import hotspots

    return hotspots.run(at.astimezone(UTC))


def _warnings() -> list[Any]:
    from functions.storage import hotspots_repo

    return [w for m in ("2026-10", "2026-11") for w in hotspots_repo.warnings(m)]


def _warning_mails() -> list[Any]:
    from functions.storage.models import OutboxModel

    return [m for m in OutboxModel.scan() if m.template == "hotspot_warning"]


def test_a_water_outage_in_one_district_fires_one_warning_over_a_quiet_month(
    demo_city: None,
) -> None:
    rng = random.Random(18)
    n = 0
    for d in range(28):
        day = DAY0 + timedelta(days=d)
        n = _background_day(rng, day, n)
        report = _run(day + timedelta(hours=23, minutes=30))
        assert report["raised"] == 0, (day, report)
    assert _warnings() == [] and _warning_mails() == []

    # The outage: 40 reports in 滨河 between 07:00 and 11:00 (10 an hour), among the usual day.
    outage: list[str] = []
    for k in range(40):
        at = OUTAGE_DAY + timedelta(hours=7, minutes=6 * k + 1)
        title, content = OUTAGE[k % len(OUTAGE)]
        p = rng.choice(PLACES[:4])
        outage.append(_submit(n, at, DISTRICT, "utilities", title.format(p=p), content.format(p=p)))
        n += 1
    n = _background_day(rng, OUTAGE_DAY, n)
    raised = [_run(OUTAGE_DAY + timedelta(hours=h))["raised"] for h in range(8, 13)]
    # Once, in the hour the burst became clear; later hours fold into it.
    assert sum(raised) == 1, (raised, [(w.key, w.terms, len(w.cases)) for w in _warnings()])
    assert _run(OUTAGE_DAY + timedelta(hours=23, minutes=30))["raised"] == 0

    (warning,) = _warnings()
    assert warning.day == OUTAGE_DAY.date().isoformat()
    assert warning.district == DISTRICT
    assert "停水" in warning.terms and "自来水" in warning.terms, warning.terms
    assert warning.count >= 30
    listed = {c["case_id"] for c in warning.cases}
    assert set(outage) <= listed, len(set(outage) - listed)
    assert len(listed) <= len(outage) + 3  # the background's water-pressure reports at most
    assert len(warning.trend["counts"]) == 29 and warning.trend["counts"][-1] == warning.count

    mails = _warning_mails()
    assert sorted(m.recipient for m in mails) == [
        "binhe-coordinator@wenzheng.example",
        "coordinator@wenzheng.example",
        "leader@wenzheng.example",
    ]
    assert "停水" in mails[0].subject and "滨河" in mails[0].subject

    # The next day's runs: the burst fades; nothing new is raised, the first stands.
    assert _run(OUTAGE_DAY + timedelta(days=1, hours=9))["raised"] == 0
    assert len(_warnings()) == 1 and len(_warning_mails()) == 3
