"""Rebate and statistics figures: a period's claims for 200 firms, and the export report over 2,000,000 lines.

Both load the demo cluster into a fresh PostgreSQL database, configure its service platform through
the API, then write the bulk data with SQL.

``claims`` writes last month's cleared general-trade declarations of 200 trading firms (4 goods
lines each, 50,000 lines in all, every line declaring one order line), the orders behind them with
export proceeds for 97 in 100, 20,000 purchase invoices of two lines each, and a dated rate for each
HS code; then times the real service's ``POST /rebates/claims {"period": ...}``, which matches the
invoices to the lines, checks proceeds and rates, and writes the claims with their lines.

``report`` writes 1,000,000 released 9610 inventory lists of two goods lines each (2,000,000
lines) spread over twelve months, 300 firms, 40 countries and 800 HS codes; times the rebuild of the
twelve months' summary (``POST /reports/exports/refresh``), then ``GET /reports/exports`` grouped by
month and country (and by firm, HS chapter and month), against a bare SQL ``GROUP BY`` of the lines.

    python benchmarks/rebates.py claims --firms 200 --lines 50000 --invoices 20000
    python benchmarks/rebates.py report --lists 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from customs import DESTINATIONS, configure_platform
from service import deployment, descendants, machine, peak_rss_mib

from commerce.customs.calendar import period_bounds, period_of, shift_period
from commerce.demo import demo_uscc

HS_CODES = 100
HS_PER_FIRM = 4


def _platform(connection, platform_id: int) -> tuple[int, str, str]:
    """The platform's cluster, and its code and name as consignor."""
    return tuple(
        connection.execute(
            text(
                "SELECT p.cluster_id, p.customs_registration, e.name FROM customs_platform p "
                "JOIN enterprise e ON e.id = p.enterprise_id WHERE p.id = :id"
            ),
            {"id": platform_id},
        ).one()
    )


def _firms(connection, cluster_id: int, count: int, kind: str, offset: int) -> None:
    connection.execute(text("CREATE TEMP TABLE bench_firm (n int PRIMARY KEY, id int)"))
    for number in range(1, count + 1):
        firm_id = connection.execute(
            text(
                "INSERT INTO enterprise (name, uscc, customs_code, cluster_id, kind, region_code, is_general_taxpayer, "
                "created_at) VALUES (:name, :uscc, :uscc, :cluster, :kind, '13059', true, now()) RETURNING id"
            ),
            {
                "name": f"清河外贸公司 {number:03d}",
                "uscc": demo_uscc(offset + number),
                "cluster": cluster_id,
                "kind": kind,
            },
        ).scalar_one()
        connection.execute(text("INSERT INTO bench_firm VALUES (:n, :id)"), {"n": number, "id": firm_id})


