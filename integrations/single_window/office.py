"""An in-memory customs office behind the single window: checks messages by the field rules and answers.

Used by the fake gateway (directly) and by the simulator (over HTTP). It checks what the real
gateway checks first: element order and required fields, codes, the ``N19,5`` numbers, the
consignor's and producing firm's codes, and the three documents of a 9610 list (order, payment,
waybill) having arrived; then it answers with receipts after a delay: accepted with customs'
number, then cleared (released); or rejected with the reasons. A list may be cancelled (CEB605,
answered by CEB606) until a summary takes it or the carrier's manifest shows its goods gone.
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from integrations.single_window.office_rules import (
    check_header,
    check_line,
    is_number,
    signature_problems,
    valid_party,
    words,
)

CEB_NAMESPACE = "http://www.chinaport.gov.cn/ceb"
CHINA = ZoneInfo("Asia/Shanghai")
DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"
# The full declaration's (DecMessage) head and goods-line elements, in the order the format gives them.
DEC_HEAD_FIELDS = words(
    "SeqNo IEFlag Type AgentCode AgentName BillNo ContrNo CustomMaster DistinatePort FeeCurr FeeMark FeeRate "
    "GrossWet IEDate IEPort InsurCurr InsurMark InsurRate LicenseNo NetWt NoteS OwnerCode OwnerName PackNo "
    "TradeCode TradeCountry TradeMode TradeName TrafMode TransMode WrapType EntryId CopCode CopName"
)
DEC_LINE_FIELDS = words(
    "ClassMark CodeTS ContrItem DeclPrice DutyMode Factor GModel GName GNo OriginCountry TradeCurr DeclTotal "
    "GQty FirstQty SecondQty GUnit FirstUnit SecondUnit DestinationCountry DistrictCode"
)
# Return statuses of the CEB receipts: 120 entered by customs, 100 sent back, 800 released; a
# cancellation (CEB606) is concluded (399) or sent back (100).
ACCEPTED, REJECTED, CLEARED, CONCLUDED = "120", "100", "800", "399"


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


@dataclass(slots=True)
class Return:
    """One answer customs sends back: the kind of receipt message (CEB604 ...), its values in the
    schema's order, and the data-exchange id of the enterprise it goes to."""

    kind: str
    values: dict[str, str]
    to: str


