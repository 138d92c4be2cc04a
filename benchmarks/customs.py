"""Customs figures: a 9610 batch of 20,000 export orders, and a monthly summary of 1,000,000 lists.

Both load the demo cluster into a fresh PostgreSQL database and configure its service
platform through the API.

``batch`` puts in shipped export orders with SQL, then times the real service's answers to
``POST /customs/batches`` (20,000 orders -> 20,000 inventory lists) and
``POST /customs/batches/{id}/submit`` (writes the 80,000 messages: each CEB603 and the CEB303,
CEB403 and CEB505 beside it), then starts two worker processes and times them sending it: each
message signed with the platform's key (the demo's self-signed one), put in its DXP envelope and
handed into the platform's data-exchange send folder, until every message is recorded sent. It
then checks every envelope in the send folder against customs' schema, and signs every stored
message again on one thread to print the share of the workers' time signing takes.

``summary`` puts in last month's released inventory lists with SQL (one goods line each, of
300 producing firms, 40 destination countries, 800 HS codes and 3 currencies; the lists'
orders are left out, as the summary does not read them), then times the service's
``POST /customs/batches {"customs_mode": "9610", "period": ...}`` against a bare SQL
``GROUP BY`` of the same lines on the same keys, and reads the peak memory of the gunicorn
worker that served it.

    python benchmarks/customs.py batch --orders 20000
    python benchmarks/customs.py summary --lines 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service import deployment, descendants, machine, peak_rss_mib

from commerce.customs.calendar import period_bounds, period_of, shift_period
from commerce.demo import demo_uscc

PLATFORM = {
    "customs_registration": "1305960001",
    "declaring_customs": "0401",
    "exit_ports": ["0401", "0202"],
    "transport_modes": ["5", "2"],
    "dxp_id": "DXPENT0000000001",
    "payment_name": "清河县跨境支付结算服务有限公司",
    "destination_port": "LAX",
}


def configure_platform(service) -> tuple[httpx.Client, int]:
    admin = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {service.token('admin@demo.example.com')}"},
        timeout=900,
    )
    cluster = admin.get("/api/v1/clusters").json()["items"][0]
    platform = admin.get("/api/v1/enterprises", params={"kind": "service_platform"}).json()["items"][0]
    answer = admin.put(f"/api/v1/customs/platforms/{cluster['id']}", json={**PLATFORM, "enterprise_id": platform["id"]})
    answer.raise_for_status()
    operator = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {service.token('trade@demo.example.com')}"},
        timeout=900,
    )
    return operator, answer.json()["id"]


ORDERS_SQL = """
INSERT INTO sales_order (channel, external_id, status, buyer_name, currency, total_amount, customs_mode,
    destination_country, trade_terms, waybill_no, logistics_code, placed_at, paid_at, shipped_at)
SELECT 'direct', 'BENCH-' || g, 'shipped', 'Buyer ' || g, 'USD', 56.5, '9610',
    (ARRAY['US', 'DE', 'GB', 'JP', 'CA', 'AU'])[1 + g % 6], 'FOB', 'WB' || g, 'SF', now(), now(), now()
FROM generate_series(1, :orders) AS g;
INSERT INTO order_line (order_id, sku_id, product_id, enterprise_id, quantity, unit_price, from_allocation)
SELECT o.id, s.id, s.product_id, s.enterprise_id, 1 + o.id % 3, 56.5, false
FROM sales_order o
JOIN (SELECT sku.id, sku.product_id, sku.enterprise_id, row_number() OVER (ORDER BY sku.id) - 1 AS n,
             count(*) OVER () AS total
      FROM sku JOIN product ON product.id = sku.product_id
      WHERE product.legal_unit IN ('件', '条', '双', '个', '套', '千克')
        AND coalesce(product.second_legal_unit, '千克') IN ('件', '条', '双', '个', '套', '千克')) s
  ON s.n = o.id % s.total
