"""Helpers of the browser tests: a page kept to this machine, signing in through the sign-in page."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.factories import PASSWORD

# Debian's Chromium, headless and quiet: without the background-networking flags it tries the
# internet (refused here) at every start.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def local_only(page) -> list[str]:
    """Refuses every request that leaves this machine; the list of those refused is returned."""
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    return outside


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Signs in on the sign-in page the browser was sent to, and waits to be sent on."""
    expect(page.locator("#sign-in")).to_be_visible()
    page.fill("#sign-in input[name=email]", email)
    page.fill("#sign-in input[name=password]", password)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


PHONE = {"width": 390, "height": 844}


def serious_accessibility_problems(page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now (rule, then the elements)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def no_text_squeezed(page, selector: str) -> list[str]:
    """Texts laid out narrower than two characters a line (a name wrapped one character per line)."""
    return page.eval_on_selector_all(
        selector,
        """(nodes) => nodes.filter((node) => {
            const style = getComputedStyle(node);
            const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
            const box = node.getBoundingClientRect();
            return node.textContent.trim().length > 3 && box.width < parseFloat(style.fontSize) * 2
                && box.height > lineHeight * 2.5;
        }).map((node) => node.textContent.trim())""",
    )
