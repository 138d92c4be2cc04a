"""Queued work of customs: sending a submitted batch's messages, collecting receipts from the gateway.

The gateway is the platform's data-exchange folders (``integrations.single_window.folders``).
Sending marks each chunk sent right after the gateway took it; a worker killed halfway leaves
the rest unsent, and the next run hands those over (the folders hand a message over once, so
one handed before the kill is not handed again). Receipts are applied once each by their
receipt id, and confirmed to the gateway only after they are recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.config import Settings
from commerce.customs import cancellation, lifecycle, result_recording
from commerce.customs.models import CustomsBatch, CustomsPlatform, CustomsStatus, ListCancellation
from commerce.customs.signing import MessageSigner
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.jobs.service import PartlyDone
from integrations.base import RetryableError, TerminalError
from integrations.customs import CustomsGateway, GatewayReceipt, OutgoingMessage
from integrations.single_window.folders import ExchangeFolders
from integrations.single_window.receipts import CANCELLATION_ANSWERS, PARCEL_DOCUMENTS

log = logging.getLogger(__name__)
SEND_CHUNK = 500
RECEIPT_PAGE = 200
PRIORITY_CUSTOMS = 80

# A deployment's other source of gateways (``Deployment.customs_gateway``): folders elsewhere, with
# another clock or without waiting for the disk, for tests and benchmarks.
GatewayFactory = Callable[[CustomsPlatform, Settings], CustomsGateway]


def gateway_for(deployment: Deployment, platform: CustomsPlatform) -> CustomsGateway:
    """The gateway a platform's messages go through: its data-exchange client's folders, found by its
    data-exchange id under the deployment's exchange folder."""
    settings = deployment.settings
    if deployment.customs_gateway is not None:
        return deployment.customs_gateway(platform, settings)
    return ExchangeFolders(settings.exchange_folder / platform.dxp_id, sender_id=platform.dxp_id)


def signed(signer: MessageSigner, kind: str, body: str) -> str:
    """A cross-border message as customs takes it: signed with the platform's key (a full declaration
    travels as it is)."""
    return signer.sign(body) if kind.startswith("CEB") else body


def send_batch(deployment: Deployment, job: Job) -> None:
    """Send a submitted batch's unsent messages of this job's lane, in order, a chunk at a time:
    sign the chunk, hand it over, record it sent."""
    database = deployment.database
    batch_id = job.payload["batch_id"]
    lane, lanes = job.payload.get("lane", 0), job.payload.get("lanes", 1)
    with database.session() as session:
        batch = session.get(CustomsBatch, batch_id)
        platform = session.get(CustomsPlatform, batch.platform_id)
        session.expunge_all()
    gateway = gateway_for(deployment, platform)
    signer = deployment.customs_signer
    if signer is None:
        raise TerminalError("no key to sign customs' messages with: set COMMERCE_CUSTOMS_SIGNING_KEY")
    progressed = False
    from_seq_no = 0
    while True:
        with database.session() as session:
            chunk = lifecycle.unsent_messages(
                session, batch_id, limit=SEND_CHUNK, lane=lane, lanes=lanes, from_seq_no=from_seq_no
            )
        if not chunk:
            break
        outgoing = [
            OutgoingMessage(kind=message.kind, guid=message.guid, body=signed(signer, message.kind, message.body))
            for message in chunk
        ]
        try:
            gateway.submit(outgoing)
        except RetryableError as error:
            if progressed:
                raise PartlyDone(str(error), retry_after=error.retry_after) from error
            raise
        with database.session() as session:
            lifecycle.mark_sent(session, [message.id for message in chunk], now=utcnow())
        progressed = True
        # The last declaration may go on in the next chunk: its sent messages are passed over.
        from_seq_no = chunk[-1].seq_no
    with database.session() as session:
        _queue_poll(session, platform.id)


def send_cancellation(deployment: Deployment, job: Job) -> None:
    """Hand a list's cancellation (CEB605) to customs, signed, and record it sent. Run again after a
    kill between the two, it hands the same message over, which the gateway takes once."""
    database = deployment.database
    with database.session() as session:
        request = session.get(ListCancellation, job.payload["cancellation_id"])
        if request is None or request.sent_at is not None:
            return
        platform = session.get(CustomsPlatform, request.platform_id)
        session.expunge_all()
    signer = deployment.customs_signer
    if signer is None:
        raise TerminalError("no key to sign customs' messages with: set COMMERCE_CUSTOMS_SIGNING_KEY")
    gateway = gateway_for(deployment, platform)
    gateway.submit([OutgoingMessage(kind="CEB605", guid=request.guid, body=signed(signer, "CEB605", request.body))])
    with database.session() as session:
        cancellation.mark_sent(session, request.id, now=utcnow())
        _queue_poll(session, platform.id)


