"""The monthly 通报 and 约谈 records (issue 18 §3, §5): the ``rankings`` job makes the frozen
month's 通报 (content and Word file, read back with python-docx against a recount); the
download's file name is Chinese; a coordinator records the 约谈 of a flagged unit, the unit
reports its rectification through its desk link, the rankings page and the next 通报 show it;
a county coordinator records only for its own units."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from tests.api.helpers import Api, dept_email, reply_body, sh
from tests.api.test_api_counties import EAST, EAST_COORDINATOR, counties, county_headers  # noqa: F401

OCT_FREEZE = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 1 Nov 00:30 in Shanghai
NOV_FREEZE = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 Dec 00:30
DEC_FREEZE = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 1 Jan 00:30
TITLE = "小区电梯停运三天无人维修"


@pytest.fixture(autouse=True)
def small_sample(api: Api) -> None:
    from functions.storage import config_repo

    config_repo.put_rankings({"min_sample": 1}, by="test", now=api.now())


def _month_of_work(api: Api, *, featured: bool = False, third: bool = True) -> dict[str, Any]:
    """dept-1: replied on time and rated 满意; dept-2: replied late, rated 不满意; dept-3
    (``third``): assigned only; one more case received and never assigned. Returns what a
    recount of the cases says."""
    good, link = api.assigned_case("dept-1", title=TITLE)
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(good["case_id"], good["tracking_code"], "satisfied"))
    late, link = api.assigned_case("dept-2")
    api.ok(api.handle_act(link, "sign"))
    api.advance(timedelta(days=9))  # past the 5 working days to reply
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(late["case_id"], late["tracking_code"], "unsatisfied", "没有解决"))
    if third:
        api.assigned_case("dept-3")
    api.submit()  # received, never assigned
    if featured:
        api.ok(api.act(good["case_id"], "feature", {"summary": "电梯三天内修复，居民满意。"}))
    return {
        "received": 3 + third,
        "assigned": 2 + third,
        "replied": 2,
        "closed": 1,
        "replied_on_time_rate": 0.5,
        "satisfied_rate": 0.5,
        "good": good["case_id"],
    }


def _freeze(api: Api, at: datetime) -> dict[str, Any]:
    api.set_clock(at)
    result: dict[str, Any] = api.ok(api.post("/api/dev/jobs/rankings"))["result"]
    return result


def _two_months(api: Api) -> dict[str, Any]:
    """October and November with the same three departments ranked: with ``talk_bottom`` 3
    every ranked one is in the bottom three, so the two ranked both months are flagged (dept-3
    has work in November only)."""
    api.set_clock(sh(10, 12, 10))
    _month_of_work(api, third=False)
    _freeze(api, OCT_FREEZE)
    api.set_clock(sh(11, 2, 10))
    november = _month_of_work(api, featured=True)
    assert _freeze(api, NOV_FREEZE)["bulletin"] is True
    return november


def _download(api: Api, path: str) -> tuple[int, dict[str, str], bytes]:
    """A binary answer as a browser gets it (the JSON helpers decode text)."""
    response = api.client.http.request("GET", path, headers={"Accept": "*/*"}, body=b"")
    return response.status_code, dict(response.headers), response.body


def _docx_text(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    parts += [p.text for p in document.sections[0].footer.paragraphs]
    return "\n".join(parts)


def test_the_frozen_months_bulletin_reads_back_from_its_word_file(api: Api) -> None:
    recount = _two_months(api)
    content = api.ok(api.get("/api/rankings/2026-11/bulletin"))
    figures = content["headline"]
    assert {k: figures[k] for k in figures} == {k: recount[k] for k in figures}
    assert content["change"]["received"] == 1 and content["change"]["assigned"] == 1
    city = api.ok(api.get("/api/rankings?month=2026-11"))
    assert city["bulletin"] is True
    ranked = [row for row in city["departments"] if row["rank"] is not None]
    top = [row["name"] for row in ranked if row["position"] == "top"]
    bottom = [row["name"] for row in ranked if row["position"] == "bottom"]
    departments = content["levels"][0]
    assert [u["name"] for u in departments["top"]] == top
    assert [u["name"] for u in departments["bottom"]] == bottom
    flagged = [row["name"] for row in city["departments"] if row["talk"]]
    assert sorted(f["name"] for f in content["talk_flags"]) == sorted(flagged)
    assert len(flagged) == 2  # dept-1 and dept-2 ranked both months; dept-3 only in November

    status, headers, raw = _download(api, "/api/rankings/2026-11/bulletin.docx")
    assert status == 200
    assert headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert raw[:2] == b"PK"  # a zip: the .docx itself, not its base64
    text = _docx_text(raw)
    assert "网络问政工作月度通报（2026年11月）" in text
    assert f"本月受理群众诉求 {recount['received']} 件（环比 +1）" in text
    assert f"交办 {recount['assigned']} 件" in text and f"答复 {recount['replied']} 件" in text
    assert "按时答复率 50.0%" in text and "满意率 50.0%" in text
    for name in top + bottom:
        assert name in text
    assert "列入约谈提示的单位：" in text and all(name in text for name in flagged)
    assert TITLE in text  # a 回音壁 case
    assert "本月无舆情热点预警" in text  # the hotspots seam is empty until that part lands


def test_the_word_file_names_its_fonts_and_is_a4(api: Api) -> None:
    _two_months(api)
    from docx import Document
    from docx.oxml.ns import qn

    _, _, raw = _download(api, "/api/rankings/2026-11/bulletin.docx")
    document = Document(io.BytesIO(raw))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)

    def east_asian(style: str) -> str:
        fonts = document.styles[style].element.rPr.rFonts
        return str(fonts.get(qn("w:eastAsia")))

    assert east_asian("Normal") == "仿宋" and east_asian("Heading 1") == "黑体"
    footer = section.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer


def test_the_download_names_the_file_in_chinese(api: Api) -> None:
    _two_months(api)
    _, headers, _ = _download(api, "/api/rankings/2026-11/bulletin.docx")
    message = EmailMessage()
    message["Content-Disposition"] = headers["Content-Disposition"]
    assert message.get_content_disposition() == "attachment"
    assert message.get_filename() == "网络问政月度通报-2026-11.docx"


def test_a_month_without_a_bulletin_is_404_and_a_bad_month_400(api: Api) -> None:
    for path in ("/api/rankings/2026-10/bulletin", "/api/rankings/2026-10/bulletin.docx"):
        answer = api.get(path, {"Accept": "*/*"})
        assert answer.status == 404 and answer.code == "bulletin_not_found", path
    bad = api.get("/api/rankings/2026-1x/bulletin")
    assert bad.status == 400 and "month" in bad.fields


# --- 约谈 records ----------------------------------------------------------------------------


def _talk(unit: str = "dept-1", **more: Any) -> dict[str, Any]:
    return {
        "month": "2026-11",
        "unit": unit,
        "held_on": "2026-12-03",
        "attendees": ["市政府办公室 张三", "市住建局 李四"],
        "reasons": "连续两个月亮晒比排名后三位，按时答复率偏低",
        "rectify_by": "2026-12-20",
        **more,
    }


def test_a_talk_is_recorded_shown_reported_through_the_desk_and_in_the_next_bulletin(
    api: Api,
) -> None:
    _two_months(api)
    api.set_clock(sh(12, 3, 15))
    coordinator = api.as_role("coordinator")
    made = api.ok(api.post("/api/staff/talks", _talk(), coordinator), 201)
    assert made["id"] == "2026-11-dept-1" and made["status"] == "open"
    assert made["changes"][0]["by"] == "coordinator@wenzheng.example"
    again = api.post("/api/staff/talks", _talk(), coordinator)
    assert again.status == 409 and again.code == "talk_exists"
    unflagged = api.post("/api/staff/talks", _talk("dept-3"), coordinator)
    assert unflagged.status == 409 and unflagged.code == "not_flagged"
    early = api.post("/api/staff/talks", _talk(month="2026-12"), coordinator)
    assert early.status == 404 and early.code == "ranking_not_frozen"
    wrong = api.post("/api/staff/talks", _talk(rectify_by="2026-12-01"), coordinator)
    assert wrong.status == 400 and set(wrong.fields) == {"rectify_by"}

    page = api.ok(api.get("/api/rankings?month=2026-11"))
    assert [(t["unit"]["id"], t["status"]) for t in page["talks"]] == [("dept-1", "open")]
    assert "attendees" not in page["talks"][0]  # the staff's view only

    token = api.desk_token(dept_email("dept-1"))
    desk = api.ok(api.get("/api/desk", {"X-Link-Token": token}))
    assert [t["id"] for t in desk["talks"]] == ["2026-11-dept-1"]
    other = api.desk_token(dept_email("dept-2"))
    path = "/api/desk/talks/2026-11-dept-1/rectification"
    report = {"text": "已建立答复时限台账，逐件督办超期诉求。"}
    refused = api.post(path, report, {"X-Link-Token": other})
    assert refused.status == 404 and refused.code == "talk_not_found"
    api.set_clock(sh(12, 15, 9))
    done = api.ok(api.post(path, report, {"X-Link-Token": token}))
    assert done["status"] == "reported" and done["rectification"]["late"] is False
    twice = api.post(path, report, {"X-Link-Token": token})
    assert twice.status == 409 and twice.code == "rectification_reported"

    shown = api.ok(api.get("/api/rankings?month=2026-11"))["talks"][0]
    assert shown["status_label"] == "已报整改" and shown["rectification"]["text"] == report["text"]
    coordinator = _fresh_session(api)  # the clock moved on past the first session's life
    history = api.ok(api.get("/api/staff/talks?month=2026-11", coordinator))["items"][0]
    assert [(c["what"], c["by"]) for c in history["changes"]] == [
        ("recorded", "coordinator@wenzheng.example"),
        ("rectification_reported", "desk:dept-1"),
    ]

    _freeze(api, DEC_FREEZE)  # the next 通报 (December's) lists the record and its outcome
    december = api.ok(api.get("/api/rankings/2026-12/bulletin"))
    assert [(t["id"], t["status"]) for t in december["talks"]] == [("2026-11-dept-1", "reported")]
    text = _docx_text(_download(api, "/api/rankings/2026-12/bulletin.docx")[2])
    assert "约谈市住房和城乡建设局" in text and "已报整改" in text and report["text"] in text


def _fresh_session(api: Api) -> dict[str, str]:
    opened = api.session("coordinator")
    return {"Authorization": f"Bearer {opened['session_token']}"}


def test_an_unreported_talk_past_its_due_date_reads_overdue(api: Api) -> None:
    _two_months(api)
    api.set_clock(sh(12, 3, 15))
    api.ok(api.post("/api/staff/talks", _talk("dept-2"), api.as_role("coordinator")), 201)
    api.set_clock(sh(12, 21, 9))
    shown = api.ok(api.get("/api/rankings?month=2026-11"))["talks"][0]
    assert shown["status"] == "overdue" and shown["status_label"] == "逾期未报整改"


def test_a_county_coordinator_records_talks_only_for_its_own_units(
    counties: Api,  # noqa: F811
) -> None:
    api = counties
    from functions.storage import rankings_repo

    flag = {"id": "east-town", "name": "东区翠湖街道办事处", "talk": True}
    rankings_repo.freeze("2026-10", {"units": [flag]}, api.now(), EAST)
    rankings_repo.freeze("2026-10", {"departments": [{**flag, "id": "dept-1"}]}, api.now())
    headers = county_headers(api, EAST_COORDINATOR)
    body = _talk("east-town", month="2026-10", held_on="2026-11-02", rectify_by="2026-11-30")
    made = api.ok(api.post("/api/staff/talks", body, headers), 201)
    assert made["ranking"] == EAST
    city_unit = api.post("/api/staff/talks", {**body, "unit": "dept-1"}, headers)
    assert city_unit.status == 404 and city_unit.code == "unit_not_found"
    listed = api.ok(api.get("/api/staff/talks?month=2026-10", headers))["items"]
    assert [t["unit"]["id"] for t in listed] == ["east-town"]
    city = api.ok(
        api.post("/api/staff/talks", {**body, "unit": "dept-1"}, api.as_role("coordinator")), 201
    )
    assert city["ranking"] == "city"
