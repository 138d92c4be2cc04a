"""An in-memory customs office behind the single window: checks messages by the field rules and answers.

Used by the fake gateway (directly) and by the simulator (over HTTP). It checks what the real
gateway checks first: element order and required fields, codes, the ``N19,5`` numbers, the
consignor's and producing firm's codes, and the three documents of a 9610 list (order, payment,
waybill) having arrived; then it answers with receipts after a delay: accepted with customs'
number, then cleared (released); or rejected with the reasons.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import random
import re
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import SignXMLException

from integrations.customs import GatewayReceipt, ReceiptPage

_NUMBER = re.compile(r"^-?\d{1,14}(\.\d{1,5})?$")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CEB_NAMESPACE = "http://www.chinaport.gov.cn/ceb"
DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"
# The office's own copy of customs' parameter tables (country, currency and unit codes) it checks against.
_KNOWN_COUNTRIES = set(
    _words(
        "103 110 111 112 115 116 118 121 122 127 129 130 131 132 133 136 137 138 141 142 143 145 244 301 302 303 "
        "304 305 306 307 309 310 311 312 315 318 326 327 330 331 344 347 352 410 429 501 502 601 609"
    )
)
_KNOWN_CURRENCIES = set(_words("110 116 122 132 142 300 303 501 502 601"))
_KNOWN_UNITS = set(
    _words(
        "001 002 003 006 007 008 010 011 012 014 015 016 017 018 019 020 021 025 026 030 032 033 035 036 070 095 "
        "120 140 147"
    )
)
# The full declaration's (DecMessage) head and goods-line elements, in the order the format gives them.
DEC_HEAD_FIELDS = _words(
    "SeqNo IEFlag Type AgentCode AgentName BillNo ContrNo CustomMaster DistinatePort FeeCurr FeeMark FeeRate "
    "GrossWet IEDate IEPort InsurCurr InsurMark InsurRate LicenseNo NetWt NoteS OwnerCode OwnerName PackNo "
    "TradeCode TradeCountry TradeMode TradeName TrafMode TransMode WrapType EntryId CopCode CopName"
)
DEC_LINE_FIELDS = _words(
    "ClassMark CodeTS ContrItem DeclPrice DutyMode Factor GModel GName GNo OriginCountry TradeCurr DeclTotal "
    "GQty FirstQty SecondQty GUnit FirstUnit SecondUnit DestinationCountry DistrictCode"
)
# GB 32100: the unified social credit code's characters and the weights of its check character.
_USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_valid_uscc(code: str) -> bool:
    """Whether an 18-character code carries the check character GB 32100 gives it."""
    if len(code) != 18 or any(character not in _USCC_CHARACTERS for character in code):
        return False
    total = sum(
        _USCC_CHARACTERS.index(character) * weight for character, weight in zip(code[:17], _USCC_WEIGHTS, strict=True)
    )
    return code[17] == _USCC_CHARACTERS[(31 - total % 31) % 31]


# Return statuses of the CEB receipts: 120 entered by customs, 100 sent back, 800 released.
ACCEPTED, REJECTED, CLEARED = "120", "100", "800"
_STATUS = {ACCEPTED: "accepted", REJECTED: "rejected", CLEARED: "cleared"}


def load_schema(folder: str | Path) -> etree.XMLSchema:
    """Customs' schema of the cross-border export messages, from its folder (export.xsd and the
    XML signature schema it imports beside it)."""
    return etree.XMLSchema(etree.parse(str(Path(folder) / "export.xsd")))


class MalformedMessage(ValueError):
    """Not XML, or not a message the gateway knows."""


@dataclass(slots=True)
class Timing:
    accept_after: float = 0.0
    clear_after: float = 0.0
    duplicate_rate: float = 0.0
    random: random.Random = field(default_factory=lambda: random.Random(11))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _values(element: etree._Element) -> list[tuple[str, str]]:
    return [(_local(child), child.text or "") for child in element]


def _valid_party(code: str) -> bool:
    return is_valid_uscc(code) or bool(re.fullmatch(r"[0-9A-Z]{10}", code))


class CustomsOffice:
    """The gateway's state: documents received, numbers given, receipts due and delivered."""

    def __init__(
        self,
        timing: Timing | None = None,
        *,
        clock=time.monotonic,
        schema: etree.XMLSchema | None = None,
        trusted_certificates: Collection[bytes] | None = None,
    ):
        self.timing = timing or Timing()
        self.clock = clock
        # Customs' schema of the cross-border messages; with it, every CEB message is checked
        # against it first (element order, required elements, lengths, patterns).
        self.schema = schema
        # Every cross-border message must carry a valid enveloped signature; with certificates
        # given (DER), only those are known enterprises' (customs knows them from the E-port).
        self.trusted = None if trusted_certificates is None else {bytes(der) for der in trusted_certificates}
        # Why a parcel's order, payment or waybill was turned away, by order or waybill number.
        self.refused: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        self.orders: set[str] = set()
        self.payments: set[str] = set()
        self.waybills: set[str] = set()
        self.released: dict[str, str] = {}  # inventory number -> owner code
        self.pending: list[tuple[float, int, GatewayReceipt]] = []
        self.delivered: list[GatewayReceipt] = []
        self.received: dict[str, int] = {}
        self.numbers = itertools.count(1)

    # Receiving --------------------------------------------------------------------------------

    def receive(self, body: str | bytes) -> str:
        """Take one message; returns its guid. A guid seen before is acknowledged and ignored."""
        try:
            root = etree.fromstring(body.encode("utf-8") if isinstance(body, str) else body)
        except etree.XMLSyntaxError as error:
            raise MalformedMessage(f"not well-formed XML: {error}") from None
        guid = root.get("guid")
        kind = _local(root).removesuffix("Message")
        if not guid or kind not in {"CEB303", "CEB403", "CEB505", "CEB603", "CEB701", "Dec"}:
            raise MalformedMessage(f"unknown message {_local(root)!r} or no guid")
        with self.lock:
            if guid in self.seen:
                return guid
            self.seen.add(guid)
            self.received[kind] = self.received.get(kind, 0) + 1
            getattr(self, f"_receive_{kind.lower()}")(root)
        return guid

    def _schema_problems(self, root: etree._Element) -> list[str]:
        """What customs' schema and the message's signature say is wrong with a CEB message."""
        problems = []
        if self.schema is not None and not self.schema.validate(root):
            problems += [f"schema: {error.message}" for error in list(self.schema.error_log)[:5]]
        return problems + _signature_problems(root, self.trusted)

    def _head(
        self, root: etree._Element, path: str, names: tuple[str, ...] | None = None
    ) -> tuple[dict[str, str], list[str]]:
        element = root.find(path, namespaces={"ceb": CEB_NAMESPACE, "dec": DEC_NAMESPACE})
        if element is None:
            return {}, [f"{path} is missing"]
        pairs = _values(element)
        problems = []
        if names is not None and tuple(name for name, _ in pairs) != names:
            problems.append(f"{_local(element)}: elements not in the order of the specification")
        return dict(pairs), problems

    def _document(self, root: etree._Element, path: str, key: str, accepted: set[str], valid) -> None:
        """Keep a parcel's order, payment or waybill by its number, or why it was turned away."""
        head, problems = self._head(root, path)
        problems = self._schema_problems(root) + problems
        number = head.get(key)
        if not number:
            return
        if not problems and valid(head):
            accepted.add(number)
            self.refused.pop(f"{_local(root)}:{number}", None)
        else:
            self.refused[f"{_local(root)}:{number}"] = problems or ["refused"]

    def _receive_ceb303(self, root: etree._Element) -> None:
        self._document(
            root, "ceb:Order/ceb:OrderHead", "orderNo", self.orders, lambda head: _valid_party(head.get("ebcCode", ""))
        )

    def _receive_ceb403(self, root: etree._Element) -> None:
        self._document(root, "ceb:Receipts", "orderNo", self.payments, lambda head: _number(head.get("charge", "")))

    def _receive_ceb505(self, root: etree._Element) -> None:
        self._document(root, "ceb:Logistics", "logisticsNo", self.waybills, lambda head: True)

    def _missing(self, kind: str, what: str, number: str | None) -> str:
        reasons = self.refused.get(f"{kind}Message:{number}")
        if reasons:
            return f"{what} {number} ({kind}) was refused: " + "; ".join(reasons)
        return f"{what} {number} ({kind}) has not arrived"

    def _receive_ceb603(self, root: etree._Element) -> None:
        head, problems = self._head(root, "ceb:Inventory/ceb:InventoryHead")
        problems = self._schema_problems(root) + problems
        problems += _check_header(head, ebc="ebcCode", owner="ownerCode", country="country", port="portCode")
        if head.get("tradeMode") != "9610":
            problems.append("tradeMode must be 9610 on an inventory list")
        if head.get("orderNo") not in self.orders:
            problems.append(self._missing("CEB303", "order", head.get("orderNo")))
        if head.get("orderNo") not in self.payments:
            problems.append(self._missing("CEB403", "payment of order", head.get("orderNo")))
        if head.get("logisticsNo") not in self.waybills:
            problems.append(self._missing("CEB505", "waybill", head.get("logisticsNo")))
        lines = root.findall("ceb:Inventory/ceb:InventoryList", namespaces={"ceb": CEB_NAMESPACE})
        if not lines:
            problems.append("an inventory list needs at least one line")
        for line in lines:
            problems += _check_line(
                _values(line),
                None,
                hs="gcode",
                country="country",
                currency="currency",
                units=("unit", "unit1"),
                quantity="qty",
                price="price",
                total="totalPrice",
            )
        self._answer(
            "CEB604",
            head.get("copNo", ""),
            problems,
            kind="invt",
            owner=head.get("ownerCode", ""),
            office=head.get("customsCode", ""),
        )

    def _receive_ceb701(self, root: etree._Element) -> None:
        head, problems = self._head(root, "ceb:SummaryApply/ceb:SummaryApplyHead")
        problems = self._schema_problems(root) + problems
        if not _valid_party(head.get("ebcCode", "")):
            problems.append(f"ebcCode {head.get('ebcCode')!r} is not a valid consignor code")
        numbers = [
            item.findtext("ceb:invtNo", namespaces={"ceb": CEB_NAMESPACE})
            for item in root.findall("ceb:SummaryApply/ceb:SummaryApplyList", namespaces={"ceb": CEB_NAMESPACE})
        ]
        if not numbers:
            problems.append("a summary application lists at least one inventory list")
        for number in numbers:
            if self.released.get(number or "") is None:
                problems.append(f"inventory list {number} is unknown or not released")
        self._answer("CEB792", head.get("copNo", ""), problems, kind="entry")

    def _receive_dec(self, root: etree._Element) -> None:
        head, problems = self._head(root, "dec:DecHead", DEC_HEAD_FIELDS)
        problems += _check_header(head, ebc="TradeCode", owner="OwnerCode", country="TradeCountry", port="IEPort")
        if head.get("TradeMode") not in {"9710", "9810", "1039", "0110"}:
            problems.append(f"TradeMode {head.get('TradeMode')} is not declared with a full declaration")
        lines = root.findall("dec:DecLists/dec:DecList", namespaces={"dec": DEC_NAMESPACE})
        if not lines:
            problems.append("a declaration needs at least one goods line")
        for line in lines:
            pairs = _values(line)
            values = dict(pairs)
            problems += _check_line(
                pairs,
                DEC_LINE_FIELDS,
                hs="CodeTS",
                country="DestinationCountry",
                currency="TradeCurr",
                units=("GUnit", "FirstUnit"),
                quantity="GQty",
                price="DeclPrice",
                total="DeclTotal",
            )
            if not re.fullmatch(r"\d{5}", values.get("DistrictCode", "")):
                problems.append(f"line {values.get('GNo')}: DistrictCode must be the 5-digit source region")
        self._answer("DEC_RET", head.get("SeqNo", ""), problems, kind="entry")

    # Answering --------------------------------------------------------------------------------

    def _answer(
        self, message_type: str, cop_no: str, problems: list[str], *, kind: str, owner: str = "", office: str = ""
    ) -> None:
        now = self.clock()
        if problems:
            self._schedule(now + self.timing.accept_after, message_type, cop_no, REJECTED, None, "; ".join(problems))
            return
        # A declaration's number is 18 digits; a list's is the customs office, the year, E (export)
        # and a 9-digit sequence (export.xsd, invtNo).
        sequence = next(self.numbers)
        if kind == "entry":
            number = f"{sequence:018d}"
        else:
            number = f"{office or '0000'}{datetime.now(UTC):%Y}E{sequence:09d}"
        self._schedule(now + self.timing.accept_after, message_type, cop_no, ACCEPTED, number, "入库成功")
        self._schedule(
            now + self.timing.accept_after + self.timing.clear_after, message_type, cop_no, CLEARED, number, "放行"
        )
        if kind == "invt":
            self.released[number] = owner

    def _schedule(self, due: float, message_type: str, cop_no: str, status: str, number: str | None, info: str) -> None:
        receipt = GatewayReceipt(
            receipt_id=f"R{len(self.seen):09d}-{status}-{cop_no}",
            message_type=message_type,
            cop_no=cop_no,
            status=_STATUS[status],
            return_status=status,
            entry_id=number,
            info=info,
            at=datetime.now(UTC),
        )
        heapq.heappush(self.pending, (due, len(self.pending) + len(self.delivered), receipt))

    def receipts(self, *, after: str | None, limit: int = 100) -> ReceiptPage:
        """Receipts delivered after a cursor (a position in the delivery log); due ones are delivered first."""
        with self.lock:
            now = self.clock()
            while self.pending and self.pending[0][0] <= now:
                _, _, receipt = heapq.heappop(self.pending)
                self.delivered.append(receipt)
                if self.timing.duplicate_rate and self.timing.random.random() < self.timing.duplicate_rate:
                    self.delivered.append(receipt)
            start = int(after) if after else 0
            page = self.delivered[start : start + limit]
            return ReceiptPage(receipts=list(page), cursor=str(start + len(page)))


