"""Product photos: a product's (or one of its SKUs') photos, in the order they show

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'product_image',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('thumbnail_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('alt', sa.JSON(), nullable=False),
        sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('created_at', commerce.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')", name='product_image_type_known'
        ),
        sa.ForeignKeyConstraint(['product_id'], ['product.id']),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('product_id', 'sha256', name='product_image_once_per_product'),
    )
    op.create_index('product_image_order', 'product_image', ['product_id', 'position', 'id'], unique=False)
    op.create_index('ix_product_image_sku_id', 'product_image', ['sku_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_product_image_sku_id', table_name='product_image')
    op.drop_index('product_image_order', table_name='product_image')
    op.drop_table('product_image')
