"""The API's documentation page works with no Internet: Swagger UI is served by Sinergi;
and a page loads with nothing missing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_the_api_docs_page_renders_every_operation_from_local_files_only(page, live_server):
    own = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    errors: list[str] = []

    def only_our_server(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/v1/docs")

    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 50
    assert page.locator(".opblock-summary-path", has_text="/api/v1/ledger/checkpoints").count()
    assert elsewhere == [] and errors == []


def test_a_page_and_everything_it_loads_answer_without_error(page):
    """The home page, its styles, scripts and icon: no request fails (a missing favicon
    shows as an error in every browser console)."""
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))

    page.goto("/en/")
    page.wait_for_load_state("networkidle")

    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon and page.request.get(icon).ok
    assert failed == []