WHERE o.external_id LIKE 'BENCH-%';
"""


def batch_run(orders: int) -> None:
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        service.start_gunicorn(workers=1)
        operator, _ = configure_platform(service)
        engine = create_engine(service.database_url)
        with engine.begin() as connection:
            for statement in ORDERS_SQL.split(";"):
                if statement.strip():
                    connection.execute(text(statement), {"orders": orders})
        engine.dispose()
        started = time.perf_counter()
        formed = operator.post("/api/v1/customs/batches", json={"customs_mode": "9610"})
        if formed.status_code != 201:
            raise SystemExit(f"forming failed: {formed.status_code} {formed.text}")
        form_seconds = time.perf_counter() - started
        batch = formed.json()
        started = time.perf_counter()
        submitted = operator.post(f"/api/v1/customs/batches/{batch['id']}/submit")
        submitted.raise_for_status()
        submit_seconds = time.perf_counter() - started
        engine = create_engine(service.database_url)
        with engine.connect() as connection:
            messages = connection.execute(text("SELECT kind, count(*) FROM customs_message GROUP BY kind")).all()
        engine.dispose()
        print(f"machine: {machine()}")
        print(f"orders: {batch['orders']}, inventory lists: {len(batch['declarations'])}")
        print(f"messages written: {dict(messages)}")
        print(f"form batch: {form_seconds:.1f} s; submit (messages written): {submit_seconds:.1f} s")
        send_seconds, handed = send_with_workers(service, workers=SEND_WORKERS)
        print(
            f"send ({SEND_WORKERS} worker processes: sign, envelope, hand into the send folder): {send_seconds:.1f} s, "
            f"{handed} envelopes in the folder"
        )
        whole = form_seconds + submit_seconds + send_seconds
        print(f"total (form + submit + send): {whole:.1f} s")
        valid, checked = valid_handed_messages(service)
        print(
            f"handed-over messages valid against customs' schema (export.xsd): "
            f"{valid} of {checked} ({valid / checked:.0%})"
        )
        signing_seconds, signed = sign_stored_messages(service.database_url)
        print(
            f"signing {signed} messages on one thread: {signing_seconds:.1f} s "
            f"({signing_seconds / signed * 1000:.2f} ms each), "
            f"{signing_seconds / (SEND_WORKERS * send_seconds):.0%} of the send workers' time"
        )


# Worker processes that send a submitted batch (the batch is sent in lanes, one job each).
SEND_WORKERS = 2


def send_with_workers(service, *, workers: int) -> tuple[float, int]:
    """Start the workers and wait until every message of the batch is recorded sent; returns the
    seconds it took and the envelopes in the platform's send folder."""
    engine = create_engine(service.database_url)
    started = time.perf_counter()
    for _ in range(workers):
        service.start_worker()
    deadline = started + 900
    with engine.connect() as connection:
        while time.perf_counter() < deadline:
            unsent = connection.execute(text("SELECT count(*) FROM customs_message WHERE sent_at IS NULL")).scalar()
            connection.commit()
            if unsent == 0:
                break
            time.sleep(0.2)
        else:
            raise SystemExit(f"{unsent} messages still unsent")
        dead = connection.execute(text("SELECT count(*) FROM job WHERE status = 'dead'")).scalar()
    seconds = time.perf_counter() - started
    engine.dispose()
    if dead:
        raise SystemExit(f"{dead} jobs died")
    folder = service.workdir / "single-window" / PLATFORM["dxp_id"] / "send"
    return seconds, sum(1 for _ in folder.iterdir())


def valid_handed_messages(service) -> tuple[int, int]:
    """How many of the envelopes in the send folder carry a message customs' schema takes, signature included."""
    import base64

    from lxml import etree

    from commerce.config import Settings
    from integrations.single_window.office import load_schema

    folder = Settings().ceb_schema_dir
    if folder is None:
        raise SystemExit("customs' schema is needed: set COMMERCE_CEB_SCHEMA_DIR")
    schema = load_schema(folder)
    valid = checked = 0
    for path in (service.workdir / "single-window" / PLATFORM["dxp_id"] / "send").iterdir():
        envelope = etree.parse(str(path)).getroot()
        message = etree.fromstring(base64.b64decode(envelope.findtext("{*}Data")))
        checked += 1
        valid += schema.validate(message)
    return valid, checked