_SIGNED = SignatureConfiguration(
    signature_methods=frozenset({SignatureMethod.RSA_SHA1}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA1}),
    expect_references=1,
)
_DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def _signature_problems(root: etree._Element, trusted: set[bytes] | None) -> list[str]:
    """A declared message carries an enveloped RSA-SHA1 signature over the whole document, made with
    the certificate in its KeyInfo (checked by signxml, not by the sender's code)."""
    signature = root.find(f"{_DSIG}Signature")
    if signature is None:
        return ["signature: the message is not signed"]
    text = signature.findtext(f"{_DSIG}KeyInfo/{_DSIG}X509Data/{_DSIG}X509Certificate") or ""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return ["signature: no readable certificate in KeyInfo"]
    if trusted is not None and der not in trusted:
        return ["signature: the certificate is not one the E-port issued to a known enterprise"]
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    try:
        XMLVerifier().verify(etree.tostring(root), x509_cert=pem, expect_config=_SIGNED)
    except SignXMLException as error:
        return [f"signature: {error}"]
    return []


def _number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def _check_header(head: dict[str, str], *, ebc: str, owner: str, country: str, port: str) -> list[str]:
    problems = []
    if not _valid_party(head.get(ebc, "")):
        problems.append(f"{ebc} {head.get(ebc)!r} is not a valid consignor code")
    if not is_valid_uscc(head.get(owner, "")) and not _valid_party(head.get(owner, "")):
        problems.append(f"{owner} {head.get(owner)!r} is not a valid USCC")
    if head.get(country) not in _KNOWN_COUNTRIES:
        problems.append(f"{country} {head.get(country)!r} is not a customs country code")
    if not re.fullmatch(r"\d{4}", head.get(port, "")):
        problems.append(f"{port} must be a 4-digit customs code")
    return problems


