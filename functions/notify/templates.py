"""Message texts. An SMS fits 70 Chinese characters (one segment); emails carry the detail and,
for departments, the magic link.

Whatever a citizen (or anyone outside the platform) wrote never stands as a line of its own
that could pass for one of the platform's lines: a title, a reason, a reply, a comment is
shown in a quoted block (``quoted``: every line starts with ``QUOTE``), and where it must sit
on one line (a subject, a name in a sentence) it goes through ``one_line``, which removes line
breaks and control characters. The links a text carries are the ones the platform made, listed
in ``Text.links``: the HTML part makes exactly those clickable (``adapter.html_body``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from string import Template
from typing import TYPE_CHECKING

from functions.domain.calendar import SHANGHAI
from functions.domain.cases import Assignment, Case, public_text, public_title
from functions.domain.digest import DigestItem
from functions.domain.lifecycle import STATE_LABELS
from functions.domain.policy import Rung
from functions.domain.taxonomy import OUTCOME_LABELS, REJECT_REASON_LABELS

if TYPE_CHECKING:
    from functions.domain.desk import Tally

SMS_LIMIT = 70
QUOTE = "> "  # the start of every line of a quoted block (the mail convention)
SUBJECT_TITLE = 30  # characters of a title in a subject line

# Unicode categories never shown: controls (line breaks and tabs among them), line and
# paragraph separators, lone surrogates (which would stop the mail being encoded at all).
_HIDDEN = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Direction overrides and isolates: they reorder what a reader sees.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# 国内短信须使用审核通过的模板和签名: in China an SMS is an approved template plus its
# parameters and the approved signature, never free text. Every SMS the platform sends is one
# of these kinds: the template to file for approval (``${name}`` the parameters; the
# signature is not part of it), which SNS stages fill in themselves and domestic stages send
# as ``WZ_SMS_TEMPLATES[kind]`` with the parameters (docs/OPERATIONS.md, "Domestic SMS
# templates"). The citizen notices' kinds are their notice names.
OTP_KIND = "citizen_otp"
MERGED_REPLY_KIND = "merged_replied"
SMS_TEMPLATES: dict[str, str] = {
    "received": "您的诉求已提交，编号${case_id}，查询码${code}，请妥善保存，凭此查询进度。",
    "tracking_code_reissued": "您的诉求${case_id}新查询码${code}，原查询码已失效。"
    "如非本人操作请留意。",
    OTP_KIND: "您的验证码为${code}，5分钟内有效，用于查看“我的诉求”。请勿告诉他人。",
    "accepted": "您的诉求${case_id}已受理，我们将尽快交办，请凭查询码查看进度。",
    "assigned": "您的诉求${case_id}已交${department}办理，请凭查询码查看进度。",
    "extended": "您的诉求${case_id}答复时限已延至${due}，请凭查询码查看进度。",
    "rejected": "您的诉求${case_id}不予受理（${reason}），详情请凭查询码查看。",
    "merged": "您的诉求${case_id}已与同类诉求${primary}合并办理，答复后将同时通知您。",
    MERGED_REPLY_KIND: "您的诉求${case_id}已随同类诉求${primary}统一答复，请凭查询码查看。",
    "unmerged": "您的诉求${case_id}已撤销并件，将单独办理，详情请凭查询码查看。",
    "replied": "您的诉求${case_id}已答复，请于${due}前凭查询码查看并评价。",
    "reopened": "您的诉求${case_id}已安排重新办理，请留意后续答复。",
    "escalated": "您的诉求${case_id}已转总平台研究处理。",
    "reopened_platform": "您的诉求${case_id}已退回平台重新处理。",
    "closed": "您的诉求${case_id}已办结，感谢您的参与。",
    "info_requested": "您的诉求${case_id}需补充材料，请于${due}前凭查询码在查询页面补充。",
    # The SLA ladder's SMS rungs, to a unit's handler, spokesperson and leader.
    "ladder_used": "诉求${case_id}${deadline}时限已过${percent}%，请抓紧办理。",
    "ladder_due": "催办：诉求${case_id}${deadline}时限已到，请立即办理。",
    "ladder_overdue": "${rung}：诉求${case_id}${deadline}超期${days}个工作日，请立即督办。",
}
SMS_PARAM_LIMIT = 20  # characters of one parameter (a unit's name, a date): the providers cap them


@dataclass(frozen=True)
class Sms:
    """An SMS: its ``kind`` (a key of ``SMS_TEMPLATES``), its parameters in the template's
    order, and ``text``, the whole message as SNS sends it (signature first, one segment)."""

    kind: str
    params: tuple[tuple[str, str], ...]
    text: str


@dataclass(frozen=True)
class Text:
    subject: str
    body: str
    sms: Sms | None = None  # citizens get an SMS too when they left a phone number
    links: tuple[str, ...] = ()  # the platform's links in ``body``, the only ones made live


def _clean(text: str) -> str:
    """Controls and direction marks removed; whitespace controls (tab, line breaks) become a
    space so words do not run together."""
    out: list[str] = []
    for ch in text:
        if ch in _BIDI:
            continue
        if unicodedata.category(ch) in _HIDDEN:
            if ch.isspace():
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def one_line(text: str | None, limit: int | None = None) -> str:
    """Someone else's text for a single-line slot (a subject, a name, a title in a sentence):
    no line breaks or control characters, runs of whitespace as one space, optionally cut to
    ``limit`` characters."""
    line = " ".join(_clean(text or "").split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def quoted(label: str, text: str | None) -> list[str]:
    """Someone else's text as a delimited block: the label line, then every line of the text
    behind ``QUOTE``, then a blank line. Nothing in the text can end the block early or start
    a line of its own."""
    lines = [" ".join(_clean(line).split()) for line in (text or "").splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    body = [QUOTE + line if line else QUOTE.rstrip() for line in lines] or [QUOTE + "（无）"]
    return [f"{label}：", *body, ""]


def local(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")


def sms_signature() -> str:
    """The registered SMS signature (短信签名) of the deployment (``WZ_SMS_SIGNATURE``)."""
    from functions.settings import settings

    return settings().sms_signature


def sms_param_names(kind: str) -> tuple[str, ...]:
    """The parameters of an SMS kind, in the order its template names them (a Tencent
    template numbers them {1}, {2}… in this order)."""
    return tuple(Template(SMS_TEMPLATES[kind]).get_identifiers())


def sms_text(kind: str, params: Mapping[str, str]) -> str:
    """What an SMS of ``kind`` says with ``params``, after the signature, as a domestic
    provider composes it from the approved template (whole: never cut)."""
    return Template(SMS_TEMPLATES[kind]).substitute(params)


def _sms(kind: str, **params: object) -> Sms:
    """An SMS of ``kind``: each parameter on one line, at most ``SMS_PARAM_LIMIT``
    characters; the SNS text is the signature and the filled template, cut to one segment."""
    values = {name: one_line(str(value), SMS_PARAM_LIMIT) for name, value in params.items()}
    assert set(values) == set(sms_param_names(kind)), kind
    text = sms_signature() + sms_text(kind, values)
    text = text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"
    return Sms(kind, tuple((name, values[name]) for name in sms_param_names(kind)), text)


def _subject_title(case: Case) -> str:
    return one_line(case.title, SUBJECT_TITLE)


def _body(lines: Sequence[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"


def _title_block(case: Case) -> list[str]:
    return quoted("诉求标题", case.title)


CitizenTemplate = Callable[[Case, str, "str | None"], Text]


@dataclass(frozen=True)
class To:
    """The department a notice goes to: its id, its name (one line) and its fresh link."""

    department_id: str
    name: str
    link: str | None


DepartmentTemplate = Callable[[Case, To], Text]


@dataclass(frozen=True)
class Office:
    """Who a notice to the platform's own people goes to: ``recipient`` is ``coordinator``
    (every coordinator account) or ``leader`` (the lead department's leader, ``name`` its
    department); the links are the console's and the public page's."""

    recipient: str
    name: str
    console_url: str
    case_url: str


StaffTemplate = Callable[[Case, Office], Text]
_CITIZEN: dict[str, CitizenTemplate] = {}
_DEPARTMENT: dict[str, DepartmentTemplate] = {}
_STAFF: dict[str, StaffTemplate] = {}


def to_citizen(name: str) -> Callable[[CitizenTemplate], CitizenTemplate]:
    """Register the citizen notice ``name`` (a notice an action module declares): a function
    of the case, the tracking page's URL and (the receipt only) the tracking code."""

    def register(fn: CitizenTemplate) -> CitizenTemplate:
        _CITIZEN[name] = fn
        return fn

    return register


