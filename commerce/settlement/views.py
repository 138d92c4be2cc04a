"""HTTP edge of settlement: agreements, the firms' statements with their lines, and the
marketplaces' payouts (importing them, their transactions, the differences reconciliation found)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from flask import Response
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Row

from commerce.settlement import accounts, agreements, payout_reading, payouts, reading, statements
from commerce.settlement.models import (
    Agreement,
    AgreementCreate,
    AgreementEnd,
    AgreementKind,
    AgreementPublic,
    CommissionList,
    HostCommissionPublic,
    PaymentInput,
    Period,
    PlatformAccountList,
    PlatformAccountPublic,
    Statement,
    StatementCompute,
    StatementLinePublic,
    StatementPublic,
    StatementStatus,
)
from commerce.settlement.payout_models import (
    DifferenceKind,
    DifferencePublic,
    MarketplacePayout,
    PayoutImport,
    PayoutPublic,
    TransactionPublic,
)
from commerce.validation import Identifier, Money
from commerce.web import statement_files
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.i18n import locale_for_tag, negotiate_locale
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, QueryModel, encode_cursor, page_of
from commerce.web.responses import respond

bp = api_blueprint("settlement", __name__, tag="Settlement", description="Agreements and the firms' statements (结算)")


class AgreementPath(BaseModel):
    agreement_id: Identifier


class StatementPath(BaseModel):
    statement_id: Identifier


class AgreementQuery(ListQuery):
    kind: AgreementKind | None = None
    cluster_id: Identifier | None = None


class StatementQuery(ListQuery):
    period: Period | None = None
    enterprise_id: Identifier | None = None
    status: StatementStatus | None = None


def agreement_public(agreement: Agreement) -> AgreementPublic:
    return AgreementPublic.model_validate(agreement.model_dump())


def _money_of(values: dict, names: tuple[str, ...], currency: str) -> dict:
    """The values with those named as money of the currency (None stays None)."""
    return {
        **values,
        **{name: Money.of(values[name], currency) if values[name] is not None else None for name in names},
    }


def statement_public(statement: Statement, lines: int) -> StatementPublic:
    values = _money_of(statement.model_dump(), (*statements.FIGURES, "net_payable"), statement.currency)
    return StatementPublic.model_validate({**values, "lines": lines})


def _one(session, statement: Statement):
    """The answer with one statement, its lines counted."""
    return respond(statement_public(statement, reading.line_counts(session, [statement.id]).get(statement.id, 0)))


def line_public(line: Row, currency: str) -> StatementLinePublic:
    values = _money_of(dict(line._mapping), ("amount", "host_commission", "platform_fee", "net"), currency)
    return StatementLinePublic.model_validate({**values, "after_sale_id": line.after_sale_id or None})


@bp.post("/settlement/agreements", responses={201: AgreementPublic})
def create_agreement(body: AgreementCreate):
    """Record a host's commission or the platform's fee on a firm, with the days it is valid."""
    agreement = agreements.create_agreement(db_session(), actor=current_actor(), data=body)
    headers = {"Location": f"{API_PREFIX}/settlement/agreements/{agreement.id}"}
    return respond(agreement_public(agreement), 201, headers)


@bp.get("/settlement/agreements", responses={200: ItemList[AgreementPublic]})
def list_agreements(query: AgreementQuery):
    """The agreements of the clusters the caller works in."""
    page = agreements.list_agreements(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        kind=query.kind,
        cluster_id=query.cluster_id,
    )
    items = [agreement_public(item) for item in page.items]
    return respond(ItemList[AgreementPublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.post("/settlement/agreements/<int:agreement_id>/end", responses={200: AgreementPublic})
def end_agreement(path: AgreementPath, body: AgreementEnd):
    """Set the last day an agreement applies."""
    agreement = agreements.end_agreement(
        db_session(), actor=current_actor(), agreement_id=path.agreement_id, valid_to=body.valid_to
    )
    return respond(agreement_public(agreement))


@bp.post("/settlement/statements", responses={201: ItemList[StatementPublic]})
def compute_statements(body: StatementCompute):
    """Compute (again) the draft statements of a month, of one firm or of every firm reached."""
    session = db_session()
    computed = statements.compute_statements(
        session, actor=current_actor(), period=body.period, enterprise_id=body.enterprise_id
    )
    counts = reading.line_counts(session, [statement.id for statement in computed])
    items = [statement_public(statement, counts.get(statement.id, 0)) for statement in computed]
    return respond(ItemList[StatementPublic](items=items, next_cursor=None), 201)


@bp.get("/settlement/statements", responses={200: ItemList[StatementPublic]})
def list_statements(query: StatementQuery):
    """Statements, oldest first: a firm sees its own."""
    session = db_session()
    page = reading.list_statements(
        session,
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        period=query.period,
        enterprise_id=query.enterprise_id,
        status=query.status,
    )
    counts = reading.line_counts(session, [statement.id for statement in page.items])
    items = [statement_public(statement, counts.get(statement.id, 0)) for statement in page.items]
    return respond(ItemList[StatementPublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.get("/settlement/statements/<int:statement_id>", responses={200: StatementPublic})
def get_statement(path: StatementPath):
    session = db_session()
    return _one(session, reading.get_statement(session, actor=current_actor(), statement_id=path.statement_id))


@bp.get("/settlement/statements/<int:statement_id>/lines", responses={200: ItemList[StatementLinePublic]})
def statement_lines(path: StatementPath, query: ListQuery):
    """A statement's lines, each naming the order line or after-sale it comes from."""
    session = db_session()
    actor = current_actor()
    statement = reading.get_statement(session, actor=actor, statement_id=path.statement_id)
    page = reading.lines_of(session, statement=statement, limit=query.limit, after=query.cursor)
    items = [line_public(line, statement.currency) for line in page.items]
    return respond(ItemList[StatementLinePublic](items=items, next_cursor=encode_cursor(page.next_after)))


