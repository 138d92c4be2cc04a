"""The single window behind the data-exchange client's folders: a customs office that reads what the
enterprises put in their send folders and writes its receipts into their receive folders.

Under one root, each enterprise has a folder named by its data-exchange id holding ``send`` and
``receive``, as its data-exchange client would. The simulator takes every envelope in a send
folder (and removes it, as the client does once it has transmitted it), opens it with its own
reading of the DXP envelope, hands the message to the office and, as the office's answers fall
due, writes them into the receive folder as CEB receipt messages in their envelopes: up to 100
returns of a kind in one message, some delivered twice as the real one does. A file that is not
a proper envelope is moved to ``refused`` beside the send folder with the reason.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from lxml import etree

from integrations.single_window.office import (
    CEB_NAMESPACE,
    CHINA,
    CustomsOffice,
    MalformedMessage,
    Return,
    Timing,
)
from integrations.single_window.office_receipts import receipt_message

log = logging.getLogger(__name__)
_DXP_NAMESPACE = "http://www.chinaport.gov.cn/dxp"
_DXP = f"{{{_DXP_NAMESPACE}}}"
_CEB = f"{{{CEB_NAMESPACE}}}"
# The customs node's own data-exchange id, the sender of every receipt.
CUSTOMS_NODE = "DXPEDCCEB0000002"
# Envelopes larger than this are refused unread.
MAX_ENVELOPE_BYTES = 8 * 1024 * 1024


def open_envelope(data: bytes) -> tuple[bytes, str]:
    """The message inside a DXP envelope and its sender, after the checks the data-exchange node
    makes: a DxpMsg with its transfer facts, base64 data, a message type naming the message, and as
    sender the data-exchange id the message's BaseTransfer gives."""
    try:
        envelope = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise MalformedMessage(f"not well-formed XML: {error}") from None
    if envelope.tag != f"{_DXP}DxpMsg" or envelope.get("ver") != "1.0":
        raise MalformedMessage("not a DXP envelope (DxpMsg ver 1.0)")
    info = envelope.find(f"{_DXP}TransInfo")
    facts = {
        name: (info.findtext(f"{_DXP}{name}") or "").strip() if info is not None else ""
        for name in ("CopMsgId", "SenderId", "CreatTime", "MsgType")
    }
    receivers = [] if info is None else info.findall(f"{_DXP}ReceiverIds/{_DXP}ReceiverId")
    if not all(facts.values()) or not receivers:
        raise MalformedMessage("the envelope's TransInfo is incomplete")
    try:
        message = base64.b64decode("".join((envelope.findtext(f"{_DXP}Data") or "").split()), validate=True)
        root = etree.fromstring(message)
    except (ValueError, etree.XMLSyntaxError):
        raise MalformedMessage("the envelope's Data is not a base64 XML message") from None
    if etree.QName(root).localname != facts["MsgType"]:
        raise MalformedMessage(f"MsgType {facts['MsgType']} does not name the {etree.QName(root).localname} it carries")
    sender = root.findtext(f"{_CEB}BaseTransfer/{_CEB}dxpId")
    if sender is not None and sender != facts["SenderId"]:
        raise MalformedMessage(f"SenderId {facts['SenderId']} is not the message's dxpId {sender}")
    return message, facts["SenderId"]


