"""Order intake during a burst of refund webhooks: does a stream's wave of refunds slow the orders?

    python benchmarks/refund_webhooks.py [--orders 4000] [--clients 32] [--webhooks 2000] [--rounds 4]

Loads the demo cluster into a fresh PostgreSQL database, imports 1,000 SKUs (as the orders
benchmark does), starts gunicorn and one queue worker (at its own lower priority,
COMMERCE_WORKER_NICE), and connects a TikTok Shop account to the
TikTok Shop simulator served on loopback. Its shop sells the SKUs; a third of --webhooks orders are
bought there and reach the service first (their webhooks, then the worker). Each then gets a
refund of one unit, asked, approved and paid on the marketplace: three RETURN_STATUS_CHANGE
webhooks an order, --webhooks in all.

Each round sends --orders direct orders spread over the SKUs from --clients threads twice: alone,
and while the refund webhooks are posted (from 8 threads of a process of its own, as the
marketplace's servers post from theirs, as fast as they are answered; to a gunicorn of their own,
as a deployment routes /api/v1/webhooks/, in the idle scheduling class or as --webhook-priority
says) and the worker follows them
(reading each order's returns from the simulator, recording the after-sales). Odd rounds run the
orders alone first, even rounds the burst first. It prints accepted orders per second of both and
their ratio (the medians over the rounds, and round by round), the webhooks' answers, how long the
worker took to follow every refund, and the CPU each part used (the benchmark process's own
includes its children: the web processes and the worker).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from orders import Api, Scene, figures, printed, rush, spread_bodies
from service import ROOT, cpu_seconds, deployment, machine, processes_named
from sqlalchemy import create_engine, text

sys.path.insert(0, str(ROOT))

from integrations.marketplace import ListingContent, RemoteAfterSaleKind, RemoteAfterSaleStatus, SkuContent
from integrations.stand_ins import simulator_credentials
from integrations.tiktok_shop.simulator import TikTokShopSimulator
from tests.marketplaces import served

WEBHOOK_CLIENTS = 8


def post_all(base_url: str, account_id: int, webhooks: list[tuple[dict, bytes]]) -> tuple[dict[int, int], float, float]:
    """Post every webhook once from a few threads of a process of its own, as the marketplace's
    servers would from theirs; (answers by status, seconds, the posting process's CPU seconds)."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    poster = context.Process(target=_post_in_process, args=(base_url, account_id, webhooks, sending))
    poster.start()
    sending.close()
    answers, seconds, cpu = receiving.recv()
    poster.join()
    return answers, seconds, cpu


def _post_in_process(base_url: str, account_id: int, webhooks: list[tuple[dict, bytes]], sending) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    answers: dict[int, int] = {}
    lock = threading.Lock()
    next_index = itertools.count()
    path = f"/api/v1/webhooks/tiktok_shop/{account_id}"
    started = time.perf_counter()
    cpu = time.process_time()

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while (index := next(next_index)) < len(webhooks):
            headers, body = webhooks[index]
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                answers[response.status] = answers.get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(WEBHOOK_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sending.send((answers, time.perf_counter() - started, time.process_time() - cpu))
    sending.close()


def wait_for_queue(engine, *, timeout: float = 600) -> float:
    """Seconds until no job is waiting or running."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM job WHERE status IN ('queued', 'running')")
            ).scalar_one()
        if waiting == 0:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise RuntimeError("the queue did not drain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=4000, help="direct orders of each intake run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument(
        "--webhook-priority",
        choices=["idle", "nice", "shared"],
        default="idle",
        help="webhooks go to a gunicorn of their own in the idle scheduling class (chrt --idle, as "
        "docs/operations.md recommends on PostgreSQL) or at niceness 10, or to the orders' gunicorn",
    )
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the simulator's request log
    print(f"machine: {machine()}")
    with deployment("postgresql") as service, tempfile.TemporaryDirectory() as workdir:
        service.flask("demo", "load")
        process = service.serve(arguments.gunicorn_workers)
        base_url = process.base_url
        webhooks_url = base_url
        if arguments.webhook_priority != "shared":
            idle = arguments.webhook_priority == "idle"
            webhook_process = service.serve(2, nice=0 if idle else 10, idle=idle)
            webhooks_url = webhook_process.base_url
        scene = Scene(service, base_url, Path(workdir), spread_skus=True)
        engine = create_engine(service.database_url)
        simulator = TikTokShopSimulator()
        with served(simulator.app) as shop_url:
            admin = Api(base_url, scene.admin_token)
            account = admin.call(
                "POST",
                "/channel-accounts",
                json={
                    "platform": "tiktok_shop",
                    "name": "TikTok Shop (benchmark)",
                    "credentials": simulator_credentials("tiktok_shop"),
                    "settings": {"base_url": shop_url, "rate_limit_per_second": 1000, "currency": "CNY"},
                },
            )
            skus = scene.spread_sku_ids[:100]
            simulator.store.create(
                ListingContent(
                    "benchmark-product",
                    "Cashmere scarf",
                    "",
                    "CNY",
                    tuple(SkuContent(f"cc-sku-{sku_id}", Decimal("100.00"), 1_000_000) for sku_id in skus),
                )
            )
            simulator.store.finish_reviews()
            worker = service.start_worker()
            groups = {
                "web": lambda: [process.pid],
                "webhook web": lambda: [] if webhooks_url == base_url else [webhook_process.pid],
                "worker": lambda: [worker.pid],
                "postgres": lambda: processes_named("postgres"),
                "benchmark (load and simulator)": lambda: [os.getpid()],
            }

            def used() -> dict[str, float]:
                return {name: cpu_seconds(pids()) for name, pids in groups.items()}

            def spent(before: dict[str, float]) -> str:
                after = used()
                return ", ".join(f"{name} {after[name] - before[name]:.1f} s" for name in groups)

            wait_for_queue(engine)
            simulator.take_webhooks()
            # A third of the webhooks' orders for each round, bought and brought in beforehand.
            buyers = -(-arguments.webhooks // 3)
            bought = [
                [
                    simulator.store.buy(seller_sku=f"cc-sku-{skus[number % len(skus)]}", quantity=2)
                    for number in range(buyers)
                ]
                for _round in range(arguments.rounds)
            ]
            answers, seconds, _cpu = post_all(webhooks_url, account["id"], simulator.take_webhooks())
            print(f"marketplace orders: {buyers * arguments.rounds}, webhooks {answers} in {seconds:.1f} s")
            print(f"marketplace orders followed in {wait_for_queue(engine):.1f} s")

            accepted: dict[str, list[int]] = {"alone": [], "burst": []}

            def alone_run(round_number: int) -> None:
                before = used()
                alone = figures(
                    rush(
                        base_url,
                        scene.trade_token,
                        spread_bodies(f"alone-{round_number}", scene.spread_sku_ids, arguments.orders),
                        arguments.clients,
                    )
                )
                print(f"round {round_number} alone: {printed(alone)}; CPU {spent(before)}")
                accepted["alone"].append(alone["accepted_per_s"])

            def burst_run(round_number: int) -> None:
                # This round's refunds: one unit of each of its orders, asked, approved and paid.
                for order in bought[round_number - 1]:
                    refund = simulator.store.request_after_sale(
                        order.id, RemoteAfterSaleKind.REFUND_ONLY, [(order.lines[0][0], 1, Decimal("100.00"))]
                    )
                    simulator.store.move_after_sale(refund.id, RemoteAfterSaleStatus.APPROVED)
                    simulator.store.move_after_sale(refund.id, RemoteAfterSaleStatus.REFUNDED)
                refund_webhooks = simulator.take_webhooks()[: arguments.webhooks]
                burst_answers: dict = {}

                def burst():
                    burst_answers["answers"], burst_answers["seconds"], burst_answers["cpu"] = post_all(
                        webhooks_url, account["id"], refund_webhooks
                    )

                before = used()
                poster = threading.Thread(target=burst)
                poster.start()
                during = figures(
                    rush(
                        base_url,
                        scene.trade_token,
                        spread_bodies(f"burst-{round_number}", scene.spread_sku_ids, arguments.orders),
                        arguments.clients,
                    )
                )
                poster.join()
                during_cpu = spent(before)
                followed = wait_for_queue(engine)
                print(
                    f"round {round_number} with the burst: {printed(during)}; webhooks "
                    f"{json.dumps(burst_answers.get('answers'))} in {burst_answers.get('seconds', 0):.1f} s "
                    f"(the posting process's CPU {burst_answers.get('cpu', 0):.1f} s), "
                    f"all followed {followed:.1f} s after the orders; CPU during the orders {during_cpu}"
                )
                accepted["burst"].append(during["accepted_per_s"])

            # Rounds alternate which run goes first, so that the machine's drift within a round
            # (the tables growing, a neighbour waking) does not always fall on the same side.
            for round_number in range(1, arguments.rounds + 1):
                runs = (alone_run, burst_run) if round_number % 2 else (burst_run, alone_run)
                for run in runs:
                    run(round_number)
            with engine.connect() as connection:
                after_sales = connection.execute(
                    text("SELECT count(*), count(*) FILTER (WHERE status = 'refunded') FROM after_sale")
                ).one()
            refunds = buyers * arguments.rounds
            print(f"after-sales recorded: {after_sales[0]}, refunded: {after_sales[1]} (of {refunds} refunds)")
            alone_rate = statistics.median(accepted["alone"])
            burst_rate = statistics.median(accepted["burst"])
            pairs = zip(accepted["alone"], accepted["burst"], strict=True)
            ratios = ", ".join(f"{burst / alone:.2f}" for alone, burst in pairs)
            print(
                f"accepted orders/s alone {alone_rate:.0f}, during the burst {burst_rate:.0f}: "
                f"ratio {burst_rate / alone_rate:.2f} (round by round: {ratios})"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