class StatementFileQuery(QueryModel):
    format: Literal["xlsx", "pdf"] = "xlsx"
    lang: Literal["zh-CN", "en"] | None = None


FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@bp.get(
    "/settlement/statements/<int:statement_id>/file",
    responses={
        200: {
            "description": "The statement with every line, as XLSX or PDF",
            "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in FILE_TYPES.values()},
        }
    },
)
def statement_file(path: StatementPath, query: StatementFileQuery):
    """A statement as a file to keep or send, in Chinese or English (the caller's language unless ``lang``)."""
    document = reading.statement_document(db_session(), actor=current_actor(), statement_id=path.statement_id)
    locale = locale_for_tag(query.lang) if query.lang else negotiate_locale()
    render = statement_files.statement_xlsx if query.format == "xlsx" else statement_files.statement_pdf
    return Response(
        render(document, locale),
        mimetype=FILE_TYPES[query.format],
        headers={"Content-Disposition": f'attachment; filename="{statement_files.file_name(document, query.format)}"'},
    )


@bp.post("/settlement/statements/<int:statement_id>/approve", responses={200: StatementPublic})
def approve_statement(path: StatementPath):
    """Approve a draft once its month is over; it never changes afterwards."""
    session = db_session()
    return _one(session, statements.approve_statement(session, actor=current_actor(), statement_id=path.statement_id))


@bp.post("/settlement/statements/<int:statement_id>/paid", responses={200: StatementPublic})
def record_payment(path: StatementPath, body: PaymentInput):
    """The firm has been paid what the approved statement owes it."""
    session = db_session()
    statement = statements.record_payment(session, actor=current_actor(), statement_id=path.statement_id, data=body)
    return _one(session, statement)


class PeriodQuery(QueryModel):
    period: Period


class CommissionQuery(PeriodQuery):
    host_user_id: Identifier | None = PydanticField(default=None, description="One host (a host reads their own)")


@bp.get("/settlement/commissions", responses={200: CommissionList})
def host_commissions(query: CommissionQuery):
    """Each host's commission per stream in a month's statements: a host reads their own, the
    platform's staff every host's."""
    rows = accounts.host_commissions(
        db_session(), actor=current_actor(), period=query.period, host_user_id=query.host_user_id
    )
    names = ("sales", "commission", "settled")
    items = [HostCommissionPublic.model_validate(_money_of(asdict(row), names, row.currency)) for row in rows]
    return respond(CommissionList(period=query.period, items=items))


