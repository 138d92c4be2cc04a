"""Customs declaration lines carry their goods' gross weight

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customs_declaration_line', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('gross_weight_kg', commerce.db.ExactDecimal(scale=3, precision=20), nullable=False, server_default='0')
        )
    # An inventory list's line weighs what its order line's SKUs weigh (the SKU's weight is kept at
    # the same scale, so the product is right on both databases' representations).
    op.execute(
        "UPDATE customs_declaration_line SET gross_weight_kg = ("
        " SELECT sku.weight_kg * order_line.quantity FROM order_line JOIN sku ON sku.id = order_line.sku_id"
        " WHERE order_line.id = customs_declaration_line.order_line_id)"
        " WHERE order_line_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('customs_declaration_line', schema=None) as batch_op:
        batch_op.drop_column('gross_weight_kg')