class CustomsOffice:
    """The gateway's state: documents received, numbers given, returns due and delivered."""

    def __init__(
        self,
        timing: Timing | None = None,
        *,
        clock=time.monotonic,
        schema: etree.XMLSchema | None = None,
        trusted_certificates: Collection[bytes] | None = None,
        numbers: Iterator[int] | None = None,
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
        # Every list numbered: inventory number -> (copNo, preNo); the lists a summary application
        # took, those cancelled, and those whose goods the carrier's manifest shows gone.
        self.lists: dict[str, tuple[str, str]] = {}
        self.summarized: set[str] = set()
        self.cancelled: set[str] = set()
        self.departed: set[str] = set()
        self.pending: list[tuple[float, int, Return]] = []
        self.received: dict[str, int] = {}
        self.answered: dict[str, int] = {}
        # The sequence of the numbers customs gives lists and summaries (``NumberBlocks`` keeps it
        # across restarts).
        self.numbers = numbers if numbers is not None else itertools.count(1)
        self.order = itertools.count()

    # Receiving --------------------------------------------------------------------------------

    def receive(self, body: str | bytes, *, sender: str = "") -> str:
        """Take one message from an enterprise (its data-exchange id); returns the message's guid.
        A guid seen before is acknowledged and ignored."""
        try:
            root = etree.fromstring(body.encode("utf-8") if isinstance(body, str) else body)
        except etree.XMLSyntaxError as error:
            raise MalformedMessage(f"not well-formed XML: {error}") from None
        guid = root.get("guid")
        kind = _local(root).removesuffix("Message")
        if not guid or kind not in {"CEB303", "CEB403", "CEB505", "CEB603", "CEB605", "CEB701", "Dec"}:
            raise MalformedMessage(f"unknown message {_local(root)!r} or no guid")
        with self.lock:
            if guid in self.seen:
                return guid
            self.seen.add(guid)
            self.received[kind] = self.received.get(kind, 0) + 1
            getattr(self, f"_receive_{kind.lower()}")(root, sender)
        return guid

    def _schema_problems(self, root: etree._Element) -> list[str]:
        """What customs' schema and the message's signature say is wrong with a CEB message."""
        problems = []
        if self.schema is not None and not self.schema.validate(root):
            problems += [f"schema: {error.message}" for error in list(self.schema.error_log)[:5]]
        return problems + signature_problems(root, self.trusted)

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

    def _document(self, root: etree._Element, sender: str, kind: str) -> None:
        """Keep a parcel's order, payment or waybill by its number, or why it was turned away; and
        answer it."""
        path, key, kept, valid, answer_kind, answer_fields = _PARCEL_DOCUMENTS[kind]
        head, problems = self._head(root, path)
        problems = self._schema_problems(root) + problems
        number = head.get(key)
        if not number:
            return
        if not problems and valid(head):
            getattr(self, kept).add(number)
            self.refused.pop(f"{_local(root)}:{number}", None)
        else:
            problems = problems or ["refused"]
            self.refused[f"{_local(root)}:{number}"] = problems
        status, info = (REJECTED, "; ".join(problems)) if problems else (ACCEPTED, "入库成功")
        values = _pick(head, *answer_fields)
        self._schedule(self.clock() + self.timing.accept_after, answer_kind, values, status, info, sender)

    def _receive_ceb303(self, root: etree._Element, sender: str) -> None:
        self._document(root, sender, "CEB303")

    def _receive_ceb403(self, root: etree._Element, sender: str) -> None:
        self._document(root, sender, "CEB403")

    def _receive_ceb505(self, root: etree._Element, sender: str) -> None:
        self._document(root, sender, "CEB505")

    def _missing(self, kind: str, what: str, number: str | None) -> str:
        reasons = self.refused.get(f"{kind}Message:{number}")
        if reasons:
            return f"{what} {number} ({kind}) was refused: " + "; ".join(reasons)
        return f"{what} {number} ({kind}) has not arrived"

    def _receive_ceb603(self, root: etree._Element, sender: str) -> None:
        head, problems = self._head(root, "ceb:Inventory/ceb:InventoryHead")
        problems = self._schema_problems(root) + problems
        problems += check_header(head, ebc="ebcCode", owner="ownerCode", country="country", port="portCode")
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
            problems += check_line(
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
        office = head.get("customsCode") or "0000"
        sequence = next(self.numbers)
        # A list's customs number: the customs office, the year, E (export) and a 9-digit sequence.
        values = {
            "agentCode": head.get("agentCode", ""),
            "copNo": head.get("copNo", ""),
            "preNo": _pre_number(office, sequence),
            "invtNo": f"{office}{_today():%Y}E{sequence:09d}",
            "ebcCode": head.get("ebcCode", ""),
            "ebpCode": head.get("ebpCode", ""),
            "orderNo": head.get("orderNo", ""),
            "statisticsFlag": head.get("statisticsFlag", "") or "A",
        }
        self._decide("CEB604", values, problems, sender)
        if not problems:
            self.released[values["invtNo"]] = head.get("ownerCode", "")
            self.lists[values["invtNo"]] = (values["copNo"], values["preNo"])

    def record_departure(self, number: str) -> None:
        """The carrier's departure manifest shows the goods of list ``number`` gone abroad."""
        with self.lock:
            self.departed.add(number)

    def _receive_ceb605(self, root: etree._Element, sender: str) -> None:
        """A request to cancel a list: granted (399) while the list is customs' own, not summarised,
        not cancelled and its goods have not left; sent back (100) with the reasons otherwise."""
        head, problems = self._head(root, "ceb:InvtCancel")
        problems = self._schema_problems(root) + problems
        number = head.get("invtNo", "")
        known = self.lists.get(number)
        if known is None:
            problems.append(f"inventory list {number} is unknown")
        elif known[0] != head.get("copNo"):
            problems.append(f"inventory list {number} is not copNo {head.get('copNo')}")
        if number in self.cancelled:
            problems.append(f"inventory list {number} is already cancelled")
        if number in self.summarized:
            problems.append(f"inventory list {number} is in a summary declaration")
        if number in self.departed:
            problems.append(f"the goods of inventory list {number} have left the country")
        office = head.get("customsCode") or "0000"
        values = {
            "agentCode": head.get("agentCode", ""),
            "copNo": head.get("copNo", ""),
            "preNo": known[1] if known else _pre_number(office, next(self.numbers)),
            "invtNo": number,
        }
        due = self.clock() + self.timing.accept_after
        if problems:
            self._schedule(due, "CEB606", values, REJECTED, "; ".join(problems), sender)
            return
        self.cancelled.add(number)
        self.released.pop(number, None)
        self._schedule(due, "CEB606", values, CONCLUDED, "撤销成功", sender)

    def _receive_ceb701(self, root: etree._Element, sender: str) -> None:
        head, problems = self._head(root, "ceb:SummaryApply/ceb:SummaryApplyHead")
        problems = self._schema_problems(root) + problems
        if not valid_party(head.get("ebcCode", "")):
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
        office = head.get("customsCode") or "0000"
        sequence = next(self.numbers)
        summary_no = _pre_number(office, sequence, flag="S")
        answer = {
            "agentCode": head.get("agentCode", ""),
            "ebcCode": head.get("ebcCode", ""),
            "copNo": head.get("copNo", ""),
            "preNo": _pre_number(office, sequence),
            "sumNo": summary_no,
            "msgSeqNo": "1",
        }
        now = self.clock()
        if problems:
            answer["sumNo"] = ""
            self._schedule(now + self.timing.accept_after, "CEB702", answer, REJECTED, "; ".join(problems), sender)
            return
        self._schedule(now + self.timing.accept_after, "CEB702", answer, ACCEPTED, "入库成功", sender)
        self.summarized.update(number for number in numbers if number)
        result = {
            "customsCode": office,
            "sumNo": summary_no,
            "declSeqNo": f"{sequence:018d}",
            "entryId": f"{office}{_today():%Y}1{sequence:09d}",
            "decState": "9",
            **_pick(head, "agentCode", "agentName", "ebcCode", "ebcName", "declAgentCode", "declAgentName"),
            "grossWeight": head.get("grossWeight") or "0",
            "netWeight": head.get("netWeight") or "0",
            "msgCount": "1",
            "msgSeqNo": "1",
        }
        self._schedule(
            now + self.timing.accept_after + self.timing.clear_after, "CEB792", result, CLEARED, "放行", sender
        )

    def _receive_dec(self, root: etree._Element, sender: str) -> None:
        head, problems = self._head(root, "dec:DecHead", DEC_HEAD_FIELDS)
        problems += check_header(head, ebc="TradeCode", owner="OwnerCode", country="TradeCountry", port="IEPort")
        if head.get("TradeMode") not in {"9710", "9810", "1039", "0110"}:
            problems.append(f"TradeMode {head.get('TradeMode')} is not declared with a full declaration")
        lines = root.findall("dec:DecLists/dec:DecList", namespaces={"dec": DEC_NAMESPACE})
        if not lines:
            problems.append("a declaration needs at least one goods line")
        for line in lines:
            pairs = _values(line)
            values = dict(pairs)
            problems += check_line(
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
        office = head.get("CustomMaster") or "0000"
        sequence = next(self.numbers)
        values = {"SeqNo": head.get("SeqNo", ""), "EntryId": f"{office}{_today():%Y}0{sequence:09d}"}
        self._decide("DEC", values, problems, sender)

    # Answering --------------------------------------------------------------------------------

    def _decide(self, kind: str, values: dict[str, str], problems: list[str], sender: str) -> None:
        """Send a declaration back with the reasons, or enter it and release it later."""
        now = self.clock()
        if problems:
            self._schedule(now + self.timing.accept_after, kind, values, REJECTED, "; ".join(problems), sender)
            return
        self._schedule(now + self.timing.accept_after, kind, values, ACCEPTED, "入库成功", sender)
        self._schedule(now + self.timing.accept_after + self.timing.clear_after, kind, values, CLEARED, "放行", sender)

    def _schedule(self, due: float, kind: str, values: dict[str, str], status: str, info: str, to: str) -> None:
        answer = Return(kind=kind, values={**values, "status": status, "info": info[:1000]}, to=to)
        heapq.heappush(self.pending, (due, next(self.order), answer))

    def due(self) -> list[Return]:
        """The returns due by now, in the order they fell due (some twice, as the real one does)."""
        delivered = []
        with self.lock:
            now = self.clock()
            while self.pending and self.pending[0][0] <= now:
                _, _, answer = heapq.heappop(self.pending)
                if answer.values.get("invtNo") in self.cancelled and answer.kind == "CEB604":
                    continue  # a list cancelled before its release is never released
                answer.values.setdefault("guid", new_guid())
                answer.values.setdefault("time", _stamp(_today()))
                delivered.append(answer)
                self.answered[answer.kind] = self.answered.get(answer.kind, 0) + 1
                if self.timing.duplicate_rate and self.timing.random.random() < self.timing.duplicate_rate:
                    delivered.append(answer)
        return delivered


# A parcel's documents: where their head is, the number that names them, the office's set of those
# it took, what else it checks, and the receipt that answers them with the values it repeats.
_PARCEL_DOCUMENTS = {
    "CEB303": (
        "ceb:Order/ceb:OrderHead",
        "orderNo",
        "orders",
        lambda head: valid_party(head.get("ebcCode", "")),
        "CEB304",
        ("ebpCode", "ebcCode", "orderNo"),
    ),
    "CEB403": (
        "ceb:Receipts",
        "orderNo",
        "payments",
        lambda head: is_number(head.get("charge", "")),
        "CEB404",
        ("ebcCode", "orderNo", "payNo"),
    ),
    "CEB505": (
        "ceb:Logistics",
        "logisticsNo",
        "waybills",
        lambda _head: True,
        "CEB506",
        ("logisticsCode", "logisticsNo"),
    ),
}


def _pick(values: dict[str, str], *names: str) -> dict[str, str]:
    return {name: values.get(name, "") for name in names}


def _today() -> datetime:
    return datetime.now(CHINA)


def _stamp(moment: datetime) -> str:
    """yyyyMMddHHmmssfff."""
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def _pre_number(office: str, sequence: int, *, flag: str = "") -> str:
    """An 18-character number the E-port gives a document it stored."""
    return f"{office}{_today():%Y}{flag}{sequence:0{10 - len(flag)}d}"
