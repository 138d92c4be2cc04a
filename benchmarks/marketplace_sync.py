"""Marketplace sync: publish a catalogue to three rate-limited marketplaces, kill a worker, time live stock.

Starts the real service on a fresh PostgreSQL database (gunicorn for the API and webhooks,
``flask worker run`` processes for the queue) and three marketplace simulators on loopback
(Shopify, TikTok Shop, Douyin) with their own rate limits, a fixed latency on every answer,
asynchronous review (TikTok Shop and Douyin) and webhooks sent late and sometimes twice.

Each product has two photos (``--images-per-product``), imported with the catalogue as a ZIP.
The Shopify simulator judges every document by Shopify's official schema and charges its cost by
Shopify's rules (a bucket of 20 seconds of points, 10 points a second per request of the limit).

Prints, per marketplace: requests answered, the achieved request rate against its limit (for
Shopify, points spent against the bucket's restore rate), the share answered 429/THROTTLED,
duplicate listings, photos uploaded against photos there are, listings live; the worker kill;
and how long a stock change on a live-stream SKU took to reach each marketplace.

    python benchmarks/marketplace_sync.py                 # the full run (5,000 products)
    python benchmarks/marketplace_sync.py --products 300  # a quick one
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.service import deployment, machine, percentile, photo_name, write_catalogue_csv
from integrations.simulation import Faults
from integrations.stand_ins import SIMULATORS, simulator_credentials
from tests.marketplaces import served, shop_schema

PLATFORMS = ("shopify", "tiktok_shop", "douyin")


class Api:
    def __init__(self, base_url: str, token: str):
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def call(self, method: str, path: str, **options):
        response = self.http.request(method, path, **options)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()


def start_simulators(limits: dict[str, float], latency: float, review_seconds: float, stack):
    simulators = {}
    for platform in PLATFORMS:
        simulator = SIMULATORS[platform](
            **shop_schema(platform),
            rate_limit=limits[platform],
            faults=Faults(latency_seconds=latency),
            webhook_delay_seconds=0.5,
            webhook_duplicate_rate=0.02,
        )
        if platform != "shopify":
            simulator.store.behaviour.review_seconds = review_seconds
        url = stack.enter_context(served(simulator.app))
        simulators[platform] = (simulator, url)
    return simulators


def write_catalogue_zip(path: Path, *, products: int, images_per_product: int, prefix: str) -> None:
    """The catalogue sheet and its photos, zipped: 160 x 160 JPEGs, each a different row of bars (the
    bits of its number), so that no two are the same photo once re-encoded."""
    from PIL import Image, ImageDraw

    sheet = path.with_suffix(".csv")
    write_catalogue_csv(
        sheet, products=products, skus_per_product=1, prefix=prefix, images_per_product=images_per_product
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.write(sheet, "catalogue.csv")
        for number in range(products):
            code = f"{prefix}{number:06d}"
            for image in range(images_per_product):
                key = number * images_per_product + image
                picture = Image.new("RGB", (160, 160), (230, 220, 200))
                draw = ImageDraw.Draw(picture)
                for bit in range(16):
                    if key >> bit & 1:
                        draw.rectangle((bit * 10, 20, bit * 10 + 9, 140), fill=(40, 30, 20))
                buffer = io.BytesIO()
                picture.save(buffer, "JPEG", quality=85)
                archive.writestr(f"photos/{photo_name(code, image)}", buffer.getvalue())


def photo_counts(platform: str, simulator) -> tuple[int, int]:
    """(photos uploaded to the marketplace, photos its listings name twice or more)."""
    if platform == "shopify":
        uploaded = len(simulator.files)
    elif platform == "tiktok_shop":
        uploaded = len(simulator.images)
    else:
        uploaded = len(simulator.materials)
    with simulator.store.lock:
        named = [image for listing in simulator.store.listings.values() for image in listing.images]
    return uploaded, len(named) - len(set(named))


def listing_counts(engine) -> dict[int, dict[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT channel_account_id, status, count(*) FROM listing GROUP BY channel_account_id, status")
        ).all()
    counts: dict[int, dict[str, int]] = {}
    for account_id, status, count in rows:
        counts.setdefault(account_id, {})[status] = count
    return counts


def stock_latency(api, engine, simulators, product, sku_id, samples, results, stop):
    """Change the stock of a SKU selling in a live stream; time until each marketplace shows it."""
    seller = f"cc-sku-{sku_id}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not stop.is_set():
        with engine.connect() as connection:
            published = connection.execute(
                text("SELECT count(*) FROM listing WHERE product_id = :p AND external_id IS NOT NULL"), {"p": product}
            ).scalar()
        if published == len(PLATFORMS):
            break
        time.sleep(0.5)
    for number in range(samples):
        if stop.is_set():
            return
        level = api.call(
            "POST", f"/skus/{sku_id}/stock-adjustments", json={"delta": -1 if number % 2 else 1, "reason": "count"}
        )
        changed = time.monotonic()
        waiting = set(PLATFORMS)
        while waiting and time.monotonic() - changed < 60:
            for platform in list(waiting):
                listing = simulators[platform][0].store.find(
                    f"cc-product-{product}" if platform != "tiktok_shop" else seller
                )
                if listing is not None and listing.skus[seller].quantity == level["available"]:
                    results[platform].append(time.monotonic() - changed)
                    waiting.discard(platform)
            time.sleep(0.005)
        for platform in waiting:
            results[platform].append(float("inf"))
        time.sleep(1.0)


def print_live_jobs(engine, product: int) -> None:
    """The jobs of the live product's listings, to show where a stock change that never arrived went."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT j.id, j.kind, j.status, j.attempts, j.created_at, j.run_at, j.finished_at, j.locked_by, "
                "j.locked_until, left(coalesce(j.last_error, ''), 120) FROM job j JOIN listing l "
                "ON j.key LIKE 'listing:' || l.id || ':%' WHERE l.product_id = :p ORDER BY j.id"
            ),
            {"p": product},
        ).all()
    print(f"jobs of the live product's listings ({len(rows)}):")
    for row in rows:
        print("  " + " | ".join(str(value) for value in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--limits", default="10,20,40", help="requests/s of shopify, tiktok_shop, douyin")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--review-seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--max-wait", type=float, default=0.3)
    parser.add_argument("--kill-after", type=float, default=60.0, help="seconds into the run; 0 kills nobody")
    parser.add_argument("--stock-samples", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--images-per-product", type=int, default=2)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    limits = dict(zip(PLATFORMS, (float(value) for value in arguments.limits.split(",")), strict=True))
    print(f"machine: {machine()}")
    print(
        f"run: {arguments.products} products x {len(PLATFORMS)} marketplaces, limits {limits}, "
        f"latency {arguments.latency * 1000:.0f} ms, {arguments.workers} workers x {arguments.threads} threads, "
        "PostgreSQL"
    )
    settings = {
        "job_lease_seconds": "20",
        "worker_poll_seconds": "0.1",
        "marketplace_max_wait_seconds": str(arguments.max_wait),
        "review_check_seconds": "30",
        "database_pool_size": "20",
        # Where marketplaces fetch the photos from (the simulators take the address, they do not fetch).
        "public_url": "https://commerce-bench.example",
    }
    with deployment("postgresql", **settings) as service, ExitStack() as stack:
        engine = create_engine(service.database_url)
        service.flask("demo", "load")
        service.start_gunicorn(2)
        api = Api(service.base_url, service.token("admin@demo.example.com"))
        simulators = start_simulators(limits, arguments.latency, arguments.review_seconds, stack)
        accounts = {}
        stop = threading.Event()
        for platform, (simulator, url) in simulators.items():
            account = api.call(
                "POST",
                "/channel-accounts",
                json={
                    "platform": platform,
                    "name": f"{platform} benchmark",
                    "credentials": simulator_credentials(platform),
                    "settings": {"base_url": url, "rate_limit_per_second": limits[platform], "currency": "CNY"},
                },
            )
            accounts[platform] = account["id"]
            hook = f"{service.base_url}/api/v1/webhooks/{platform}/{account['id']}"
            threading.Thread(target=simulator.deliver_forever, args=(stop,), kwargs={"url": hook}, daemon=True).start()

        maker = api.call("GET", "/enterprises", params={"kind": "manufacturer", "limit": 1})["items"][0]
        catalogue = Path(service.workdir) / "sync.zip"
        write_catalogue_zip(
            catalogue, products=arguments.products, images_per_product=arguments.images_per_product, prefix="SYNC"
        )
        imported = time.perf_counter()
        service.flask("catalog", "import", str(catalogue), "--enterprise-id", str(maker["id"]))
        imported = time.perf_counter() - imported
        with engine.connect() as connection:
            photos = connection.execute(text("SELECT count(*) FROM product_image")).scalar()
        print(f"imported {arguments.products} products with {photos} photos from a ZIP in {imported:.1f} s")
        with engine.begin() as connection:
            # Setup shortcut: the association's review of the benchmark catalogue is not what is measured.
            connection.execute(text("UPDATE product SET status = 'approved' WHERE product_code LIKE 'SYNC%'"))
            products = (
                connection.execute(text("SELECT id FROM product WHERE product_code LIKE 'SYNC%' ORDER BY id"))
                .scalars()
                .all()
            )
            first_sku = connection.execute(
                text("SELECT id FROM sku WHERE product_id = :p ORDER BY id LIMIT 1"), {"p": products[0]}
            ).scalar()

        started = time.perf_counter()
        requests = [(product, account_id) for product in products for account_id in accounts.values()]

        def publish(item):
            product, account_id = item
            api.call("POST", f"/products/{product}/listings", json={"channel_account_id": account_id})

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(publish, requests))
        queued = time.perf_counter() - started
        print(f"queued {len(requests)} listings through the API in {queued:.1f} s ({len(requests) / queued:.0f}/s)")

        host = Api(service.base_url, service.token("host@demo.example.com"))
        stream = host.call(
            "POST",
            "/streams",
            json={"title": "羊绒专场", "category": "cashmere", "scheduled_start": "2026-12-01T20:00:00+08:00"},
        )
        host.call("PUT", f"/streams/{stream['id']}/lineup", json={"items": [{"product_id": products[0]}]})
        host.call("POST", f"/streams/{stream['id']}/start")

        workers = [service.start_worker(arguments.threads) for _ in range(arguments.workers)]
        run_started = time.monotonic()
        latencies: dict[str, list[float]] = {platform: [] for platform in PLATFORMS}
        sampler = threading.Thread(
            target=stock_latency,
            args=(api, engine, simulators, products[0], first_sku, arguments.stock_samples, latencies, stop),
            daemon=True,
        )
        sampler.start()
        killed = None
        total = len(requests)
        while time.monotonic() - run_started < arguments.timeout:
            counts = listing_counts(engine)
            live = sum(status.get("live", 0) for status in counts.values())
            if arguments.kill_after and killed is None and time.monotonic() - run_started >= arguments.kill_after:
                victim = workers[0]
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed = {"at_seconds": round(time.monotonic() - run_started, 1), "live_then": live}
                workers[0] = service.start_worker(arguments.threads)
                service.processes.append(workers[0])
                print(
                    f"killed worker pid {victim.pid} with SIGKILL at {killed['at_seconds']} s ({live} live); restarted"
                )
            if live == total:
                break
            time.sleep(1.0)
        elapsed = time.monotonic() - run_started
        sampler.join(timeout=120)
        stop.set()

        counts = listing_counts(engine)
        with engine.connect() as connection:
            dead = connection.execute(text("SELECT count(*) FROM job WHERE status = 'dead'")).scalar()
            orders = connection.execute(text("SELECT count(*) FROM sales_order")).scalar()
        print(f"all listings live after {elapsed:.1f} s; dead jobs {dead}; orders {orders}")
        for platform in PLATFORMS:
            simulator = simulators[platform][0]
            traffic = simulator.traffic
            with traffic.lock:
                stamps = sorted(traffic.accepted)
                throttled = traffic.throttled
            steady = stamps[len(stamps) // 100 : len(stamps) - len(stamps) // 100] or stamps
            rate = (len(steady) - 1) / max(steady[-1] - steady[0], 1e-9) if len(steady) > 1 else 0.0
            overall = (len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-9) if len(stamps) > 1 else 0.0
            answered = len(stamps) + throttled
            samples = [value for value in latencies[platform]]
            if platform == "shopify":
                # Shopify's limit is its cost bucket: points spent against the points restored.
                with traffic.lock:
                    spent = sorted(traffic.spent)
                steady_points = spent[len(spent) // 100 : len(spent) - len(spent) // 100] or spent
                span = max(steady_points[-1][0] - steady_points[0][0], 1e-9) if len(steady_points) > 1 else 1e-9
                points = sum(cost for _at, cost in steady_points[1:]) / span
                restore = simulator.bucket.rate
                usage = f"points {points:.1f}/s of {restore:.0f}/s restored ({points / restore:.1%})"
            else:
                usage = f"{rate / limits[platform]:.1%} of the limit"
            uploaded, twice = photo_counts(platform, simulator)
            print(
                f"{platform}: limit {limits[platform]:.0f}/s; requests {len(stamps)}; rate {rate:.2f}/s "
                f"({usage}; {overall:.2f}/s first to last); "
                f"throttled {throttled} ({throttled / max(answered, 1):.2%}); "
                f"duplicates {simulator.store.duplicates()}; marketplace listings {len(simulator.store.listings)}; "
                f"photos uploaded {uploaded} of {photos}, named twice {twice}; "
                f"ours {counts.get(accounts[platform], {})}; "
                + (
                    f"stock p50 {percentile(samples, 0.5):.3f} s p99 {percentile(samples, 0.99):.3f} s "
                    f"max {max(samples):.3f} s over {len(samples)} changes"
                    if samples
                    else "no stock samples"
                )
            )
        if killed:
            print(f"worker kill: {killed}")
        if any(value == float("inf") for values in latencies.values() for value in values):
            print_live_jobs(engine, products[0])
        for process in workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        engine.dispose()
    os._exit(0)


if __name__ == "__main__":
    main()
