"""The floor under the order path: its own statements, and nothing else.

    gunicorn --pythonpath benchmarks floor_orders:app   (COMMERCE_DATABASE_URL names the database)

POST /api/v1/orders takes the order benchmark's JSON body. The first order of each shape (its
channel, stream and lines) in a worker is placed by the service itself, in this process, and the
statements it sends are recorded with their parameters. Every later order of that shape sends
the same statements again, in the same kind of session and transaction (``write_transaction``,
or ``single_statement`` for a write that is one statement), with the request's external id and
buyer in place of the recorded ones, and the new order's id where the recorded order's was. It
is refused (409) when a step finds no room, as the order path finds it: an UPDATE that changed
no row, or a statement answering no row or a false. There is no sign-in, validation, planning,
or building of the answer.

So the order path's accepted orders per second, as a ratio of this floor's, show what its Python
costs. The floor's, as a ratio of the bare reference's (``bare_orders.py``), show what the
order's rows cost through SQLAlchemy and the database: its line, its ledger row, its stock pushes
and, in a flash sale, the sale's count, the allocation and the buyer's count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import Update, event

from commerce import create_app
from commerce.db import single_statement, write_transaction
from commerce.orders.models import SalesOrder
from commerce.orders.planning import buyer_key
from commerce.orders.writing import ORDER_REFERENCE, order_reference

app = Flask(__name__)
service = create_app()
database = service.extensions["commerce.deployment"].database
_WRITING_WORDS = ("INSERT ", "UPDATE ", "DELETE ")


@dataclass
class Recording:
    """The statements one order sent (each with its parameters and whether it writes), and the
    values that are that order's own."""

    external_id: str
    buyer_id: str | None
    buyer_key: str
    sent: list[tuple[Any, Any, bool]] = field(default_factory=list)


class Refused(Exception):
    pass


_recordings: dict[tuple, Recording] = {}


def _record(body: dict, raw: bytes) -> tuple[Recording, Any]:
    """Place the order of ``body`` through the service, recording the statements it sends."""
    buyer = body.get("buyer") or {}
    recording = Recording(
        external_id=body["external_id"],
        buyer_id=buyer.get("id"),
        buyer_key=buyer_key(body["channel"], buyer.get("id"), buyer.get("name", "")),
    )

    def note(connection, statement, multiparams, params, _options) -> None:
        text = str(statement.compile(dialect=connection.dialect))
        parameters = multiparams[0] if multiparams else params
        recording.sent.append((statement, parameters, any(word in text for word in _WRITING_WORDS)))

    event.listen(database.engine, "before_execute", note)
    try:
        answer = service.test_client().post(
            "/api/v1/orders",
            data=raw,
            headers={"Content-Type": "application/json", "Authorization": request.headers.get("Authorization", "")},
        )
    finally:
        event.remove(database.engine, "before_execute", note)
    return recording, answer


def _in_place(key: str, value: Any, swaps: dict, order_id: int | None) -> Any:
    """A recorded parameter's value for the new order: its external id, its buyer, its id."""
    if order_id is not None and key == "order_id":
        return order_id
    if isinstance(value, str):
        if order_id is not None and key == "reference" and value.startswith(ORDER_REFERENCE):
            return order_reference(order_id)
        return swaps.get(value, value)
    return value


def _parameters(parameters: Any, swaps: dict, order_id: int | None) -> Any:
    if isinstance(parameters, list):
        return [_parameters(each, swaps, order_id) for each in parameters]
    return {key: _in_place(key, value, swaps, order_id) for key, value in parameters.items()}


def _had_room(statement: Any, result: Any) -> tuple[bool, int | None]:
    """Whether a write found room as the order path requires (an UPDATE changed its one row; rows
    came back, none saying a step found no room), and the new order's id if it wrote the order."""
    if not result.returns_rows:
        return not isinstance(statement, Update) or result.rowcount == 1, None
    rows = result.all()
    if not rows or any(value is False for row in rows for value in row):
        return False, None
    return True, rows[0][0] if getattr(statement, "table", None) is SalesOrder.__table__ else None


def _replay(recording: Recording, body: dict) -> None:
    """The recorded statements again, for the order of ``body``; Refused if a step found no room."""
    buyer = body.get("buyer") or {}
    swaps = {
        recording.external_id: body["external_id"],
        recording.buyer_key: buyer_key(body["channel"], buyer.get("id"), buyer.get("name", "")),
    }
    if recording.buyer_id is not None:
        swaps[recording.buyer_id] = buyer.get("id")
    reads = [(statement, parameters) for statement, parameters, writes in recording.sent if not writes]
    writes = [(statement, parameters) for statement, parameters, writes in recording.sent if writes]
    session = database.session()
    try:
        for statement, parameters in reads:
            session.connection().execute(statement, parameters).all()
        with write_transaction(session) if len(writes) > 1 else single_statement(session):
            connection = session.connection()
            order_id = None
            for statement, parameters in writes:
                result = connection.execute(statement, _parameters(parameters, swaps, order_id))
                had_room, written_order = _had_room(statement, result)
                if not had_room:
                    raise Refused
                order_id = written_order or order_id
    finally:
        session.close()


@app.post("/api/v1/orders")
def place_order():
    raw = request.get_data()
    body = json.loads(raw)
    shape = (
        body["channel"],
        body.get("stream_id"),
        tuple((line["sku_id"], line["quantity"]) for line in body["lines"]),
    )
    recording = _recordings.get(shape)
    if recording is None:
        recording, answer = _record(body, raw)
        if answer.status_code == 201:
            _recordings[shape] = recording
        return answer.get_data(), answer.status_code, {"Content-Type": answer.content_type}
    try:
        _replay(recording, body)
    except Refused:
        return jsonify(code="refused"), 409
    return jsonify(external_id=body["external_id"]), 201
