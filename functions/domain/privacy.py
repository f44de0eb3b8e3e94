"""Privacy rules of §8: masked contact fields, and the one scrubber for text shown in public.

``scrub(text, names)`` is the policy for every public surface (board, case page, 回音壁,
Open311, exports, the anonymised text kept after retention). Citizens write their own data
into titles and texts in every notation they know; the scrubber removes it and leaves the
rest of the text alone, because a department and the public still have to understand where
and what the problem is.

What is removed
---------------
- Contact names: every name the caller passes (the case's contact names) wherever it
  appears, masked like ``mask_name`` (李建国 → 李**); and its given name alone (建国 → **)
  where it stands as a name, i.e. not followed by a place or organisation suffix (建国路,
  建国门, 建国小区, 建国中学 stay). Two-character compound surnames (欧阳, 司马, 诸葛 …)
  are recognised. A one-character given name is never replaced alone, and a name under two
  characters, or of only ASCII letters under three, is ignored: masking 明 or Li everywhere
  would blank ordinary words. A full name is masked even where it is an ordinary word (a
  contact called 高兴 blanks 高兴): the contact's privacy outweighs the word.
- Mobile numbers in any notation → ``[电话已隐藏]``: ASCII or full-width digits, Chinese
  numerals (一三九…, also 幺/〇/零/两 and the capital forms 壹贰叁…), spaces, hyphens, dots,
  slashes, dashes and brackets between the digits ((139) 1234 5671), prefixes +86, 0086, 86
  and the trunk 0.
- Landlines with an area code (021-64881234, (021)64881234, 0571 8888 8888, +86 21 6488
  1234, 010-12345678-801 with its extension), and 7–8 digit numbers right after a phone
  keyword (座机, 固话, 电话是：, tel …) → ``[电话已隐藏]``.
- E-mail addresses → ``[邮箱已隐藏]``: ASCII, full-width ＠ and ．, IDN local and domain
  parts (王小明@例子.中国), and the common obfuscations name#example.com, name(at)example.com,
  name [at] example [dot] com.
- ID-card numbers → ``[证件号已隐藏]``: 18 digits (last may be X) and 15 digits whose
  birth-date digits form a date, with spaces or hyphens between region, date and sequence
  (110105 19491231 002X, 110105-1949-1231-002X) or every four digits, full-width or in
  Chinese numerals; and any bare 18-digit run.
- Account ids after QQ / 扣扣 / 企鹅号 / 微信 / 微信号 / VX / WX (with or without a colon):
  the keyword stays, the id becomes ``[账号已隐藏]``; QQ numbers are 5–11 digits, WeChat
  ids 6–20 letters, digits, ``_`` and ``-`` starting with a letter (WeChat's own rule; one
  that is a phone number goes as a phone); a bare ``wxid_…`` is an id by itself.
- House numbers below the building: unit and room after a building, with any floor
  between (3栋2单元501室 → 3栋**, 5号楼1单元302 → 5号楼**, 12幢3单元 → 12幢**, 7栋的702 →
  7栋**), the dashed form after an estate name (幸福小区3-2-501室 → 幸福小区3-**), and a
  room (501室, 501房) a few characters after a building or estate. The street, the estate
  and the building stay so departments and readers still know where; a floor alone
  (5栋一楼有住户) names no household and stays too.

What is kept, and why
---------------------
- Dates, years, times and ISO timestamps (2026年12月4日, 20261204, 2026-12-04T08:00:00Z),
  case ids (WZ20261204-ABC123), money, counts, bus lines (23路), street-address numbers
  (建国路88号), a building alone (3栋), the platform's URLs: none has the shape of a rule
  above, and every digit rule requires its whole run (no digit before or after).
- The limit of that: a number glued to more digits (a mobile written straight after an
  order number) reads as one longer number and is not recognised; a bank-card or order
  number is not a rule of its own.
- Public service numbers: the 12345 hotline, 110/119/120/122, 95xxx/96xxx short numbers and
  400/800 company numbers. They reach an organisation, not a person, and a reply that cites
  them must stay useful, so no rule matches them.

How
---
Each rule matches on a *folded* copy of the text, one character for one character, so a
match's offsets are the original's: full-width and other compatibility forms become ASCII,
Unicode decimal digits ASCII digits, dashes ``-``, ``。``/``·`` a dot. Every rule runs
twice: first on that fold, then on a fold that also reads Chinese numerals as digits. The
first pass catches an ordinary number glued to a numeral word (王五13912345678, where the
numeral fold would see one long run); the second catches numbers written in numerals. The
replaced spans are cut from the original text. A datum glued to another (an ID number
straight before a phone number) shows its edge only once its neighbour is replaced, so the
rules run again until nothing changes, which also makes ``scrub`` idempotent. Patterns are
compiled once, on the first scrub; names per distinct tuple of names, cached. A rule whose cheap
precondition fails (no digit, no ``@``) is skipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import NamedTuple

PHONE_TAG = "[电话已隐藏]"
EMAIL_TAG = "[邮箱已隐藏]"
ID_TAG = "[证件号已隐藏]"
ACCOUNT_TAG = "[账号已隐藏]"
HOUSE_MASK = "**"  # unit/floor/room below a building
GIVEN_NAME_MASK = "**"  # a contact's given name standing alone


# --- folding --------------------------------------------------------------------------------

_PUNCT = {
    **dict.fromkeys("‐‑‒–—―−﹘﹣", "-"),
    **dict.fromkeys("。｡·・•", "."),
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
}
_NUMERALS = {
    **dict.fromkeys("〇○零", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二两兩贰貳", "2"),
    **dict.fromkeys("三叁", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
_NUMERAL = re.compile("[" + "".join(_NUMERALS) + "]")
_FOLD_CACHE_LIMIT = 20_000  # distinct characters remembered per table; bounded on purpose


def _fold_char(code: int) -> int:
    """One character's matching form: an ASCII character if it has a one-character ASCII
    compatibility form (full-width, circled, ideographic space…) or is a decimal digit of
    any script; else itself."""
    ch = chr(code)
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return ord(str(digit))
    compat = unicodedata.normalize("NFKC", ch)
    if len(compat) == 1 and compat.isascii():
        return ord(compat)
    return code


class _FoldTable(dict[int, int]):
    """A ``str.translate`` table filled on first sight of each character, so a text is
    folded at C speed once its characters are known."""

    def __missing__(self, code: int) -> int:
        folded = _fold_char(code)
        if len(self) < _FOLD_CACHE_LIMIT:
            self[code] = folded
        return folded


_WIDTH_TABLE = _FoldTable({ord(k): ord(v) for k, v in _PUNCT.items()})
_NUMERAL_TABLE = _FoldTable({ord(k): ord(v) for k, v in {**_PUNCT, **_NUMERALS}.items()})


def _fold_width(text: str) -> str:
    return text.translate(_WIDTH_TABLE)


def fold(text: str) -> str:
    """The matching form of ``text``, same length, character for character: full-width and
    compatibility forms as ASCII, decimal digits of any script and Chinese numerals as ASCII
    digits, dashes as ``-``, 。 and · as ``.``."""
    return text.translate(_NUMERAL_TABLE)


# --- the rules, on folded text ----------------------------------------------------------------
# A rule is a pattern plus its replacement. A pattern with a group ``pii`` replaces only
# that group (the keyword before it stays); otherwise the whole match is replaced.

_SAYS = r"[ \t]*(?:是|为)?[ \t]*[:=]?[ \t]*"  # between a keyword and its number: 是：
_SEP = r"[ \t\-._/]{0,3}"  # what people put between the digits of a phone number
_MOBILE = (
    r"(?<!\d)"
    r"(?:(?:\([ \t]*(?:\+|00)?[ \t]*86[ \t]*\)|(?:\+|00)[ \t]*86|86)[ \t\-.]{0,3}|0)?"
    rf"(?:\([ \t]*)?1{_SEP}[3-9]{_SEP}\d[ \t]*\)?"
    + "".join(rf"{_SEP}\d" for _ in range(8))
    + r"(?!\d)"
)
_AREA = r"(?:10|2\d|[3-9]\d{2})"  # area codes: 10 Beijing, 2x big cities, 3xx–9xx the rest
_LANDLINE = (  # area code as 021, (021), +86 21, +86 (0)21; ignoring case
    rf"(?<!\d)(?:\([ \t]*0{_AREA}[ \t]*\)|0{_AREA}"
    rf"|\(?(?:\+|00)[ \t]*86[ \t]*\)?[ \t\-.]{{0,3}}(?:\(0\)[ \t]*)?\(?{_AREA}\)?)"
    r"[ \t\-.]{0,3}\d{3,4}[ \t\-.]?\d{4}"
    r"(?:[ \t]*(?:-|转|分机|ext\.?|x)[ \t]*\d{1,5})?(?!\d)"
)
_LOCAL_NUMBER = (  # a number without area code, right after a phone keyword; ignoring case
    r"(?<![A-Za-z])(?:座机|固话|固定电话|宅电|家庭电话|家里电话|办公电话|联系电话|电话|tel|phone)"
    rf"(?:号码|号)?{_SAYS}"
    r"(?P<pii>[2-9]\d{2,3}[ \t\-]?\d{4})(?!\d)"
)

# ID numbers: region (6 digits), birth date, sequence; a space or hyphen only where people
# put one: between those parts (110105 1949 1231 002X) or every four digits (1101 0519 …).
_S = r"[ \t\-]?"
_MMDD = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_CARD = (
    r"(?<!\d)(?:"
    rf"[1-9]\d{{5}}{_S}(?:18|19|20)\d\d{_S}{_MMDD}{_S}\d{{3}}[\dXx]"
    r"|[1-9]\d{3}(?:[ \t\-]\d{4}){3}[ \t\-]\d[\dXx]"
    r"|\d{17}[\dXx]"
    rf"|[1-9]\d{{5}}{_S}\d\d{_MMDD}{_S}\d{{3}}"
    r")(?:(?<=[Xx])(?![A-Za-z])|(?<=\d)(?![\dXx]))"
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_STOP = "是为的在和与或及至到给发向请箱件址"  # words that end a sentence part, not a local part
# A local part is ASCII, or CJK (digits may follow: 王小明2026); it starts only where its run
# starts, so a long Chinese sentence is read once, not once per character.
_LOCAL = (
    r"(?:(?<![A-Za-z0-9_%+\-])[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
    rf"|(?:(?<=[{_STOP}])|(?<![{_CJK}]))(?![{_STOP}])[{_CJK}](?:(?![{_STOP}])[{_CJK}]|\d){{0,15}})"
)
_LABEL = rf"[A-Za-z0-9{_CJK}](?:[A-Za-z0-9{_CJK}\-]{{0,61}}[A-Za-z0-9{_CJK}])?"
_IDN_TLD = (
    "中国|中國|公司|网络|網絡|网址|网店|在线|集团|手机|政务|公益|商城|商标|信息|我爱你"
    "|香港|台湾|台灣"
)
_TLD = rf"(?:[A-Za-z]{{2,24}}(?![A-Za-z\-])|{_IDN_TLD})"
_AT = r"(?:[ \t]*@[ \t]*|[ \t]*[(\[{<][ \t]*at[ \t]*[)\]}>][ \t]*)"
_DOT = r"(?:\.|[ \t]*[(\[{<][ \t]*dot[ \t]*[)\]}>][ \t]*)"
_EMAIL = rf"{_LOCAL}{_AT}(?:{_LABEL}{_DOT})+{_TLD}"  # ignoring case
_EMAIL_HASH = (  # name#example.com, never inside a URL or after a word
    r"(?<![\w/.:?=&#%+\-])[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*#"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

_ACCOUNT_KW = r"(?:qq|扣扣|企鹅号?|微信号?|威信|薇信|v信|vx|wx|weixin|wechat)"
_ACCOUNT = (  # ignoring case
    rf"(?<![A-Za-z]){_ACCOUNT_KW}(?:[ \t]*[/、|或和及]?[ \t]*{_ACCOUNT_KW})*"
    rf"(?:号码|账号|帐号|号|id)?{_SAYS}"
    r"(?P<pii>\d{5,11}|[A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-])"
)
_WXID = r"(?<![A-Za-z0-9_\-])wxid_[A-Za-z0-9_\-]{4,30}(?![A-Za-z0-9_\-])"  # ignoring case

_BUILDING = r"(?<![A-Za-z0-9])(?:\d{1,3}|[A-Za-z])[ \t]*(?:号楼|栋|幢|座|#楼?)"
_ESTATE = r"(?:小区|花园|苑|公寓|家园|新村|宿舍|大厦|社区|山庄|名邸|府|庭|园)"
_FLOOR = r"\d{1,3}[ \t]*(?:层|楼(?![道梯下上顶房盘])|[Ff](?![A-Za-z]))"
_UNIT_OR_ROOM = (
    r"(?:\d{1,2}[ \t]*单元"
    r"|\d{1,5}[ \t]*(?:室|房|号房|号(?!楼))"
    r"|\d{1,2}-\d{1,4}(?:[ \t]*(?:室|房|号)|(?![\d\-:.]))"
    r"|\d{3,4}(?![\d.%\-:/]|[ \t]*[多余个户人名元块米年月日天次层栋万千百号楼单室房]))"
)
_STEP = r"[ \t\-]{0,2}[第的]?"
# A floor alone (5栋一楼) names no household and stays; with a unit or a room it goes too.
_HOUSE = (
    rf"{_BUILDING}(?P<pii>(?:{_STEP}{_FLOOR})*{_STEP}{_UNIT_OR_ROOM}"
    rf"(?:{_STEP}(?:{_FLOOR}|{_UNIT_OR_ROOM}))*)"
)
_ESTATE_DASHED = (  # 幸福小区3-2-501室, 锦绣花园8-1102
    rf"{_ESTATE}[ \t]*\d{{1,3}}[ \t]*-[ \t]*"
    r"(?P<pii>(?:\d{1,2}[ \t]*-[ \t]*\d{2,4}|\d{3,4})(?:[ \t]*(?:室|房|号))?)"
    r"(?![\d\-.:%]|[ \t]*[年月日号元米])"
)
_ROOM_NEAR_BUILDING = (  # 5号楼的501室, 幸福小区501房
    rf"(?:{_BUILDING}|{_ESTATE})[^,.;!?\n\d]{{0,8}}?"
    r"(?P<pii>(?<!\d)\d{3,4}[ \t]*(?:室|房(?![东租价产子屋间])))"
)


class _Rule(NamedTuple):
    pattern: re.Pattern[str]
    replacement: str
    needs: re.Pattern[str] | None = None  # a cheap search the folded text must pass first


@cache
def _rules() -> tuple[_Rule, ...]:
    """The rules in the order they run, compiled on the first scrub: a cold start that shows
    no public text does not pay for them."""
    digit, case_blind = re.compile(r"\d"), re.IGNORECASE
    at_sign = re.compile(r"@|[(\[{<][ \t]*at", case_blind)
    return (
        _Rule(re.compile(_EMAIL, case_blind), EMAIL_TAG, at_sign),  # first: may hold a number
        _Rule(re.compile(_EMAIL_HASH), EMAIL_TAG, re.compile("#")),
        _Rule(re.compile(_ID_CARD), ID_TAG, digit),  # before phones: holds mobile-shaped runs
        _Rule(re.compile(_MOBILE), PHONE_TAG, digit),
        _Rule(re.compile(_LANDLINE, case_blind), PHONE_TAG, digit),
        _Rule(re.compile(_LOCAL_NUMBER, case_blind), PHONE_TAG, digit),
        _Rule(re.compile(_WXID, case_blind), ACCOUNT_TAG, re.compile("wxid_", case_blind)),
        _Rule(re.compile(_ACCOUNT, case_blind), ACCOUNT_TAG),  # after wxid_, which holds "wx"
        _Rule(re.compile(_HOUSE), HOUSE_MASK, digit),
        _Rule(re.compile(_ESTATE_DASHED), HOUSE_MASK, re.compile("-")),
        _Rule(re.compile(_ROOM_NEAR_BUILDING), HOUSE_MASK, re.compile("[室房]")),
    )


# A datum glued to another (an ID number directly followed by a phone number) shows its edge
# only once its neighbour is replaced: the rules run again until nothing changes.
_MAX_ROUNDS = 4


# --- names ------------------------------------------------------------------------------------

# Two-character surnames, written back to back: 欧阳, 司马, 诸葛 …
_COMPOUND_SURNAME_PAIRS = (
    "欧阳司马诸葛上官东方慕容皇甫令狐夏侯长孙宇文司徒尉迟公孙端木独孤南宫西门轩辕呼延澹台公冶宗政濮阳"
    "太史申屠钟离闻人万俟赫连百里东郭第五司空"
)
_COMPOUND_SURNAMES = frozenset(
    _COMPOUND_SURNAME_PAIRS[i : i + 2] for i in range(0, len(_COMPOUND_SURNAME_PAIRS), 2)
)
# After a given name, these make it part of a place, organisation or word: 建国路, 建国中学.
_NOT_A_NAME_AFTER = (
    r"(?:[东南西北中]?(?:大街|大道|路|街|道|巷|弄|胡同|门|桥|村|镇|乡|里|屯|庄|坊|湾|港)"
    r"|小区|花园|苑|新村|公寓|大厦|广场|公园|社区|中学|小学|大学|学院|学校|幼儿园|医院"
    r"|卫生院|诊所|中心|公司|集团|厂|店|宾馆|饭店|酒店|商场|市场|超市|银行|站|区|县|市|省"
    r"|派出所|所|局|委|办|队|院|馆|寺|庙|楼|山|河|湖|以来|初期|周年|纪念)"
)


def mask_name(name: str | None) -> str:
    """张三丰 → 张**; empty → 匿名."""
    name = (name or "").strip()
    if not name:
        return "匿名"
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def _spaced(word: str) -> str:
    """``word`` as a pattern that also matches it with a space between its characters."""
    return r"[ \t]?".join(re.escape(ch) for ch in _fold_width(word))


def _given_names(name: str) -> list[str]:
    """The parts of a name that identify its bearer alone: the given name after a (compound)
    surname, or each part of a name written with a separator (阿依古丽·买买提)."""
    parts = [p for p in re.split(r"[\s.·・]+", name) if p]
    if len(parts) > 1:
        return [p for p in parts if len(p) >= 2]
    if name.isascii():
        return []
    surname = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) >= 3 else 1
    given = name[surname:]
    return [given] if len(given) >= 2 else []


def _usable(name: str) -> bool:
    return len(name) >= 2 and not (name.isascii() and name.isalpha() and len(name) < 3)


@lru_cache(maxsize=512)
def _name_rules(names: tuple[str, ...]) -> tuple[_Rule, ...]:
    cleaned = sorted({n.strip() for n in names if n and _usable(n.strip())}, key=len, reverse=True)
    rules: list[_Rule] = []
    for name in cleaned:
        pattern = _spaced(name)
        if name.isascii():
            pattern = rf"(?<![A-Za-z]){pattern}(?![A-Za-z])"
        rules.append(_Rule(re.compile(pattern, re.IGNORECASE), mask_name(name)))
    given = sorted({g for n in cleaned for g in _given_names(n)}, key=len, reverse=True)
    for part in given:
        if part.isascii():
            pattern = rf"(?<![A-Za-z]){_spaced(part)}(?![A-Za-z])"
        else:
            pattern = _spaced(part) + rf"(?![ \t]?{_NOT_A_NAME_AFTER})"
        rules.append(_Rule(re.compile(pattern, re.IGNORECASE), GIVEN_NAME_MASK))
    return tuple(rules)


# --- the scrubber -----------------------------------------------------------------------------


def _replace(text: str, folded: str, rule: _Rule) -> str | None:
    """``text`` with every match of the rule in ``folded`` replaced; None if none."""
    if rule.needs is not None and rule.needs.search(folded) is None:
        return None
    group = "pii" if "pii" in rule.pattern.groupindex else 0
    pieces: list[str] = []
    last = 0
    for match in rule.pattern.finditer(folded):
        start, end = match.span(group)
        pieces += [text[last:start], rule.replacement]
        last = end
    if not pieces:
        return None
    pieces.append(text[last:])
    return "".join(pieces)


def _run(text: str, folding: Callable[[str], str], rules: Iterable[_Rule]) -> str:
    folded = folding(text)
    for rule in rules:
        replaced = _replace(text, folded, rule)
        if replaced is not None:
            text, folded = replaced, folding(replaced)
    return text


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """``text`` as it may be shown in public: the contact ``names``, phone numbers, e-mail
    addresses, ID-card numbers, QQ/WeChat ids and house numbers below the building removed
    (the module docstring is the policy)."""
    if not text:
        return text
    text = _run(text, _fold_width, _name_rules(tuple(names)))
    for _ in range(_MAX_ROUNDS):
        before = text
        text = _run(text, _fold_width, _rules())
        if _NUMERAL.search(text):  # Chinese numerals present: read them as digits too
            text = _run(text, fold, _rules())
        if text == before:
            break
    return text


def mask_phone(phone: str | None) -> str | None:
    """+8613812345678 → 138****5678: enough to tell two callers apart, not to call one."""
    if not phone:
        return None
    digits = phone.removeprefix("+86")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def mask_email(email: str | None) -> str | None:
    """zhang.san@example.com → z***@example.com."""
    if not email or "@" not in email:
        return None
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"
