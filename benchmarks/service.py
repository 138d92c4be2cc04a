"""Starting the real service for a benchmark: a fresh database, gunicorn, workers, and their figures."""

from __future__ import annotations

import csv
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "demo-password-2026"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def machine() -> str:
    """A one-line description of this machine for the figures."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        memory_kib = int(info.readline().split()[1])
    started = time.perf_counter()
    sum(number * number for number in range(10_000_000))
    loop = time.perf_counter() - started
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kib // 1024 // 1024} GiB, Python {platform.python_version()}, "
        f"reference loop {loop:.2f} s (lower is a faster moment of this machine)"
    )


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and theirs, and so on."""
    try:
        found = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [grandchild for child in found for grandchild in descendants(child)]


def processes_named(command: str) -> list[int]:
    """The running processes whose command is ``command`` (``postgres``, ``gunicorn``)."""
    named = []
    for path in Path("/proc").iterdir():
        try:
            if path.name.isdigit() and (path / "comm").read_text().strip() == command:
                named.append(int(path.name))
        except OSError:
            continue
    return named


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) used so far by the processes and their descendants, each counted once."""
    every = set(pids).union(*(descendants(pid) for pid in pids))
    ticks = 0
    for pid in every:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory (VmHWM) of a running process, in MiB."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fresh_database(kind: str, workdir: Path) -> str:
    """A new, empty database: a SQLite file, or a PostgreSQL database beside BENCH_POSTGRES_URL."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    base = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"commerce_bench_{os.getpid()}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    parsed = make_url(url)
    base = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


class Service:
    """One deployment on this machine: its environment, its CLI, gunicorn and worker processes."""

    def __init__(self, database_url: str, workdir: Path, **settings: str):
        self.database_url = database_url
        self.workdir = workdir
        self.env = {
            **os.environ,
            "COMMERCE_DATABASE_URL": database_url,
            "COMMERCE_INSTANCE_PATH": str(workdir),
            "COMMERCE_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
            "COMMERCE_LOG_LEVEL": "WARNING",
            "COMMERCE_EMBEDDED_WORKER": "false",
            # The code of this checkout, whatever the environment has installed.
            "PYTHONPATH": str(ROOT),
            **{f"COMMERCE_{name.upper()}": value for name, value in settings.items()},
        }
        self.processes: list[subprocess.Popen] = []
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def start_gunicorn(self, workers: int = 2, *, threads: int = 0) -> subprocess.Popen:
        """gunicorn with ``workers`` sync workers, or with that many gthread workers of ``threads`` threads each."""
        return self.serve(workers, threads=threads, port=self.port)

    def serve(
        self,
        workers: int,
        *,
        threads: int = 0,
        port: int | None = None,
        root: Path = ROOT,
        app: str = "wsgi:app",
        pythonpath: Path | None = None,
        nice: int = 0,
        idle: bool = False,
    ) -> subprocess.Popen:
        """gunicorn serving ``app`` of the code at ``root`` (another checkout, say) on ``port`` (a free
        one by default, in the process's ``base_url``), on this deployment's database; ``nice``
        runs it at a lower CPU priority, ``idle`` in the idle scheduling class (only on cores nothing
        else wants)."""
        port = port or free_port()
        worker_class = ["--worker-class", "gthread", "--threads", str(threads)] if threads else []
        path = ["--pythonpath", str(pythonpath)] if pythonpath else []
        niced = ["chrt", "--idle", "0"] if idle else ["nice", "-n", str(nice)] if nice else []
        process = subprocess.Popen(
            [
                *niced,
                str(BIN / "gunicorn"),
                *worker_class,
                *path,
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--timeout",
                "300",
                app,
            ],
            cwd=root,
            env={**self.env, "PYTHONPATH": str(root)},
        )
        process.base_url = f"http://127.0.0.1:{port}"
        self.processes.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{process.base_url}/readyz", timeout=1).status_code < 500:
                    return process
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the service did not become ready")

    def stop_serving(self, process: subprocess.Popen) -> None:
        """Stop one gunicorn started by ``serve``, so that it takes no CPU from the next run."""
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        self.processes.remove(process)

    def start_worker(self, threads: int | None = None) -> subprocess.Popen:
        """A queue worker (at its own lower priority, ``COMMERCE_WORKER_NICE``)."""
        options = ["--threads", str(threads)] if threads else []
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "worker", "run", *options],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def token(self, email: str, password: str = DEMO_PASSWORD) -> str:
        response = httpx.post(f"{self.base_url}/api/v1/auth/tokens", json={"email": email, "password": password})
        response.raise_for_status()
        return response.json()["token"]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def deployment(kind: str, **settings: str):
    """A fresh database and service for one benchmark run, removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="commerce-bench-"))
    url = fresh_database(kind, workdir)
    service = Service(url, workdir, **settings)
    try:
        service.flask("db", "upgrade")
        yield service
    finally:
        service.stop()
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def photo_name(code: str, number: int) -> str:
    """The file name of a benchmark product's photo."""
    return f"{code}-{number}.jpg"


def write_catalogue_csv(
    path: Path,
    *,
    products: int,
    skus_per_product: int,
    prefix: str = "B",
    images_per_product: int = 0,
    stock: int | None = None,
) -> int:
    """A product import file of ``products`` x ``skus_per_product`` rows; returns the row count.

    With ``images_per_product``, each product names that many photos (``photo_name``); each SKU
    has ``stock`` units (by default 10 to 99)."""
    sys.path.insert(0, str(ROOT))
    from commerce.catalog.import_files import COLUMNS

    sizes = ("S", "M", "L", "XL", "XXL")
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(products):
            code = f"{prefix}{number:06d}"
            for variant in range(skus_per_product):
                size = sizes[variant % len(sizes)]
                writer.writerow(
                    [
                        code,
                        f"{code}-{size}",
                        f"山羊绒针织衫 {code}",
                        f"Cashmere knit sweater {code}",
                        "100%山羊绒，12针",
                        "100% cashmere, 12 gauge",
                        "6110120000",
                        "",
                        "针织|女式|100%山羊绒|套头衫",
                        "件",
                        "千克",
                        "13059",
                        "",
                        f"color=camel;size={size}",
                        f"{399 + number % 300}.00",
                        "CNY",
                        "0.350",
                        "",
                        str(stock if stock is not None else 10 + number % 90),
                        "|".join(photo_name(code, image) for image in range(images_per_product)),
                    ]
                )
                rows += 1
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