def to_department(name: str) -> Callable[[DepartmentTemplate], DepartmentTemplate]:
    """Register the department notice ``name``: a function of the case and the department it
    goes to (with its fresh link, if the notice carries one)."""

    def register(fn: DepartmentTemplate) -> DepartmentTemplate:
        _DEPARTMENT[name] = fn
        return fn

    return register


def to_staff(name: str) -> Callable[[StaffTemplate], StaffTemplate]:
    """Register the notice ``name`` to the coordinators or a department's leader: a function
    of the case and who it goes to."""

    def register(fn: StaffTemplate) -> StaffTemplate:
        _STAFF[name] = fn
        return fn

    return register


def staff(template: str, case: Case, office: Office) -> Text:
    """An e-mail to a coordinator or a department's leader."""
    return _STAFF[template](case, office)


def citizen(template: str, case: Case, *, track_url: str, tracking_code: str | None = None) -> Text:
    """A notice to the citizen, by e-mail and SMS. ``tracking_code`` only for the receipt
    (``received``), built at submission from the code in hand: the platform keeps its hash."""
    return _CITIZEN[template](case, track_url, tracking_code)


def _citizen_common(
    case: Case, track_url: str
) -> tuple[str, tuple[str, ...], list[str], Assignment | None, str]:
    """What most citizen notices say: the case id, the tracking page, the lead's name."""
    a = case.assignment
    return (
        case.case_id,
        (track_url,),
        [f"查询办理进度：{track_url}"],
        a,
        one_line(a.lead.name) if a else "",
    )


