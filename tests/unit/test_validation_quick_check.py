"""The quick check (``functions.schema_check.conforms``) gives jsonschema's answer for every
request schema (for an invalid body it may instead leave the answer to jsonschema): on
bodies generated from each schema (most of them valid, many one detail off: a length at its
bound and one past it, a number as a whole float or a boolean, a pattern's match with a
trailing newline, a missing or extra field, a repeated item) and on arbitrary JSON. A body
it finds valid goes through without jsonschema, so a "valid" that jsonschema would refuse
would let a bad body in."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from functions.schema_check import conforms
from functions.validation import _validator, check

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema, root
    document, _, pointer = ref.partition("#")
    if document:
        root = schemas.load(document.removesuffix(".json"))
    node: Any = root
    for part in pointer.split("/")[1:]:
        node = node[part]
    merged = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return _resolve(merged, root)


def _strings(schema: dict[str, Any], clean: bool) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
    if "pattern" in schema:
        matching = st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") == "email":  # addresses mail can be sent to, and near misses
            matching |= st.sampled_from(["ouyang@example.com", "王小明@例子.中国", "a@b..cn"])
        repeated = re.fullmatch(r"\^(\[[^\]]+\])\+\$", schema["pattern"])
        if repeated:  # e.g. a link's token: one class repeated, at lengths around the bounds
            char = st.from_regex(f"^{repeated[1]}$", fullmatch=True)
            sized = st.integers(max(low, 1), min(high, low + 12))
            matching = sized.flatmap(lambda n: st.text(char, min_size=n, max_size=n))
        if clean and schema["pattern"].startswith("^"):  # a whole match of a fitting length
            return matching.filter(lambda s: low <= len(s) <= high)
        if clean:  # text of a fitting length that holds a match ("\\S": not blank)
            fitting = st.text(min_size=low, max_size=min(high, low + 12))
            return fitting.filter(lambda s: re.search(schema["pattern"], s) is not None)
        return matching | matching.map(lambda s: s + "\n") | st.text(max_size=high + 1)
    fitting = st.text(min_size=low, max_size=min(high, low + 12))
    if clean:
        return fitting
    near = [n for n in (low - 1, low, high, high + 1) if n >= 0]
    return fitting | st.sampled_from(near).flatmap(lambda n: st.text(min_size=n, max_size=n))


def _numbers(schema: dict[str, Any], whole: bool, clean: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum", -1000), schema.get("maximum", 1000)
    if clean:
        ints = st.integers(int(low), int(high))
        return ints if whole else ints | st.floats(low, high)
    ints = st.integers(int(low) - 1, int(high) + 1)
    values = ints | ints.map(float) | st.booleans()
    return values if whole else values | st.floats(low - 1, high + 1, allow_nan=False)


def _body(schema: Any, root: dict[str, Any], clean: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by ``schema``: ``clean``, mostly valid ones; else with details off and
    arbitrary JSON mixed in at every level."""
    if not isinstance(schema, dict) or depth > 6:
        return ANY_JSON
    schema, root = _resolve(schema, root)
    if "const" in schema:
        shaped: st.SearchStrategy[Any] = st.just(schema["const"])
    elif "enum" in schema:
        shaped = st.sampled_from(schema["enum"])
    elif schema.get("type") == "string":
        shaped = _strings(schema, clean)
    elif schema.get("type") in ("integer", "number"):
        shaped = _numbers(schema, schema["type"] == "integer", clean)
    elif schema.get("type") == "boolean":
        shaped = st.booleans() if clean else st.booleans() | st.sampled_from([0, 1])
    elif schema.get("type") == "array":
        items = _body(schema.get("items"), root, clean, depth + 1)
        low, high = schema.get("minItems", 0), schema.get("maxItems", 5)
        if clean:
            unique = schema.get("uniqueItems", False)
            shaped = st.lists(items, min_size=low, max_size=min(high, 6), unique=unique)
        else:
            shaped = st.lists(items, min_size=low, max_size=min(high + 1, 8))
            shaped = shaped | shaped.map(lambda xs: xs + xs[:1])  # a repeated item
    elif schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in properties]
        if clean and schema.get("anyOf"):  # e.g. a phone or an e-mail: the first named
            required += [k for k in schema["anyOf"][0].get("required", []) if k in properties]
        optional = {
            k: _body(v, root, clean, depth + 1) for k, v in properties.items() if k not in required
        }
        if not clean:
            optional["unexpected"] = ANY_JSON
        shaped = st.fixed_dictionaries(
            {k: _body(properties[k], root, clean, depth + 1) for k in required}, optional=optional
        )
        if required and not clean:  # now and then a required field left out
            shaped = shaped | shaped.map(lambda d: {k: v for k, v in d.items() if k != required[0]})
    else:
        shaped = ANY_JSON
    return shaped if clean else st.one_of(shaped, shaped, shaped, ANY_JSON)


# Every request schema (common.json only holds definitions, which the others use by $ref).
REQUEST_SCHEMAS = [name for name in schemas.names() if name != "common"]


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_the_quick_check_gives_jsonschemas_answer(name: str) -> None:
    root = schemas.load(name)
    validator = _validator(name)
    answers: Counter[bool] = Counter()

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(body=_body(root, root, clean=True) | _body(root, root, clean=False))
    def agree(body: Any) -> None:
        expected, answer = validator.is_valid(body), conforms(name, body)
        # Valid: read as valid (so it needs no jsonschema). Invalid: never read as valid;
        # "unknown" (None, an array of arrays under uniqueItems) sends it to jsonschema too.
        assert answer is expected or (answer is None and not expected), body
        answers[expected] += 1

    agree()
    assert answers[True] and answers[False], answers  # both answers were put to the test


def test_a_valid_body_passes_without_importing_jsonschema() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from functions.validation import check\n"
        "body = {'kind': 'complaint', 'category': 'urban', 'district': 'city',\n"
        "        'title': '小区电梯停运', 'content': '翠湖小区 3 号楼电梯停运两个月。',\n"
        "        'contact': {'phone': '13912345678'}, 'public': True}\n"
        "assert check('case-submission', body) is body\n"
        "print('jsonschema' in sys.modules, 'referencing' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_an_invalid_body_is_still_named_field_by_field() -> None:
    from functions.domain.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as refused:
        check("assign", {"lead": "市住建局", "co_handlers": ["dept-1", "dept-1"], "x": 1})
    assert [f.field for f in refused.value.fields] == ["x", "co_handlers", "lead"]


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_every_request_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    """What the first use of a schema checked when every body went through jsonschema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schemas.load(name))
    except SchemaError as error:
        pytest.fail(f"{name}.json: {error.message}")
