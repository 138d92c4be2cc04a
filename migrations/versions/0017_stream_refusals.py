"""Stream refusals: orders a stream refused for want of stock or of its deal, counted in the host's report

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'stream_refusal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stream_id', sa.Integer(), nullable=False),
        sa.Column('lineup_item_id', sa.Integer(), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('refused_at', commerce.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.ForeignKeyConstraint(['lineup_item_id'], ['lineup_item.id']),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id']),
        sa.ForeignKeyConstraint(['stream_id'], ['stream.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stream_id', 'channel', 'external_id', name='stream_refusal_once'),
    )


def downgrade() -> None:
    op.drop_table('stream_refusal')
