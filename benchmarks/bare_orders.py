"""The reference of the order benchmark: the least an order endpoint can do on this stack.

    gunicorn --pythonpath benchmarks bare_orders:app   (COMMERCE_DATABASE_URL names the database)

POST /orders takes the order benchmark's JSON body, inserts the order row and takes one unit of
its first line's SKU with one conditional UPDATE, in one transaction opened as the service opens
its own (``commerce.db``: the same engine, pool and transaction set-up). No sign-in, no reading of
the SKU, no lines, no ledger, no reactions: what is left is Flask, gunicorn, the driver and the
database, the physical limit the order path is measured against.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask, jsonify, request
from sqlalchemy import bindparam, text

from commerce.db import Database, ExactDecimal, UTCDateTime, write_transaction

app = Flask(__name__)
database = Database(os.environ["COMMERCE_DATABASE_URL"])

_INSERT_ORDER = text(
    "INSERT INTO sales_order (channel, external_id, stream_id, status, buyer_id, buyer_name, currency, "
    "total_amount, placed_at) VALUES (:channel, :external_id, :stream_id, 'placed', :buyer_id, :buyer_name, "
    ":currency, :total, :now) RETURNING id"
).bindparams(bindparam("total", type_=ExactDecimal(4)), bindparam("now", type_=UTCDateTime))
_TAKE_UNITS = text(
    "UPDATE stock_level SET available = available - :units, reserved = reserved + :units, updated_at = :now "
    "WHERE sku_id = :sku AND available >= :units"
).bindparams(bindparam("now", type_=UTCDateTime))


@app.post("/api/v1/orders")
def place_order():
    body = request.get_json()
    line = body["lines"][0]
    now = datetime.now(UTC)
    session = database.session()
    try:
        with write_transaction(session):
            connection = session.connection()
            taken = connection.execute(_TAKE_UNITS, {"units": line["quantity"], "sku": line["sku_id"], "now": now})
            if taken.rowcount != 1:
                raise LookupError
            order_id = connection.execute(
                _INSERT_ORDER,
                {
                    "channel": body["channel"],
                    "external_id": body["external_id"],
                    "stream_id": body.get("stream_id"),
                    "buyer_id": body["buyer"].get("id"),
                    "buyer_name": body["buyer"]["name"],
                    "currency": body["currency"],
                    "total": Decimal("99.00"),
                    "now": now,
                },
            ).scalar_one()
    except LookupError:
        return jsonify(code="insufficient_stock"), 409
    finally:
        session.close()
    return jsonify(id=order_id), 201
