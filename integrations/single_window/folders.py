"""The data-exchange client's folders: messages go into its send folder, receipts come from its receive folder.

The E-port's client (installed with the enterprise's card) picks up every file put in its send
folder, transmits it and takes it away; it writes what customs sends back into its receive
folder. Both are plain directories, so this module is the whole transport:

* **Each message is handed over exactly once.** A message is written complete into a staging
  folder beside the client's (``.outbox``), a marker with its name is made in a journal
  (``.handed``), and only then is it renamed into the send folder, which is atomic on one file
  system. A worker killed at any point leaves a state the next attempt finishes without a second
  copy: no marker, nothing was handed (write again); a marker and a staged file, the rename is
  still owed; a marker alone, the client has it. The staging folder must be on the send
  folder's file system; this is checked when the folders are opened.
* **Each receipt is read until it is recorded.** Receipt files are read oldest first; once the
  service has recorded their results it confirms them and they move to ``received``. A file read
  twice (a crash before the confirmation, or the client delivering a receipt again) gives the same
  receipt ids, which the service records once. A file that is not a receipt is moved to
  ``malformed`` with a note saying why, and the others go on.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from integrations.base import RetryableError, TerminalError
from integrations.customs import GatewayReceipt, ReceiptPage
from integrations.single_window import dxp
from integrations.single_window.receipts import MalformedReceipt, read_receipts

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# A receipt file larger than this is no receipt (100 returns of 1,000 characters are far less).
MAX_RECEIPT_BYTES = 4 * 1024 * 1024
# Journal markers older than this are forgotten: every send job has long been recorded by then.
JOURNAL_DAYS = 30


def _now() -> datetime:
    """The envelope's making time, in China time as the E-port writes it."""
    return datetime.now(CHINA).replace(microsecond=0)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class ExchangeFolders:
    """One platform's folders of the data-exchange client, under ``root``: ``send`` and ``receive``
    (the client's, or links to them), and the service's own ``.outbox``, ``.handed``, ``received``
    and ``malformed``."""

    def __init__(
        self,
        root: Path,
        *,
        sender_id: str,
        receiver_id: str = dxp.CEB_RECEIVER,
        clock: Callable[[], datetime] = _now,
        settle_seconds: float = 1.0,
        durable: bool = True,
    ):
        self.root = Path(root)
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.clock = clock
        # A receipt file younger than this may still be being written by the client.
        self.settle_seconds = settle_seconds
        self.durable = durable
        self.send_dir = self.root / "send"
        self.receive_dir = self.root / "receive"
        self.outbox = self.root / ".outbox"
        self.journal = self.root / ".handed"
        self.received = self.root / "received"
        self.malformed = self.root / "malformed"
        try:
            for folder in (self.send_dir, self.receive_dir, self.outbox, self.journal, self.received, self.malformed):
                folder.mkdir(parents=True, exist_ok=True)
            same_disk = os.stat(self.outbox).st_dev == os.stat(self.send_dir).st_dev
        except OSError as error:
            raise TerminalError(f"the data-exchange folders under {self.root} cannot be used: {error}") from None
        if not same_disk:
            raise TerminalError(
                f"{self.send_dir} is on another file system than {self.outbox}: link the folder instead"
            )

    # Sending -------------------------------------------------------------------------------------

    def submit(self, *, kind: str, guid: str, body: str) -> None:
        if not _SAFE_ID.match(guid) or not _SAFE_ID.match(kind):
            raise TerminalError(f"a message id unfit for a file name: {guid!r}")
        message_type = dxp.message_type(kind)
        name = f"{message_type}_{guid}.xml"
        staged, marker = self.outbox / name, self.journal / name
        if not marker.exists():
            envelope = dxp.wrap(
                body,
                message_type=message_type,
                message_id=guid,
                sender_id=self.sender_id,
                receiver_id=self.receiver_id,
                created=self.clock(),
            )
            self._write_complete(staged, envelope)
            self._mark(marker)
        elif not staged.exists():
            return  # handed over before
        try:
            os.replace(staged, self.send_dir / name)
        except OSError as error:
            raise RetryableError(f"cannot put {name} into {self.send_dir}: {error}") from None
        if self.durable:
            _fsync_folder(self.send_dir)

    def _write_complete(self, path: Path, data: bytes) -> None:
        partial = path.with_name(path.name + ".part")
        try:
            with open(partial, "wb") as handle:
                handle.write(data)
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(partial, path)
        except OSError as error:
            raise RetryableError(f"cannot write {path}: {error}") from None

    def _mark(self, marker: Path) -> None:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_WRONLY, 0o644))
            if self.durable:
                _fsync_folder(self.journal)
        except OSError as error:
            raise RetryableError(f"cannot write {marker}: {error}") from None

    def forget_handed(self, *, older_than_days: int = JOURNAL_DAYS) -> int:
        """Drop journal markers of messages handed over long ago; returns how many."""
        limit = time.time() - older_than_days * 86400
        dropped = 0
        for marker in self.journal.iterdir():
            try:
                if marker.stat().st_mtime < limit:
                    marker.unlink()
                    dropped += 1
            except FileNotFoundError:
                continue
        return dropped

    # Receiving -----------------------------------------------------------------------------------

    def _waiting(self) -> list[Path]:
        """Receipt files ready to read, oldest first (files still being written are left for later)."""
        ready = time.time() - self.settle_seconds
        files = []
        for path in self.receive_dir.iterdir():
            if path.name.startswith(".") or path.suffix in {".part", ".tmp"}:
                continue
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            if path.is_file() and status.st_mtime <= ready:
                files.append((status.st_mtime_ns, path.name, path))
        return [path for _, _, path in sorted(files)]

    def receipts(self, *, limit: int = 100) -> ReceiptPage:
        waiting = self._waiting()
        receipts: list[GatewayReceipt] = []
        sources: list[str] = []
        for path in waiting[:limit]:
            try:
                if path.stat().st_size > MAX_RECEIPT_BYTES:
                    raise MalformedReceipt(f"larger than {MAX_RECEIPT_BYTES} bytes")
                found = read_receipts(path.read_bytes())
            except MalformedReceipt as error:
                self._set_aside(path, str(error))
                continue
            except FileNotFoundError:
                continue
            receipts.extend(found)
            sources.append(path.name)
        receipts.sort(key=lambda receipt: receipt.at)
        return ReceiptPage(receipts=receipts, more=len(waiting) > limit, sources=tuple(sources))

    def confirm(self, page: ReceiptPage) -> None:
        for name in page.sources:
            try:
                os.replace(self.receive_dir / name, self.received / name)
            except FileNotFoundError:
                continue

    def _set_aside(self, path: Path, reason: str) -> None:
        log.warning("receipt file %s set aside: %s", path.name, reason)
        try:
            os.replace(path, self.malformed / path.name)
            (self.malformed / f"{path.name}.error.txt").write_text(reason + "\n", encoding="utf-8")
        except OSError as error:
            log.error("cannot set receipt file %s aside: %s", path.name, error)