def envelope(message: bytes, *, message_type: str, receiver: str) -> bytes:
    """A receipt in the envelope the customs node sends it in."""
    root = etree.Element(f"{_DXP}DxpMsg", nsmap={"dxp": _DXP_NAMESPACE}, attrib={"ver": "1.0"})
    info = etree.SubElement(root, f"{_DXP}TransInfo")
    etree.SubElement(info, f"{_DXP}CopMsgId").text = str(uuid.uuid4()).upper()
    etree.SubElement(info, f"{_DXP}SenderId").text = CUSTOMS_NODE
    etree.SubElement(etree.SubElement(info, f"{_DXP}ReceiverIds"), f"{_DXP}ReceiverId").text = receiver
    etree.SubElement(info, f"{_DXP}CreatTime").text = datetime.now(CHINA).replace(microsecond=0).isoformat()
    etree.SubElement(info, f"{_DXP}MsgType").text = message_type
    etree.SubElement(root, f"{_DXP}Data").text = base64.b64encode(message).decode("ascii")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class NumberBlocks:
    """The sequence of customs' numbers, kept across restarts in the file at ``path``.

    Customs never gives a number twice. The file holds the end of the block of ``block`` numbers
    being handed out, written (whole, by rename) before the block's first number is: a restart
    starts after it, leaving the rest of that block unused, as customs' own sequences have gaps.
    """

    def __init__(self, path: Path, block: int = 1000):
        self.path = path
        self.block = block
        self.lock = threading.Lock()
        self.next = int(path.read_text()) if path.exists() else 1
        self.end = self.next

    def __iter__(self) -> NumberBlocks:
        return self

    def __next__(self) -> int:
        with self.lock:
            if self.next >= self.end:
                self.end = self.next + self.block
                self.path.parent.mkdir(parents=True, exist_ok=True)
                written = self.path.with_name(f"{self.path.name}.new")
                written.write_text(str(self.end))
                os.replace(written, self.path)
            number = self.next
            self.next += 1
            return number


class SingleWindowSimulator:
    """Customs behind the folders under ``root`` (one folder per enterprise, by data-exchange id);
    the numbers it gives are kept in ``root/.customs-numbers`` from one start to the next."""

    def __init__(
        self,
        root: Path,
        *,
        timing: Timing | None = None,
        schema=None,
        trusted_certificates=None,
        clock=time.monotonic,
    ):
        self.root = Path(root)
        self.office = CustomsOffice(
            timing,
            schema=schema,
            trusted_certificates=trusted_certificates,
            clock=clock,
            numbers=NumberBlocks(self.root / ".customs-numbers"),
        )
        self.refused: list[tuple[str, str]] = []
        # How many times each file name was taken from a send folder (a message handed twice shows here).
        self.taken: Counter[str] = Counter()

    def _enterprises(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(folder for folder in self.root.iterdir() if (folder / "send").is_dir())

    def step(self) -> int:
        """Take every waiting envelope and write every receipt due; returns the files taken."""
        taken = 0
        for folder in self._enterprises():
            for path in sorted((folder / "send").iterdir()):
                if not path.is_file() or path.name.startswith("."):
                    continue
                self._take(folder, path)
                taken += 1
        self.deliver()
        return taken

    def _take(self, folder: Path, path: Path) -> None:
        self.taken[path.name] += 1
        try:
            if path.stat().st_size > MAX_ENVELOPE_BYTES:
                raise MalformedMessage(f"larger than {MAX_ENVELOPE_BYTES} bytes")
            message, sender = open_envelope(path.read_bytes())
            if sender != folder.name:
                raise MalformedMessage(f"SenderId {sender} is not this client's id {folder.name}")
            self.office.receive(message, sender=sender)
        except MalformedMessage as error:
            self.refused.append((path.name, str(error)))
            log.warning("single window refused %s: %s", path.name, error)
            refused = folder / "refused"
            refused.mkdir(exist_ok=True)
            os.replace(path, refused / path.name)
            (refused / f"{path.name}.reason.txt").write_text(str(error) + "\n", encoding="utf-8")
            return
        path.unlink()

    def deliver(self) -> int:
        """Write the receipts due into their enterprises' receive folders; returns the files written."""
        grouped: dict[tuple[str, str], list[Return]] = defaultdict(list)
        for answer in self.office.due():
            grouped[(answer.to, answer.kind)].append(answer)
        written = 0
        for (receiver, kind), answers in grouped.items():
            size = 1 if kind == "DEC" else 100
            for start in range(0, len(answers), size):
                message = receipt_message(kind, answers[start : start + size])
                message_type = "DecResult" if kind == "DEC" else f"{kind}Message"
                self._write(receiver, f"{message_type}_{uuid.uuid4().hex.upper()}.xml", message, message_type)
                written += 1
        return written

    def _write(self, receiver: str, name: str, message: bytes, message_type: str) -> None:
        folder = self.root / receiver / "receive"
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.part"
        partial.write_bytes(envelope(message, message_type=message_type, receiver=receiver))
        os.replace(partial, folder / name)

    def run(self, stop: threading.Event, *, interval: float = 0.5) -> None:
        """Serve the folders until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.step()
            except OSError as error:
                log.error("single window simulator: %s", error)
            stop.wait(interval)