@to_citizen("received")
def _citizen_received(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    assert tracking_code is not None
    return Text(
        f"您的诉求已提交（编号 {cid}）",
        _body(
            [
                "您好！您的诉求已提交，我们将尽快受理。",
                "",
                f"诉求编号：{cid}",
                f"查询码：{tracking_code}",
                "请妥善保存诉求编号和查询码，凭此查询办理进度、阅读答复并评价。"
                "查询码只发给您本人，工作人员不会向您索要。",
                "",
                *_title_block(case),
                *track,
                "如非本人提交，请忽略本消息。",
            ]
        ),
        _sms("received", case_id=cid, code=tracking_code),
        links,
    )


@to_citizen("tracking_code_reissued")
def _citizen_tracking_reissued(case: Case, track_url: str, tracking_code: str | None) -> Text:
    """我的诉求: the new tracking code, after the citizen proved the phone number by SMS."""
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    assert tracking_code is not None
    return Text(
        f"您的诉求查询码已重新发放（编号 {cid}）",
        _body(
            [
                "您好！您通过手机验证重新获取了诉求的查询码，原查询码已失效。",
                "",
                f"诉求编号：{cid}",
                f"新查询码：{tracking_code}",
                "查询码只发给您本人，工作人员不会向您索要。",
                "",
                *track,
                "如非本人操作，请尽快通过“我的诉求”再次重新获取查询码。",
            ]
        ),
        _sms("tracking_code_reissued", case_id=cid, code=tracking_code),
        links,
    )


def otp_sms(code: str) -> Sms:
    """我的诉求: the sign-in code, by SMS only."""
    return _sms(OTP_KIND, code=code)


@to_citizen("accepted")
def _citizen_accepted(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    return Text(
        f"您的诉求 {cid} 已受理",
        _body(
            [
                f"您好！您提交的诉求（编号 {cid}）已受理，我们将尽快交有关单位办理。",
                "",
                *_title_block(case),
                *track,
                "请使用提交时获得的查询码查看。",
            ]
        ),
        _sms("accepted", case_id=cid),
        links,
    )


@to_citizen("assigned")
def _citizen_assigned(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, a, lead = _citizen_common(case, track_url)
    assert a is not None
    return Text(
        f"您的诉求 {cid} 已交办",
        _body(
            [
                f"您好！您的诉求（编号 {cid}）已交{lead}办理，"
                f"承办单位将在 {local(a.reply_due_at)} 前答复您。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("assigned", case_id=cid, department=lead),
        links,
    )


@to_citizen("extended")
def _citizen_extended(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, a, lead = _citizen_common(case, track_url)
    assert a is not None
    return Text(
        f"您的诉求 {cid} 答复时限已延长",
        _body(
            [
                f"您好！经总平台同意，{lead}办理您的诉求（编号 {cid}）的答复时限"
                f"延长至 {local(a.reply_due_at)}。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("extended", case_id=cid, due=local(a.reply_due_at)),
        links,
    )


@to_citizen("rejected")
def _citizen_rejected(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    assert case.rejection is not None
    label = REJECT_REASON_LABELS[case.rejection.reason_code]
    return Text(
        f"您的诉求 {cid} 不予受理",
        _body(
            [
                f"您好！您提交的诉求（编号 {cid}）不予受理，原因：{label}。",
                "",
                *quoted("说明", case.rejection.reason),
                *_title_block(case),
                "如有疑问，可重新提交或拨打 12345 热线。",
                *track,
            ]
        ),
        _sms("rejected", case_id=cid, reason=label),
        links,
    )


@to_citizen("merged")
def _citizen_merged(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    assert case.merged is not None
    primary = case.merged.into
    page = f"{track_url.split('/track.html', 1)[0]}/case.html?id={primary}"
    return Text(
        f"您的诉求 {cid} 已与同类诉求合并办理",
        _body(
            [
                f"您好！您提交的诉求（编号 {cid}）与反映同一问题的诉求（编号 {primary}）"
                "合并办理（并件），由承办单位统一办理、统一答复。",
                "主件答复后，我们会同时把答复发给您，您可以在本件的查询页面阅读答复。",
                "",
                *_title_block(case),
                f"主件公开后可在留言板查看：{page}",
                *track,
            ]
        ),
        _sms("merged", case_id=cid, primary=primary),
        (*links, page),
    )


def merged_reply(case: Case, primary: Case, *, track_url: str) -> Text:
    """To the citizen of a case merged into ``primary``: the primary's reply (its last)."""
    cid = case.case_id
    reply = primary.last_reply
    assert reply is not None
    planned = [f"计划完成日期：{reply.planned_date:%Y年%m月%d日}"] if reply.planned_date else []
    return Text(
        f"您的诉求 {cid} 已答复（并件办理）",
        _body(
            [
                f"您好！您提交的诉求（编号 {cid}）与诉求 {primary.case_id} 合并办理，"
                "承办单位已统一答复：",
                "",
                f"答复单位：{one_line(reply.department.name)}",
                f"办理结果：{OUTCOME_LABELS[reply.outcome]}",
                *planned,
                "",
                *quoted("答复内容", reply.text),
                *_title_block(case),
                f"查看答复：{track_url}",
            ]
        ),
        _sms(MERGED_REPLY_KIND, case_id=cid, primary=primary.case_id),
        (track_url,),
    )


@to_citizen("unmerged")
def _citizen_unmerged(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    return Text(
        f"您的诉求 {cid} 已撤销并件，单独办理",
        _body(
            [
                f"您好！您提交的诉求（编号 {cid}）经核实与原并件的诉求不是同一问题，"
                "已撤销并件，将单独受理办理。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("unmerged", case_id=cid),
        links,
    )


@to_citizen("unmerged_primary")
def _citizen_unmerged_primary(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    return Text(
        f"与您的诉求 {cid} 合并办理的一件诉求已撤销并件",
        _body(
            [
                f"您好！此前与您的诉求（编号 {cid}）合并办理的一件诉求，经核实不是同一问题，"
                "已撤销并件、单独办理。您的诉求照常办理。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        None,
        links,
    )


@to_citizen("replied")
def _citizen_replied(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, _track, _a, _lead = _citizen_common(case, track_url)
    reply = case.last_reply
    assert reply is not None
    planned = [f"计划完成日期：{reply.planned_date:%Y年%m月%d日}"] if reply.planned_date else []
    ends = local(case.rating_window_ends_at)
    return Text(
        f"您的诉求 {cid} 已答复",
        _body(
            [
                f"您好！{one_line(reply.department.name)}已答复您的诉求（编号 {cid}），"
                f"办理结果：{OUTCOME_LABELS[reply.outcome]}。",
                *planned,
                "",
                *quoted("答复内容", reply.text),
                *_title_block(case),
                f"请在 {ends} 前查看答复并评价：{track_url}",
            ]
        ),
        _sms("replied", case_id=cid, due=ends),
        links,
    )


@to_citizen("reopened")
def _citizen_reopened(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, a, lead = _citizen_common(case, track_url)
    return Text(
        f"您的诉求 {cid} 已安排重办",
        _body(
            [
                f"您好！根据您的评价，诉求（编号 {cid}）已退回{lead}重新办理，"
                f"新的答复时限为 {local(a.reply_due_at if a else None)}。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("reopened", case_id=cid),
        links,
    )


@to_citizen("escalated")
def _citizen_escalated(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    return Text(
        f"您的诉求 {cid} 已转总平台处理",
        _body(
            [
                f"您好！您的诉求（编号 {cid}）经多次办理您仍不满意，已转总平台研究处理。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("escalated", case_id=cid),
        links,
    )


@to_citizen("reopened_platform")
def _citizen_reopened_platform(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    last = case.last_reply
    platform = one_line(last.department.name) if last else "平台"
    return Text(
        f"您的诉求 {cid} 已退回平台重新处理",
        _body(
            [
                f"您好！根据您的评价，诉求（编号 {cid}）已退回{platform}重新处理，"
                "平台将重新答复或交承办单位办理。",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("reopened_platform", case_id=cid),
        links,
    )


@to_citizen("closed")
def _citizen_closed(case: Case, track_url: str, tracking_code: str | None) -> Text:
    cid, links, track, _a, _lead = _citizen_common(case, track_url)
    return Text(
        f"您的诉求 {cid} 已办结",
        _body(
            [
                f"您好！您的诉求（编号 {cid}）已办结。感谢您对我市工作的关注和支持！",
                "",
                *_title_block(case),
                *track,
            ]
        ),
        _sms("closed", case_id=cid),
        links,
    )


def department(
    template: str,
    case: Case,
    *,
    department_id: str,
    department_name: str,
    link: str | None,
) -> Text:
    """An e-mail to a department's handler (``department_id``), with its fresh link."""
    return _DEPARTMENT[template](case, To(department_id, one_line(department_name), link))


def _deadlines(case: Case) -> list[str]:
    a = case.assignment
    if a is None:
        return []
    response = [f"签收时限：{local(a.response_due_at)}"] if a.response_due_at else []
    return [*response, f"答复时限：{local(a.reply_due_at)}"]


def _link_lines(to: To) -> list[str]:
    return [f"办理链接（请勿转发）：{to.link}", ""] if to.link else []


def _handed(
    case: Case, to: To, role: str, action: str, deadlines: list[str], extra: list[str]
) -> Text:
    """交办 (and 重办): the case, the department's role and deadlines, its link."""
    cid = case.case_id
    return Text(
        f"【交办】{_subject_title(case)}（{cid}）",
        _body(
            [
                f"{to.name}：",
                f"总平台交办诉求一件，贵单位为{role}，{action}。",
                "",
                f"编号：{cid}",
                *deadlines,
                "",
                *quoted("诉求标题（留言人填写）", case.title),
                *extra,
                *_link_lines(to),
                "此链接仅用于本次交办，打开页面不会改变案件状态。",
            ]
        ),
        links=(to.link,) if to.link else (),
    )


@to_department("assigned_lead")
def _assigned_lead(case: Case, to: To) -> Text:
    return _handed(case, to, "牵头单位", "请及时签收并在时限内答复", _deadlines(case), [])


@to_department("assigned_co_handler")
def _assigned_co_handler(case: Case, to: To) -> Text:
    slot = case.assignment.co_handler(to.department_id) if case.assignment else None
    due = [f"协办意见时限：{local(slot.input_due_at if slot else None)}"]
    return _handed(case, to, "协办单位", "请在协办时限内提交协办意见", due, [])


@to_department("reopened_lead")
def _reopened_lead(case: Case, to: To) -> Text:
    reply = case.last_reply
    comment = reply.rating_comment if reply is not None else None
    extra = quoted("留言人评价意见", comment) if comment else []
    action = "留言人对答复不满意，请重新办理并答复"
    return _handed(case, to, "牵头单位（重办）", action, _deadlines(case), extra)


@to_department("followup_requested")
def _followup_requested(case: Case, to: To) -> Text:
    return _followup(case, department_name=to.name, link=to.link)


def _told(case: Case, to: To, subject: str, sentence: str, extra: list[str]) -> Text:
    """A short notice about the case to the department, with its deadlines and link."""
    cid = case.case_id
    return Text(
        f"【{subject}】{_subject_title(case)}（{cid}）",
        _body(
            [
                f"{to.name}：",
                sentence,
                "",
                f"编号：{cid}",
                *_deadlines(case),
                "",
                *quoted("诉求标题（留言人填写）", case.title),
                *extra,
                *_link_lines(to),
            ]
        ),
        links=(to.link,) if to.link else (),
    )


@to_department("co_input")
def _co_input(case: Case, to: To) -> Text:
    a = case.assignment
    given = [c for c in a.co_handlers if c.input is not None and c.input_at] if a else []
    extra: list[str] = []
    if a is not None and given:
        latest = max(given, key=lambda c: c.input_at or a.assigned_at)
        extra = quoted(f"{one_line(latest.department.name)}的协办意见", latest.input)
    sentence = "协办单位已就本案提交协办意见，请在答复前参考。"
    return _told(case, to, "协办单位已提交意见", sentence, extra)


@to_department("extension_approved")
def _extension_approved(case: Case, to: To) -> Text:
    return _told(case, to, "延期申请已同意", "总平台已同意延期申请。", [])


@to_department("extension_refused")
def _extension_refused(case: Case, to: To) -> Text:
    return _told(case, to, "延期申请未同意", "总平台未同意延期申请，请按原时限答复。", [])


@to_department("return_refused")
def _return_refused(case: Case, to: To) -> Text:
    return _told(case, to, "退回申请未同意", "总平台维持原交办，请继续办理。", [])


@to_department("reply_returned")
def _reply_returned(case: Case, to: To) -> Text:
    """答复审核: the platform returned the lead's reply; the note says why."""
    review = case.reply_review
    note = review.returned_note if review else ""
    sentence = "平台审核后退回了贵单位的答复，请根据审核意见修改后重新答复（答复时限不变）。"
    return _told(case, to, "答复退回修改", sentence, quoted("审核意见", note) if note else [])


def staff_sign_in(link: str, minutes: int) -> Text:
    return Text(
        "问政平台工作人员登录链接",
        f"您好！请点击以下链接登录网络问政平台工作台（{minutes} 分钟内有效，仅可使用一次）：\n"
        f"{link}\n\n如非本人操作，请忽略本邮件。\n",
        links=(link,),
    )


def staff_factor_locked(account: str, until: datetime, failures: int) -> Text:
    """To the admins: an account's second factor took ``failures`` wrong codes in a row and
    is locked (someone may have its e-mailed links, or its owner lost the phone)."""
    return Text(
        "问政平台：工作人员账号因验证码错误次数过多已锁定",
        f"工作人员账号 {account} 连续 {failures} 次输入错误的动态验证码，已锁定至 "
        f"{local(until)}（北京时间）。\n\n"
        "如非本人操作，可能有人取得了该账号的登录邮件，请尽快与本人核实；"
        "如本人丢失了验证器，管理员可在“目录管理”中为其重置动态验证码。\n",
    )


DESK_REQUESTED = "desk_link"  # a unit's address asked for its desk link
DESK_WEEKLY = "desk_weekly"  # the weekly job's desk link with the unit's figures


def desk_link(
    unit_name: str,
    link: str,
    *,
    days: int,
    expires_at: datetime,
    now: datetime,
    tally: Tally | None = None,
) -> Text:
    """单位工作台: a unit's desk link, asked for by one of its addresses or (with ``tally``,
    its open cases' figures) sent by the weekly job. Either replaces the link sent before."""
    lines = [f"{one_line(unit_name)}：", ""]
    if tally is not None:
        led = (
            f"贵单位牵头在办诉求 {tally.open} 件"
            + (f"，其中已超期 {tally.overdue} 件" if tally.overdue else "")
            + (f"，黄牌督办 {tally.yellow} 件" if tally.yellow else "")
            + (f"，红牌督办 {tally.red} 件" if tally.red else "")
        )
        helped = f"协办在办诉求 {tally.co_open} 件" + (
            f"，其中协办意见已超期 {tally.co_overdue} 件" if tally.co_overdue else ""
        )
        said = [led] if tally.open or not tally.co_open else []
        said += [helped if said else f"贵单位{helped}"] if tally.co_open else []
        lines += [f"截至 {local(now)}，" + "；".join(said) + "。", ""]
    lines += [
        f"贵单位的工作台链接（{days} 天内有效，至 {local(expires_at)}；请勿转发）：",
        link,
        "",
        "打开后可查看贵单位牵头和协办的全部在办诉求及其办理时限、超期和黄牌/红牌督办情况，"
        "按紧急程度排列，点击即可进入该诉求的办理页面。",
        "新的工作台链接发出后，此前发送的工作台链接即失效。",
    ]
    if tally is None:
        lines.append("本链接应贵单位登记邮箱的申请发送；如非贵单位申请，请忽略本邮件或联系总平台。")
    else:
        lines.append("本邮件每周第一个工作日上午自动发送。")
    if tally is None:
        subject = "【单位工作台】贵单位的工作台链接"
    else:
        if tally.open or not tally.co_open:
            subject = f"【每周工作台】牵头在办诉求 {tally.open} 件" + (
                f"，超期 {tally.overdue} 件" if tally.overdue else ""
            )
            subject += f"，协办 {tally.co_open} 件" if tally.co_open else ""
        else:
            subject = f"【每周工作台】协办在办诉求 {tally.co_open} 件"
        counted = (("黄牌", tally.yellow), ("红牌", tally.red))
        cards = [f"{label} {n} 件" for label, n in counted if n]
        subject += f"（{'，'.join(cards)}）" if cards else ""
    return Text(subject, _body(lines), links=(link,))


_DEADLINE_LABELS = {"response": "签收", "reply": "答复"}


def ladder(
    rung: Rung,
    deadline: str,
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
    name = one_line(department_name)
    what = _DEADLINE_LABELS.get(deadline, "办理")
    label = one_line(rung.label)
    if rung.trigger == "used":
        state = f"{what}时限已用去 {round(rung.amount * 100)}%"
        sms = _sms("ladder_used", case_id=cid, deadline=what, percent=round(rung.amount * 100))
    elif rung.trigger == "due":
        state = f"{what}时限已到"
        sms = _sms("ladder_due", case_id=cid, deadline=what)
    else:
        state = f"{what}已超期 {rung.amount:g} 个工作日（{label}）"
        sms = _sms(
            "ladder_overdue", rung=label, case_id=cid, deadline=what, days=f"{rung.amount:g}"
        )
    ask = {
        "handler": f"请尽快{what}。",
        "spokesperson": f"请督促本单位经办人尽快{what}。",
        "leader": f"请督促本单位尽快{what}，并关注超期原因。",
        "coordinator": "请跟进督办。",
    }.get(recipient, "")
    lines = [
        f"{'总平台' if recipient == 'coordinator' else name}：",
        f"诉求（编号 {cid}）{state}。{ask}",
        "",
        f"编号：{cid}",
        f"承办单位：{name}",
        f"{what}时限：{local(due_at)}",
        "",
        *quoted("诉求标题（留言人填写）", case.title),
    ]
    links: list[str] = []
    if link:
        lines.append(f"办理链接（请勿转发）：{link}")
        links.append(link)
    if recipient == "coordinator":
        lines.append(f"总平台工作台：{console_url}")
        links.append(console_url)
    tag = label if rung.card else ("催办" if rung.trigger == "due" else "提醒")
    return Text(
        f"【{tag}】{_subject_title(case)}（{cid}）",
        _body(lines),
        sms if rung.sms else None,
        tuple(links),
    )


def platform_ladder(
    rung: Rung,
    case: Case,
    *,
    recipient: str,
    platform_name: str,
    triage_hours: float,
    console_url: str,
) -> Text:
    """A rung of the platform's own 受理 ladder (受理超时提醒 / 受理超时催办) to one of its
    coordinators (``coordinator``) or an admin (``admin``): the case waits for 受理 past the
    platform's deadline. The case is not public yet: the console is the only link."""
    cid = case.case_id
    platform = one_line(platform_name)
    t = case.triage
    due_at = t.due_at if t else None
    limit = f"受理时限（{triage_hours:g} 个工作小时）"
    if rung.trigger == "used":
        state = f"{limit}已用去 {round(rung.amount * 100)}%"
    elif rung.trigger == "due":
        state = f"已到{limit}，仍未受理"
    else:
        state = f"已超过{limit} {rung.amount:g} 个工作日，仍未受理"
    ask = {
        "coordinator": "请尽快受理（或不予受理、并件）。",
        "admin": f"请督促{platform}尽快受理，并关注超时原因。",
    }.get(recipient, "")
    lines = [
        f"{platform}：" if recipient == "coordinator" else "管理员：",
        f"待受理诉求（编号 {cid}）{state}。{ask}",
        "",
        f"编号：{cid}",
        f"提交时间：{local(case.created_at)}",
        f"受理时限：{local(due_at)}",
        f"当前状态：{STATE_LABELS[case.state]}",
        "",
        *quoted("诉求标题（留言人填写）", case.title),
        f"总平台工作台：{console_url}",
    ]
    return Text(
        f"【{one_line(rung.label)}】{_subject_title(case)}（{cid}）",
        _body(lines),
        links=(console_url,),
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
            f"{one_line(name)}（{'、'.join(_ROLE_NAMES.get(r, r) for r in roles)}）"
            for name, roles in departments
        )
        if departments
        else "非承办单位联系人"
    )
    lines = [
        "总平台：",
        f"发往 {one_line(address)} 的邮件未能送达：{what}。",
        "",
        f"收件单位：{who}",
        f"相关诉求：{one_line(case_id) or '—'}",
        f"原邮件：{one_line(original) or '—'}",
        f"原因：{one_line(detail)}",
        "",
    ]
    if departments:
        lines.append(
            "该地址已标记为无法送达，案件详情中将提示“未能送达该单位”。"
            "请核实并更新该单位的联系方式，必要时电话通知并重新交办。"
        )
    lines.append(f"总平台工作台：{console_url}")
    first = one_line(departments[0][0]) if departments else "邮件"
    subject = f"【未能送达】{first}（{one_line(case_id) or '无案件'}）"
    return Text(subject, _body(lines), links=(console_url,))


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
        f"贵单位对诉求（编号 {cid}）的答复为“列入计划”，承诺于 {planned} 前完成。该日期已过。",
        FOLLOWUP_ASK,
        "",
        f"编号：{cid}",
        f"答复时间：{local(reply.at if reply else None)}",
        f"计划完成日期：{planned}",
        "",
        *quoted("诉求标题（留言人填写）", case.title),
    ]
    if link:
        lines.append(f"查看本件（请勿转发）：{link}")
    return Text(
        f"【催报落实情况】{_subject_title(case)}（{cid}）",
        _body(lines),
        links=(link,) if link else (),
    )


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
        f"{one_line(department_name)}：",
        f"截至 {local(now)}，贵单位在办诉求共 {len(items)} 件"
        + (f"，其中已超期 {overdue} 件" if overdue else "")
        + "：",
        "",
    ]
    made: list[str] = []
    for n, item in enumerate(items, start=1):
        state = STATE_LABELS[item.state] + ("，待签收" if item.state.value == "assigned" else "")
        lines.append(f"{n}. 【{_DIGEST_ROLES.get(item.role.value, '')}】编号：{item.case_id}")
        lines += ["   " + line for line in quoted("标题", item.title)[1:-1]]
        lines.append(f"   状态：{state}")
        for due in item.dues:
            lines.append(f"   {due.label}：{local(due.at)}（{due.standing}）")
        if item.note:
            lines.append(f"   {one_line(item.note)}")
        if item.case_id in links:
            lines.append(f"   办理链接（请勿转发）：{links[item.case_id]}")
            made.append(links[item.case_id])
    lines += [
        "",
        "未附链接的诉求，办理链接见交办邮件。如链接遗失，请打开办理页面 "
        f"{handle_page} ，填写单位和诉求编号申请重新发送，新链接将发送至贵单位登记的邮箱。",
        "本邮件每个工作日上午自动发送，仅列出需要贵单位办理的诉求。",
    ]
    subject = f"【每日待办】在办诉求 {len(items)} 件" + (f"，超期 {overdue} 件" if overdue else "")
    day = now.astimezone(SHANGHAI).strftime("%Y年%m月%d日")
    return Text(f"{subject}（{day}）", _body(lines), links=(*made, handle_page))


# --- 补充材料 ----------------------------------------------------------------------------------


@to_citizen("info_requested")
def _info_requested(case: Case, track_url: str, tracking_code: str | None) -> Text:
    request = case.info_requests[-1]
    cid, due = case.case_id, local(request.due_at)
    who = one_line(request.department.name)
    return Text(
        f"请补充诉求 {cid} 的材料",
        _body(
            [
                f"您好！{who}办理您的诉求（编号 {cid}）时，需要您补充以下材料：",
                "",
                *quoted("需补充的材料", request.question),
                f"请在 {due} 前，在查询页面凭查询码补充：{track_url}",
                "补充前答复时限暂停计时；逾期未补充的，承办单位将依现有材料办理。",
                "",
                *_title_block(case),
            ]
        ),
        _sms("info_requested", case_id=cid, due=due),
        (track_url,),
    )


def _resumed(case: Case, to: To, subject: str, lines: list[str]) -> Text:
    a = case.assignment
    due = [f"答复时限（已顺延等待时间）：{local(a.reply_due_at)}"] if a else []
    return Text(
        f"【{subject}】{_subject_title(case)}（{case.case_id}）",
        _body(
            [
                f"{to.name}：",
                *lines,
                "",
                f"编号：{case.case_id}",
                *due,
                "",
                *quoted("诉求标题（留言人填写）", case.title),
                *_link_lines(to),
            ]
        ),
        links=(to.link,) if to.link else (),
    )


@to_department("supplemented")
def _supplemented(case: Case, to: To) -> Text:
    request = case.info_requests[-1]
    return _resumed(
        case,
        to,
        "留言人已补充材料",
        [
            "留言人已补充材料，答复时限恢复计时，请继续办理。",
            *quoted("贵单位的问题", request.question),
            *quoted("留言人补充的内容", request.answer),
        ],
    )


@to_department("supplement_expired")
def _supplement_expired(case: Case, to: To) -> Text:
    request = case.info_requests[-1]
    return _resumed(
        case,
        to,
        "补充材料期满",
        [
            f"留言人未在 {local(request.due_at)} 前补充材料，答复时限恢复计时，"
            "请依现有材料办理并按时答复。",
            *quoted("贵单位的问题", request.question),
        ],
    )


# --- 关注 (following a case) ---------------------------------------------------------------

FollowerTemplate = Callable[[Case, str, bool], Text]
_FOLLOWER: dict[str, FollowerTemplate] = {}


def to_followers(name: str) -> Callable[[FollowerTemplate], FollowerTemplate]:
    """Register what a case's followers hear of the citizen notice ``name``: a function of
    the case, the page to read it on and whether the case is public (when it is not, only
    those following their own case hear, and the text says no more than the case id)."""

    def register(fn: FollowerTemplate) -> FollowerTemplate:
        _FOLLOWER[name] = fn
        return fn

    return register


def follower(template: str, case: Case, *, url: str, public: bool) -> Text:
    """A notice to the case's followers, without its unsubscribe line (``follower_footer``:
    each follower's own, added when the notice is fanned out)."""
    return _FOLLOWER[template](case, url, public)


def followed(template: str) -> bool:
    return template in _FOLLOWER


def _to_follower(case: Case, url: str, public: bool, what: str, lines: Sequence[str]) -> Text:
    """您关注的诉求 …: the public text of a public case (never what only the citizen or staff
    read), or only the case id and the tracking page for one that is not public."""
    cid = case.case_id
    body = [f"您好！您关注的诉求（编号 {cid}）{what}。"]
    if public:
        body += [*lines, "", *quoted("诉求标题", public_title(case)), f"查看详情：{url}"]
    else:
        body += ["", f"请凭查询码查看：{url}"]
    return Text(f"您关注的诉求 {cid} {what}", _body(body), links=(url,))


@to_followers("replied")
def _follower_replied(case: Case, url: str, public: bool) -> Text:
    reply = case.last_reply
    assert reply is not None
    planned = [f"计划完成日期：{reply.planned_date:%Y年%m月%d日}"] if reply.planned_date else []
    lines = [
        "",
        f"答复单位：{one_line(reply.department.name)}",
        f"办理结果：{OUTCOME_LABELS[reply.outcome]}",
        *planned,
        "",
        *quoted("答复内容", public_text(case, reply.text))[:-1],
    ]
    return _to_follower(case, url, public, "已答复", lines)


@to_followers("reopened")
def _follower_reopened(case: Case, url: str, public: bool) -> Text:
    a = case.assignment
    lines = [
        "",
        f"留言人对答复不满意，诉求已退回{one_line(a.lead.name) if a else '承办单位'}重新办理，"
        f"新的答复时限为 {local(a.reply_due_at if a else None)}。",
    ]
    return _to_follower(case, url, public, "已安排重办", lines)


@to_followers("closed")
def _follower_closed(case: Case, url: str, public: bool) -> Text:
    return _to_follower(case, url, public, "已办结", ["", "此后不再发送本诉求的通知。"])


def follower_footer(unsubscribe_url: str) -> list[str]:
    """The last lines of every follower message: why it came, and its one-click way out."""
    return [
        "",
        "——",
        "您收到这封邮件，是因为您关注了这条诉求。",
        f"不想再收到？点此取消关注：{unsubscribe_url}",
    ]


def follow_confirmation(case_id: str, *, title: str | None, link: str, days: int) -> Text:
    """Double opt-in: the link that makes an address a follower. ``title``: the case's public
    title (None when the case is not public: the text then says only its id)."""
    lines = [
        "您好！有人（希望是您本人）用这个邮箱申请关注网络问政平台上的一条诉求：",
        "",
        f"诉求编号：{case_id}",
    ]
    if title is not None:
        lines += ["", *quoted("诉求标题", title)]
    else:
        lines.append("")
    lines += [
        "确认关注后，这条诉求答复、重办和办结时，我们会发邮件通知您；每封通知都附有取消关注的链接。",
        f"请在 {days} 天内打开以下链接，并在页面上点击“确认关注”：",
        link,
        "",
        "如非本人操作，请忽略本邮件：不确认，就不会收到任何通知。",
    ]
    return Text(f"请确认关注诉求 {case_id}", _body(lines), links=(link,))


# --- 附议 that counts (§14): 群众关注 --------------------------------------------------------


def _office_text(
    case: Case, to: Office, tag: str, sentence: str, ask: str, said: Sequence[str] = ()
) -> Text:
    """``said``: what someone wrote about it (quoted), after the ask."""
    cid = case.case_id
    lead = case.lead
    coordinator = to.recipient == "coordinator"
    lines = [
        (f"{one_line(to.name)}：" if to.name else "总平台：")
        if coordinator
        else f"{one_line(to.name)}负责人：",
        sentence,
        ask,
        *(["", *said] if said else []),
        "",
        f"编号：{cid}",
        f"当前状态：{STATE_LABELS[case.state]}",
        f"承办单位：{one_line(lead.name) if lead else '尚未交办'}",
        *_deadlines(case),
        "",
        *quoted("诉求标题（留言人填写）", case.title),
        f"公开页面：{to.case_url}",
    ]
    links = [to.case_url]
    if coordinator:
        lines.append(f"总平台工作台：{to.console_url}")
        links.append(to.console_url)
    return Text(f"【{tag}】{_subject_title(case)}（{cid}）", _body(lines), links=tuple(links))


@to_staff("attention")
def _attention(case: Case, to: Office) -> Text:
    a = case.attention
    assert a is not None
    return _office_text(
        case,
        to,
        "群众关注",
        f"诉求（编号 {case.case_id}）{a.days} 日内已有 {a.supports} 人附议，达到群众关注阈值"
        f"（{a.threshold} 人），已列为群众关注件。",
        "请关注办理进度，必要时调整紧急程度或督办。",
    )


@to_staff("attention_leader")
def _attention_leader(case: Case, to: Office) -> Text:
    a = case.attention
    assert a is not None and a.leader_supports is not None
    crossed = (
        f"诉求（编号 {case.case_id}）{a.leader_days} 日内已有 {a.leader_supports} 人附议，"
        f"超过提请单位负责人关注的阈值（{a.leader_threshold} 人）。"
    )
    if to.recipient == "leader":
        ask = "贵单位为牵头单位，请督促本单位尽快办理并答复。"
    else:
        ask = "该诉求尚未交办承办单位，请尽快交办。"
    return _office_text(case, to, "附议较多", crossed, ask)


@to_staff("merged_unsatisfied")
def _merged_unsatisfied(case: Case, to: Office) -> Text:
    """并件: the citizen of a case merged into ``case`` is not satisfied with its reply."""
    complaint = case.merged_complaints[-1]
    return _office_text(
        case,
        to,
        "并件不满意",
        f"并入本件的诉求（编号 {complaint.case_id}）的留言人对本件第 {complaint.reply} 次答复"
        "表示不满意。",
        "是否重办仍由本件留言人的评价决定；请研判是否需要督办、补充答复或联系该留言人。",
        quoted("评价意见", complaint.comment) if complaint.comment else (),
    )


# --- 1+8+N (§15): hand-offs between the platforms --------------------------------------------


@to_staff("handed_down")
def _handed_down(case: Case, to: Office) -> Text:
    """市级交办: to the coordinators of the county platform now holding the case."""
    h = case.handoff
    assert h is not None
    return _office_text(
        case,
        to,
        "市级交办",
        f"市级平台已将诉求（编号 {case.case_id}）转交本县（区）平台办理。",
        f"请于 {local(h.due_at)} 前交办本级承办单位；留言人的答复时限为 {local(h.reply_due_at)}。"
        "如不属于本县（区）办理，请退回市级平台并说明理由。",
    )


@to_staff("reply_review")
def _reply_review(case: Case, to: Office) -> Text:
    """答复审核: a unit's reply waits for the review of the platform holding the case."""
    review = case.reply_review
    draft = review.draft if review else None
    said = quoted("答复内容（待审核）", draft.text) if draft else []
    unit = one_line(draft.department.name) if draft else "承办单位"
    return _office_text(
        case,
        to,
        "答复待审核",
        f"{unit}已答复诉求（编号 {case.case_id}），答复须经本平台审核后才告知留言人。",
        "请在工作台审核：通过后告知留言人；如需修改，请退回承办单位并说明理由。",
        said,
    )


@to_staff("returned_to_city")
def _returned_to_city(case: Case, to: Office) -> Text:
    """A county platform gives a case back to the city: to the city's coordinators."""
    return _office_text(
        case,
        to,
        "县级退回",
        f"县（区）平台已将诉求（编号 {case.case_id}）退回市级平台。",
        "请研判后重新交办或转交其他县（区）平台。",
    )


# --- 舆情预警 (§16) -------------------------------------------------------------------------

HOTSPOT_WARNING = "hotspot_warning"
HOTSPOT_TITLES = 5  # reports' titles an e-mail quotes


def hotspot_warning(
    *,
    district: str,
    category: str,
    day: str,
    terms: Sequence[str],
    count: int,
    baseline: float,
    titles: Sequence[str],
    console_url: str,
) -> Text:
    """舆情预警: many reports of one district say the same thing on one day, far above what
    that place usually says. The terms are the platform's (n-grams of citizens' words: still
    one line each); the titles are citizens' words, quoted."""
    named = "、".join(one_line(t) for t in terms)
    lines = [
        "各位协调员：",
        f"{day} {one_line(district)}（{one_line(category)}）诉求中"
        f"“{named}”等词集中出现：当日已有 {count} 件，"
        f"过去 28 日平均每日 {baseline:.1f} 件。",
        "请研判是否为突发事件或群体性诉求，必要时统筹交办、督办。",
        "",
    ]
    for n, title in enumerate(titles[:HOTSPOT_TITLES], start=1):
        lines += quoted(f"相关诉求 {n}（留言人填写）", title)
    if len(titles) > HOTSPOT_TITLES:
        lines.append(f"……共 {len(titles)} 件，详见工作台“预警”。")
    lines += ["", f"总平台工作台（预警）：{console_url}"]
    subject = f"【舆情预警】{one_line(district)}：{one_line(terms[0] if terms else '')}（{day}）"
    return Text(subject, _body(lines), links=(console_url,))
