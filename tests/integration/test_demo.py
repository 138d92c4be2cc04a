from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from commerce import demo
from commerce.catalog.models import Product, ProductTranslation
from commerce.clusters.models import Enterprise, Membership
from commerce.uscc import is_valid_uscc
from tests.isolation import rolled_back


@pytest.fixture(scope="module")
def loaded(database, deployment):
    """The demo, loaded once for the module; each test rolls back what it does to it."""
    with rolled_back(database):
        with database.session() as session:
            summary = demo.load(session, passwords=deployment.passwords)
        yield summary


def test_demo_load_is_idempotent_and_realistic(database, deployment, loaded):
    first = loaded
    with database.session() as session:
        second = demo.load(session, passwords=deployment.passwords)
        assert first == second
        assert first["products"] >= 60
        firms = session.scalars(select(Enterprise).where(Enterprise.kind.in_(["manufacturer", "trader"]))).all()
        assert len(firms) >= 8 and all(is_valid_uscc(firm.uscc) for firm in firms)
        kinds = set(session.scalars(select(Enterprise.kind)))
        assert kinds == {"association", "service_platform", "manufacturer", "trader"}
        active = session.scalar(select(func.count()).select_from(Membership).where(Membership.status == "active"))
        assert active >= 8
        for locale in ("zh-CN", "en"):
            titled = session.scalar(
                select(func.count()).select_from(ProductTranslation).where(ProductTranslation.locale == locale)
            )
            assert titled == first["products"]
        statuses = set(session.scalars(select(Product.status)))
        assert {"approved", "pending_review", "draft", "rejected"} <= statuses
        assert all(len(code) == 10 for code in session.scalars(select(Product.hs_code)))


def test_demo_has_a_stream_ready_for_the_host_console(database, loaded):
    from commerce.inventory.models import StreamAllocation
    from commerce.live.models import LineupItem, Stream

    with database.session() as session:
        stream = session.scalars(select(Stream)).one()
        assert stream.status == "scheduled"
        items = session.scalars(select(LineupItem).where(LineupItem.stream_id == stream.id)).all()
        assert sorted(item.position for item in items) == list(range(1, 9))
        allocations = session.scalars(select(StreamAllocation)).all()
        assert [allocation.remaining for allocation in allocations] == [20, 20, 20]


def test_demo_export_parcels_form_a_9610_batch_whose_messages_all_map_to_customs_codes(database, loaded, ceb_schema):
    from commerce.accounts.models import User
    from commerce.actors import Actor, Role
    from commerce.customs import batches, lifecycle, reading
    from commerce.customs.models import CustomsDeclaration, CustomsMessage, CustomsPlatform

    with database.session() as session:
        summary = loaded
        platform = session.scalars(select(CustomsPlatform)).one()
        operator = session.scalars(select(User).where(User.email == "trade@demo.example.com")).one()
        actor = Actor(user_id=operator.id, role=Role.TRADE_OPERATOR, enterprise_id=operator.enterprise_id)

        batch_id = batches.form_batch(session, actor=actor, customs_mode="9610", period=None, platform_id=None)
        lifecycle.submit_batch(session, actor=actor, batch_id=batch_id)

        # Six shipped parcels wait for their batch; thirty more were declared and released over six months.
        assert summary["export orders"] == 36
        assert (platform.customs_registration, platform.dxp_id) == ("1305996001", "DXPENT0000000001")
        view = reading.get_batch(session, actor=actor, batch_id=batch_id)
        assert (view.orders, len(view.declarations), view.batch.status) == (6, 6, "submitted")
        kinds = session.scalars(
            select(CustomsMessage.kind)
            .join(CustomsDeclaration, CustomsDeclaration.id == CustomsMessage.declaration_id)
            .where(CustomsDeclaration.batch_id == batch_id)
        ).all()
        assert sorted(set(kinds)) == ["CEB303", "CEB403", "CEB505", "CEB603"] and len(kinds) == 24
        bodies = session.scalars(
            select(CustomsMessage.body)
            .join(CustomsDeclaration, CustomsDeclaration.id == CustomsMessage.declaration_id)
            .where(CustomsDeclaration.batch_id == batch_id)
        ).all()
        for body in bodies:
            assert ceb_schema.validate(etree.fromstring(body.encode())), ceb_schema.error_log


