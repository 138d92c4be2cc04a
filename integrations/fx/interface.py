"""What the domain asks of an exchange-rate source: the central parity of currencies over a stretch of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ParityQuote:
    """The central parity of one currency on one day: CNY for one unit."""

    currency: str
    day: date
    cny_per_unit: Decimal


class ParitySource(Protocol):
    def central_parity(self, *, start: date, end: date, currencies: list[str]) -> list[ParityQuote]:
        """Every published fixing of the currencies from ``start`` to ``end`` (days without one are absent)."""