def _check_line(
    pairs: list[tuple[str, str]],
    names: tuple[str, ...] | None,
    *,
    hs: str,
    country: str,
    currency: str,
    units: tuple[str, str],
    quantity: str,
    price: str,
    total: str,
) -> list[str]:
    problems = []
    values = dict(pairs)
    number = values.get("gnum") or values.get("GNo")
    if names is not None and tuple(name for name, _ in pairs) != names:
        problems.append(f"line {number}: elements not in the order of the specification")
    if not re.fullmatch(r"\d{10}", values.get(hs, "")):
        problems.append(f"line {number}: {hs} must be a 10-digit HS code")
    if values.get(country) not in _KNOWN_COUNTRIES:
        problems.append(f"line {number}: {country} {values.get(country)!r} is not a customs country code")
    if values.get(currency) not in _KNOWN_CURRENCIES:
        problems.append(f"line {number}: {currency} {values.get(currency)!r} is not a customs currency code")
    for unit in units:
        if values.get(unit) not in _KNOWN_UNITS:
            problems.append(f"line {number}: {unit} {values.get(unit)!r} is not a customs unit code")
    for name in (quantity, price, total):
        if not _number(values.get(name, "")):
            problems.append(f"line {number}: {name} {values.get(name)!r} is not an N19,5 number")
    if not problems:
        try:
            expected = Decimal(values[price]) * Decimal(values[quantity])
            if abs(expected - Decimal(values[total])) > Decimal("0.01") + Decimal(values[quantity]) * Decimal(
                "0.00001"
            ):
                problems.append(f"line {number}: {total} does not equal {price} x {quantity}")
        except InvalidOperation:
            problems.append(f"line {number}: unreadable numbers")
    return problems