def _queue_poll(session: Session, platform_id: int) -> None:
    with write_transaction(session):
        jobs.enqueue(
            session,
            kind="customs.poll_receipts",
            key=f"customs-platform:{platform_id}:receipts",
            payload={"platform_id": platform_id},
            priority=PRIORITY_CUSTOMS,
        )


def poll_receipts(deployment: Deployment, job: Job) -> None:
    """Collect the receipts waiting in the platform's gateway, apply them, then confirm them."""
    database = deployment.database
    with database.session() as session:
        platform = session.get(CustomsPlatform, job.payload["platform_id"])
        session.expunge_all()
    gateway = gateway_for(deployment, platform)
    while True:
        page = gateway.receipts(limit=RECEIPT_PAGE)
        if page.receipts:
            with database.session() as session:
                apply_gateway_receipts(session, page.receipts)
        gateway.confirm(page)
        if not page.more:
            break
    gateway.forget_handed()


def apply_gateway_receipts(session: Session, receipts: Sequence[GatewayReceipt]) -> tuple[int, int]:
    """Apply the gateway's receipts to the declarations they name (by copNo, or a summary result by
    the summary's number); receipts of a parcel's order, payment and waybill, and those that say
    only where a message is, are logged; unknown documents are logged."""
    answers = [receipt for receipt in receipts if receipt.message_type in CANCELLATION_ANSWERS]
    if answers:
        cancellation.record_answers(session, answers)
    deciding = [receipt for receipt in receipts if receipt.message_type not in PARCEL_DOCUMENTS | CANCELLATION_ANSWERS]
    for receipt in receipts:
        if receipt.message_type in PARCEL_DOCUMENTS and receipt.status == "rejected":
            log.info("customs sent back %s of %s: %s", receipt.message_type, receipt.cop_no, receipt.info)
    by_cop_no = result_recording.declarations_by(
        session, "cop_no", [receipt.cop_no for receipt in deciding if receipt.cop_no]
    )
    by_summary_no = result_recording.declarations_by(
        session, "sum_no", [receipt.summary_no for receipt in deciding if not receipt.cop_no and receipt.summary_no]
    )
    # A summary's receipt and its result may come in one read: the receipt names the number first.
    for receipt in deciding:
        if receipt.cop_no and receipt.summary_no and receipt.cop_no in by_cop_no:
            by_summary_no.setdefault(receipt.summary_no, by_cop_no[receipt.cop_no])
    results = []
    for receipt in deciding:
        declaration_id = by_cop_no.get(receipt.cop_no) if receipt.cop_no else by_summary_no.get(receipt.summary_no)
        if declaration_id is None:
            log.warning(
                "receipt %s names unknown document %s", receipt.receipt_id, receipt.cop_no or receipt.summary_no
            )
            continue
        if receipt.status is None:
            log.info("receipt %s: %s %s", receipt.receipt_id, receipt.message_type, receipt.return_status)
            continue
        results.append(
            result_recording.Result(
                declaration_id=declaration_id,
                status=CustomsStatus(receipt.status),
                entry_id=receipt.entry_id,
                message=f"{receipt.message_type} {receipt.return_status} {receipt.info}".strip(),
                at=receipt.at,
                key=f"gw:{receipt.receipt_id}"[:80],
                source="gateway",
                summary_no=receipt.summary_no if receipt.cop_no else None,
            )
        )
    return result_recording.record_results(session, actor=Actor.system(), results=results, strict=False)


def queue_receipt_polls(database: Database) -> int:
    """The scheduler's part: one receipt poll per platform with batches or list cancellations still
    waiting on customs."""
    waiting = (CustomsStatus.SUBMITTED.value, CustomsStatus.ACCEPTED.value)
    with database.session() as session:
        platform_ids = sorted(
            set(session.scalars(select(CustomsBatch.platform_id).where(CustomsBatch.status.in_(waiting))))
            | set(cancellation.open_platforms(session))
        )
        for platform_id in platform_ids:
            _queue_poll(session, platform_id)
    return len(platform_ids)
