"""The site's scripts never hand a string to an HTML or code sink: every value the API returns
(titles, replies, names) reaches the page as text. This is the source-level half of the XSS
control; ``tests/browser/test_pages.py::test_xss_title_is_shown_as_characters`` is the
behavioural half, and the CSP (no inline script) is the third."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "frontend" / "assets" / "js").glob("*.js"))

SINKS = {
    "innerHTML": re.compile(r"\.innerHTML\b"),
    "outerHTML": re.compile(r"\.outerHTML\b"),
    "insertAdjacentHTML": re.compile(r"\binsertAdjacentHTML\b"),
    "document.write": re.compile(r"\bdocument\.write(ln)?\s*\("),
    "eval": re.compile(r"(?<![\w.])eval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "string timer": re.compile(r"\bset(Timeout|Interval)\s*\(\s*['\"`]"),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "createContextualFragment": re.compile(r"\bcreateContextualFragment\b"),
}


def _code(source: str) -> str:
    """The source without its comments (a comment may name a sink to forbid it)."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", source)


def test_there_are_scripts_to_check() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_script_feeds_an_html_or_code_sink(script: Path) -> None:
    code = _code(script.read_text(encoding="utf-8"))
    found = [name for name, pattern in SINKS.items() if pattern.search(code)]
    assert not found, f"{script.name} uses {found}"


def test_the_sink_patterns_bite() -> None:
    sample = "el.innerHTML = x; document.write(y); setTimeout('go()', 1); eval(z)"
    found = {name for name, pattern in SINKS.items() if pattern.search(_code(sample))}
    assert {"innerHTML", "document.write", "string timer", "eval"} <= found
    harmless = _code("// never innerHTML\nel.textContent = x")
    assert not any(pattern.search(harmless) for pattern in SINKS.values())
