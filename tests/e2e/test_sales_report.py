"""Sales gross and net over a range of months, in total, per firm and per host: the settlement
scene's stream of three firms with two refunds, worked by hand."""

from tests.e2e.test_settlement import Stream


def _rows(rows):
    return [
        (
            row["name"],
            row["currency"],
            row["orders"],
            row["gross"]["amount"],
            row["refunds"]["amount"],
            row["net"]["amount"],
            row["refund_rate"],
        )
        for row in rows
    ]


def test_the_cluster_sees_gross_net_and_the_refund_rate_per_firm_and_per_host(client, factory):
    scene = Stream(client, factory)
    world = scene.shop.world
    answer = client.get("/api/v1/reports/sales?from=2026-12&to=2026-12", headers=world.headers["brand_admin"])
    assert answer.status_code == 200, answer.json
    assert (answer.json["from"], answer.json["to"]) == ("2026-12", "2026-12")
    # 2 x 159.00 + 3 x 89.50 + 120.00 sold, 159.00 + 26.85 paid back: 185.85 / 706.50 = 0.26306...
    assert _rows(answer.json["totals"]) == [("", "CNY", 3, "706.50", "185.85", "520.65", "0.2631")]
    assert _rows(answer.json["firms"]) == [
        ("Maker A", "CNY", 1, "318.00", "159.00", "159.00", "0.5000"),
        ("Maker B", "CNY", 1, "268.50", "26.85", "241.65", "0.1000"),
        ("Trader C", "CNY", 1, "120.00", "0.00", "120.00", "0.0000"),
    ]
    assert [row["key"] for row in answer.json["firms"]] == [world.maker_a_id, world.maker_b_id, world.trader_id]
    assert _rows(answer.json["hosts"]) == [("host@example.com", "CNY", 3, "706.50", "185.85", "520.65", "0.2631")]
    assert [row["key"] for row in answer.json["hosts"]] == [world.user_ids["host"]]
    # Another month has nothing.
    november = client.get("/api/v1/reports/sales?from=2026-11&to=2026-11", headers=world.headers["trade_operator"])
    assert (november.json["totals"], november.json["firms"], november.json["hosts"]) == ([], [], [])


def test_sales_keep_to_what_the_caller_reaches(client, factory):
    scene = Stream(client, factory)
    world = scene.shop.world
    factory.far_cluster(world)
    own = client.get("/api/v1/reports/sales?from=2026-12&to=2026-12", headers=world.headers["sme_a"])
    assert _rows(own.json["firms"]) == [("Maker A", "CNY", 1, "318.00", "159.00", "159.00", "0.5000")]
    assert _rows(own.json["hosts"]) == [("host@example.com", "CNY", 1, "318.00", "159.00", "159.00", "0.5000")]
    far = client.get("/api/v1/reports/sales?from=2026-12&to=2026-12", headers=world.headers["trade_operator_far"])
    assert (far.json["totals"], far.json["firms"], far.json["hosts"]) == ([], [], [])
    host = client.get(
        "/api/v1/reports/sales?from=2026-12&to=2026-12", headers={**world.headers["host"], "Accept-Language": "zh-CN"}
    )
    assert (host.status_code, host.json["code"]) == (403, "forbidden")
    wrong = client.get("/api/v1/reports/sales?from=2026-12", headers=world.headers["trade_operator"])
    assert (wrong.status_code, wrong.json["code"]) == (422, "validation_error")
