"""Queued work of customs: sending a submitted batch's messages, collecting receipts from the gateway.

Sending marks each message sent right after the gateway took it; a worker killed halfway
leaves the rest unsent, and the next run sends those (a message sent twice carries the same
guid, which the gateway ignores). Receipts are applied once each by their receipt id, and the
cursor moves on only after they are recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlmodel import Session

from commerce.accounts.models import Actor
from commerce.config import Settings
from commerce.customs import lifecycle
from commerce.customs.errors import GatewayNotConfigured
from commerce.customs.models import CustomsBatch, CustomsPlatform, CustomsStatus
from commerce.customs.service import GATEWAY_KEY_PURPOSE
from commerce.customs.signing import MessageSigner
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.jobs.service import PartlyDone
from commerce.secrets import unseal
from integrations.base import RetryableError, TerminalError
from integrations.customs import CustomsGateway
from integrations.single_window.client import SingleWindowClient

log = logging.getLogger(__name__)
SEND_CHUNK = 200
RECEIPT_PAGE = 200
PRIORITY_CUSTOMS = 80

# A deployment's other source of gateways (``Deployment.customs_gateway``): tests and local demos
# give a fake, or a client with an in-process transport.
GatewayFactory = Callable[[CustomsPlatform, Settings], CustomsGateway]


def gateway_for(deployment: Deployment, platform: CustomsPlatform) -> CustomsGateway:
    """The gateway a platform's messages go through: its configured single window, over HTTP."""
    settings = deployment.settings
    if deployment.customs_gateway is not None:
        return deployment.customs_gateway(platform, settings)
    if not platform.gateway_url or not platform.gateway_key_sealed:
        raise GatewayNotConfigured()
    key = unseal(settings.secret_key, platform.gateway_key_sealed, purpose=GATEWAY_KEY_PURPOSE)["key"]
    return SingleWindowClient(platform.gateway_url, key=key, sender_id=platform.dxp_id)


def signed(signer: MessageSigner, kind: str, body: str) -> str:
    """A cross-border message as customs takes it: signed with the platform's key (a full declaration
    travels as it is)."""
    return signer.sign(body) if kind.startswith("CEB") else body


def send_batch(deployment: Deployment, job: Job) -> None:
    """Send a submitted batch's unsent messages, in order, marking each chunk as it goes."""
    database = deployment.database
    batch_id = job.payload["batch_id"]
    with database.session() as session:
        batch = session.get(CustomsBatch, batch_id)
        platform = session.get(CustomsPlatform, batch.platform_id)
        session.expunge_all()
    try:
        gateway = gateway_for(deployment, platform)
    except GatewayNotConfigured as error:
        raise TerminalError(str(error)) from error
    signer = deployment.customs_signer
    if signer is None:
        raise TerminalError("no key to sign customs' messages with: set COMMERCE_CUSTOMS_SIGNING_KEY")
    progressed = False
    while True:
        with database.session() as session:
            chunk = lifecycle.unsent_messages(session, batch_id, limit=SEND_CHUNK)
        if not chunk:
            break
        sent: list[int] = []
        try:
            for message in chunk:
                gateway.submit(kind=message.kind, guid=message.guid, body=signed(signer, message.kind, message.body))
                sent.append(message.id)
        except RetryableError as error:
            if progressed or sent:
                raise PartlyDone(str(error), retry_after=error.retry_after) from error
            raise
        finally:
            if sent:
                with database.session() as session:
                    lifecycle.mark_sent(session, sent, now=utcnow())
        progressed = True
    with database.session() as session:
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
    """Collect the gateway's receipts since the platform's cursor and apply them."""
    database = deployment.database
    platform_id = job.payload["platform_id"]
    with database.session() as session:
        platform = session.get(CustomsPlatform, platform_id)
        session.expunge_all()
    try:
        gateway = gateway_for(deployment, platform)
    except GatewayNotConfigured as error:
        raise TerminalError(str(error)) from error
    cursor = platform.receipt_cursor
    while True:
        page = gateway.receipts(after=cursor, limit=RECEIPT_PAGE)
        if page.receipts:
            with database.session() as session:
                apply_gateway_receipts(session, page.receipts)
        if page.cursor != cursor:
            with database.session() as session, write_transaction(session):
                session.execute(
                    update(CustomsPlatform.__table__)
                    .where(CustomsPlatform.id == platform_id)
                    .values(receipt_cursor=page.cursor)
                )
            cursor = page.cursor
        if len(page.receipts) < RECEIPT_PAGE:
            break


def apply_gateway_receipts(session: Session, receipts) -> tuple[int, int]:
    """Apply the gateway's receipts to the declarations they name (by copNo); unknown ones are logged."""
    known = lifecycle.declarations_by_cop_no(session, [receipt.cop_no for receipt in receipts])
    results = []
    for receipt in receipts:
        declaration_id = known.get(receipt.cop_no)
        if declaration_id is None:
            log.warning("receipt %s names unknown document %s", receipt.receipt_id, receipt.cop_no)
            continue
        results.append(
            lifecycle.Result(
                declaration_id=declaration_id,
                status=CustomsStatus(receipt.status),
                entry_id=receipt.entry_id,
                message=f"{receipt.message_type} {receipt.return_status} {receipt.info}".strip(),
                at=receipt.at,
                key=f"gw:{receipt.receipt_id}"[:80],
                source="gateway",
            )
        )
    return lifecycle.record_results(session, actor=Actor.system(), results=results, strict=False)


def queue_receipt_polls(database: Database) -> int:
    """The scheduler's part: one receipt poll per platform with batches still waiting on customs."""
    waiting = (CustomsStatus.SUBMITTED.value, CustomsStatus.ACCEPTED.value)
    with database.session() as session:
        platform_ids = session.scalars(
            select(CustomsBatch.platform_id).where(CustomsBatch.status.in_(waiting)).distinct()
        ).all()
        for platform_id in platform_ids:
            _queue_poll(session, platform_id)
    return len(platform_ids)
