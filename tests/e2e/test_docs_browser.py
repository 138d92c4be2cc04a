"""The browsable API documentation, in a real headless Chromium, with the internet out of reach."""

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser


def test_docs_render_every_operation_from_local_files_only(live_server, browser_page):
    outside: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    browser_page.route("**/*", guard)
    browser_page.goto(f"{live_server}/docs")
    browser_page.wait_for_selector(".opblock", timeout=20_000)
    assert "Cluster commerce API" in browser_page.inner_text(".information-container")
    operations = browser_page.locator(".opblock").count()
    document = browser_page.evaluate("fetch('/api/v1/openapi.json').then(response => response.json())")
    expected = sum(len(methods) for methods in document["paths"].values())
    assert operations == expected
    assert outside == []
    browser_page.locator(".opblock-summary-path", has_text="/api/v1/products/imports/template").first.click()
    browser_page.wait_for_selector(".opblock.is-open")
    assert "The import template" in browser_page.inner_text(".opblock.is-open")
