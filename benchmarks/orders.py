"""Order intake under a livestream rush: a flash sale on one hot SKU, and orders spread over 1,000 SKUs.

    python benchmarks/orders.py [--database sqlite|postgresql|both] [--clients 64]
        [--hot-requests 5000] [--hot-units 2000] [--spread-orders 10000] [--gunicorn-workers N] [--gunicorn-threads 0]

Loads the demo cluster into a fresh database and starts gunicorn. The hot run puts one SKU with
exactly --hot-units units available into a live stream, allocates all of them to the stream and
starts a flash sale of that quantity (one unit per buyer); --clients buyers then send
--hot-requests one-unit orders as fast as they are answered. It checks that exactly --hot-units
orders were accepted and that no unit was sold twice, from the API's own figures. The spread run
imports 1,000 SKUs, approves them, and sends --spread-orders direct orders spread evenly over them.

Clients are threads with one keep-alive connection each, on this machine. Accepted-order
throughput is accepted orders over the time until the last one was accepted; latencies are of
every request.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import random
import tempfile
import threading
import time
from pathlib import Path

import httpx
from service import deployment, machine, percentile, write_catalogue_csv


class Api:
    """A small synchronous client of the service for setting a scene up."""

    def __init__(self, base_url: str, token: str):
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, **options):
        response = self.http.request(method, path, **options)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def all_pages(self, path: str, **params):
        cursor = None
        while True:
            page = self.call("GET", path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
            yield from page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return


def rush(base_url: str, token: str, bodies: list[bytes], clients: int) -> list[tuple[int, str, float, float]]:
    """Send every body once from ``clients`` threads; (status, code, latency s, finished at s) per request."""
    host, port = base_url.removeprefix("http://").split(":")
    next_index = itertools.count()
    results: list[tuple[int, str, float, float]] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = time.perf_counter()

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        mine = []
        while (index := next(next_index)) < len(bodies):
            sent = time.perf_counter()
            connection.request("POST", "/api/v1/orders", body=bodies[index], headers=headers)
            response = connection.getresponse()
            answer = response.read()
            done = time.perf_counter()
            code = "" if response.status < 400 else json.loads(answer).get("code", "")
            mine.append((response.status, code, done - sent, done - started))
        connection.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"client CPU {time.process_time() - cpu:.1f} s over {time.perf_counter() - started:.1f} s")
    return results


def figures(results, accepted_status=(201,)) -> dict:
    accepted = [result for result in results if result[0] in accepted_status]
    latencies = [result[2] for result in results]
    last_accepted = max((result[3] for result in accepted), default=0.0)
    outcomes: dict[str, int] = {}
    for status, code, _latency, _at in results:
        key = str(status) if not code else f"{status} {code}"
        outcomes[key] = outcomes.get(key, 0) + 1
    return {
        "requests": len(results),
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / last_accepted) if last_accepted else 0,
        "requests_per_s": round(len(results) / max(result[3] for result in results)),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "outcomes": outcomes,
    }


def hot_run(service, clients: int, requests: int, units: int) -> dict:
    admin = Api(service.base_url, service.token("admin@demo.example.com"))
    host_token = service.token("host@demo.example.com")
    host = Api(service.base_url, host_token)
    product = admin.call("GET", "/products", params={"status": "approved", "limit": 1})["items"][0]
    sku = product["skus"][0]
    admin.call(
        "POST",
        f"/skus/{sku['id']}/stock-adjustments",
        json={"delta": units - sku["stock"]["available"], "reason": "benchmark"},
    )
    stream = host.call(
        "POST",
        "/streams",
        json={"title": "Flash sale benchmark", "category": "cashmere", "scheduled_start": "2026-12-01T12:00:00Z"},
    )
    lineup = host.call(
        "PUT",
        f"/streams/{stream['id']}/lineup",
        json={"items": [{"product_id": product["id"], "sku_allocations": {str(sku["id"]): units}}]},
    )
    host.call("POST", f"/streams/{stream['id']}/start")
    sale = host.call(
        "POST",
        f"/streams/{stream['id']}/flash-sales",
        json={
            "item_id": lineup["lineup"][0]["id"],
            "sku_id": sku["id"],
            "price": {"amount": "99.00", "currency": stream["currency"]},
            "quantity": units,
            "per_buyer_limit": 1,
            "countdown_seconds": 0,
            "duration_seconds": 1200,
        },
    )
    bodies = [
        json.dumps(
            {
                "channel": "douyin",
                "external_id": f"hot-{number}",
                "stream_id": stream["id"],
                "buyer": {"id": f"buyer-{number}", "name": f"buyer {number}"},
                "currency": stream["currency"],
                "lines": [{"sku_id": sku["id"], "quantity": 1}],
            }
        ).encode()
        for number in range(requests)
    ]
    result = figures(rush(service.base_url, host_token, bodies, clients))
    stock = admin.call("GET", f"/products/{product['id']}")["skus"][0]["stock"]
    sold = sum(
        line["quantity"]
        for order in admin.all_pages("/orders", stream_id=stream["id"])
        if order["status"] != "cancelled"
        for line in order["lines"]
    )
    sale_now = next(
        item for item in host.call("GET", f"/streams/{stream['id']}")["flash_sales"] if item["id"] == sale["id"]
    )
    result.update(
        units=units,
        units_in_orders=sold,
        oversold=max(0, sold - units),
        flash_sale_sold=sale_now["sold"],
        stock_after=stock,
    )
    return result


def spread_run(service, clients: int, orders: int, workdir: Path) -> dict:
    admin = Api(service.base_url, service.token("admin@demo.example.com"))
    maker = next(
        firm for firm in admin.call("GET", "/enterprises", params={"kind": "manufacturer", "limit": 200})["items"]
    )
    path = workdir / "spread.csv"
    write_catalogue_csv(path, products=500, skus_per_product=2, prefix="SPREAD")
    service.flask("catalog", "import", str(path), "--enterprise-id", str(maker["id"]))
    sku_ids = []
    for product in admin.all_pages("/products", enterprise_id=maker["id"], status="draft"):
        if not product["product_code"].startswith("SPREAD"):
            continue
        admin.call("POST", f"/products/{product['id']}/submit")
        admin.call("POST", f"/products/{product['id']}/approve")
        sku_ids.extend(sku["id"] for sku in product["skus"])
    rounds = -(-orders // len(sku_ids))
    chosen = (sku_ids * rounds)[:orders]
    random.Random(7).shuffle(chosen)
    trade_token = service.token("trade@demo.example.com")
    bodies = [
        json.dumps(
            {
                "channel": "direct",
                "external_id": f"spread-{number}",
                "buyer": {"name": f"buyer {number}", "country": "US"},
                "currency": "CNY",
                "lines": [{"sku_id": sku_id, "quantity": 1}],
            }
        ).encode()
        for number, sku_id in enumerate(chosen)
    ]
    result = figures(rush(service.base_url, trade_token, bodies, clients))
    result["skus"] = len(sku_ids)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--hot-requests", type=int, default=5000)
    parser.add_argument("--hot-units", type=int, default=2000)
    parser.add_argument("--spread-orders", type=int, default=10_000)
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        help="default: 2 on SQLite (its writers take turns on one file), 3 on PostgreSQL (a worker waits for "
        "the hot rows' lock, a third keeps the cores busy meanwhile)",
    )
    parser.add_argument(
        "--gunicorn-threads", type=int, default=0, help="threads per gthread worker (keep-alive); 0: sync workers"
    )
    parser.add_argument("--skip-spread", action="store_true")
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"machine: {machine()}")
    for kind in kinds:
        with deployment(kind, flash_sale_countdown_min_seconds="0") as service:
            service.flask("demo", "load")
            workers = arguments.gunicorn_workers or (2 if kind == "sqlite" else 3)
            print(f"{kind}: gunicorn with {workers} workers")
            service.start_gunicorn(workers, threads=arguments.gunicorn_threads)
            hot = hot_run(service, arguments.clients, arguments.hot_requests, arguments.hot_units)
            print(f"{kind} hot SKU: " + " ".join(f"{name}={value}" for name, value in hot.items()))
            if not arguments.skip_spread:
                with tempfile.TemporaryDirectory() as workdir:
                    spread = spread_run(service, arguments.clients, arguments.spread_orders, Path(workdir))
                print(f"{kind} spread: " + " ".join(f"{name}={value}" for name, value in spread.items()))


if __name__ == "__main__":
    main()
