"""Customs messages travel through the data-exchange client's folders; summaries keep customs' number

The platform's HTTP gateway address, its sealed key and its receipt cursor go: messages and
receipts are exchanged through each platform's data-exchange folders. A summary declaration keeps
the summary application's number customs gives it (CEB702 sumNo), by which its result (CEB792)
names it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customs_declaration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sum_no', sa.String(length=18), nullable=True))
        batch_op.create_index('ix_customs_declaration_sum_no', ['sum_no'], unique=False)
    with op.batch_alter_table('customs_platform', schema=None) as batch_op:
        batch_op.drop_column('gateway_url')
        batch_op.drop_column('gateway_key_sealed')
        batch_op.drop_column('receipt_cursor')


def downgrade() -> None:
    with op.batch_alter_table('customs_platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_cursor', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('gateway_key_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('gateway_url', sa.String(length=500), nullable=True))
    with op.batch_alter_table('customs_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_customs_declaration_sum_no')
        batch_op.drop_column('sum_no')
