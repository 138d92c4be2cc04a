"""Marketplace payouts, the transactions each carried, and what reconciling them found

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, commerce.db.ExactDecimal(scale=4, precision=20), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'marketplace_payout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_account_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('paid', sa.Boolean(), nullable=False),
        sa.Column('issued_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        _money('net'),
        _money('sales'),
        _money('refunds'),
        _money('fees'),
        _money('adjustments'),
        sa.Column('transactions', sa.Integer(), nullable=False),
        sa.Column('imported_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reconciled_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel_account_id', 'external_id', name='marketplace_payout_once'),
    )
    op.create_index('marketplace_payout_of_account', 'marketplace_payout', ['channel_account_id', 'issued_at'])
    op.create_table(
        'marketplace_transaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payout_id', sa.Integer(), nullable=False),
        sa.Column('channel_account_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('order_external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('order_id', sa.Integer(), nullable=True),
        _money('amount'),
        _money('fee'),
        _money('net'),
        sa.Column('occurred_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('sale', 'refund', 'fee', 'adjustment')", name='marketplace_transaction_kind_known'),
        sa.CheckConstraint('net = amount + fee', name='marketplace_transaction_net_adds_up'),
        sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id']),
        sa.ForeignKeyConstraint(['order_id'], ['sales_order.id']),
        sa.ForeignKeyConstraint(['payout_id'], ['marketplace_payout.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel_account_id', 'external_id', name='marketplace_transaction_once'),
    )
    op.create_index('marketplace_transaction_of_payout', 'marketplace_transaction', ['payout_id', 'id'])
    op.create_index('marketplace_transaction_of_order', 'marketplace_transaction', ['order_external_id'])
    op.create_table(
        'payout_difference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_account_id', sa.Integer(), nullable=False),
        sa.Column('payout_id', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('order_external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        _money('expected', nullable=True),
        _money('actual', nullable=True),
        sa.Column('found_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('payout_short', 'unknown_order', 'sale_mismatch', 'unknown_refund', 'refund_mismatch', "
            "'order_never_paid')",
            name='payout_difference_kind_known',
        ),
        sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id']),
        sa.ForeignKeyConstraint(['order_id'], ['sales_order.id']),
        sa.ForeignKeyConstraint(['payout_id'], ['marketplace_payout.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('payout_difference_of_account', 'payout_difference', ['channel_account_id', 'kind'])
    op.create_index('payout_difference_of_payout', 'payout_difference', ['payout_id'])


def downgrade() -> None:
    op.drop_index('payout_difference_of_payout', table_name='payout_difference')
    op.drop_index('payout_difference_of_account', table_name='payout_difference')
    op.drop_table('payout_difference')
    op.drop_index('marketplace_transaction_of_order', table_name='marketplace_transaction')
    op.drop_index('marketplace_transaction_of_payout', table_name='marketplace_transaction')
    op.drop_table('marketplace_transaction')
    op.drop_index('marketplace_payout_of_account', table_name='marketplace_payout')
    op.drop_table('marketplace_payout')
