"""Imports tell how many rows a worker has read and checked so far

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_rows', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.drop_column('checked_rows')
