"""A marketplace after-sale the marketplace has refunded itself: when it did

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import commerce.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('after_sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_refunded_at', commerce.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('after_sale', schema=None) as batch_op:
        batch_op.drop_column('channel_refunded_at')
