"""Export returns: goods of a released declaration line that came back (announcement 2020 No. 44)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customs_declaration_line', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'returned_quantity',
                commerce.db.ExactDecimal(scale=5, precision=20),
                nullable=False,
                server_default='0',
            )
        )
    with op.batch_alter_table('customs_declaration_line', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'customs_line_return_within_exported', 'returned_quantity >= 0 AND returned_quantity <= quantity'
        )
    op.create_table(
        'export_return',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('declaration_id', sa.Integer(), nullable=False),
        sa.Column('declaration_line_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('quantity', commerce.db.ExactDecimal(scale=5, precision=20), nullable=False),
        sa.Column('returned_on', sa.Date(), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('recorded_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('quantity > 0', name='export_return_quantity_positive'),
        sa.ForeignKeyConstraint(['declaration_id'], ['customs_declaration.id']),
        sa.ForeignKeyConstraint(['declaration_line_id'], ['customs_declaration_line.id']),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('export_return_of_firm', 'export_return', ['enterprise_id', 'returned_on'], unique=False)
    op.create_index('export_return_of_line', 'export_return', ['declaration_line_id'], unique=False)


def downgrade() -> None:
    op.drop_index('export_return_of_line', table_name='export_return')
    op.drop_index('export_return_of_firm', table_name='export_return')
    op.drop_table('export_return')
    with op.batch_alter_table('customs_declaration_line', schema=None) as batch_op:
        batch_op.drop_constraint('customs_line_return_within_exported', type_='check')
        batch_op.drop_column('returned_quantity')
