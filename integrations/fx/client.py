"""The interbank market's central parity history (CFETS, www.chinamoney.com.cn) over HTTP.

``POST /ags/ms/cm-u-bk-ccpr/CcprHisNew`` takes a form (``startDate``, ``endDate``, ``currency`` as
``USD/CNY,EUR/CNY``, ``pageNum``, ``pageSize``) and answers ``{"head": {"rep_code": "200", ...},
"data": {"head": ["USD/CNY", "100JPY/CNY", ...], "pageTotal": n, ...}, "records": [{"date",
"values": [...]}]}``: each record's values follow ``data.head``; a pair quoted per 100 units says so
in its label; a value of ``---`` was not published. A span of a year or more is refused (records
absent, ``data.flagMessage`` says why), so the client asks in stretches of at most 180 days.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import httpx

from integrations.base import CounterpartClient, TerminalError, json_of, send
from integrations.fx.interface import ParityQuote

COUNTERPART = "CFETS"
HISTORY_PATH = "/ags/ms/cm-u-bk-ccpr/CcprHisNew"
PAGE_SIZE = 50
STRETCH_DAYS = 180
_LABEL = re.compile(r"^(\d*)([A-Z]{3})/([A-Z]{3})$")


class CfetsClient(CounterpartClient):
    def __init__(
        self,
        base_url: str = "https://www.chinamoney.com.cn",
        *,
        transport: httpx.BaseTransport | None = None,
        **options,
    ):
        super().__init__(base_url, transport=transport, **options)

    def central_parity(self, *, start: date, end: date, currencies: list[str]) -> list[ParityQuote]:
        quotes: list[ParityQuote] = []
        stretch_start = start
        while stretch_start <= end:
            stretch_end = min(end, stretch_start + timedelta(days=STRETCH_DAYS - 1))
            quotes += self._stretch(stretch_start, stretch_end, currencies)
            stretch_start = stretch_end + timedelta(days=1)
        return quotes

    def _stretch(self, start: date, end: date, currencies: list[str]) -> list[ParityQuote]:
        pairs = ",".join(f"{currency}/CNY" for currency in currencies)
        quotes: list[ParityQuote] = []
        page = 1
        while True:
            form = {
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "currency": pairs,
                "pageNum": str(page),
                "pageSize": str(PAGE_SIZE),
            }
            request = self.http.build_request("POST", HISTORY_PATH, data=form)
            response = send(self.http, request, gate=self.gate, counterpart=COUNTERPART)
            if response.status_code != 200:
                raise TerminalError(f"{COUNTERPART}: {response.status_code} {response.text[:200]}")
            answer = json_of(response, counterpart=COUNTERPART)
            quotes += parse_history(answer, wanted=set(currencies))
            data = answer.get("data") or {}
            try:
                total = int(data.get("pageTotal") or 1)
            except (TypeError, ValueError) as error:
                raise TerminalError(f"{COUNTERPART}: unreadable pageTotal {data.get('pageTotal')!r}") from error
            if page >= total:
                return quotes
            page += 1


def parse_history(answer: dict, *, wanted: set[str]) -> list[ParityQuote]:
    """The quotes of one history page, in CNY for one unit; refusals and damaged pages are terminal."""
    head = answer.get("head") or {}
    if str(head.get("rep_code", "200")) != "200":
        raise TerminalError(f"{COUNTERPART}: {head.get('rep_code')} {head.get('rep_message')}")
    data = answer.get("data") or {}
    records = answer.get("records")
    if records is None:
        raise TerminalError(f"{COUNTERPART}: no records ({data.get('flagMessage') or 'no reason given'})")
    labels = data.get("head")
    if not isinstance(labels, list) or not isinstance(records, list):
        raise TerminalError(f"{COUNTERPART}: unreadable history page")
    pairs: list[tuple[str, int] | None] = []
    for label in labels:
        match = _LABEL.match(str(label))
        # Only foreign-currency/CNY pairs are CNY per unit; CNY/xxx pairs are quoted the other way round.
        if match is None or match.group(3) != "CNY" or match.group(2) not in wanted:
            pairs.append(None)
        else:
            pairs.append((match.group(2), int(match.group(1) or 1)))
    quotes: list[ParityQuote] = []
    for record in records:
        try:
            day = date.fromisoformat(record["date"])
            values = list(record["values"])
        except (KeyError, TypeError, ValueError) as error:
            raise TerminalError(f"{COUNTERPART}: unreadable record {record!r}") from error
        for pair, value in zip(pairs, values, strict=False):
            if pair is None or value in (None, "", "---"):
                continue
            try:
                rate = Decimal(str(value)) / pair[1]
            except InvalidOperation as error:
                raise TerminalError(f"{COUNTERPART}: unreadable value {value!r} on {day}") from error
            if rate > 0:
                quotes.append(ParityQuote(currency=pair[0], day=day, cny_per_unit=rate.normalize()))
    return quotes
