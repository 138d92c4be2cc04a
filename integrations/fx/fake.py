"""An in-memory parity source with the client's interface, for service tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.fx.interface import ParityQuote


class FakeParitySource:
    def __init__(self, quotes: dict[tuple[str, date], Decimal] | None = None):
        self.quotes = dict(quotes or {})
        self.requests: list[tuple[date, date, tuple[str, ...]]] = []

    def central_parity(self, *, start: date, end: date, currencies: list[str]) -> list[ParityQuote]:
        self.requests.append((start, end, tuple(currencies)))
        return [
            ParityQuote(currency=currency, day=day, cny_per_unit=rate)
            for (currency, day), rate in sorted(self.quotes.items(), key=lambda item: (item[0][1], item[0][0]))
            if currency in currencies and start <= day <= end
        ]
