"""The public-text scrubber (§8): what citizens really write into titles and texts, in every
notation, goes; dates, ids, money, street numbers and public service numbers stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.domain.privacy import (
    ACCOUNT_TAG,
    EMAIL_TAG,
    ID_TAG,
    PHONE_TAG,
    fold,
    mask_email,
    mask_phone,
    scrub,
)

PROPS = settings(max_examples=300, deadline=None, database=None)
CONTACT = ("李建国",)

# (text, contact names, personal data that must be gone, replacement that must be there)
LEAKS = [
    pytest.param("李建国家门口下水道堵塞", CONTACT, ["李建国"], "李**", id="contact-name-in-title"),
    pytest.param(
        "我是李建国，住幸福小区3栋2单元501室",
        CONTACT,
        ["李建国", "2单元", "501"],
        "幸福小区3栋**",
        id="contact-name-and-flat-in-one-sentence",
    ),
    pytest.param("建国说水管又坏了", CONTACT, ["建国"], "**说", id="given-name-alone"),
    pytest.param("李 建 国反映", CONTACT, ["建 国"], "李**", id="contact-name-spaced-out"),
    pytest.param(
        "我是欧阳明月，明月的电话", ("欧阳明月",), ["明月"], "欧**", id="compound-surname"
    ),
    pytest.param(
        "阿依古丽·买买提家，买买提说", ("阿依古丽·买买提",), ["买买提"], "**说", id="name-with-dot"
    ),
    pytest.param("Signed: Tom Smith. Tom", ("Tom Smith",), ["Tom"], "T**", id="latin-name"),
    pytest.param(
        "１３９１２３４５６７１", (), ["１３９１２３４５６７１"], PHONE_TAG, id="mobile-full-width"
    ),
    pytest.param("电话139.1234.5671。", (), ["5671"], PHONE_TAG, id="mobile-dotted"),
    pytest.param(
        "+86 (139) 1234 5671", (), ["1234", "5671"], PHONE_TAG, id="mobile-plus86-brackets"
    ),
    pytest.param("0086-139-1234-5671", (), ["5671"], PHONE_TAG, id="mobile-0086-hyphens"),
    pytest.param("8613912345678", (), ["13912345678"], PHONE_TAG, id="mobile-86-glued"),
    pytest.param("（139）1234-5671", (), ["5671"], PHONE_TAG, id="mobile-full-width-brackets"),
    pytest.param(
        "一三九一二三四五六七一", (), ["五六七一"], PHONE_TAG, id="mobile-chinese-numerals"
    ),
    pytest.param("幺三九幺二三四五六七幺", (), ["五六七幺"], PHONE_TAG, id="mobile-yao-for-one"),
    pytest.param("一三八〇〇一三八〇〇〇", (), ["八〇〇〇"], PHONE_TAG, id="mobile-ling-circle"),
    pytest.param("一五零两两三三四四五五", (), ["四四五五"], PHONE_TAG, id="mobile-liang-for-two"),
    pytest.param(
        "一三九 一二三四 五六七一", (), ["五六七一"], PHONE_TAG, id="mobile-numerals-grouped"
    ),
    pytest.param("1 3 9 1 2 3 4 5 6 7 1", (), ["5 6 7 1"], PHONE_TAG, id="mobile-spaced-digits"),
    pytest.param("139—1234—5671", (), ["5671"], PHONE_TAG, id="mobile-em-dash"),
    pytest.param("139－1234－5671", (), ["5671"], PHONE_TAG, id="mobile-full-width-hyphen"),
    pytest.param("13912345678是我的号", (), ["13912345678"], PHONE_TAG, id="mobile-at-text-start"),
    pytest.param(
        "有事请联系：13912345678", (), ["13912345678"], PHONE_TAG, id="mobile-at-text-end"
    ),
    pytest.param(
        "有事打 13912345678", (), ["13912345678"], "打 " + PHONE_TAG, id="space-before-kept"
    ),
    pytest.param("王五13912345678", (), ["13912345678"], PHONE_TAG, id="mobile-after-numeral-name"),
    pytest.param("外地打013912345678", (), ["13912345678"], PHONE_TAG, id="mobile-trunk-zero"),
    pytest.param("座机021-64881234。", (), ["64881234"], PHONE_TAG, id="landline-hyphen"),
    pytest.param("(021)64881234", (), ["64881234"], PHONE_TAG, id="landline-brackets"),
    pytest.param(
        "（０２１）６４８８１２３４", (), ["６４８８"], PHONE_TAG, id="landline-full-width"
    ),
    pytest.param("0571 8888 8888", (), ["8888"], PHONE_TAG, id="landline-spaced"),
    pytest.param("010-12345678-801", (), ["12345678", "801"], PHONE_TAG, id="landline-extension"),
    pytest.param("家里座机64881234", (), ["64881234"], PHONE_TAG, id="local-number-after-keyword"),
    pytest.param("电话是：6488 1234", (), ["6488"], "电话是：" + PHONE_TAG, id="local-number-shi"),
    pytest.param("Tel.+86-21-6488-1234", (), ["6488"], PHONE_TAG, id="landline-international"),
    pytest.param("zhang.san@example.com", (), ["zhang.san"], EMAIL_TAG, id="email-ascii"),
    pytest.param(
        "ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", (), ["ｚｈａｎｇ"], EMAIL_TAG, id="email-full-width"
    ),
    pytest.param("王小明@例子.中国", (), ["王小明", "例子"], EMAIL_TAG, id="email-idn"),
    pytest.param("发到王小明＠例子。中国", (), ["王小明"], EMAIL_TAG, id="email-idn-full-width"),
    pytest.param("name#example.com", (), ["name", "example"], EMAIL_TAG, id="email-hash-for-at"),
    pytest.param("name(at)example.com", (), ["name"], EMAIL_TAG, id="email-at-in-brackets"),
    pytest.param(
        "name [at] example [dot] com", (), ["name"], EMAIL_TAG, id="email-at-and-dot-words"
    ),
    pytest.param("12345678@qq.com", (), ["12345678"], EMAIL_TAG, id="email-with-qq-number"),
    pytest.param(
        "邮箱：abc@163.com。谢谢", (), ["abc"], "邮箱：" + EMAIL_TAG, id="email-keyword-kept"
    ),
    pytest.param("11010519491231002X", (), ["002X"], ID_TAG, id="id-card-18"),
    pytest.param("110105 19491231 002x", (), ["19491231"], ID_TAG, id="id-card-spaced-lower-x"),
    pytest.param("1101 0519 4912 3100 2X", (), ["4912"], ID_TAG, id="id-card-in-fours"),
    pytest.param("110105-1949-1231-002X", (), ["1231"], ID_TAG, id="id-card-hyphens"),
    pytest.param("身份证110105491231002", (), ["491231"], ID_TAG, id="id-card-15"),
    pytest.param(
        "１１０１０５１９４９１２３１００２Ｘ", (), ["００２Ｘ"], ID_TAG, id="id-card-full-width"
    ),
    pytest.param("QQ：12345678", (), ["12345678"], "QQ：" + ACCOUNT_TAG, id="qq-colon"),
    pytest.param("QQ号码是：10001", (), ["10001"], "QQ号码是：" + ACCOUNT_TAG, id="qq-shi-colon"),
    pytest.param("扣扣 87654321", (), ["87654321"], "扣扣 " + ACCOUNT_TAG, id="koukou"),
    pytest.param("企鹅号123456789", (), ["123456789"], "企鹅号" + ACCOUNT_TAG, id="penguin"),
    pytest.param("qq一二三四五六七八", (), ["五六七八"], "qq" + ACCOUNT_TAG, id="qq-numerals"),
    pytest.param("微信号：zhang_san88", (), ["zhang_san88"], ACCOUNT_TAG, id="wechat-id"),
    pytest.param("VX abc-12345", (), ["abc-12345"], "VX " + ACCOUNT_TAG, id="vx"),
    pytest.param("wx：wangxm2026", (), ["wangxm2026"], ACCOUNT_TAG, id="wx"),
    pytest.param("QQ/微信 12345678", (), ["12345678"], "QQ/微信 " + ACCOUNT_TAG, id="qq-or-wechat"),
    pytest.param(
        "加我wxid_a1b2c3d4", (), ["wxid", "a1b2c3d4"], "加我" + ACCOUNT_TAG, id="bare-wxid"
    ),
    pytest.param("5号楼1单元302", (), ["1单元", "302"], "5号楼**", id="flat-after-hao-lou"),
    pytest.param("12幢3单元", (), ["3单元"], "12幢**", id="unit-after-zhuang"),
    pytest.param("2号楼301室", (), ["301"], "2号楼**", id="room-after-building"),
    pytest.param("幸福小区3-2-501室", (), ["2-501"], "幸福小区3-**", id="dashed-flat-after-estate"),
    pytest.param("锦绣花园3-2-501漏水", (), ["501"], "锦绣花园3-**漏水", id="dashed-no-suffix"),
    pytest.param("5号楼东侧的501室", (), ["501"], "5号楼东侧的**", id="room-a-few-chars-after"),
    pytest.param("住在7栋的702", (), ["702"], "7栋**", id="flat-after-de"),
    pytest.param("3栋第2单元501室", (), ["501"], "3栋**", id="unit-with-di"),
    pytest.param("三栋二单元五〇一室", (), ["五〇一"], "三栋**", id="flat-in-numerals"),
    pytest.param("A座1203室", (), ["1203"], "A座**", id="tower-letter"),
    pytest.param(
        "电话13912345678或021-64881234，邮箱a@b.cn，QQ 2345678",
        (),
        ["13912345678", "64881234", "a@b.cn", "2345678"],
        "或" + PHONE_TAG + "，邮箱" + EMAIL_TAG + "，QQ " + ACCOUNT_TAG,
        id="several-items-in-one-sentence",
    ),
]


@pytest.mark.parametrize(("text", "names", "secrets", "replacement"), LEAKS)
def test_personal_data_in_public_text_is_replaced(
    text: str, names: tuple[str, ...], secrets: list[str], replacement: str
) -> None:
    clean = scrub(text, names)
    for secret in secrets:
        assert secret not in clean
    assert replacement in clean


def test_the_published_outside_case_leaks_nothing() -> None:
    title = "李建国家门口下水道堵塞"
    content = (
        "我是李建国，手机138-0013-8000，住幸福小区3栋2单元501室，QQ 12345678，"
        "身份证11010519491231002X，座机021-64881234。"
    )
    assert scrub(title, CONTACT) == "李**家门口下水道堵塞"
    assert scrub(content, CONTACT) == (
        f"我是李**，手机{PHONE_TAG}，住幸福小区3栋**，QQ {ACCOUNT_TAG}，"
        f"身份证{ID_TAG}，座机{PHONE_TAG}。"
    )


KEPT = [
    pytest.param("2026年12月4日上午", id="date"),
    pytest.param("二〇二六年十二月四日", id="date-in-numerals"),
    pytest.param("编号20261204的通知", id="compact-date"),
    pytest.param("诉求WZ20261204-ABC123已受理", id="case-id"),
    pytest.param("花了5000元，还有1.5万元没退", id="money"),
    pytest.param("单价13.5元，共1234件", id="prices-and-counts"),
    pytest.param("23路和36路末班车晚上10点", id="bus-lines"),
    pytest.param("打12345热线，或者拨110、120、119", id="hotlines"),
    pytest.param("400-820-8820和800-810-8888", id="company-service-numbers"),
    pytest.param("建国路88号门口", id="street-number"),
    pytest.param("建国门、建国大街、建国小区、建国中学、建国以来", id="given-name-inside-places"),
    pytest.param("3栋电梯坏了", id="building-alone"),
    pytest.param("8栋、9栋、11栋已有40多户", id="buildings-and-household-count"),
    pytest.param("5栋一楼有住户", id="floor-alone"),
    pytest.param("3栋200多户", id="building-with-count"),
    pytest.param("3栋 2026-12-04T13:45:00+08:00", id="building-then-timestamp"),
    pytest.param("1949年至2026年", id="years"),
    pytest.param("https://wenzheng.example/case.html?id=WZ20261204-ABC123#replies", id="url"),
    pytest.param("一两个小时，三四十个人", id="numeral-words"),
    pytest.param("打供水站的电话一直没人接", id="phone-word-without-number"),
    pytest.param("QQ群、微信公众号和微信支付都试过", id="app-names"),
    pytest.param("面积120平方米，18层，共2个单元", id="measures"),
    pytest.param("C#.NET 开发", id="hash-not-an-email"),
    pytest.param("20261204 110 2026年", id="numbers-side-by-side"),
    pytest.param("表单里的qq-number字段", id="qq-followed-by-a-word"),
    pytest.param("区号0571，邮编310000", id="area-code-and-postcode"),
]


@pytest.mark.parametrize("text", KEPT)
def test_text_without_personal_data_is_left_alone(text: str) -> None:
    assert scrub(text, CONTACT) == text


def test_one_character_given_name_is_never_replaced_alone() -> None:
    assert scrub("赵明说明天再来", ("赵明",)) == "赵*说明天再来"


@pytest.mark.parametrize(
    "name", ["", "李", "Li", "  "], ids=["empty", "one-char", "short-latin", "blank"]
)
def test_too_short_names_mask_nothing(name: str) -> None:
    text = "李四和Li Hua在李家村"
    assert scrub(text, (name,)) == text


def test_scrub_keeps_its_positional_form_for_existing_callers() -> None:
    assert scrub("电话13912345678") == f"电话{PHONE_TAG}"
    assert scrub("") == ""


def test_masked_contact_fields_keep_their_shapes() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_email("zhang.san@example.com") == "z***@example.com"


# --- properties ---------------------------------------------------------------------------------

PII = [
    "13912345678",
    "１３９１２３４５６７１",
    "139.1234.5671",
    "+86 (139) 1234 5671",
    "一三九一二三四五六七一",
    "021-64881234",
    "11010519491231002X",
    "110105 19491231 002X",
    "a.b@example.com",
    "王小明@例子.中国",
    "QQ 12345678",
    "微信：zhang_san88",
    "3栋2单元501室",
    "幸福小区3-2-501室",
    "李建国",
    "建国",
]
CLEAN = [
    "2026年12月4日",
    "20261204",
    "WZ20261204-ABC123",
    "5000元",
    "23路",
    "12345",
    "110",
    "建国路88号",
    "3栋电梯",
    "2026-12-04T13:45:00Z",
    "https://wenzheng.example/case.html",
    "400-820-8820",
    "下水道堵塞",
    "一两个",
    "门口",
    "1.5万元",
]
GLUE = st.sampled_from(["，", "。", " ", "我的", "或者", "\n", "（", "）", "：", "、"])


def _texts(fragments: list[str]) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(st.sampled_from(fragments), GLUE), max_size=8)
    return pairs.map(lambda ps: "".join(f + g for f, g in ps))


RANDOM_ALPHABET = "0123456789一三九〇 -.@#栋单元室QqX微信号：李建国"
MOBILE_RUN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@PROPS
@given(
    text=_texts(PII + CLEAN)
    | st.text(alphabet="0123456789一三九〇 -.@#栋单元室QqX微信号：", max_size=40)
)
def test_scrubbing_twice_changes_nothing_more(text: str) -> None:
    once = scrub(text, CONTACT)
    assert scrub(once, CONTACT) == once


@PROPS
@given(text=_texts(CLEAN))
def test_text_made_only_of_public_facts_comes_back_unchanged(text: str) -> None:
    assert scrub(text, CONTACT) == text


@PROPS
@given(text=_texts(PII + CLEAN))
def test_no_mobile_number_survives_in_any_notation(text: str) -> None:
    folded = fold(scrub(text, CONTACT))
    assert not MOBILE_RUN.search(re.sub(r"[ ()\-.]", "", folded))
    assert "李建国" not in folded


@PROPS
@given(text=st.text(max_size=60))
def test_folding_keeps_every_offset(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(folded) == folded
