"""Order intake under a livestream rush: a flash sale on one hot SKU, and orders spread over 1,000 SKUs.

    python benchmarks/orders.py [--database sqlite|postgresql|both] [--clients 64]
        [--hot-requests 5000] [--hot-units 2000] [--spread-orders 10000] [--gunicorn-workers N] [--gunicorn-threads 0]
        [--warm-up 1000] [--against COMMIT] [--floor] [--rounds 1]

Loads the demo cluster into a fresh database and starts gunicorn. The hot run puts one SKU with
exactly --hot-units units available into a live stream, allocates all of them to the stream and
starts a flash sale of that quantity (one unit per buyer); --clients buyers then send
--hot-requests one-unit orders as fast as they are answered. It checks that exactly --hot-units
orders were accepted and that no unit was sold twice, from the API's own figures. The spread run
imports 1,000 SKUs, approves them, and sends --spread-orders direct orders spread evenly over them.

Before its runs, every server (this checkout's, the one of --against, the reference's) is sent
--warm-up one-line direct orders over the spread SKUs, not counted: a fresh gunicorn worker's
first few hundred orders pay for what it loads and caches on first use (lazy imports, compiled
statements, statements psycopg prepares on their fifth use), and a deployment is measured as it
runs, not as it starts.

Each round also runs the bare reference (``bare_orders.py``: insert the order row, take the stock
with one conditional UPDATE) on the same gunicorn, database and bodies, and the order path's
accepted orders per second are printed as a ratio of the reference's: the ratio of the medians
and the median of each round's ratio. With --against, the service as it was at COMMIT (a git
worktree of it, on the same database) runs too. The servers take turns in an order that moves
by one every round (this checkout, COMMIT, the reference; then COMMIT, the reference, this
checkout...), so that none is always measured at the same point of a round. With --floor, the
floor (``floor_orders.py``: the order path's own statements replayed with nothing else) takes
its turn too, and the order path's figures are also printed as a ratio of the floor's.

Clients are threads with one keep-alive connection each, on this machine. Accepted-order
throughput is accepted orders over the time until the last one was accepted; latencies are of
every request. Each run also prints the CPU time the web workers (every gunicorn process on the
machine), the database server (every PostgreSQL process) and the clients used, in all and per
accepted order.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import operator
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from service import (
    DEMO_PASSWORD,
    ROOT,
    cpu_seconds,
    deployment,
    machine,
    percentile,
    processes_named,
    write_catalogue_csv,
)

BENCHMARKS = Path(__file__).resolve().parent
# Orders of each spread SKU the floor is sent per worker before its spread run: a worker that was
# sent none of them would place its first order of that SKU through the service (1 in 2**8 here).
FLOOR_RECORDING_PASSES = 4


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
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
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
    cpu, servers = time.process_time(), server_cpu()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clients_cpu, (web, database) = time.process_time() - cpu, map(operator.sub, server_cpu(), servers)
    accepted = sum(1 for result in results if result[0] == 201) or 1
    each = ", ".join(f"{seconds / accepted * 1000:.2f}" for seconds in (web, database, clients_cpu))
    print(
        f"CPU over {time.perf_counter() - started:.1f} s: web workers {web:.1f} s, database server {database:.1f} s, "
        f"clients {clients_cpu:.1f} s; per accepted order {each} ms"
    )
    return results


def server_cpu() -> tuple[float, float]:
    """CPU seconds used so far by the gunicorn processes on this machine and by PostgreSQL's."""
    return cpu_seconds(processes_named("gunicorn")), cpu_seconds(processes_named("postgres"))


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


