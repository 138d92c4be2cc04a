"""Settlement: agreements (hosts' commission, the platform's fee) and the firms' monthly statements

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, commerce.db.ExactDecimal(scale=4, precision=20), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'settlement_agreement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cluster_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('host_user_id', sa.Integer(), nullable=True),
        sa.Column('stream_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        _money('rate'),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('host_commission', 'platform_fee')", name='agreement_kind_known'),
        sa.CheckConstraint('rate >= 0', name='agreement_rate_not_negative'),
        sa.CheckConstraint(
            "(kind = 'host_commission' AND host_user_id IS NOT NULL AND enterprise_id IS NULL "
            "AND (stream_id IS NULL OR product_id IS NULL)) "
            "OR (kind = 'platform_fee' AND enterprise_id IS NOT NULL AND host_user_id IS NULL "
            "AND stream_id IS NULL AND product_id IS NULL)",
            name='agreement_parties_of_kind',
        ),
        sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name='agreement_dates_in_order'),
        sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id']),
        sa.ForeignKeyConstraint(['created_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.ForeignKeyConstraint(['host_user_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['product_id'], ['product.id']),
        sa.ForeignKeyConstraint(['stream_id'], ['stream.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('agreement_of_cluster', 'settlement_agreement', ['cluster_id', 'kind'], unique=False)
    op.create_table(
        'settlement_statement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        _money('gross'),
        _money('refunds'),
        _money('marketplace_fees'),
        _money('host_commission'),
        _money('platform_fee'),
        _money('net_payable'),
        sa.Column('computed_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sa.Integer(), nullable=True),
        sa.Column('approved_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('payment_reference', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'approved', 'paid')", name='statement_status_known'),
        sa.CheckConstraint(
            'net_payable = gross + refunds + marketplace_fees + host_commission + platform_fee',
            name='statement_adds_up',
        ),
        sa.ForeignKeyConstraint(['approved_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('enterprise_id', 'period', 'currency', name='statement_once_per_period'),
    )
    op.create_index('statement_of_period', 'settlement_statement', ['period', 'enterprise_id'], unique=False)
    op.create_table(
        'settlement_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('after_sale_id', sa.Integer(), nullable=False),
        sa.Column('stream_id', sa.Integer(), nullable=True),
        sa.Column('agreement_id', sa.Integer(), nullable=True),
        _money('base'),
        _money('rate', nullable=True),
        _money('amount'),
        sa.Column('at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(after_sale_id = 0 AND kind IN ('sale', 'host_commission', 'platform_fee', 'marketplace_fee')) "
            "OR (after_sale_id > 0 AND kind IN ('refund', 'host_commission', 'platform_fee'))",
            name='settlement_line_source_of_kind',
        ),
        sa.ForeignKeyConstraint(['agreement_id'], ['settlement_agreement.id']),
        sa.ForeignKeyConstraint(['order_id'], ['sales_order.id']),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id']),
        sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id']),
        sa.ForeignKeyConstraint(['stream_id'], ['stream.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'order_line_id', 'after_sale_id', name='settlement_line_once'),
    )
    op.create_index('settlement_line_of_statement', 'settlement_line', ['statement_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('settlement_line_of_statement', table_name='settlement_line')
    op.drop_table('settlement_line')
    op.drop_index('statement_of_period', table_name='settlement_statement')
    op.drop_table('settlement_statement')
    op.drop_index('agreement_of_cluster', table_name='settlement_agreement')
    op.drop_table('settlement_agreement')
