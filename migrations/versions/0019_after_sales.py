"""After-sales: refunds and returns on order lines, bounded by the lines' own constraints

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINE_COUNTS = ('release_requested_quantity', 'released_quantity', 'shipped_quantity', 'returned_quantity')


def upgrade() -> None:
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('refund_claimed_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('refunded_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False, server_default='0')
        )
        for name in _LINE_COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    # The lines of orders already shipped shipped all their units.
    op.execute(
        "UPDATE order_line SET shipped_quantity = quantity WHERE order_id IN "
        "(SELECT id FROM sales_order WHERE status IN ('shipped', 'cleared'))"
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'order_line_refund_within_paid', 'refund_claimed_amount >= 0 AND refund_claimed_amount <= unit_price * quantity'
        )
        batch_op.create_check_constraint(
            'order_line_refunded_within_claimed', 'refunded_amount >= 0 AND refunded_amount <= refund_claimed_amount'
        )
        batch_op.create_check_constraint(
            'order_line_units_accounted',
            'release_requested_quantity >= 0 AND released_quantity >= 0 AND shipped_quantity >= 0 '
            'AND release_requested_quantity + released_quantity + shipped_quantity <= quantity',
        )
        batch_op.create_check_constraint(
            'order_line_return_within_shipped', 'returned_quantity >= 0 AND returned_quantity <= shipped_quantity'
        )
    op.create_table(
        'after_sale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('refusal_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('restocked_quantity', sa.Integer(), nullable=False),
        sa.Column('written_off_quantity', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('requested_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decided_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('received_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('inspected_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('refunded_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('refund_only', 'return_and_refund', 'partial_refund')", name='after_sale_kind_known'
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'refused', 'received', 'inspected', 'refunded')",
            name='after_sale_status_known',
        ),
        sa.CheckConstraint(
            "(kind = 'partial_refund' AND quantity = 0) OR (kind <> 'partial_refund' AND quantity > 0)",
            name='after_sale_quantity_of_kind',
        ),
        sa.CheckConstraint('amount >= 0', name='after_sale_amount_not_negative'),
        sa.CheckConstraint(
            'restocked_quantity >= 0 AND written_off_quantity >= 0 '
            'AND restocked_quantity + written_off_quantity IN (0, quantity)',
            name='after_sale_inspection_whole',
        ),
        sa.ForeignKeyConstraint(['decided_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.ForeignKeyConstraint(['order_id'], ['sales_order.id']),
        sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id']),
        sa.ForeignKeyConstraint(['requested_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'external_id', name='after_sale_once_per_channel'),
    )
    op.create_index('after_sale_of_firm', 'after_sale', ['enterprise_id', 'id'], unique=False)
    op.create_index('after_sale_of_order', 'after_sale', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index('after_sale_of_order', table_name='after_sale')
    op.drop_index('after_sale_of_firm', table_name='after_sale')
    op.drop_table('after_sale')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_constraint('order_line_return_within_shipped', type_='check')
        batch_op.drop_constraint('order_line_units_accounted', type_='check')
        batch_op.drop_constraint('order_line_refunded_within_claimed', type_='check')
        batch_op.drop_constraint('order_line_refund_within_paid', type_='check')
        for name in reversed(_LINE_COUNTS):
            batch_op.drop_column(name)
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('refund_claimed_amount')