class Scene:
    """What every run of one database shares: the tokens, the hot SKU and the spread SKUs."""

    def __init__(self, service, base_url: str, workdir: Path, spread_skus: bool):
        self.service = service
        self.admin_token = service_token(base_url, "admin@demo.example.com")
        self.host_token = service_token(base_url, "host@demo.example.com")
        self.trade_token = service_token(base_url, "trade@demo.example.com")
        admin = Api(base_url, self.admin_token)
        self.product = admin.call("GET", "/products", params={"status": "approved", "limit": 1})["items"][0]
        self.sku_id = self.product["skus"][0]["id"]
        self.spread_sku_ids = self._spread_skus(admin, workdir) if spread_skus else []

    def _spread_skus(self, admin: Api, workdir: Path) -> list[int]:
        maker = next(
            firm for firm in admin.call("GET", "/enterprises", params={"kind": "manufacturer", "limit": 200})["items"]
        )
        path = workdir / "spread.csv"
        write_catalogue_csv(path, products=500, skus_per_product=2, prefix="SPREAD", stock=1_000_000)
        self.service.flask("catalog", "import", str(path), "--enterprise-id", str(maker["id"]))
        sku_ids = []
        for product in admin.all_pages("/products", enterprise_id=maker["id"], status="draft"):
            if not product["product_code"].startswith("SPREAD"):
                continue
            admin.call("POST", f"/products/{product['id']}/submit")
            admin.call("POST", f"/products/{product['id']}/approve")
            sku_ids.extend(sku["id"] for sku in product["skus"])
        return sku_ids

    def set_hot_stock(self, base_url: str, units: int) -> None:
        admin = Api(base_url, self.admin_token)
        available = admin.call("GET", f"/products/{self.product['id']}")["skus"][0]["stock"]["available"]
        if available != units:
            admin.call(
                "POST",
                f"/skus/{self.sku_id}/stock-adjustments",
                json={"delta": units - available, "reason": "benchmark"},
            )


def service_token(base_url: str, email: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/tokens", json={"email": email, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return response.json()["token"]


def hot_bodies(label: str, stream_id: int, currency: str, sku_id: int, requests: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "channel": "douyin",
                "external_id": f"hot-{label}-{number}",
                "stream_id": stream_id,
                "buyer": {"id": f"buyer-{label}-{number}", "name": f"buyer {number}"},
                "currency": currency,
                "lines": [{"sku_id": sku_id, "quantity": 1}],
            }
        ).encode()
        for number in range(requests)
    ]


