"""Message texts. An SMS fits 70 Chinese characters (one segment); emails carry the detail and,
for departments, the magic link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from functions.domain.calendar import SHANGHAI
from functions.domain.cases import Case
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
    subjects = {
        "co_input": ("协办单位已提交意见", "协办单位已就本案提交协办意见，请在答复前参考。"),
        "extension_approved": ("延期申请已同意", "总平台已同意延期申请。"),
        "extension_refused": ("延期申请未同意", "总平台未同意延期申请，请按原时限答复。"),
        "return_refused": ("退回申请未同意", "总平台维持原交办，请继续办理。"),
    }
    subject, sentence = subjects[template]
    return Text(
        f"【{subject}】{case.title}（{cid}）",
        f"{department_name}：\n{sentence}\n\n编号：{cid}\n{deadlines}",
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