CLAIM_DATA_SQL = """
CREATE TEMP TABLE bench_hs (n int PRIMARY KEY, code text);
INSERT INTO bench_hs SELECT n, (6101 + n / 10)::text || lpad((n % 10)::text, 2, '0') || '0000'
FROM generate_series(0, :hs_codes - 1) AS n;
INSERT INTO rebate_rate (hs_code, valid_from, rate, vat_rate, announcement, recorded_at)
SELECT code, DATE '2020-01-01', CASE WHEN n % 5 = 0 THEN 0.09 ELSE 0.13 END, 0.13, 'bench', now() FROM bench_hs;
CREATE TEMP TABLE bench_declaration AS
SELECT g, 1 + g % :firms AS firm FROM generate_series(1, :declarations) AS g;
INSERT INTO customs_declaration (batch_id, platform_id, kind, seq_no, cop_no, customs_mode, status, entry_id,
    consignor_code, consignor_name, declaring_customs, exit_port, traf_mode, owner_enterprise_id, owner_code,
    owner_name, arrival_country, source_region, trade_terms, gross_weight_kg, simplified_eligible, rebate_eligible,
    submitted_at, accepted_at, cleared_at, created_at)
SELECT :batch_id, :platform_id, 'declaration', d.g, 'BENCH-DEC-' || d.g, '0110', 'cleared',
    'E' || lpad(d.g::text, 17, '0'), :consignor_code, :consignor_name, '0401', '0401', '5', f.id, e.uscc, e.name,
    'US', '13059', 'FOB', 10, false, true, :at, :at, :at + (d.g % 20) * interval '1 day', :at
FROM bench_declaration d JOIN bench_firm f ON f.n = d.firm JOIN enterprise e ON e.id = f.id;
INSERT INTO sales_order (channel, external_id, status, buyer_name, currency, total_amount, customs_mode,
    destination_country, trade_terms, placed_at, paid_at, shipped_at, cleared_at)
SELECT 'direct', 'BENCH-O-' || d.g, 'cleared', 'Buyer', 'USD', 0, '0110', 'US', 'FOB', :at, :at, :at, :at
FROM bench_declaration d;
CREATE TEMP TABLE bench_line AS
SELECT d.g, k, f.id AS firm_id, d.firm, 10 + (d.g * 7 + k * 13) % 50 AS quantity,
       (SELECT code FROM bench_hs WHERE n = (d.firm * :hs_per_firm + k) % :hs_codes) AS hs_code
FROM bench_declaration d JOIN bench_firm f ON f.n = d.firm, generate_series(0, :hs_per_firm - 1) AS k;
INSERT INTO customs_declaration_line (declaration_id, line_no, hs_code, goods_name, goods_model, destination_country,
    currency, unit, legal_unit, quantity, legal_quantity, total_price)
SELECT cd.id, l.k + 1, l.hs_code, '羊绒衫', '', 'US', 'USD', '件', '件', l.quantity, l.quantity, l.quantity * 20
FROM bench_line l JOIN customs_declaration cd ON cd.cop_no = 'BENCH-DEC-' || l.g;
CREATE TEMP TABLE bench_sku AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, product_id FROM sku ORDER BY id LIMIT :hs_per_firm;
INSERT INTO order_line (order_id, sku_id, product_id, enterprise_id, quantity, unit_price, from_allocation)
SELECT o.id, s.id, s.product_id, l.firm_id, l.quantity, 20, false
FROM bench_line l JOIN sales_order o ON o.channel = 'direct' AND o.external_id = 'BENCH-O-' || l.g
JOIN bench_sku s ON s.k = l.k;
UPDATE sales_order o SET total_amount = t.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_line GROUP BY order_id) t
WHERE t.order_id = o.id AND o.external_id LIKE 'BENCH-O-%';
INSERT INTO customs_line_source (declaration_line_id, order_line_id, quantity)
SELECT dl.id, ol.id, ol.quantity
FROM bench_line l
JOIN customs_declaration cd ON cd.cop_no = 'BENCH-DEC-' || l.g
JOIN customs_declaration_line dl ON dl.declaration_id = cd.id AND dl.line_no = l.k + 1
JOIN sales_order o ON o.channel = 'direct' AND o.external_id = 'BENCH-O-' || l.g
JOIN bench_sku s ON s.k = l.k
JOIN order_line ol ON ol.order_id = o.id AND ol.sku_id = s.id;
INSERT INTO export_proceeds (order_id, amount, currency, received_on, reference, created_at)
SELECT o.id, o.total_amount, 'USD', CAST(:received_on AS date), 'BANK-' || o.id, now()
FROM sales_order o WHERE o.external_id LIKE 'BENCH-O-%' AND o.id % 100 >= 3;
INSERT INTO vat_invoice (enterprise_id, kind, number, issued_on, amount_excl_vat, vat_amount, created_at)
SELECT f.id, 'purchase', lpad(g::text, 20, '0'), CAST(:issued_on AS date) + (g % 25), 1, 0, now()
FROM generate_series(1, :invoices) AS g JOIN bench_firm f ON f.n = 1 + g % :firms;
INSERT INTO vat_invoice_line (invoice_id, enterprise_id, line_no, hs_code, quantity, amount, matched_quantity,
    matched_amount)
SELECT i.id, i.enterprise_id, k + 1, h.code, 30 + (i.id * 11 + k * 17) % 40,
       (30 + (i.id * 11 + k * 17) % 40) * 118.50, 0, 0
FROM vat_invoice i JOIN bench_firm f ON f.id = i.enterprise_id, generate_series(0, 1) AS k,
     LATERAL (SELECT code FROM bench_hs WHERE n = (f.n * :hs_per_firm + (i.id + k) % :hs_per_firm) % :hs_codes) h;
UPDATE vat_invoice i SET amount_excl_vat = t.total, vat_amount = round(t.total * 0.13, 2)
FROM (SELECT invoice_id, sum(amount) AS total FROM vat_invoice_line GROUP BY invoice_id) t WHERE t.invoice_id = i.id
"""


