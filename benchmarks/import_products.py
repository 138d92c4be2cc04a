"""Import throughput: a 100,000-SKU CSV uploaded to the running service and processed by a worker.

    python benchmarks/import_products.py [--database sqlite|postgresql|both] [--rows 100000]

Starts gunicorn and one `flask worker run` on a fresh database, uploads the file through
POST /api/v1/products/imports as a firm's user, polls the import until it finishes, and
prints rows per second (processing, and upload to finish) and the worker's peak memory.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import httpx
from service import deployment, machine, peak_rss_mib, write_catalogue_csv

SKUS_PER_PRODUCT = 4


def run(kind: str, rows: int, settings: dict[str, str]) -> dict:
    with deployment(kind, **settings) as service:
        service.flask("demo", "load")
        service.start_gunicorn(workers=2)
        worker = service.start_worker()
        token = service.token("sme1@demo.example.com")
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        enterprise_id = httpx.get(f"{service.base_url}/api/v1/users/me", headers=headers).json()["enterprise_id"]
        path = service.workdir / "catalogue.csv"
        written = write_catalogue_csv(path, products=rows // SKUS_PER_PRODUCT, skus_per_product=SKUS_PER_PRODUCT)
        size_mib = path.stat().st_size / 1024 / 1024
        started = time.perf_counter()
        with path.open("rb") as handle:
            response = httpx.post(
                f"{service.base_url}/api/v1/products/imports",
                headers=headers,
                timeout=300,
                files={"file": ("catalogue.csv", handle, "text/csv")},
                data={"enterprise_id": str(enterprise_id)},
            )
        response.raise_for_status()
        uploaded = time.perf_counter() - started
        url = f"{service.base_url}/api/v1/products/imports/{response.json()['id']}"
        while True:
            body = httpx.get(url, headers=headers, timeout=30).json()
            if body["status"] in ("succeeded", "completed_with_errors", "failed"):
                break
            time.sleep(0.25)
        total = time.perf_counter() - started
        processing = datetime.fromisoformat(body["finished_at"]) - datetime.fromisoformat(body["started_at"])
        return {
            "database": kind,
            "rows": written,
            "file_mib": round(size_mib, 1),
            "status": body["status"],
            "ok_rows": body["ok_rows"],
            "processing_s": round(processing.total_seconds(), 1),
            "rows_per_s": round(written / processing.total_seconds()),
            "end_to_end_rows_per_s": round(written / total),
            "upload_s": round(uploaded, 1),
            "worker_peak_rss_mib": round(peak_rss_mib(worker.pid)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a COMMERCE_* setting for the service, e.g. import_chunk_rows=2000",
    )
    arguments = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]
    print(f"machine: {machine()}")
    for kind in kinds:
        settings = dict(item.split("=", 1) for item in arguments.setting)
        result = run(kind, arguments.rows, settings)
        print(" ".join(f"{name}={value}" for name, value in result.items()))


if __name__ == "__main__":
    main()
