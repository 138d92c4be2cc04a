"""Hostile workbooks: small files that unpack to huge sheets, millions of texts or cells.

    python benchmarks/hostile_uploads.py [--database sqlite|postgresql|both] [--threads 4]

Starts gunicorn (three sync workers, as docs/operations.md runs it) and one `flask worker run` on a fresh database, then
uploads every hostile workbook below at once as a firm's user, while a probe asks `/healthz`
every 20 ms. Prints, per file, its size packed and unpacked, the upload's answer and how long
it took, and how the import ended; then the probe's slowest and 99th-percentile answers
during the whole run and the worker's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from service import deployment, machine, peak_rss_mib

from tests.import_files import crafted_xlsx


def _numbers(rows: int, columns: int) -> bytes:
    letters = [chr(65 + column).encode() for column in range(columns)]
    return b"".join(
        b'<row r="%d">%s</row>'
        % (number, b"".join(b'<c r="%s%d"><v>1</v></c>' % (letter, number) for letter in letters))
        for number in range(2, rows + 2)
    )


def hostile_files() -> dict[str, bytes]:
    return {
        # The workbook of the report: a sheet of 110 MB (here, spaces between its rows).
        "sheet_110mb": crafted_xlsx(sheet_rows=b" " * 110_000_000),
        "texts_3m": crafted_xlsx(shared_strings=[b"x"] * 3_000_000),
        "cell_90mb": crafted_xlsx(
            sheet_rows=b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + b"a" * 90_000_000 + b"</t></is></c></row>"
        ),
        "cells_2m": crafted_xlsx(sheet_rows=_numbers(100_000, 20)),
        "texts_500k_distinct": crafted_xlsx(shared_strings=[b"%07d" % number for number in range(500_000)]),
        "row_1048576": crafted_xlsx(sheet_rows=b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'),
        "dimension_whole_sheet": crafted_xlsx(dimension="A1:XFD1048576", sheet_rows=_numbers(50_000, 1)),
    }


def unpacked(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


class Probe(threading.Thread):
    """Asks /healthz every 20 ms and keeps how long each answer took."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.base_url = base_url
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(f"{self.base_url}/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - started)
                self.failures += not ok
                self.stop.wait(0.02)


def run(kind: str, threads: int) -> None:
    files = hostile_files()
    with deployment(kind) as service:
        service.flask("demo", "load")
        service.start_gunicorn(workers=3, threads=threads)
        worker = service.start_worker()
        token = service.token("sme1@demo.example.com")
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        enterprise_id = httpx.get(f"{service.base_url}/api/v1/users/me", headers=headers).json()["enterprise_id"]
        probe = Probe(service.base_url)
        probe.start()
        answers: dict[str, tuple[httpx.Response, float]] = {}

        def upload(name: str) -> None:
            started = time.perf_counter()
            response = httpx.post(
                f"{service.base_url}/api/v1/products/imports",
                headers=headers,
                timeout=300,
                files={"file": (f"{name}.xlsx", files[name])},
                data={"enterprise_id": str(enterprise_id)},
            )
            answers[name] = (response, time.perf_counter() - started)

        started = time.perf_counter()
        uploads = [threading.Thread(target=upload, args=(name,)) for name in files]
        for thread in uploads:
            thread.start()
        for thread in uploads:
            thread.join()
        endings: dict[str, tuple[str, str, float]] = {}
        while len(endings) < len(files):
            for name, (response, _seconds) in answers.items():
                if name in endings:
                    continue
                if response.status_code != 202:
                    endings[name] = (f"{response.status_code}", response.json()["code"], 0.0)
                    continue
                body = httpx.get(
                    f"{service.base_url}/api/v1/products/imports/{response.json()['id']}", headers=headers
                ).json()
                if body["status"] in ("succeeded", "completed_with_errors", "failed"):
                    code = body["errors"][0]["code"] if body["errors"] else "-"
                    endings[name] = (body["status"], code, time.perf_counter() - started)
            time.sleep(0.1)
        probe.stop.set()
        probe.join()
        web = f"gthread workers of {threads} threads" if threads else "sync workers"
        print(f"database: {kind}, gunicorn: 3 {web}")
        for name, data in files.items():
            response, seconds = answers[name]
            status, code, finished = endings[name]
            print(
                f"  {name}: packed_kib={len(data) // 1024} unpacked_mib={unpacked(data) / 1048576:.1f} "
                f"answer={response.status_code} answer_s={seconds:.2f} outcome={status} code={code} "
                f"finished_after_s={finished:.1f}"
            )
        latencies = sorted(probe.latencies)
        print(
            f"  healthz: answers={len(latencies)} failures={probe.failures} "
            f"max_ms={latencies[-1] * 1000:.1f} p99_ms={latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} "
            f"median_ms={statistics.median(latencies) * 1000:.1f}"
        )
        print(f"  worker_peak_rss_mib={peak_rss_mib(worker.pid):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--threads", type=int, default=0, help="gthread workers of this many threads (0: sync)")
    arguments = parser.parse_args()
    print(f"machine: {machine()}")
    for kind in ["sqlite", "postgresql"] if arguments.database == "both" else [arguments.database]:
        run(kind, arguments.threads)


if __name__ == "__main__":
    main()