def _claim_data(engine, platform_id: int, *, firms: int, lines: int, invoices: int, period: str) -> None:
    start = period_bounds(period)[0] + timedelta(hours=2)
    with engine.begin() as connection:
        cluster_id, consignor_code, consignor_name = _platform(connection, platform_id)
        _firms(connection, cluster_id, firms, "trader", 200_000)
        batch_id = connection.execute(
            text(
                "INSERT INTO customs_batch (platform_id, customs_mode, kind, status, version, created_at, "
                "submitted_at, status_changed_at) VALUES (:platform, '0110', 'declaration', 'cleared', 1, :at, :at, "
                ":at) RETURNING id"
            ),
            {"platform": platform_id, "at": start},
        ).scalar_one()
        parameters = {
            "hs_codes": HS_CODES,
            "hs_per_firm": HS_PER_FIRM,
            "firms": firms,
            "declarations": lines // HS_PER_FIRM,
            "batch_id": batch_id,
            "platform_id": platform_id,
            "consignor_code": consignor_code,
            "consignor_name": consignor_name,
            "at": start,
            "received_on": (start + timedelta(days=25)).date().isoformat(),
            "issued_on": (start - timedelta(days=30)).date().isoformat(),
            "invoices": invoices,
        }
        for statement in CLAIM_DATA_SQL.split(";"):
            if statement.strip():
                connection.execute(text(statement), parameters)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def claims_run(firms: int, lines: int, invoices: int) -> None:
    period = shift_period(period_of(datetime.now(UTC)), -1)
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        master = service.start_gunicorn(workers=1)
        operator, platform_id = configure_platform(service)
        engine = create_engine(service.database_url)
        started = time.perf_counter()
        _claim_data(engine, platform_id, firms=firms, lines=lines, invoices=invoices, period=period)
        with engine.connect() as connection:
            written = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM customs_declaration_line l JOIN customs_declaration d "
                    "ON d.id = l.declaration_id WHERE d.cop_no LIKE 'BENCH-DEC-%'), "
                    "(SELECT count(*) FROM vat_invoice), (SELECT count(*) FROM vat_invoice_line), "
                    "(SELECT count(*) FROM customs_line_source)"
                )
            ).one()
        print(f"machine: {machine()}")
        print(
            f"{firms} trading firms, {written[0]:,} declaration lines of {period}, {written[1]:,} invoices "
            f"({written[2]:,} lines), {written[3]:,} line sources written in {time.perf_counter() - started:.0f} s"
        )
        (worker,) = descendants(master.pid)
        started = time.perf_counter()
        answer = operator.post("/api/v1/rebates/claims", json={"period": period})
        seconds = time.perf_counter() - started
        if answer.status_code != 201:
            raise SystemExit(f"claims failed: {answer.status_code} {answer.text[:500]}")
        peak = peak_rss_mib(worker)
        claims = answer.json()["items"]
        with engine.connect() as connection:
            matches, claim_lines, total = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM invoice_match), (SELECT count(*) FROM rebate_claim_line), "
                    "(SELECT sum(amount) FROM rebate_claim)"
                )
            ).one()
        engine.dispose()
        missing: dict[str, int] = {}
        for claim in claims:
            for item in claim["missing"]:
                missing[item["kind"]] = missing.get(item["kind"], 0) + 1
        print(f"claims: {len(claims)}, claim lines: {claim_lines:,}, invoice matches: {matches:,}")
        print(f"claimed: CNY {total:,.2f}; missing items: {missing}")
        print(f"POST /rebates/claims: {seconds:.2f} s (response {len(answer.content) / 1e6:.1f} MB)")
        print(f"gunicorn worker peak resident memory: {peak:.0f} MiB")


