"""Message texts. An SMS fits 70 Chinese characters (one segment); emails carry the detail and,
for departments, the magic link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.domain.calendar import SHANGHAI
from functions.domain.cases import Case
from functions.domain.digest import DigestItem
from functions.domain.lifecycle import STATE_LABELS
from functions.domain.policy import Rung
from functions.domain.taxonomy import OUTCOME_LABELS, REJECT_REASON_LABELS

SMS_LIMIT = 70
SMS_PREFIX = "【临江问政】"


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    sms: str | None = None  # citizens get an SMS too when they left a phone number


def local(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")


def _sms(text: str) -> str:
    text = SMS_PREFIX + text
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


def citizen(template: str, case: Case, *, track_url: str) -> Text:
    cid = case.case_id
    if template == "accepted":
        return Text(
            f"您的诉求 {cid} 已受理",
            f"您好！您提交的诉求“{case.title}”（编号 {cid}）已受理，我们将尽快交有关单位办理。\n"
            f"查询办理进度：{track_url}\n请使用提交时获得的查询码查看。",
            _sms(f"您的诉求{cid}已受理，我们将尽快交办，请凭查询码查看进度。"),
        )
    if template == "rejected":
        assert case.rejection is not None
        label = REJECT_REASON_LABELS[case.rejection.reason_code]
        return Text(
            f"您的诉求 {cid} 不予受理",
            f"您好！您提交的诉求“{case.title}”（编号 {cid}）不予受理。\n原因：{label}。"
            f"{case.rejection.reason}\n如有疑问，可重新提交或拨打 12345 热线。\n{track_url}",
            _sms(f"您的诉求{cid}不予受理（{label}），详情请凭查询码查看。"),
        )
    if template == "replied":
        reply = case.last_reply
        outcome = OUTCOME_LABELS[reply.outcome] if reply else ""
        return Text(
            f"您的诉求 {cid} 已答复",
            f"您好！{reply.department.name if reply else ''}已答复您的诉求“{case.title}”"
            f"（办理结果：{outcome}）。\n"
            f"请在 {local(case.rating_window_ends_at)} 前查看答复并评价：{track_url}",
            _sms(f"您的诉求{cid}已答复，请于7日内凭查询码查看并评价。"),
        )
    if template == "reopened":
        return Text(
            f"您的诉求 {cid} 已安排重办",
            f"您好！根据您的评价，诉求“{case.title}”已退回承办单位重新办理，"
            f"新的答复时限为 {local(case.assignment.reply_due_at if case.assignment else None)}。"
            f"\n{track_url}",
            _sms(f"您的诉求{cid}已安排重新办理，请留意后续答复。"),
        )
    if template == "escalated":
        return Text(
            f"您的诉求 {cid} 已转总平台处理",
            f"您好！诉求“{case.title}”经多次办理您仍不满意，已转总平台研究处理。\n{track_url}",
            _sms(f"您的诉求{cid}已转总平台研究处理。"),
        )
    if template == "closed":
        return Text(
            f"您的诉求 {cid} 已办结",
            f"您好！您的诉求“{case.title}”已办结。感谢您对我市工作的关注和支持！\n{track_url}",
            _sms(f"您的诉求{cid}已办结，感谢您的参与。"),
        )
    raise KeyError(template)


def department(template: str, case: Case, *, department_name: str, link: str | None) -> Text:
    cid = case.case_id
    a = case.assignment
    deadlines = ""
    if a is not None:
        deadlines = (
            f"签收时限：{local(a.response_due_at)}\n" if a.response_due_at else ""
        ) + f"答复时限：{local(a.reply_due_at)}\n"
    link_text = f"\n办理链接（请勿转发）：{link}\n" if link else ""
    if template in ("assigned_lead", "assigned_co_handler", "reopened_lead"):
        role, action = {
            "assigned_lead": ("牵头单位", "请及时签收并在时限内答复"),
            "assigned_co_handler": ("协办单位", "请在协办时限内提交协办意见"),
            "reopened_lead": ("牵头单位（重办）", "留言人对答复不满意，请重新办理并答复"),
        }[template]
        if template == "assigned_co_handler" and a is not None:
            slot = next((c for c in a.co_handlers if c.department.name == department_name), None)
            deadlines = f"协办意见时限：{local(slot.input_due_at if slot else None)}\n"
        return Text(
            f"【交办】{case.title}（{cid}）",
            f"{department_name}：\n总平台交办诉求一件，贵单位为{role}，{action}。\n\n"
            f"编号：{cid}\n标题：{case.title}\n{deadlines}{link_text}\n"
            "此链接仅用于本次交办，打开页面不会改变案件状态。",
        )
    if template == "followup_requested":
        return _followup(case, department_name=department_name, link=link)
    subjects = {
        "co_input": ("协办单位已提交意见", "协办单位已就本案提交协办意见，请在答复前参考。"),
        "extension_approved": ("延期申请已同意", "总平台已同意延期申请。"),
        "extension_refused": ("延期申请未同意", "总平台未同意延期申请，请按原时限答复。"),
        "return_refused": ("退回申请未同意", "总平台维持原交办，请继续办理。"),
    }
    subject, sentence = subjects[template]
    return Text(
        f"【{subject}】{case.title}（{cid}）",
        f"{department_name}：\n{sentence}\n\n编号：{cid}\n{deadlines}{link_text}",
    )


def staff_sign_in(link: str, minutes: int) -> Text:
    return Text(
        "问政平台工作人员登录链接",
        f"您好！请点击以下链接登录临江市网络问政平台（{minutes} 分钟内有效，仅可使用一次）：\n"
        f"{link}\n\n如非本人操作，请忽略本邮件。",
    )


_CLOCK_LABELS = {"response": "签收", "reply": "答复"}


def ladder(
    rung: Rung,
    clock: str,
    case: Case,
    *,
    recipient: str,
    department_name: str,
    due_at: datetime | None,
    link: str | None,
    console_url: str,
) -> Text:
    """A rung of the SLA ladder (提醒 / 催办 / 黄牌 / 红牌) for one kind of recipient: the
    handler gets a fresh link, the spokesperson and leader the facts, the central office the
    console. The SMS (only for rungs that send one) fits one segment."""
    cid = case.case_id
    what = _CLOCK_LABELS.get(clock, "办理")
    if rung.trigger == "used":
        state = f"{what}时限已用去 {round(rung.amount * 100)}%"
        sms = f"诉求{cid}{what}时限已过{round(rung.amount * 100)}%，请抓紧办理。"
    elif rung.trigger == "due":
        state = f"{what}时限已到"
        sms = f"催办：诉求{cid}{what}时限已到，请立即办理。"
    else:
        state = f"{what}已超期 {rung.amount:g} 个工作日（{rung.label}）"
        sms = f"{rung.label}：诉求{cid}{what}超期{rung.amount:g}个工作日，请立即督办。"
    ask = {
        "handler": f"请尽快{what}。",
        "spokesperson": f"请督促本单位经办人尽快{what}。",
        "leader": f"请督促本单位尽快{what}，并关注超期原因。",
        "coordinator": "请跟进督办。",
    }.get(recipient, "")
    lines = [
        f"{'总平台' if recipient == 'coordinator' else department_name}：",
        f"诉求“{case.title}”（编号 {cid}）{state}。{ask}",
        "",
        f"编号：{cid}",
        f"承办单位：{department_name}",
        f"{what}时限：{local(due_at)}",
    ]
    if link:
        lines.append(f"办理链接（请勿转发）：{link}")
    if recipient == "coordinator":
        lines.append(f"总平台工作台：{console_url}")
    tag = rung.label if rung.card else ("催办" if rung.trigger == "due" else "提醒")
    return Text(
        f"【{tag}】{case.title}（{cid}）",
        "\n".join(lines) + "\n",
        _sms(sms) if rung.sms else None,
    )


UNREACHABLE_TEMPLATE = "contact_unreachable"
_ROLE_NAMES = {"handler": "经办人", "spokesperson": "新闻发言人", "leader": "负责人"}


def contact_unreachable(
    *,
    kind: str,
    address: str,
    departments: list[tuple[str, list[str]]],
    case_id: str | None,
    original: str | None,
    detail: str,
    console_url: str,
) -> Text:
    """Alert to the central office: SES reported a permanent bounce (``kind="bounce"``) or a
    complaint. ``departments``: (name, contact roles) using the address; none for citizens and
    others, whose address the caller passes masked."""
    what = "邮件被退回（永久退信）" if kind == "bounce" else "收件人将邮件投诉为垃圾邮件"
    who = (
        "；".join(
            f"{name}（{'、'.join(_ROLE_NAMES.get(r, r) for r in roles)}）"
            for name, roles in departments
        )
        if departments
        else "非承办单位联系人"
    )
    lines = [
        "总平台：",
        f"发往 {address} 的邮件未能送达：{what}。",
        "",
        f"收件单位：{who}",
        f"相关诉求：{case_id or '—'}",
        f"原邮件：{original or '—'}",
        f"原因：{detail}",
        "",
    ]
    if departments:
        lines.append(
            "该地址已标记为无法送达，案件详情中将提示“未能送达该单位”。"
            "请核实并更新该单位的联系方式，必要时电话通知并重新交办。"
        )
    lines.append(f"总平台工作台：{console_url}")
    subject = f"【未能送达】{departments[0][0] if departments else '邮件'}（{case_id or '无案件'}）"
    return Text(subject, "\n".join(lines) + "\n")


FOLLOWUP_ASK = (
    "请将落实情况报告总平台（市网络问政办公室）：已完成的，说明完成时间和结果；"
    "未能按期完成的，说明原因和新的完成时间。平台暂不支持在线报送落实情况。"
)


def _followup(case: Case, *, department_name: str, link: str | None) -> Text:
    """列入计划: the promised date has passed; ask the lead how it went. The link only shows
    the case (and the reply as sent), so the text says where to report."""
    cid = case.case_id
    reply = case.last_reply
    planned = reply.planned_date.isoformat() if reply and reply.planned_date else "—"
    lines = [
        f"{department_name}：",
        f"贵单位对诉求“{case.title}”（编号 {cid}）的答复为“列入计划”，"
        f"承诺于 {planned} 前完成。该日期已过。",
        FOLLOWUP_ASK,
        "",
        f"编号：{cid}",
        f"答复时间：{local(reply.at if reply else None)}",
        f"计划完成日期：{planned}",
    ]
    if link:
        lines.append(f"查看本件（请勿转发）：{link}")
    return Text(f"【催报落实情况】{case.title}（{cid}）", "\n".join(lines) + "\n")


_DIGEST_ROLES = {"lead": "牵头", "co_handler": "协办"}


def digest(
    department_name: str,
    items: Sequence[DigestItem],
    *,
    now: datetime,
    handle_page: str,
    links: Mapping[str, str],
) -> Text:
    """每日待办: one email per department, its open cases with deadlines and time left, each
    with a fresh link (``links``: case id → link; a line without one points to the
    assignment email and the handling page's re-send form)."""
    overdue = sum(1 for item in items if item.overdue)
    lines = [
        f"{department_name}：",
        f"截至 {local(now)}，贵单位在办诉求共 {len(items)} 件"
        + (f"，其中已超期 {overdue} 件" if overdue else "")
        + "：",
        "",
    ]
    for n, item in enumerate(items, start=1):
        state = STATE_LABELS[item.state] + ("，待签收" if item.state.value == "assigned" else "")
        lines.append(f"{n}. 【{_DIGEST_ROLES.get(item.role.value, '')}】{item.title}")
        lines.append(f"   编号：{item.case_id}　状态：{state}")
        for due in item.dues:
            lines.append(f"   {due.label}：{local(due.at)}（{due.standing}）")
        if item.note:
            lines.append(f"   {item.note}")
        if item.case_id in links:
            lines.append(f"   办理链接（请勿转发）：{links[item.case_id]}")
    lines += [
        "",
        "未附链接的诉求，办理链接见交办邮件。如链接遗失，请打开办理页面 "
        f"{handle_page} ，填写单位和诉求编号申请重新发送，新链接将发送至贵单位登记的邮箱。",
        "本邮件每个工作日上午自动发送，仅列出需要贵单位办理的诉求。",
    ]
    subject = f"【每日待办】在办诉求 {len(items)} 件" + (f"，超期 {overdue} 件" if overdue else "")
    day = now.astimezone(SHANGHAI).strftime("%Y年%m月%d日")
    return Text(f"{subject}（{day}）", "\n".join(lines) + "\n")
