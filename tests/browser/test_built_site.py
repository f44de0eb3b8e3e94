"""What a browser loads for each page of the built site (infra/site_build.py), which the stack
serves as CloudFront does: the HTML, one script and one stylesheet, both from the build's
manifest and named by their content, and nothing else of the site but the icon (the API's
answers aside). CloudFront bills each request; a page of ES modules was twelve of them."""

from __future__ import annotations

from typing import Any

import pytest

from infra import site_build
from infra.site_shell import PAGES
from tests.browser.conftest import PageProblems
from tests.localstack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack]

API = ("/api/", "/open311/", "/media/", "/uploads")


def test_each_page_loads_one_script_and_one_stylesheet_from_the_build(
    stack: Stack, desktop: tuple[Any, PageProblems]
) -> None:
    page, problems = desktop
    manifest = site_build.manifest()
    loaded: list[tuple[str, str]] = []  # (resource type, path) of the site's files

    def on_request(request: Any) -> None:
        url = request.url
        if url.startswith(stack.base + "/"):
            path = url[len(stack.base) :].split("?", 1)[0]
            if not path.startswith(API):
                loaded.append((request.resource_type, path))

    page.on("request", on_request)
    assert set(manifest["pages"]) == set(PAGES)
    for name, built in manifest["pages"].items():
        loaded.clear()
        response = page.goto(stack.url(f"/{name}"))
        assert response is not None and response.status == 200, name
        page.wait_for_load_state("networkidle")
        assets = sorted(a for a in loaded if a[1] != "/assets/favicon.svg")
        expected = sorted(
            [
                ("document", f"/{name}"),
                ("script", f"/{built['js']}"),
                ("stylesheet", f"/{built['css']}"),
            ]
        )
        # Chromium may ask for the icon (a cached, unhashed file); nothing else.
        assert assets == expected, (name, assets)
        assert all(site_build.HASHED.search(path) for kind, path in assets if kind != "document")
    assert not problems.errors, problems.errors
