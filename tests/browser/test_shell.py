"""The page shell in the browser: the pages are written with a neutral name (infra/site_shell.py)
and show the deployment's platform and city from /api/taxonomy, in the header, the footer and
the title. Held answers show what a page shows before the taxonomy arrives: never a wrong name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from infra.site_shell import NEUTRAL_HOST, NEUTRAL_PLATFORM_NAME
from tests.browser.conftest import PageProblems
from tests.browser.test_public_pages import no_problems, shot
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def taxonomy(stack: Stack) -> dict[str, Any]:
    status, answer = stack.call("GET", "/api/taxonomy")
    assert status == 200 and answer["platform_name"] and answer["city_name"], answer
    return dict(answer)


class HeldTaxonomy:
    """Holds the page's GET /api/taxonomy until the test answers it."""

    def __init__(self, page: Any) -> None:
        self.routes: list[Any] = []
        page.route("**/api/taxonomy", self.hold)

    def hold(self, route: Any) -> None:
        self.routes.append(route)

    def answer(self, body: dict[str, Any]) -> None:
        assert len(self.routes) == 1, "the page asks for the taxonomy once"
        self.routes.pop().fulfill(
            status=200, content_type="application/json", body=json.dumps(body, ensure_ascii=False)
        )


def shows_names(page: Any, title: str, platform: str, host: str) -> None:
    expect(page.locator(".site-header .brand-name")).to_have_text(platform)
    expect(page.locator('.site-footer [data-shell="platform"]')).to_have_text(platform)
    expect(page.locator('.site-footer [data-shell="host"]')).to_have_text(host)
    expect(page).to_have_title(f"{title} - {platform}")


def shows_taxonomys_names(page: Any, title: str, tax: dict[str, Any]) -> None:
    """The platform's name, and the city's government office as the footer's host."""
    shows_names(page, title, tax["platform_name"], f"{tax['city_name']}人民政府办公室（总平台）")


@pytest.mark.parametrize(
    "path, title", [("/index.html", "公开留言板"), ("/submit.html", "我要留言")]
)
def test_board_and_form_show_the_demo_citys_names_from_the_taxonomy(
    stack: Stack, desktop: tuple[Any, PageProblems], path: str, title: str
) -> None:
    page, problems = desktop
    tax = taxonomy(stack)
    page.goto(stack.url(path))
    shows_taxonomys_names(page, title, tax)
    expect(page.locator("#app")).not_to_be_empty()
    shot(page, f"shell-{path.strip('/').removesuffix('.html')}")
    no_problems(problems)


def test_before_the_taxonomy_answers_a_page_shows_the_neutral_name_then_the_citys(
    stack: Stack, phone: tuple[Any, PageProblems]
) -> None:
    page, problems = phone
    tax = taxonomy(stack)
    held = HeldTaxonomy(page)
    with page.expect_request("**/api/taxonomy"):
        page.goto(stack.url("/track.html"))
    shows_names(page, "查询与评价", NEUTRAL_PLATFORM_NAME, NEUTRAL_HOST)
    held.answer(tax)
    shows_taxonomys_names(page, "查询与评价", tax)
    no_problems(problems)


def test_the_names_are_whatever_the_deployments_taxonomy_says(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    other = {**taxonomy(stack), "platform_name": "青石市民生服务平台", "city_name": "青石市"}
    page.route(
        "**/api/taxonomy",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(other, ensure_ascii=False)
        ),
    )
    page.goto(stack.url("/rankings.html"))
    shows_taxonomys_names(page, "亮晒比", other)
    no_problems(problems)


def test_without_a_taxonomy_the_neutral_names_stay(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, _ = desktop
    page.route("**/api/taxonomy", lambda route: route.abort())
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/api/taxonomy")) as failed:
        page.goto(stack.url("/showcase.html"))
    assert failed.value.failure
    shows_names(page, "回音壁", NEUTRAL_PLATFORM_NAME, NEUTRAL_HOST)


def test_a_case_page_is_titled_with_the_case_then_the_platform_whichever_answers_first(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    tax = taxonomy(stack)
    status, listing = stack.call("GET", "/api/cases")
    assert status == 200 and listing["items"], listing
    case = listing["items"][0]
    held = HeldTaxonomy(page)
    with page.expect_request("**/api/taxonomy"):
        page.goto(stack.url(f"/case.html?id={case['case_id']}"))
    expect(page.locator("h1.case-title")).to_have_text(case["title"])
    expect(page).to_have_title(f"{case['title']} - {NEUTRAL_PLATFORM_NAME}")
    held.answer(tax)
    expect(page).to_have_title(f"{case['title']} - {tax['platform_name']}")
    no_problems(problems)
