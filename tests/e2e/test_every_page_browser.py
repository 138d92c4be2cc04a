"""Every page of every role, in Chinese at phone width and in English on a laptop: it draws without a
refusal or a script error, nothing squeezed to a character a line, no serious accessibility problem."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.e2e.test_streams import live_stream
from tests.factories import open_shop

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


def pages_of(shop, stream_id: int) -> dict[str, list[str]]:
    return {
        "sme_a@example.com": [
            "/",
            "/home",
            "/firm/products",
            f"/firm/products/{shop.scarf_id}",
            "/firm/products/new",
            "/firm/imports",
            "/firm/orders",
            "/firm/after-sales",
            "/firm/statements",
            "/firm/exports",
            "/firm/letter",
        ],
        "brand_admin@example.com": ["/home", "/association/reviews", "/association/members", "/dashboard"],
        "host@example.com": [
            "/host/streams",
            f"/host/streams/{stream_id}/lineup",
            f"/console/streams/{stream_id}",
            f"/host/streams/{stream_id}/report",
            "/host/commissions",
        ],
        "trade_operator@example.com": [
            "/home",
            "/console/customs",
            "/trade/statements",
            "/trade/claims",
            "/trade/invoices",
            "/trade/proceeds",
            "/no-such-page",
        ],
    }


@pytest.mark.parametrize(("language", "viewport"), [("zh-CN", PHONE), ("en", LAPTOP)], ids=["zh-CN-phone", "en-laptop"])
def test_every_page_draws_in_both_languages_and_widths(live_server, browser_page, client, factory, language, viewport):
    shop = open_shop(factory)
    stream = live_stream(client, shop)
    page = browser_page
    outside = local_only(page)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.set_viewport_size(viewport)
    visited = 0
    for email, paths in pages_of(shop, stream["id"]).items():
        page.context.clear_cookies()
        page.goto(f"{live_server}/login?lang={language}")
        sign_in(page, email)
        for path in paths:
            page.goto(f"{live_server}{path}", wait_until="networkidle")
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("h1")).to_be_visible()
            if path == "/no-such-page":
                assert page.locator(".problem").get_attribute("data-code") == "not_found"
                problems[:] = [problem for problem in problems if "404" not in problem]
            else:
                assert page.locator("#message").inner_text() == "", (email, path)
            assert no_text_squeezed(page, "h1, td, li, dd, label, a") == [], (email, path)
            assert serious_accessibility_problems(page) == [], (email, path)
            assert problems == [], (email, path)
            visited += 1
    assert visited == 27
    assert outside == []
