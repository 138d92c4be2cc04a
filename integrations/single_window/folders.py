"""The data-exchange client's folders: messages go into its send folder, receipts come from its receive folder.

The E-port's client (installed with the enterprise's card) picks up every file put in its send
folder, transmits it and takes it away; it writes what customs sends back into its receive
folder. Both are plain directories, so this module is the whole transport:

* **Each message is handed over exactly once.** A message is written complete into a staging
  folder beside the client's (``.outbox``), a marker with its name is made in a journal
  (``.handed``), and only then is it renamed into the send folder, which is atomic on one file
  system; each step is on disk before the next begins. A worker killed at any point leaves a
  state the next attempt finishes without a second copy: no marker, nothing was handed (write
  again); a marker and a staged file, the rename is still owed; a marker alone, the client has it.
  The staging folder must be on the send folder's file system; this is checked when the folders
  are opened.
* **Each receipt is read until it is recorded.** Receipt files are read oldest first; once the
  service has recorded their results it confirms them and they move to ``received``. A file read
  twice (a crash before the confirmation, or the client delivering a receipt again) gives the same
  receipt ids, which the service records once. A file that is not a receipt is moved to
  ``malformed`` with a note saying why, and the others go on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from integrations.base import RetryableError, TerminalError
from integrations.customs import GatewayReceipt, OutgoingMessage, ReceiptPage
from integrations.single_window import dxp
from integrations.single_window.receipts import MalformedReceipt, read_receipts

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
# A receipt file larger than this is no receipt (100 returns of 1,000 characters are far less).
MAX_RECEIPT_BYTES = 4 * 1024 * 1024
# Journal markers older than this are forgotten: every send job has long been recorded by then.
JOURNAL_DAYS = 30
# syncfs(2) from the C library where it has one (Linux); elsewhere os.sync serves.
_SYNCFS = getattr(ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True), "syncfs", None)


def _now() -> datetime:
    """The envelope's making time, in China time as the E-port writes it."""
    return datetime.now(CHINA).replace(microsecond=0)


def sync_file_system(folder: Path) -> None:
    """Flush the file system holding ``folder`` to disk: one syncfs(2) for a whole step of many files,
    where an fsync of each would cost about half a millisecond a file; os.sync where there is none."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if _SYNCFS is not None and _SYNCFS(descriptor) == 0:
            return
        os.sync()
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

    def submit(self, messages: Sequence[OutgoingMessage]) -> None:
        """Hand messages over in their order, each exactly once.

        In three steps, each synced to disk before the next: every message not handed before is
        staged complete; the journal marks them; they are renamed into the send folder. So the client
        never sees a file that is not complete, and a message in the send folder is in the journal.
        """
        outbox, journal, send = str(self.outbox), str(self.journal), str(self.send_dir)
        owed: list[str] = []
        staged_now: list[str] = []
        try:
            for message in messages:
                if not _SAFE_ID.match(message.guid) or not _SAFE_ID.match(message.kind):
                    raise TerminalError(f"a message id unfit for a file name: {message.guid!r}")
                message_type = dxp.message_type(message.kind)
                name = f"{message_type}_{message.guid}.xml"
                if os.path.exists(os.path.join(journal, name)):
                    if os.path.exists(os.path.join(outbox, name)):
                        owed.append(name)  # marked, but the rename did not happen
                    continue
                envelope = dxp.wrap(
                    message.body,
                    message_type=message_type,
                    message_id=message.guid,
                    sender_id=self.sender_id,
                    receiver_id=self.receiver_id,
                    created=self.clock(),
                )
                # Not in the journal: nothing of it was handed, and a copy left staged is overwritten.
                with open(os.path.join(outbox, name), "wb") as handle:
                    handle.write(envelope)
                staged_now.append(name)
                owed.append(name)
            if staged_now:
                self._sync(self.outbox)
                for name in staged_now:
                    os.close(os.open(os.path.join(journal, name), os.O_CREAT | os.O_WRONLY, 0o644))
                self._sync(self.journal)
            for name in owed:
                os.replace(os.path.join(outbox, name), os.path.join(send, name))
            if owed:
                self._sync(self.send_dir)
        except OSError as error:
            raise RetryableError(f"cannot hand messages into {self.send_dir}: {error}") from None

    def _sync(self, folder: Path) -> None:
        """Everything written on the folder's file system reaches the disk, the folder's entries too."""
        if self.durable:
            sync_file_system(folder)

    def forget_handed(self, *, older_than_days: int = JOURNAL_DAYS) -> int:
        """Drop journal markers of messages handed over long ago; returns how many. The journal is
        read through at most once a day (a stamp beside it says when it last was)."""
        stamp = self.root / ".handed-forgotten"
        now = time.time()
        try:
            if stamp.stat().st_mtime > now - 86400:
                return 0
        except FileNotFoundError:
            pass
        limit = now - older_than_days * 86400
        dropped = 0
        for marker in self.journal.iterdir():
            try:
                if marker.stat().st_mtime < limit:
                    marker.unlink()
                    dropped += 1
            except FileNotFoundError:
                continue
        stamp.touch()
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
            if stat.S_ISREG(status.st_mode) and status.st_mtime <= ready:
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