def sign_stored_messages(database_url: str) -> tuple[float, int]:
    """Sign every stored cross-border message with a key made for the run, as the send job does."""
    import tempfile

    from commerce.customs.signing import KeyFileSigner, write_self_signed

    key, certificate = write_self_signed(Path(tempfile.mkdtemp()), common_name="Benchmark platform")
    signer = KeyFileSigner(key, certificate_path=certificate)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        bodies = connection.execute(text("SELECT body FROM customs_message WHERE kind LIKE 'CEB%'")).scalars().all()
    engine.dispose()
    started = time.perf_counter()
    for body in bodies:
        signer.sign(body)
    return time.perf_counter() - started, len(bodies)


FIRMS = 300
# Destinations by how often the cluster ships to them: the first few take most parcels.
DESTINATIONS = [
    "US",
    "GB",
    "DE",
    "JP",
    "CA",
    "AU",
    "FR",
    "IT",
    "ES",
    "NL",
    "KR",
    "SE",
    "PL",
    "BE",
    "CH",
    "AT",
    "IE",
    "DK",
    "NO",
    "FI",
    "NZ",
    "SG",
    "MY",
    "TH",
    "PH",
    "ID",
    "MX",
    "BR",
    "AE",
    "SA",
    "IL",
    "TR",
    "CZ",
    "PT",
    "GR",
    "HK",
    "TW",
    "RU",
    "KZ",
    "IN",
]
HS_CODES = 800
HS_PER_FIRM = 8
CURRENCIES = ("USD", "EUR", "GBP")

SUMMARY_SETUP = """
CREATE TEMP TABLE bench_firm (n int PRIMARY KEY, id int, uscc text, name text, currency text);
CREATE TEMP TABLE bench_country (n int PRIMARY KEY, code text);
CREATE TEMP TABLE bench_hs (n int PRIMARY KEY, code text);
"""

# Each list: a firm at random, a destination skewed to the big markets, 9 in 10 by air from 0401.
LISTS_SQL = """
INSERT INTO customs_declaration (batch_id, platform_id, kind, seq_no, cop_no, customs_mode, status, entry_id,
    consignor_code, consignor_name, declaring_customs, exit_port, traf_mode, owner_enterprise_id, owner_code,
    owner_name, arrival_country, source_region, trade_terms, gross_weight_kg, simplified_eligible, rebate_eligible,
    clearance_no, cleared_period, submitted_at, accepted_at, cleared_at, created_at)
SELECT :batch_id, :platform_id, 'inventory_list', r.g, 'BENCH-INVT-' || r.g, '9610', 'cleared',
    'I' || lpad(r.g::text, 17, '0'), :consignor_code, :consignor_name, '0401',
    CASE WHEN r.by_air THEN '0401' ELSE '0202' END, CASE WHEN r.by_air THEN '5' ELSE '2' END,
    f.id, f.uscc, f.name, c.code, '13059', 'FOB', 0.3, false, true, r.g, :period, :at, :at, :at, :at
FROM (SELECT g, 1 + floor(random() * :firms)::int AS firm,
             1 + least(:countries - 1, floor(:countries * power(random(), 3)))::int AS country,
             random() < 0.9 AS by_air
      FROM generate_series(1, :lines) AS g) AS r
JOIN bench_firm f ON f.n = r.firm
JOIN bench_country c ON c.n = r.country
"""

