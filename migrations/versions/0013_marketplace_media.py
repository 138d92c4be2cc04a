"""Marketplace media: the photos each account's marketplace already holds, and what it calls them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'marketplace_media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_account_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('reference', sa.Text(), nullable=False),
        sa.Column('created_at', commerce.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['channel_account_id'], ['channel_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel_account_id', 'name', name='marketplace_media_once'),
    )


def downgrade() -> None:
    op.drop_table('marketplace_media')
