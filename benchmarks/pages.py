"""Every page for people, at the demo's size: first paint, server time, complete; and their screenshots.

    python benchmarks/pages.py [--database sqlite|postgresql] [--rounds 3] [--screenshots docs/screenshots]

Loads the demo into a fresh database, starts gunicorn (two sync workers) and one worker, then
signs in as each demo user in headless Chromium and opens each of their pages in Chinese and in
English, `--rounds` times. Per page it prints the medians of: first contentful paint (from the
navigation's start); the page's own server time (the HTML: request sent to first byte); the
slowest of the API calls its script makes (server time, request to first byte); and complete
(navigation start to the last answer drawn, the network idle). With `--screenshots` it saves
each page in each language at 1280x800 and, for a few, at phone width (390x844), as JPEG.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from service import DEMO_PASSWORD, deployment, machine

from tests.browsing import CHROMIUM, CHROMIUM_FLAGS

PHONE_SHOTS = {"firm-products", "host-console", "association-reviews", "trade-claims"}

MEASURE = """() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const calls = performance.getEntriesByType("resource").filter((entry) => entry.name.includes("/api/v1/"));
    const ends = calls.map((entry) => entry.responseEnd);
    return {
        first_paint: paint ? paint.startTime : null,
        html_server: navigation.responseStart - navigation.requestStart,
        api_server: Math.max(0, ...calls.map((entry) => entry.responseStart - entry.requestStart)),
        api_calls: calls.length,
        complete: Math.max(navigation.domContentLoadedEventEnd, ...ends),
    };
}"""


def pages_of(service) -> dict[str, list[tuple[str, str]]]:
    """Each demo user's pages (name, path), with the ids of the demo's own stream, product and batch."""

    def first(email: str, path: str, key: str = "id"):
        token = service.token(email)
        answer = httpx.get(f"{service.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        items = answer.json()["items"]
        return items[0][key] if items else None

    product = first("sme1@demo.example.com", "/products?limit=1")
    stream = first("host@demo.example.com", "/streams?limit=1")
    batch = first("trade@demo.example.com", "/customs/batches?limit=1")
    return {
        "sme1@demo.example.com": [
            ("front", "/"),
            ("firm-products", "/firm/products"),
            ("firm-product", f"/firm/products/{product}"),
            ("firm-new-product", "/firm/products/new"),
            ("firm-imports", "/firm/imports"),
            ("firm-orders", "/firm/orders"),
            ("firm-after-sales", "/firm/after-sales"),
            ("firm-statements", "/firm/statements"),
            ("firm-exports", "/firm/exports"),
            ("firm-letter", "/firm/letter"),
        ],
        "brand@demo.example.com": [
            ("association-home", "/home"),
            ("association-reviews", "/association/reviews"),
            ("association-members", "/association/members"),
            ("dashboard", "/dashboard"),
        ],
        "host@demo.example.com": [
            ("host-streams", "/host/streams"),
            ("host-lineup", f"/host/streams/{stream}/lineup"),
            ("host-console", f"/console/streams/{stream}"),
            ("host-report", f"/host/streams/{stream}/report"),
            ("host-commissions", "/host/commissions"),
        ],
        "trade@demo.example.com": [
            ("trade-customs", "/console/customs"),
            ("trade-batch", f"/console/customs/batches/{batch}"),
            ("trade-statements", "/trade/statements"),
            ("trade-claims", "/trade/claims"),
            ("trade-invoices", "/trade/invoices"),
            ("trade-proceeds", "/trade/proceeds"),
        ],
    }


def write_index(folder: Path, names: list[str]) -> None:
    """docs/screenshots/README.md: every page's screenshots, by language and width."""
    lines = [
        "# Screenshots",
        "",
        "Every page of the demo in Chinese and English at 1280 x 800, and some at phone width (390 x 844),",
        "made by `python benchmarks/pages.py --screenshots docs/screenshots` on the demo data (`flask demo load`).",
        "",
        "| page | 中文 | English | phone |",
        "|---|---|---|---|",
    ]
    for name in names:
        phone = " · ".join(
            f"[{language}]({name}.{language}.phone.jpg)"
            for language in ("zh-CN", "en")
            if (folder / f"{name}.{language}.phone.jpg").exists()
        )
        lines.append(f"| `{name}` | [中文]({name}.zh-CN.jpg) | [English]({name}.en.jpg) | {phone} |")
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#sign-in input[name=email]", email)
    page.fill("#sign-in input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, default=None)
    arguments = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print(machine())
    with deployment(arguments.database) as service, sync_playwright() as playwright:
        service.flask("demo", "load")
        service.start_gunicorn(2)
        service.start_worker()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        figures: dict[tuple[str, str], list[dict]] = {}
        if arguments.screenshots:
            arguments.screenshots.mkdir(parents=True, exist_ok=True)
        every_page = pages_of(service)
        for email, pages in every_page.items():
            for language in ("zh-CN", "en"):
                context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
                page = context.new_page()
                sign_in(page, service.base_url, email)
                for name, path in pages:
                    separator = "&" if "?" in path else "?"
                    for _ in range(arguments.rounds):
                        page.goto(f"{service.base_url}{path}{separator}lang={language}", wait_until="networkidle")
                        figures.setdefault((name, language), []).append(page.evaluate(MEASURE))
                    if arguments.screenshots:
                        target = arguments.screenshots / f"{name}.{language}.jpg"
                        page.screenshot(path=str(target), type="jpeg", quality=70)
                        if name in PHONE_SHOTS:
                            page.set_viewport_size({"width": 390, "height": 844})
                            page.wait_for_load_state("networkidle")
                            phone = arguments.screenshots / f"{name}.{language}.phone.jpg"
                            page.screenshot(path=str(phone), type="jpeg", quality=70)
                            page.set_viewport_size({"width": 1280, "height": 800})
                context.close()
        browser.close()
        if arguments.screenshots:
            write_index(arguments.screenshots, [name for pages in every_page.values() for name, _ in pages])

    header = f"{'page':<22} {'lang':<6} {'first paint':>12} {'page server':>12} {'slowest API':>12} {'complete':>10}"
    print(f"\n{header} calls")
    worst = {"first_paint": 0.0, "html_server": 0.0, "api_server": 0.0, "complete": 0.0}
    for (name, language), runs in figures.items():
        median = {key: statistics.median(run[key] or 0 for run in runs) for key in worst}
        for key in worst:
            worst[key] = max(worst[key], median[key])
        print(
            f"{name:<22} {language:<6} {median['first_paint']:>9.0f} ms {median['html_server']:>9.1f} ms"
            f" {median['api_server']:>9.1f} ms {median['complete']:>7.0f} ms {runs[-1]['api_calls']:>5}"
        )
    print(
        f"\nslowest page (medians): first paint {worst['first_paint']:.0f} ms, page server time"
        f" {worst['html_server']:.1f} ms, slowest API call {worst['api_server']:.1f} ms, complete"
        f" {worst['complete']:.0f} ms"
    )


if __name__ == "__main__":
    main()