def test_demo_has_six_months_of_exports_for_the_dashboard_and_rebates(database, loaded):
    from commerce.actors import Actor
    from commerce.customs.calendar import period_of, shift_period
    from commerce.customs.models import CustomsBatch
    from commerce.db import utcnow
    from commerce.jobs.models import Job, JobStatus
    from commerce.rebates import claims
    from commerce.reports import service as reports
    from commerce.reports.models import Dimension

    with database.session() as session:
        batches = session.execute(select(CustomsBatch.kind, CustomsBatch.status)).all()
        # The history was sent and answered long ago: no job is left to reach the gateway.
        waiting = session.scalars(select(Job.kind).where(Job.status == JobStatus.QUEUED.value)).all()
        assert [kind for kind in waiting if kind.startswith("customs.")] == []
        assert sorted(set(batches)) == [("inventory", "cleared"), ("summary", "cleared")] and len(batches) == 12
        last = shift_period(period_of(utcnow()), -1)
        report = reports.export_report(
            session, actor=Actor.system(), group_by=[Dimension.MONTH], start=shift_period(last, -5), end=last
        )
        assert [row["month"] for row in report.rows] == [shift_period(last, -back) for back in range(5, -1, -1)]
        assert sum(row["declarations"] for row in report.rows) == 30
        assert report.stale_periods == [] and Decimal("0") < report.local_share < Decimal("1")
        year = reports.export_report(
            session, actor=Actor.system(), group_by=[], start=shift_period(last, -10), end=shift_period(last, 1)
        )
        assert year.stale_periods == []
        for period, expected in ((last, {"export_proceeds"}), (shift_period(last, -1), {"invoice"})):
            computed = claims.compute_claims(session, actor=Actor.system(), period=period)
            assert computed
            kinds = {
                item["kind"] for claim_id in computed for item in session.get(claims.RebateClaim, claim_id).missing
            }
            assert kinds == {*expected, "rebate_account"}


def test_demo_has_a_refund_and_a_return_waiting_for_the_first_firm(database, loaded):
    from commerce.aftersales.models import AfterSale

    with database.session() as session:
        first_firm = session.scalar(select(Enterprise.id).where(Enterprise.uscc == demo.demo_uscc(10)))
        waiting = session.execute(
            select(AfterSale.enterprise_id, AfterSale.kind, AfterSale.status, AfterSale.quantity).order_by(AfterSale.id)
        ).all()
        assert [tuple(row) for row in waiting] == [
            (first_firm, "refund_only", "requested", 1),
            (first_firm, "return_and_refund", "requested", 1),
        ]


def test_demo_has_agreements_and_last_months_statements(database, loaded):
    from commerce.customs.calendar import period_of, shift_period
    from commerce.db import utcnow
    from commerce.settlement.models import Agreement, Statement, StatementLine

    with database.session() as session:
        kinds = sorted(session.scalars(select(Agreement.kind)))
        firms = session.scalar(
            select(func.count()).select_from(Enterprise).where(Enterprise.kind.in_(["manufacturer", "trader"]))
        )
        assert kinds == ["host_commission"] + ["platform_fee"] * firms
        last_month = shift_period(period_of(utcnow()), -1)
        statements = session.scalars(select(Statement).where(Statement.period == last_month)).all()
        assert statements and {statement.status for statement in statements} == {"draft"}
        for statement in statements:
            lines = session.scalars(select(StatementLine).where(StatementLine.statement_id == statement.id)).all()
            # Every sale pays the platform its 3%, to the cent; the figures are the lines' sums.
            assert all(line.platform_rate == Decimal("0.0300") for line in lines)
            assert statement.platform_fee == sum((line.platform_fee for line in lines), Decimal(0))
            assert statement.net_payable == statement.gross + statement.refunds + statement.platform_fee
            assert statement.net_payable == sum((line.net for line in lines), Decimal(0))
