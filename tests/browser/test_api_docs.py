"""The API's documentation page works with no Internet: Swagger UI is served by Sinergi."""

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
