"""catalogue foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 04:22:18.570385
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import commerce.db


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cluster',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('industry', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('locked_until', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'dead')", name='job_status_known'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('job_claim_order', ['status', 'priority', 'run_at'], unique=False)
        batch_op.create_index('job_key_open', ['key'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))

    op.create_table('enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('customs_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('is_general_taxpayer', sa.Boolean(), nullable=False),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('manufacturer', 'trader', 'service_platform', 'association')", name='enterprise_kind_known'),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uscc')
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_cluster_id'), ['cluster_id'], unique=False)

    op.create_table('trademark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('registration_no', sa.String(length=40), nullable=False),
    sa.Column('owner_enterprise_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('nice_classes', sa.JSON(), nullable=False),
    sa.Column('usage_rules', sa.Text(), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['cluster.id'], ),
    sa.ForeignKeyConstraint(['owner_enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('registration_no')
    )
    with op.batch_alter_table('trademark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trademark_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trademark_owner_enterprise_id'), ['owner_enterprise_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role <> 'sme' OR enterprise_id IS NOT NULL", name='user_sme_has_enterprise'),
    sa.CheckConstraint("role IN ('admin', 'brand_admin', 'sme', 'host', 'trade_operator')", name='user_role_known'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('audit_event_entity', ['entity', 'entity_id', 'id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trademark_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('licence_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('status_changed_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended', 'expired', 'revoked')", name='membership_status_known'),
    sa.CheckConstraint('valid_from <= valid_to', name='membership_period_ordered'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['trademark_id'], ['trademark.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('trademark_id', 'licence_no', name='membership_licence_unique')
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_trademark_id'), ['trademark_id'], unique=False)
        batch_op.create_index('membership_one_current_per_firm', ['trademark_id', 'enterprise_id'], unique=True, sqlite_where=sa.text("status <> 'revoked'"), postgresql_where=sa.text("status <> 'revoked'"))

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('product_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('trademark_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('hs_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('hs_suffix', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('declaration_elements', sa.Text(), nullable=False),
    sa.Column('legal_unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('second_legal_unit', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('origin_region_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('rejection_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'pending_review', 'approved', 'rejected', 'retired')", name='product_status_known'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['trademark_id'], ['trademark.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'product_code', name='product_code_unique_per_firm')
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_trademark_id'), ['trademark_id'], unique=False)
        batch_op.create_index('product_enterprise_listing', ['enterprise_id', 'id'], unique=False)
        batch_op.create_index('product_status_listing', ['status', 'id'], unique=False)

    op.create_table('product_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('file_format', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('error_policy', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('ok_rows', sa.Integer(), nullable=False),
    sa.Column('failed_rows', sa.Integer(), nullable=False),
    sa.Column('created_products', sa.Integer(), nullable=False),
    sa.Column('updated_products', sa.Integer(), nullable=False),
    sa.Column('created_skus', sa.Integer(), nullable=False),
    sa.Column('updated_skus', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', commerce.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("error_policy IN ('reject_all', 'reject_failed_rows')", name='product_import_policy_known'),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'completed_with_errors', 'failed')", name='product_import_status_known'),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_import_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('product_translation',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'locale')
    )
    op.create_table('sku',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('sku_code', sa.String(length=64), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('price_amount', commerce.db.ExactDecimal(scale=4, precision=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('weight_kg', commerce.db.ExactDecimal(scale=3, precision=20), nullable=False),
    sa.Column('barcode', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'sku_code', name='sku_code_unique_per_firm')
    )
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sku_product_id'), ['product_id'], unique=False)

    op.create_table('stock_level',
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('allocated', sa.Integer(), nullable=False),
    sa.Column('available', sa.Integer(), nullable=False),
    sa.Column('updated_at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('allocated >= 0', name='stock_allocated_not_negative'),
    sa.CheckConstraint('available = on_hand - reserved - allocated', name='stock_available_consistent'),
    sa.CheckConstraint('available >= 0', name='stock_available_not_negative'),
    sa.CheckConstraint('on_hand >= 0', name='stock_on_hand_not_negative'),
    sa.CheckConstraint('reserved >= 0', name='stock_reserved_not_negative'),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('sku_id')
    )
    op.create_table('stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('at', commerce.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('allocated_delta', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index('stock_movement_sku', ['sku_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index('stock_movement_sku')

    op.drop_table('stock_movement')
    op.drop_table('stock_level')
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sku_product_id'))

    op.drop_table('sku')
    op.drop_table('product_translation')
    with op.batch_alter_table('product_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_import_enterprise_id'))

    op.drop_table('product_import')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('product_status_listing')
        batch_op.drop_index('product_enterprise_listing')
        batch_op.drop_index(batch_op.f('ix_product_trademark_id'))

    op.drop_table('product')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('membership_one_current_per_firm', sqlite_where=sa.text("status <> 'revoked'"), postgresql_where=sa.text("status <> 'revoked'"))
        batch_op.drop_index(batch_op.f('ix_membership_trademark_id'))
        batch_op.drop_index(batch_op.f('ix_membership_enterprise_id'))

    op.drop_table('membership')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('audit_event_entity')

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_enterprise_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('trademark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trademark_owner_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_trademark_cluster_id'))

    op.drop_table('trademark')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_cluster_id'))

    op.drop_table('enterprise')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('job_key_open', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index('job_claim_order')

    op.drop_table('job')
    op.drop_table('cluster')
