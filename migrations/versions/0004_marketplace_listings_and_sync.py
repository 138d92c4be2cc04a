"""marketplace listings and sync

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:55:39
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('credentials_sealed', sa.Text(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('rate_limit_per_second', sa.Float(), nullable=False),
    sa.Column('orders_polled_until', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('throttled_count', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'name', name='channel_account_name_unique')
    )
    op.create_table('rate_allowance',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('next_slot', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('webhook_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_account_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('received_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_account_id', 'event_id', name='webhook_event_once')
    )
    op.create_table('listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('channel_account_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('platform_status', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('review_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('with_mark', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('remote_skus', sa.JSON(), nullable=False),
    sa.Column('pushed_stock', sa.JSON(), nullable=False),
    sa.Column('published_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('synced_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'publishing', 'live', 'rejected', 'failed', 'withdrawn')", name='listing_status_known'),
    sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', 'channel_account_id', name='listing_once_per_account')
    )
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_product_id'), ['product_id'], unique=False)
        batch_op.create_index('listing_account_status', ['channel_account_id', 'status'], unique=False)

    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rate_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.drop_index('job_claim_order')
        batch_op.drop_index('job_key_open', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.create_index('job_finished', ['finished_at'], unique=False)
        batch_op.create_index('job_key_queued', ['key'], unique=True, sqlite_where=sa.text("status = 'queued'"), postgresql_where=sa.text("status = 'queued'"))
        batch_op.create_index('job_key_status', ['key', 'status'], unique=False)
        batch_op.create_index('job_queued_order', ['priority', 'run_at', 'id'], unique=False, sqlite_where=sa.text("status = 'queued'"), postgresql_where=sa.text("status = 'queued'"))
        batch_op.create_index('job_running_lease', ['locked_until'], unique=False, sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))



def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('job_running_lease', sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
        batch_op.drop_index('job_queued_order', sqlite_where=sa.text("status = 'queued'"), postgresql_where=sa.text("status = 'queued'"))
        batch_op.drop_index('job_key_status')
        batch_op.drop_index('job_key_queued', sqlite_where=sa.text("status = 'queued'"), postgresql_where=sa.text("status = 'queued'"))
        batch_op.drop_index('job_finished')
        batch_op.create_index('job_key_open', ['key'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.create_index('job_claim_order', ['status', 'priority', 'run_at'], unique=False)
        batch_op.drop_column('rate_key')

    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_index('listing_account_status')
        batch_op.drop_index(batch_op.f('ix_listing_product_id'))
        batch_op.drop_index(batch_op.f('ix_listing_enterprise_id'))

    op.drop_table('listing')
    op.drop_table('webhook_receipt')
    op.drop_table('rate_allowance')
    op.drop_table('channel_account')
