"""The 通报 as a Word document (.docx, python-docx): offices circulate Word files. Written by
the ``rankings`` job only (functions/services/bulletin.py ``produce``); python-docx and lxml
are imported inside :func:`write`, never by anything the API imports.

The reader's machine supplies the Chinese fonts: the styles name them for East Asian text
(``w:eastAsia``): 仿宋 for the body, 黑体 for the title and headings, 宋体 in tables. A4
portrait, page numbers centred in the footer (a ``PAGE`` field)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from functions.domain import bulletin as rules

BODY_FONT, HEADING_FONT, TABLE_FONT = "仿宋", "黑体", "宋体"
LATIN_FONT = "Times New Roman"


def write(content: Mapping[str, Any]) -> bytes:
    """The .docx bytes of a 通报 document (functions/domain/bulletin.py ``compose``)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def fonts(style: Any, east_asian: str, size: float, bold: bool = False) -> None:
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)

    fonts(document.styles["Normal"], BODY_FONT, 16)  # 三号仿宋, as official documents are set
    fonts(document.styles["Title"], HEADING_FONT, 22)
    fonts(document.styles["Heading 1"], HEADING_FONT, 16)
    fonts(document.styles["Heading 2"], HEADING_FONT, 14)
    table_style = document.styles["Table Grid"]
    fonts(table_style, TABLE_FONT, 11)

    # Page numbers: a PAGE field centred in the footer.
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)

    title = document.add_paragraph(content["title"], style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    frozen = (content.get("ranking_frozen_at") or "")[:10]
    stamp = document.add_paragraph(f"排名发布：{frozen}" if frozen else "")
    stamp.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        grid = document.add_table(rows=1 + len(rows), cols=len(header), style=table_style)
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, label in enumerate(header):
            cell = grid.rows[0].cells[i]
            cell.text = label
            for run in cell.paragraphs[0].runs:
                run.font.bold = True
        for r, values in enumerate(rows, start=1):
            for i, value in enumerate(values):
                grid.rows[r].cells[i].text = value

    document.add_heading("一、总体情况", level=1)
    for line in headline_lines(content):
        document.add_paragraph(line)

    document.add_heading("二、亮晒比排名", level=1)
    for level in content["levels"]:
        document.add_heading(level["label"], level=2)
        if not level["top"] and not level["bottom"]:
            document.add_paragraph("本月参加排名的单位不足，未列前后名次。")
            continue
        rows = [
            (label, str(row["rank"] or "—"), row["name"], _score(row["score"]))
            for label, group in (("前列", level["top"]), ("后列", level["bottom"]))
            for row in group
        ]
        table(("位置", "名次", "单位", "综合得分"), rows)

    document.add_heading("三、约谈情况", level=1)
    for line in talk_lines(content):
        document.add_paragraph(line)

    document.add_heading("四、本月热点", level=1)
    hotspots = content.get("hotspots") or []
    if hotspots:
        for spot in hotspots:
            document.add_paragraph(
                f"{spot.get('label') or spot.get('term', '')}：{spot.get('summary', '')}"
            )
    else:
        document.add_paragraph("本月无舆情热点预警。")

    document.add_heading("五、回音壁", level=1)
    cases = content.get("showcase") or []
    if not cases:
        document.add_paragraph("本月无精选案例。")
    for item in cases:
        unit = (item.get("department") or {}).get("name", "")
        document.add_paragraph(f"{item['title']}（{item['case_id']}，{unit}）", style="Heading 2")
        document.add_paragraph(item.get("summary") or item.get("excerpt") or "")

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def headline_lines(content: Mapping[str, Any]) -> list[str]:
    """The headline paragraph lines (the print page says the same from the same figures)."""
    h, d = content.get("headline") or {}, content.get("change") or {}

    def ch(name: str, rate: bool = False) -> str:
        return rules.signed_change(d.get(name), rate=rate)

    received = "—" if h.get("received") is None else h["received"]
    return [
        f"本月受理群众诉求 {received} 件（环比 {ch('received')}），"
        f"交办 {h.get('assigned', 0)} 件（环比 {ch('assigned')}），"
        f"答复 {h.get('replied', 0)} 件（环比 {ch('replied')}），"
        f"办结 {h.get('closed', 0)} 件。",
        f"按时答复率 {rules.percent(h.get('replied_on_time_rate'))}"
        f"（环比 {ch('replied_on_time_rate', True)}），"
        f"满意率 {rules.percent(h.get('satisfied_rate'))}（环比 {ch('satisfied_rate', True)}）。",
    ]


def talk_lines(content: Mapping[str, Any]) -> list[str]:
    flags = content.get("talk_flags") or []
    lines = [
        "本月连续两个月排名后三位、列入约谈提示的单位："
        + ("、".join(f"{f['name']}（{f['level']}）" for f in flags) if flags else "无")
        + "。"
    ]
    for talk in content.get("talks") or []:
        line = (
            f"{talk['held_on']} 约谈{talk['unit']['name']}（{talk['month']} 排名提示）："
            f"{talk['reasons']}。整改期限 {talk['rectify_by']}，{talk['status_label']}"
        )
        done = talk.get("rectification")
        if done:
            line += f"（{done['reported_at'][:10]} 报送：{done['text']}）"
        lines.append(line + "。")
    return lines