def spread_bodies(label: str, sku_ids: list[int], orders: int) -> list[bytes]:
    rounds = -(-orders // len(sku_ids))
    chosen = (sku_ids * rounds)[:orders]
    random.Random(7).shuffle(chosen)
    return [
        json.dumps(
            {
                "channel": "direct",
                "external_id": f"spread-{label}-{number}",
                "buyer": {"name": f"buyer {number}", "country": "US"},
                "currency": "CNY",
                "lines": [{"sku_id": sku_id, "quantity": 1}],
            }
        ).encode()
        for number, sku_id in enumerate(chosen)
    ]


def hot_run(base_url: str, scene: Scene, label: str, clients: int, requests: int, units: int) -> dict:
    """A live stream selling the hot SKU's ``units`` in a flash sale of one unit per buyer."""
    stream, sale = open_flash_sale(base_url, scene, units)
    bodies = hot_bodies(label, stream["id"], stream["currency"], scene.sku_id, requests)
    result = figures(rush(base_url, scene.host_token, bodies, clients))
    return close_flash_sale(base_url, scene, stream, sale, result, units)


def open_flash_sale(base_url: str, scene: Scene, units: int) -> tuple[dict, dict]:
    """A live stream of the hot SKU's ``units``, all in a flash sale of one unit per buyer."""
    host = Api(base_url, scene.host_token)
    scene.set_hot_stock(base_url, units)
    stream = host.call(
        "POST",
        "/streams",
        json={"title": "Flash sale benchmark", "category": "cashmere", "scheduled_start": "2026-12-01T12:00:00Z"},
    )
    lineup = host.call(
        "PUT",
        f"/streams/{stream['id']}/lineup",
        json={"items": [{"product_id": scene.product["id"], "sku_allocations": {str(scene.sku_id): units}}]},
    )
    host.call("POST", f"/streams/{stream['id']}/start")
    sale = host.call(
        "POST",
        f"/streams/{stream['id']}/flash-sales",
        json={
            "item_id": lineup["lineup"][0]["id"],
            "sku_id": scene.sku_id,
            "price": {"amount": "99.00", "currency": stream["currency"]},
            "quantity": units,
            "per_buyer_limit": 1,
            "countdown_seconds": 0,
            "duration_seconds": 1200,
        },
    )
    return stream, sale


def close_flash_sale(base_url: str, scene: Scene, stream: dict, sale: dict, result: dict, units: int) -> dict:
    """``result`` with the units the stream's orders hold and the sale counted; the stream ends."""
    admin = Api(base_url, scene.admin_token)
    host = Api(base_url, scene.host_token)
    sold = sum(
        line["quantity"]
        for order in admin.all_pages("/orders", stream_id=stream["id"])
        if order["status"] != "cancelled"
        for line in order["lines"]
    )
    sale_now = next(
        item for item in host.call("GET", f"/streams/{stream['id']}")["flash_sales"] if item["id"] == sale["id"]
    )
    host.call("POST", f"/streams/{stream['id']}/end")
    result.update(units=units, units_in_orders=sold, oversold=max(0, sold - units), flash_sale_sold=sale_now["sold"])
    return result


def spread_run(base_url: str, scene: Scene, label: str, clients: int, orders: int) -> dict:
    """Direct orders of one unit spread evenly over the scene's 1,000 SKUs."""
    result = figures(rush(base_url, scene.trade_token, spread_bodies(label, scene.spread_sku_ids, orders), clients))
    result["skus"] = len(scene.spread_sku_ids)
    return result


def warm_up(base_url: str, token: str, scene: Scene, label: str, arguments) -> None:
    """--warm-up direct orders of one unit over the spread SKUs, sent as the runs send theirs."""
    if arguments.warm_up:
        bodies = spread_bodies(f"{label}-warm-up", scene.spread_sku_ids, arguments.warm_up)
        warmed = figures(rush(base_url, token, bodies, arguments.clients))
        if warmed["accepted"] != arguments.warm_up:
            raise RuntimeError(f"warm-up: {warmed['outcomes']}")


def reference_runs(service, scene: Scene, label: str, arguments, workers: int) -> dict[str, dict]:
    """The bare reference (``bare_orders.py``) on the same gunicorn and database, the same bodies."""
    # The hot SKU's units, as the hot run finds them, set through this checkout's API (the reference
    # has none); its orders name the stream of the last hot run (the reference reads nothing).
    admin = service.serve(1)
    try:
        scene.set_hot_stock(admin.base_url, arguments.hot_units)
        scene.hot_stream_id = _last_stream(admin.base_url, scene)
    finally:
        service.stop_serving(admin)
    reference = service.serve(workers, threads=arguments.gunicorn_threads, app="bare_orders:app", pythonpath=BENCHMARKS)
    try:
        warm_up(reference.base_url, "", scene, label, arguments)
        bodies = hot_bodies(label, scene.hot_stream_id, "CNY", scene.sku_id, arguments.hot_requests)
        results = {"hot": figures(rush(reference.base_url, "", bodies, arguments.clients))}
        if not arguments.skip_spread:
            bodies = spread_bodies(label, scene.spread_sku_ids, arguments.spread_orders)
            results["spread"] = figures(rush(reference.base_url, "", bodies, arguments.clients))
    finally:
        service.stop_serving(reference)
    return results


def floor_runs(service, scene: Scene, label: str, arguments, workers: int) -> dict[str, dict]:
    """The floor (``floor_orders.py``: the order path's own statements, and nothing else), its
    stream set up and its outcome read through a server of this checkout. Every worker records
    an order of each spread SKU first (each SKU is sent ``FLOOR_RECORDING_PASSES`` times per
    worker, not counted), so that the spread run's orders replay statements."""
    admin = service.serve(1)
    try:
        stream, sale = open_flash_sale(admin.base_url, scene, arguments.hot_units)
        floor = service.serve(
            workers, threads=arguments.gunicorn_threads, app="floor_orders:app", pythonpath=BENCHMARKS
        )
        try:
            warm_up(floor.base_url, scene.trade_token, scene, label, arguments)
            bodies = hot_bodies(label, stream["id"], stream["currency"], scene.sku_id, arguments.hot_requests)
            results = {"hot": figures(rush(floor.base_url, scene.host_token, bodies, arguments.clients))}
            if not arguments.skip_spread:
                passes = FLOOR_RECORDING_PASSES * workers * len(scene.spread_sku_ids)
                recording = spread_bodies(f"{label}-recording", scene.spread_sku_ids, passes)
                rush(floor.base_url, scene.trade_token, recording, arguments.clients)
                bodies = spread_bodies(label, scene.spread_sku_ids, arguments.spread_orders)
                results["spread"] = figures(rush(floor.base_url, scene.trade_token, bodies, arguments.clients))
        finally:
            service.stop_serving(floor)
        close_flash_sale(admin.base_url, scene, stream, sale, results["hot"], arguments.hot_units)
        return results
    finally:
        service.stop_serving(admin)


def printed(figures_: dict) -> str:
    return " ".join(f"{name}={value}" for name, value in figures_.items())


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
    parser.add_argument(
        "--warm-up", type=int, default=1000, help="orders each server is sent before its runs, not counted (0: none)"
    )
    parser.add_argument(
        "--against",
        metavar="COMMIT",
        help="also run the service as it was at COMMIT (a git worktree of it), alternately with this checkout",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run the floor (floor_orders.py: the order path's own statements alone) on the hot run",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each code and of the reference, alternated")
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"machine: {machine()}")
    with ExitStack() as stack:
        codes = {"current": ROOT}
        if arguments.against:
            codes[arguments.against] = stack.enter_context(worktree(arguments.against))
        for kind in kinds:
            run_database(kind, codes, arguments)


def run_database(kind: str, codes: dict[str, Path], arguments) -> None:
    workers = arguments.gunicorn_workers or (2 if kind == "sqlite" else 3)
    print(f"{kind}: gunicorn with {workers} workers, {arguments.clients} clients")
    with deployment(kind, flash_sale_countdown_min_seconds="0") as service, tempfile.TemporaryDirectory() as workdir:
        service.flask("demo", "load")
        first = service.serve(workers, threads=arguments.gunicorn_threads)
        scene = Scene(
            service, first.base_url, Path(workdir), spread_skus=not arguments.skip_spread or arguments.warm_up > 0
        )
        service.stop_serving(first)
        servers = [*codes, "reference", *(["floor"] if arguments.floor else [])]
        accepted: dict[str, dict[str, list[int]]] = {}
        for round_number in range(1, arguments.rounds + 1):
            turn = (round_number - 1) % len(servers)
            for name in servers[turn:] + servers[:turn]:
                label = f"{name}-{round_number}"
                if name == "reference":
                    runs = reference_runs(service, scene, label, arguments, workers)
                elif name == "floor":
                    runs = floor_runs(service, scene, label, arguments, workers)
                else:
                    runs = code_runs(service, codes[name], scene, label, arguments, workers)
                for run, result in runs.items():
                    print(f"{kind} {run} {label}: {printed(result)}")
                    accepted.setdefault(name, {}).setdefault(run, []).append(result["accepted_per_s"])
        for run, references in accepted["reference"].items():
            for name in [name for name in accepted if name != "reference" and run in accepted[name]]:
                print(f"{kind} {run} {name}: {_ratio(accepted[name][run], references, 'reference')}")
            if "floor" in accepted and run in accepted["floor"]:
                for name in codes:
                    print(f"{kind} {run} {name}: {_ratio(accepted[name][run], accepted['floor'][run], 'floor')}")


def _ratio(mine: list[int], theirs: list[int], their_name: str) -> str:
    """Accepted orders per second of one server, and as a ratio of another's, round by round."""
    ratios = [ours / other for ours, other in zip(mine, theirs, strict=True)]
    mine_, theirs_ = statistics.median(mine), statistics.median(theirs)
    return (
        f"{mine_:.0f} accepted orders/s (median of {len(mine)}), "
        f"{their_name} {theirs_:.0f}/s, ratio {mine_ / theirs_:.2f}; "
        f"round by round {', '.join(f'{ratio:.2f}' for ratio in ratios)}, median {statistics.median(ratios):.2f}"
    )


def code_runs(service, root: Path, scene: Scene, label: str, arguments, workers: int) -> dict[str, dict]:
    """The hot run and the spread run of the service of ``root`` (this checkout, or --against)."""
    process = service.serve(workers, threads=arguments.gunicorn_threads, root=root)
    try:
        warm_up(process.base_url, scene.trade_token, scene, label, arguments)
        runs = {"hot": hot_run(process.base_url, scene, label, *_hot(arguments))}
        if not arguments.skip_spread:
            runs["spread"] = spread_run(process.base_url, scene, label, arguments.clients, arguments.spread_orders)
    finally:
        service.stop_serving(process)
    return runs


def _hot(arguments) -> tuple[int, int, int]:
    return arguments.clients, arguments.hot_requests, arguments.hot_units


def _last_stream(base_url: str, scene: Scene) -> int:
    """The stream the reference's hot orders name (any of the host's streams: the reference reads nothing)."""
    return Api(base_url, scene.host_token).call("GET", "/streams", params={"limit": 1})["items"][0]["id"]


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """A checkout of ``commit`` beside this one, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="commerce-before-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
