"""Cancelling a 9610 inventory list before the goods leave (CEB605 and its answer, CEB606)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'draft', 'submitted', 'accepted', 'rejected', 'cleared'"


def _statuses(known: str) -> None:
    for table in ('customs_batch', 'customs_declaration'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'{table}_status_known', type_='check')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(f'{table}_status_known', f'status IN ({known})')


def upgrade() -> None:
    _statuses(STATUSES + ", 'cancelled'")
    op.create_table(
        'customs_list_cancellation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('declaration_id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('guid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('requested_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decided_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('customs_note', sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'cancelled', 'refused')", name='customs_list_cancellation_status'
        ),
        sa.ForeignKeyConstraint(['declaration_id'], ['customs_declaration.id']),
        sa.ForeignKeyConstraint(['platform_id'], ['customs_platform.id']),
        sa.ForeignKeyConstraint(['requested_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('guid', name='customs_list_cancellation_guid_unique'),
    )
    op.create_index('customs_list_cancellation_open', 'customs_list_cancellation', ['status', 'platform_id'])
    op.create_index(
        'customs_list_cancellation_one_open',
        'customs_list_cancellation',
        ['declaration_id'],
        unique=True,
        sqlite_where=sa.text("status IN ('requested', 'cancelled')"),
        postgresql_where=sa.text("status IN ('requested', 'cancelled')"),
    )


def downgrade() -> None:
    op.drop_index('customs_list_cancellation_one_open', table_name='customs_list_cancellation')
    op.drop_index('customs_list_cancellation_open', table_name='customs_list_cancellation')
    op.drop_table('customs_list_cancellation')
    op.execute("UPDATE customs_declaration SET status = 'rejected' WHERE status = 'cancelled'")
    op.execute("UPDATE customs_batch SET status = 'rejected' WHERE status = 'cancelled'")
    _statuses(STATUSES)
