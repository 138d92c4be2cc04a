"""livestreams and orders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:49:36.260561
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stream',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('host_user_id', sa.Integer(), nullable=False),
    sa.Column('channel_account_id', sa.Integer(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('scheduled_start', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('started_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'live', 'ended', 'cancelled')", name='stream_status_known'),
    sa.ForeignKeyConstraint(['host_user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stream', schema=None) as batch_op:
        batch_op.create_index('stream_host_listing', ['host_user_id', 'id'], unique=False)

    op.create_table('lineup_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('live_price_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=True),
    sa.Column('added_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(position IS NULL) = (removed_at IS NOT NULL)', name='lineup_position_while_listed'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stream_id', 'product_id', name='lineup_product_once_per_stream')
    )
    with op.batch_alter_table('lineup_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lineup_item_product_id'), ['product_id'], unique=False)

    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('buyer_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('buyer_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('buyer_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('total_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False),
    sa.Column('customs_mode', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('destination_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('trade_terms', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('waybill_no', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('logistics_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('placed_by', sa.Integer(), nullable=True),
    sa.Column('placed_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('placed', 'paid', 'shipped', 'cleared', 'cancelled')", name='sales_order_status_known'),
    sa.ForeignKeyConstraint(['placed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'external_id', name='order_once_per_channel')
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index('sales_order_of_stream', ['stream_id'], unique=False)

    op.create_table('flash_sale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('price_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.Column('per_buyer_limit', sa.Integer(), nullable=False),
    sa.Column('starts_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name='flash_sale_window'),
    sa.CheckConstraint('per_buyer_limit >= 1', name='flash_sale_limit_positive'),
    sa.CheckConstraint('sold >= 0 AND sold <= quantity', name='flash_sale_within_quantity'),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['lineup_item.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flash_sale', schema=None) as batch_op:
        batch_op.create_index('flash_sale_of_stream', ['stream_id', 'id'], unique=False)

    op.create_table('stream_allocation',
    sa.Column('lineup_item_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.CheckConstraint('remaining >= 0', name='stream_allocation_remaining_not_negative'),
    sa.CheckConstraint('sold >= 0', name='stream_allocation_sold_not_negative'),
    sa.ForeignKeyConstraint(['lineup_item_id'], ['lineup_item.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], ),
    sa.PrimaryKeyConstraint('lineup_item_id', 'sku_id')
    )
    with op.batch_alter_table('stream_allocation', schema=None) as batch_op:
        batch_op.create_index('stream_allocation_of_stream', ['stream_id'], unique=False)

    op.create_table('stream_pin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('pinned_by', sa.Integer(), nullable=True),
    sa.Column('pinned_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unpinned_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['lineup_item.id'], ),
    sa.ForeignKeyConstraint(['pinned_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stream_pin', schema=None) as batch_op:
        batch_op.create_index('stream_one_open_pin', ['stream_id'], unique=True, sqlite_where=sa.text('unpinned_at IS NULL'), postgresql_where=sa.text('unpinned_at IS NULL'))
        batch_op.create_index('stream_pin_history', ['stream_id', 'id'], unique=False)

    op.create_table('flash_sale_buyer',
    sa.Column('flash_sale_id', sa.Integer(), nullable=False),
    sa.Column('buyer_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.CheckConstraint('units >= 0', name='flash_sale_buyer_units_not_negative'),
    sa.ForeignKeyConstraint(['flash_sale_id'], ['flash_sale.id'], ),
    sa.PrimaryKeyConstraint('flash_sale_id', 'buyer_key')
    )
    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False),
    sa.Column('lineup_item_id', sa.Integer(), nullable=True),
    sa.Column('flash_sale_id', sa.Integer(), nullable=True),
    sa.Column('from_allocation', sa.Boolean(), nullable=False),
    sa.CheckConstraint('quantity > 0', name='order_line_quantity_positive'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['flash_sale_id'], ['flash_sale.id'], ),
    sa.ForeignKeyConstraint(['lineup_item_id'], ['lineup_item.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'sku_id', name='order_line_sku_once')
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index('order_line_of_firm', ['enterprise_id', 'order_id'], unique=False)
        batch_op.create_index('order_line_of_lineup_item', ['lineup_item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index('order_line_of_lineup_item')
        batch_op.drop_index('order_line_of_firm')

    op.drop_table('order_line')
    op.drop_table('flash_sale_buyer')
    with op.batch_alter_table('stream_pin', schema=None) as batch_op:
        batch_op.drop_index('stream_pin_history')
        batch_op.drop_index('stream_one_open_pin', sqlite_where=sa.text('unpinned_at IS NULL'), postgresql_where=sa.text('unpinned_at IS NULL'))

    op.drop_table('stream_pin')
    with op.batch_alter_table('stream_allocation', schema=None) as batch_op:
        batch_op.drop_index('stream_allocation_of_stream')

    op.drop_table('stream_allocation')
    with op.batch_alter_table('flash_sale', schema=None) as batch_op:
        batch_op.drop_index('flash_sale_of_stream')

    op.drop_table('flash_sale')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('sales_order_of_stream')

    op.drop_table('sales_order')
    with op.batch_alter_table('lineup_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lineup_item_product_id'))

    op.drop_table('lineup_item')
    with op.batch_alter_table('stream', schema=None) as batch_op:
        batch_op.drop_index('stream_host_listing')

    op.drop_table('stream')
