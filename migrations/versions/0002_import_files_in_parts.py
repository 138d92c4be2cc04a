"""import files in parts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:04:12.035022
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('product_import_part',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('part_no', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['product_import.id'], ),
    sa.PrimaryKeyConstraint('import_id', 'part_no')
    )
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.drop_column('content')



def downgrade() -> None:
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))

    op.drop_table('product_import_part')
