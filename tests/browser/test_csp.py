"""Every page under the production Content-Security-Policy: the local stack sends the headers
CloudFront sends (infra/security_headers.py), and no page may trigger a CSP violation, reported
either as a ``securitypolicyviolation`` event or on the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.security_headers import SECURITY_HEADERS
from tests.browser.conftest import PageProblems
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PAGES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "frontend").glob("*.html"))

# Runs before any page script and is not subject to the page's CSP (Playwright injects it).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                    (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def test_every_page_loads_under_the_production_csp_without_a_violation(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    page.add_init_script(RECORD_VIOLATIONS)
    assert len(PAGES) >= 10
    for name in PAGES:
        response = page.goto(stack.url(f"/{name}"))
        assert response is not None and response.status == 200, name
        headers = response.headers
        for header, value in SECURITY_HEADERS.items():
            assert headers.get(header.lower()) == value, (name, header)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp")
        assert violations == [], f"{name}: {violations}"
    csp_console = [e for e in problems.errors if "Content Security Policy" in e or "Refused" in e]
    assert csp_console == []