# Each list's one line: one of its firm's eight HS codes, the firm's currency (1 in 20 another).
LINES_SQL = """
INSERT INTO customs_declaration_line (declaration_id, line_no, hs_code, goods_name, goods_model,
    destination_country, currency, unit, legal_unit, second_legal_unit, quantity, legal_quantity,
    second_legal_quantity, total_price)
SELECT r.id, 1, h.code, '山羊绒针织品', '', r.arrival_country,
    CASE WHEN r.other < 0.05 THEN (ARRAY['USD', 'EUR', 'GBP'])[1 + floor(r.other * 60)::int % 3] ELSE f.currency END,
    '件', '件', '千克', r.q, r.q, r.q * 0.3, r.q * 56.5
FROM (SELECT d.id, d.owner_enterprise_id, d.arrival_country, 1 + floor(random() * 3)::int AS q,
             floor(random() * :hs_per_firm)::int AS k, random() AS other
      FROM customs_declaration d WHERE d.batch_id = :batch_id) AS r
JOIN bench_firm f ON f.id = r.owner_enterprise_id
JOIN bench_hs h ON h.n = (f.n * :hs_per_firm + r.k) % :hs_codes
"""

# The database alone: the period's released lines merged on the header and line keys.
BARE_GROUP_BY = """
SELECT d.consignor_code, d.traf_mode, d.owner_code, d.arrival_country, d.exit_port,
       l.destination_country, l.hs_code, l.currency,
       sum(l.quantity), sum(l.legal_quantity), sum(l.second_legal_quantity), sum(l.total_price), count(*)
FROM customs_declaration_line l JOIN customs_declaration d ON d.id = l.declaration_id
WHERE d.platform_id = :platform_id AND d.cleared_period = :period AND d.clearance_no > 0 AND d.clearance_no <= :lines
GROUP BY d.consignor_code, d.traf_mode, d.owner_code, d.arrival_country, d.exit_port,
         l.destination_country, l.hs_code, l.currency
"""


