"""The interbank market's central parity history as a small Flask app, speaking the client's dialect.

Fixings are published on working days only (weekdays not declared holidays), with repeatable values
unless a test sets them; a span of a year or more is refused the way the real endpoint refuses it.
Over its rate limit it answers 429 with Retry-After; it fails or slows down on request.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from flask import Flask, jsonify, request

from integrations.simulation import Admission, Faults, TokenBucket, Traffic

# The interbank market's central parity history, as its site serves it.
HISTORY_PATH = "/ags/ms/cm-u-bk-ccpr/CcprHisNew"

# The published pairs, in the order of the real page's head; JPY is quoted per 100 units.
PAIRS = (
    ("USD/CNY", "USD", 1, Decimal("7.1000")),
    ("EUR/CNY", "EUR", 1, Decimal("7.7000")),
    ("100JPY/CNY", "JPY", 100, Decimal("4.7000")),
    ("HKD/CNY", "HKD", 1, Decimal("0.9100")),
    ("GBP/CNY", "GBP", 1, Decimal("9.0000")),
    ("AUD/CNY", "AUD", 1, Decimal("4.6000")),
    ("CAD/CNY", "CAD", 1, Decimal("5.1000")),
    ("CNY/RUB", "RUB", 1, Decimal("12.5000")),
)
MAXIMUM_PAGE_SIZE = 50


class CfetsSimulator(Admission):
    def __init__(
        self,
        *,
        holidays: set[date] | None = None,
        rates: dict[tuple[str, date], Decimal] | None = None,
        rate_limit: float | None = None,
        faults: Faults | None = None,
    ):
        self.holidays = set(holidays or ())
        self.rates = dict(rates or {})
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.faults = faults or Faults()
        self.traffic = Traffic()
        self.app = self._build_app()

    def publishes_on(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def fixing(self, currency: str, unit: int, base: Decimal, day: date) -> str:
        """The published value (per ``unit``) of a currency on a day: set by a test, or a gentle wave."""
        if (currency, day) in self.rates:
            return format((self.rates[(currency, day)] * unit).quantize(Decimal("0.0001")), "f")
        wave = Decimal(str(round(math.sin(day.toordinal() / 9) * 0.02, 4)))
        return format((base * (1 + wave / 10)).quantize(Decimal("0.0001")), "f")

    def _build_app(self) -> Flask:
        app = Flask("cfets_simulator")

        @app.post(HISTORY_PATH)
        def history():
            wait = self.admit()
            if wait is not None:
                return jsonify(head={"rep_code": "429"}), 429, {"Retry-After": f"{max(wait, 0.05):.2f}"}
            if self.should_fail():
                return "<html><body>502 Bad Gateway</body></html>", 502, {"Content-Type": "text/html"}
            try:
                start = date.fromisoformat(request.form["startDate"])
                end = date.fromisoformat(request.form["endDate"])
                page = max(int(request.form.get("pageNum", "1")), 1)
                size = min(max(int(request.form.get("pageSize", "10")), 1), MAXIMUM_PAGE_SIZE)
            except (KeyError, ValueError):
                return jsonify(head={"rep_code": "400", "rep_message": "bad parameters"}, data={}, records=[])
            asked = {name.strip() for name in request.form.get("currency", "").split(",") if name.strip()}
            pairs = [pair for pair in PAIRS if not asked or pair[0] in asked or f"{pair[1]}/CNY" in asked]
            head = {"version": "2.0", "provider": "CWAP", "rep_code": "200", "rep_message": ""}
            if end < start or (end - start).days >= 365:
                message = "只提供一年历史数据查询及下载"
                return jsonify(head=head, data={"head": [], "flagMessage": message, "pageTotal": 0}, records=None)
            days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            published = [day for day in reversed(days) if self.publishes_on(day)]
            total = max(math.ceil(len(published) / size), 1)
            shown = published[(page - 1) * size : page * size]
            records = [
                {"date": day.isoformat(), "values": [self.fixing(c, unit, base, day) for _, c, unit, base in pairs]}
                for day in shown
            ]
            data = {
                "head": [label for label, *_ in pairs],
                "searchlist": [label for label, *_ in pairs],
                "pageTotal": total,
                "pageNum": page,
                "total": len(published),
            }
            return jsonify(head=head, data=data, records=records)

        return app
