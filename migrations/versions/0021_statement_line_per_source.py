"""A statement line per source: a sale or a refund with its host's commission and platform's fee

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 03:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import commerce.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHARES = (('host', 'host_commission', 'host_commission'), ('platform', 'platform_fee', 'platform_fee'))


def _money(name: str, nullable: bool = False, **options) -> sa.Column:
    return sa.Column(name, commerce.db.ExactDecimal(scale=4, precision=20), nullable=nullable, **options)


def _share_of(kind: str, column: str) -> str:
    """The value of a share line's column for the sale or refund line it was written with."""
    return (
        f"(SELECT share.{column} FROM settlement_line share WHERE share.kind = '{kind}' "
        "AND share.order_line_id = settlement_line.order_line_id "
        "AND share.after_sale_id = settlement_line.after_sale_id)"
    )


def upgrade() -> None:
    with op.batch_alter_table('settlement_line', schema=None) as batch_op:
        for prefix, _kind, figure in _SHARES:
            batch_op.add_column(sa.Column(f'{prefix}_agreement_id', sa.Integer(), nullable=True))
            batch_op.add_column(_money(f'{prefix}_rate', nullable=True))
            batch_op.add_column(_money(figure, server_default='0'))
        batch_op.add_column(_money('net', server_default='0'))
    # Each sale or refund takes the agreement, rate and amount of its share lines, which then go.
    for prefix, kind, figure in _SHARES:
        op.execute(
            f"UPDATE settlement_line SET {prefix}_agreement_id = {_share_of(kind, 'agreement_id')}, "
            f"{prefix}_rate = {_share_of(kind, 'rate')}, {figure} = COALESCE({_share_of(kind, 'amount')}, 0) "
            "WHERE kind IN ('sale', 'refund')"
        )
    op.execute("DELETE FROM settlement_line WHERE kind IN ('host_commission', 'platform_fee')")
    op.execute("UPDATE settlement_line SET net = amount + host_commission + platform_fee")
    with op.batch_alter_table('settlement_line', schema=None) as batch_op:
        batch_op.drop_constraint('settlement_line_source_of_kind', type_='check')
        batch_op.drop_column('agreement_id')
        batch_op.drop_column('base')
        batch_op.drop_column('rate')
        for prefix, _kind, figure in _SHARES:
            batch_op.alter_column(figure, server_default=None)
            batch_op.create_foreign_key(
                f'settlement_line_{prefix}_agreement_id_fkey', 'settlement_agreement', [f'{prefix}_agreement_id'], ['id']
            )
        batch_op.alter_column('net', server_default=None)
        batch_op.create_check_constraint(
            'settlement_line_source_of_kind',
            "(kind IN ('sale', 'marketplace_fee') AND after_sale_id = 0) OR (kind = 'refund' AND after_sale_id > 0)",
        )
        batch_op.create_check_constraint(
            'settlement_line_share_of_agreement',
            "(host_agreement_id IS NULL) = (host_rate IS NULL) AND (host_rate IS NOT NULL OR host_commission = 0) "
            "AND (platform_agreement_id IS NULL) = (platform_rate IS NULL) "
            "AND (platform_rate IS NOT NULL OR platform_fee = 0)",
        )
        batch_op.create_check_constraint('settlement_line_net_adds_up', 'net = amount + host_commission + platform_fee')


def downgrade() -> None:
    with op.batch_alter_table('settlement_line', schema=None) as batch_op:
        batch_op.drop_constraint('settlement_line_net_adds_up', type_='check')
        batch_op.drop_constraint('settlement_line_share_of_agreement', type_='check')
        batch_op.drop_constraint('settlement_line_source_of_kind', type_='check')
        batch_op.add_column(sa.Column('agreement_id', sa.Integer(), nullable=True))
        batch_op.add_column(_money('base', server_default='0'))
        batch_op.add_column(_money('rate', nullable=True))
    op.execute("UPDATE settlement_line SET base = CASE WHEN amount < 0 THEN -amount ELSE amount END")
    # The shares become lines of their own again, beside their sale or refund.
    for prefix, kind, figure in _SHARES:
        op.execute(
            "INSERT INTO settlement_line (statement_id, kind, order_id, order_line_id, after_sale_id, stream_id, "
            "agreement_id, base, rate, amount, at, host_commission, platform_fee, net) "
            f"SELECT statement_id, '{kind}', order_id, order_line_id, after_sale_id, stream_id, {prefix}_agreement_id, "
            f"base, {prefix}_rate, {figure}, at, 0, 0, 0 FROM settlement_line "
            f"WHERE kind IN ('sale', 'refund') AND {prefix}_rate <> 0"
        )
    with op.batch_alter_table('settlement_line', schema=None) as batch_op:
        for prefix, _kind, figure in _SHARES:
            batch_op.drop_constraint(f'settlement_line_{prefix}_agreement_id_fkey', type_='foreignkey')
            batch_op.drop_column(f'{prefix}_agreement_id')
            batch_op.drop_column(f'{prefix}_rate')
            batch_op.drop_column(figure)
        batch_op.drop_column('net')
        batch_op.alter_column('base', server_default=None)
        batch_op.create_foreign_key('settlement_line_agreement_id_fkey', 'settlement_agreement', ['agreement_id'], ['id'])
        batch_op.create_check_constraint(
            'settlement_line_source_of_kind',
            "(after_sale_id = 0 AND kind IN ('sale', 'host_commission', 'platform_fee', 'marketplace_fee')) "
            "OR (after_sale_id > 0 AND kind IN ('refund', 'host_commission', 'platform_fee'))",
        )
