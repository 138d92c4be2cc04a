"""Cost buckets: a counterpart's cost bucket as its answers describe it, shared by an account's workers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'cost_bucket',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('available', sa.Float(), nullable=False),
        sa.Column('restore_rate', sa.Float(), nullable=False),
        sa.Column('maximum', sa.Float(), nullable=False),
        sa.Column('seen', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('cost_bucket')
