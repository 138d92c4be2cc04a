"""Webhook receipts: event ids kept whole and known by their digest; a signed body received once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:00:00.000000
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('body_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    receipts = sa.table('webhook_receipt', sa.column('id', sa.Integer), sa.column('event_id', sa.String), sa.column('event_digest', sa.String))
    connection = op.get_bind()
    for receipt_id, event_id in connection.execute(sa.select(receipts.c.id, receipts.c.event_id)).all():
        digest = hashlib.sha256(event_id.encode()).hexdigest()
        connection.execute(receipts.update().where(receipts.c.id == receipt_id).values(event_digest=digest))
    with op.batch_alter_table('webhook_receipt', schema=None) as batch_op:
        batch_op.drop_constraint('webhook_event_once', type_='unique')
        batch_op.alter_column('event_id', type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column('event_digest', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_unique_constraint('webhook_event_once', ['channel_account_id', 'event_digest'])
        batch_op.create_unique_constraint('webhook_body_once', ['channel_account_id', 'body_digest'])


def downgrade() -> None:
    with op.batch_alter_table('webhook_receipt', schema=None) as batch_op:
        batch_op.drop_constraint('webhook_body_once', type_='unique')
        batch_op.drop_constraint('webhook_event_once', type_='unique')
        batch_op.alter_column('event_id', type_=sqlmodel.sql.sqltypes.AutoString(length=100), existing_nullable=False)
        batch_op.create_unique_constraint('webhook_event_once', ['channel_account_id', 'event_id'])
        batch_op.drop_column('body_digest')
        batch_op.drop_column('event_digest')
