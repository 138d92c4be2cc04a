"""Product list latency: pages of 50 products from a 100,000-product catalogue under concurrent load.

    python benchmarks/product_list.py [--database postgresql|sqlite] [--products 100000]
        [--clients 16 [--clients 4 ...]] [--seconds 30] [--gunicorn-workers 2] [--against COMMIT] [--rounds 1]

Fills a fresh database through the real import (`flask catalog import`, 2 SKUs a product),
starts gunicorn, and drives GET /api/v1/products?limit=50 at random pages (translations, SKUs
and stock included) as the cluster's brand admin with wrk (Debian package `wrk`), a C load
generator that leaves the CPU to the service. Each client is one connection sending its next
request as soon as the last is answered. Prints throughput and latency percentiles. With
--against, the code of COMMIT (a git worktree of it) serves the same database too, alternately
with this checkout in every round.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from orders import service_token, worktree
from service import ROOT, deployment, machine, write_catalogue_csv

LUA = Path(__file__).resolve().parent / "wrk_product_pages.lua"


def wrk(base_url: str, clients: int, seconds: float, token: str, max_id: int) -> dict:
    env = {"BENCH_TOKEN": token, "BENCH_MAX_ID": str(max_id), "PATH": "/usr/bin:/bin"}
    threads = min(clients, 2)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s", str(LUA), base_url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"clients": clients}
    requests = re.search(r"Requests/sec:\s+([\d.]+)", output)
    figures["requests_per_s"] = round(float(requests.group(1))) if requests else 0
    for name in ("50", "90", "99"):
        match = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", output)
        value, unit = float(match.group(1)), match.group(2)
        figures[f"p{name}_ms"] = round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["errors"] = int(errors.group(1)) if errors else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--clients", type=int, action="append")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument(
        "--against",
        metavar="COMMIT",
        help="also serve the catalogue with the code of COMMIT (a git worktree), alternately with this checkout",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each code, alternated")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(f"machine: {machine()}")
    with ExitStack() as stack:
        codes = {"current": ROOT}
        if arguments.against:
            codes[arguments.against] = stack.enter_context(worktree(arguments.against))
        # A file of the whole catalogue: more rows and cells than an upload may hold.
        rows = 2 * arguments.products
        service = stack.enter_context(
            deployment(arguments.database, import_max_rows=str(rows), import_max_cells=str(rows * 25))
        )
        service.flask("demo", "load")
        path = service.workdir / "catalogue.csv"
        write_catalogue_csv(path, products=arguments.products, skus_per_product=2)
        started = time.perf_counter()
        service.flask("catalog", "import", str(path), "--enterprise-id", "3")
        print(f"catalogue: {arguments.products} products x 2 SKUs imported in {time.perf_counter() - started:.0f} s")
        token = None
        max_id = arguments.products + 60
        for round_number in range(1, arguments.rounds + 1):
            for name, root in codes.items():
                process = service.serve(arguments.gunicorn_workers, root=root)
                try:
                    token = token or service_token(process.base_url, "brand@demo.example.com")
                    wrk(process.base_url, 16, 5, token, max_id)
                    for clients in arguments.clients or [16]:
                        result = wrk(process.base_url, clients, arguments.seconds, token, max_id)
                        print(
                            f"{name}-{round_number} database={arguments.database} "
                            f"gunicorn_workers={arguments.gunicorn_workers} page=50 "
                            + " ".join(f"{key}={value}" for key, value in result.items())
                        )
                finally:
                    service.stop_serving(process)


if __name__ == "__main__":
    main()
