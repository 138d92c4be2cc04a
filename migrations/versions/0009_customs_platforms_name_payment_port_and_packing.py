"""Customs platforms name the payment firm, the port of destination and the packing of parcels

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customs_platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True))
        batch_op.add_column(sa.Column('payment_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('destination_port', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))
        batch_op.add_column(
            sa.Column('wrap_type', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False, server_default='2')
        )


def downgrade() -> None:
    with op.batch_alter_table('customs_platform', schema=None) as batch_op:
        batch_op.drop_column('wrap_type')
        batch_op.drop_column('destination_port')
        batch_op.drop_column('payment_name')
        batch_op.drop_column('payment_code')