@bp.get("/settlement/account", responses={200: PlatformAccountList})
def platform_account(query: PeriodQuery):
    """The platform's account of a month per currency: what buyers paid, what the firms were paid
    and are owed, the hosts' commission and the platform's fee."""
    rows = accounts.platform_account(db_session(), actor=current_actor(), period=query.period)
    names = ("collected", "marketplace_fees", "paid_to_firms", "owed_to_firms", "owed_to_hosts", "platform_fee", "held")
    items = [
        PlatformAccountPublic.model_validate(_money_of({**asdict(row), "held": row.held}, names, row.currency))
        for row in rows
    ]
    return respond(PlatformAccountList(period=query.period, items=items))


payouts_bp = api_blueprint(
    "payouts", __name__, tag="Payouts", description="What marketplaces pay out, reconciled with the orders and refunds"
)

PAYOUT_MONEY = ("net", "sales", "refunds", "fees", "adjustments")


class PayoutPath(BaseModel):
    payout_id: Identifier


class PayoutQuery(ListQuery):
    channel_account_id: Identifier | None = None


class DifferenceQuery(ListQuery):
    channel_account_id: Identifier | None = None
    payout_id: Identifier | None = None
    kind: DifferenceKind | None = None


class ImportQueued(BaseModel):
    job_id: int
    channel_account_id: int
    since: datetime


def payout_public(payout: MarketplacePayout, differences: int) -> PayoutPublic:
    return PayoutPublic.model_validate(
        {**_money_of(payout.model_dump(), PAYOUT_MONEY, payout.currency), "differences": differences}
    )


@payouts_bp.post("/settlement/payouts/import", responses={202: ImportQueued})
def import_payouts(body: PayoutImport):
    """Read an account's payouts issued since a day and the transactions of each through the
    marketplace's API, keep them once, and reconcile them with the orders and refunds."""
    job_id, since = payouts.request_import(db_session(), actor=current_actor(), data=body)
    return respond(ImportQueued(job_id=job_id, channel_account_id=body.channel_account_id, since=since), 202)


@payouts_bp.get("/settlement/payouts", responses={200: ItemList[PayoutPublic]})
def list_payouts(query: PayoutQuery):
    """Imported payouts, oldest first, with their totals and how many differences each has."""
    session = db_session()
    page = payout_reading.list_payouts(
        session,
        actor=current_actor(),
        channel_account_id=query.channel_account_id,
        limit=query.limit,
        after=query.cursor,
    )
    counts = payout_reading.difference_counts(session, [payout.id for payout in page.items])
    items = [payout_public(payout, counts.get(payout.id, 0)) for payout in page.items]
    return respond(page_of(PayoutPublic, page, items))


@payouts_bp.get("/settlement/payouts/<int:payout_id>", responses={200: PayoutPublic})
def get_payout(path: PayoutPath):
    session = db_session()
    payout = payout_reading.get_payout(session, actor=current_actor(), payout_id=path.payout_id)
    return respond(payout_public(payout, payout_reading.difference_counts(session, [payout.id]).get(payout.id, 0)))


@payouts_bp.get("/settlement/payouts/<int:payout_id>/transactions", responses={200: ItemList[TransactionPublic]})
def payout_transactions(path: PayoutPath, query: ListQuery):
    """The transactions a payout carried, each matched to our order where we have it."""
    payout, page = payout_reading.transactions_of(
        db_session(), actor=current_actor(), payout_id=path.payout_id, limit=query.limit, after=query.cursor
    )
    items = [
        TransactionPublic.model_validate(_money_of(line.model_dump(), ("amount", "fee", "net"), payout.currency))
        for line in page.items
    ]
    return respond(page_of(TransactionPublic, page, items))


@payouts_bp.get("/settlement/payout-differences", responses={200: ItemList[DifferencePublic]})
def payout_differences(query: DifferenceQuery):
    """What payouts and our records disagree on: a payout short of its transactions, a sale or a
    refund we do not know or of another amount, an order no payout has carried."""
    page = payout_reading.differences(
        db_session(),
        actor=current_actor(),
        channel_account_id=query.channel_account_id,
        payout_id=query.payout_id,
        kind=query.kind,
        limit=query.limit,
        after=query.cursor,
    )
    items = [
        DifferencePublic.model_validate(_money_of(row.model_dump(), ("expected", "actual"), row.currency))
        for row in page.items
    ]
    return respond(page_of(DifferencePublic, page, items))