FIRMS = 300
HS_REPORT_CODES = 800
LISTS_SQL = """
CREATE TEMP TABLE bench_country (n int PRIMARY KEY, code text);
INSERT INTO bench_country SELECT n, (CAST(:countries AS text[]))[n]
FROM generate_series(1, cardinality(CAST(:countries AS text[]))) AS n;
INSERT INTO customs_declaration (batch_id, platform_id, kind, seq_no, cop_no, customs_mode, status, entry_id,
    consignor_code, consignor_name, declaring_customs, exit_port, traf_mode, owner_enterprise_id, owner_code,
    owner_name, arrival_country, source_region, trade_terms, gross_weight_kg, simplified_eligible, rebate_eligible,
    clearance_no, cleared_period, submitted_at, accepted_at, cleared_at, created_at)
SELECT :batch_id, :platform_id, 'inventory_list', r.g, 'BENCH-INVT-' || r.g, '9610', 'cleared', NULL,
    :consignor_code, :consignor_name, '0401', '0401', '5', f.id, e.uscc, e.name, c.code, '13059', 'FOB', 0.3,
    false, true, r.g, (CAST(:periods AS text[]))[1 + r.g % cardinality(CAST(:periods AS text[]))], :at, :at, :at, :at
FROM (SELECT g, 1 + floor(random() * :firms)::int AS firm,
             1 + least(:country_count - 1, floor(:country_count * power(random(), 3)))::int AS country
      FROM generate_series(1, :lists) AS g) AS r
JOIN bench_firm f ON f.n = r.firm JOIN enterprise e ON e.id = f.id JOIN bench_country c ON c.n = r.country;
INSERT INTO customs_declaration_line (declaration_id, line_no, hs_code, goods_name, goods_model,
    destination_country, currency, unit, legal_unit, quantity, legal_quantity, total_price)
SELECT d.id, k, (6101 + (d.owner_enterprise_id * 8 + k * 3 + d.id % 5) % :hs_codes / 100)::text
       || lpad(((d.owner_enterprise_id * 8 + k * 3 + d.id % 5) % 100)::text, 2, '0') || '0000',
    '山羊绒针织品', '', d.arrival_country, CASE WHEN d.id % 10 < 8 THEN 'USD' ELSE 'EUR' END,
    '件', '件', 1 + d.id % 3, 1 + d.id % 3, (1 + d.id % 3) * 56.5
FROM customs_declaration d, generate_series(1, 2) AS k WHERE d.batch_id = :batch_id
"""