def _released_lists(engine, platform_id: int, lines: int, period: str) -> None:
    """Last month's released lists of 300 firms, written straight into the tables."""
    released_at = period_bounds(period)[0] + timedelta(days=10)
    with engine.begin() as connection:
        cluster_id = connection.execute(
            text("SELECT cluster_id FROM customs_platform WHERE id = :id"), {"id": platform_id}
        ).scalar_one()
        consignor = connection.execute(
            text(
                "SELECT p.customs_registration, e.name FROM customs_platform p "
                "JOIN enterprise e ON e.id = p.enterprise_id WHERE p.id = :id"
            ),
            {"id": platform_id},
        ).one()
        for statement in SUMMARY_SETUP.split(";"):
            if statement.strip():
                connection.execute(text(statement))
        for number in range(1, FIRMS + 1):
            uscc = demo_uscc(100_000 + number)
            firm_id = connection.execute(
                text(
                    "INSERT INTO enterprise (name, uscc, customs_code, cluster_id, kind, region_code, "
                    "is_general_taxpayer, created_at) VALUES (:name, :uscc, :uscc, :cluster, 'manufacturer', "
                    "'13059', true, now()) RETURNING id"
                ),
                {"name": f"清河羊绒制品厂 {number:03d}", "uscc": uscc, "cluster": cluster_id},
            ).scalar_one()
            connection.execute(
                text("INSERT INTO bench_firm VALUES (:n, :id, :uscc, :name, :currency)"),
                {
                    "n": number,
                    "id": firm_id,
                    "uscc": uscc,
                    "name": f"清河羊绒制品厂 {number:03d}",
                    "currency": CURRENCIES[0] if number % 10 < 7 else CURRENCIES[1 + number % 2],
                },
            )
        connection.execute(
            text("INSERT INTO bench_country VALUES (:n, :code)"),
            [{"n": number, "code": code} for number, code in enumerate(DESTINATIONS, start=1)],
        )
        connection.execute(
            text("INSERT INTO bench_hs VALUES (:n, :code)"),
            [{"n": number, "code": f"{6101 + number // 100:04d}{number % 100:02d}0000"} for number in range(HS_CODES)],
        )
        batch_id = connection.execute(
            text(
                "INSERT INTO customs_batch (platform_id, customs_mode, kind, status, version, created_at, "
                "submitted_at, status_changed_at) VALUES (:platform, '9610', 'inventory', 'cleared', 1, :at, :at, :at) "
                "RETURNING id"
            ),
            {"platform": platform_id, "at": released_at},
        ).scalar_one()
        connection.execute(text("SELECT setseed(0.42)"))
        connection.execute(
            text(LISTS_SQL),
            {
                "batch_id": batch_id,
                "platform_id": platform_id,
                "consignor_code": consignor[0],
                "consignor_name": consignor[1],
                "period": period,
                "at": released_at,
                "firms": FIRMS,
                "countries": len(DESTINATIONS),
                "lines": lines,
            },
        )
        connection.execute(text(LINES_SQL), {"batch_id": batch_id, "hs_per_firm": HS_PER_FIRM, "hs_codes": HS_CODES})
        connection.execute(
            text("UPDATE customs_platform SET clearance_counter = :lines WHERE id = :id"),
            {"lines": lines, "id": platform_id},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE customs_declaration"))
        connection.execute(text("VACUUM ANALYZE customs_declaration_line"))


def _bare_group_by(engine, platform_id: int, period: str, lines: int) -> tuple[float, int]:
    with engine.connect() as connection:
        started = time.perf_counter()
        rows = connection.execute(
            text(BARE_GROUP_BY), {"platform_id": platform_id, "period": period, "lines": lines}
        ).all()
        return time.perf_counter() - started, len(rows)


def summary_run(lines: int) -> None:
    period = shift_period(period_of(datetime.now(UTC)), -1)
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        master = service.start_gunicorn(workers=1)
        operator, platform_id = configure_platform(service)
        engine = create_engine(service.database_url)
        started = time.perf_counter()
        _released_lists(engine, platform_id, lines, period)
        print(f"machine: {machine()}")
        print(f"{lines:,} released lists of {period} written in {time.perf_counter() - started:.0f} s")
        bare_before = [_bare_group_by(engine, platform_id, period, lines) for _ in range(3)]
        (worker,) = descendants(master.pid)
        resident_before = peak_rss_mib(worker)
        started = time.perf_counter()
        formed = operator.post("/api/v1/customs/batches", json={"customs_mode": "9610", "period": period})
        service_seconds = time.perf_counter() - started
        if formed.status_code != 201:
            raise SystemExit(f"forming failed: {formed.status_code} {formed.text}")
        peak = peak_rss_mib(worker)
        bare_after = [_bare_group_by(engine, platform_id, period, lines) for _ in range(3)]
        bare = statistics.median(seconds for seconds, _ in bare_before + bare_after)
        groups = bare_before[0][1]
        summary = formed.json()
        with engine.connect() as connection:
            written = connection.execute(
                text(
                    "SELECT count(DISTINCT d.id), count(*) FROM customs_declaration d "
                    "JOIN customs_declaration_line l ON l.declaration_id = d.id WHERE d.batch_id = :batch"
                ),
                {"batch": summary["id"]},
            ).one()
        engine.dispose()
        print(
            f"merged: {groups:,} lines under {len(summary['declarations']):,} declarations (written: {written[0]:,} "
            f"declarations, {written[1]:,} lines), due {summary['due_date']}"
        )
        print(f"bare GROUP BY (median of 6): {bare:.2f} s")
        print(f"service, POST /customs/batches: {service_seconds:.2f} s = {service_seconds / bare:.1f}x the GROUP BY")
        print(f"gunicorn worker peak resident memory: {peak:.0f} MiB (before the summary: {resident_before:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", choices=["batch", "summary"])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    arguments = parser.parse_args()
    if arguments.run == "batch":
        batch_run(arguments.orders)
    else:
        summary_run(arguments.lines)


if __name__ == "__main__":
    main()