def _report_data(engine, platform_id: int, *, lists: int, periods: list[str]) -> None:
    with engine.begin() as connection:
        cluster_id, consignor_code, consignor_name = _platform(connection, platform_id)
        _firms(connection, cluster_id, FIRMS, "manufacturer", 300_000)
        at = period_bounds(periods[0])[0]
        batch_id = connection.execute(
            text(
                "INSERT INTO customs_batch (platform_id, customs_mode, kind, status, version, created_at, "
                "submitted_at, status_changed_at) VALUES (:platform, '9610', 'inventory', 'cleared', 1, :at, :at, "
                ":at) RETURNING id"
            ),
            {"platform": platform_id, "at": at},
        ).scalar_one()
        connection.execute(text("SELECT setseed(0.42)"))
        for statement in LISTS_SQL.split(";"):
            if statement.strip():
                connection.execute(
                    text(statement),
                    {
                        "countries": DESTINATIONS,
                        "country_count": len(DESTINATIONS),
                        "periods": periods,
                        "batch_id": batch_id,
                        "platform_id": platform_id,
                        "consignor_code": consignor_code,
                        "consignor_name": consignor_name,
                        "at": at,
                        "firms": FIRMS,
                        "lists": lists,
                        "hs_codes": HS_REPORT_CODES,
                    },
                )
        connection.execute(
            text(
                "INSERT INTO customs_exchange_rate (currency, valid_from, cny_per_unit, source) "
                "VALUES (:currency, CAST(:month AS date), :rate, 'manual') ON CONFLICT DO NOTHING"
            ),
            [
                {"currency": currency, "month": f"{period}-01", "rate": rate}
                for period in periods
                for currency, rate in (("USD", "7.1"), ("EUR", "7.7"))
            ],
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


BARE_REPORT = """
SELECT d.cleared_period, l.destination_country, l.currency, count(DISTINCT d.id), sum(l.quantity), sum(l.total_price)
FROM customs_declaration_line l JOIN customs_declaration d ON d.id = l.declaration_id
WHERE d.kind = 'inventory_list' AND d.status = 'cleared' AND d.cleared_period BETWEEN :start AND :end
GROUP BY d.cleared_period, l.destination_country, l.currency
"""


def _timed(call, runs: int = 5) -> tuple[float, object]:
    seconds = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def report_run(lists: int) -> None:
    last = shift_period(period_of(datetime.now(UTC)), -1)
    periods = [shift_period(last, -back) for back in range(11, -1, -1)]
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        service.start_gunicorn(workers=1)
        operator, platform_id = configure_platform(service)
        engine = create_engine(service.database_url)
        started = time.perf_counter()
        _report_data(engine, platform_id, lists=lists, periods=periods)
        print(f"machine: {machine()}")
        print(
            f"{lists:,} released lists ({2 * lists:,} lines) over {periods[0]} to {periods[-1]} written in "
            f"{time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        rebuilt = operator.post("/api/v1/reports/exports/refresh", json={"from": periods[0], "to": periods[-1]})
        rebuild_seconds = time.perf_counter() - started
        if rebuilt.status_code != 200:
            raise SystemExit(f"rebuild failed: {rebuilt.status_code} {rebuilt.text[:500]}")
        cells = sum(item["cells"] for item in rebuilt.json()["items"])
        print(f"summary rebuilt for 12 months: {rebuild_seconds:.1f} s ({cells:,} cells)")
        query = {"from": periods[0], "to": periods[-1]}

        def report(group_by):
            answer = operator.get("/api/v1/reports/exports", params={**query, "group_by": group_by})
            answer.raise_for_status()
            return answer.json()

        seconds, body = _timed(lambda: report("month,country"))
        print(
            f"GET /reports/exports?group_by=month,country (median of 5): {seconds * 1000:.0f} ms, "
            f"{len(body['rows'])} rows, local share {body['local_share']}"
        )
        seconds, body = _timed(lambda: report("enterprise,hs_chapter,month"))
        print(
            f"GET /reports/exports?group_by=enterprise,hs_chapter,month (median of 5): {seconds * 1000:.0f} ms, "
            f"{len(body['rows']):,} rows"
        )
        seconds, _ = _timed(
            lambda: operator.get("/api/v1/reports/exports", params={**query, "group_by": "country", "format": "xlsx"})
        )
        print(f"GET /reports/exports?group_by=country&format=xlsx (median of 5): {seconds * 1000:.0f} ms")
        with engine.connect() as connection:
            seconds, rows = _timed(
                lambda: connection.execute(text(BARE_REPORT), {"start": periods[0], "end": periods[-1]}).all(), runs=3
            )
        engine.dispose()
        print(f"bare GROUP BY of the lines by month and country (median of 3): {seconds:.2f} s, {len(rows)} groups")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", choices=["claims", "report"])
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--lists", type=int, default=1_000_000)
    arguments = parser.parse_args()
    if arguments.run == "claims":
        claims_run(arguments.firms, arguments.lines, arguments.invoices)
    else:
        report_run(arguments.lists)


if __name__ == "__main__":
    main()
