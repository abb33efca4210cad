"""exchange: client systems, purposes, consent, change feeds (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('exchange_access_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('operation', sa.String(length=120), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_access_subject'))
    )
    with op.batch_alter_table('exchange_access_subject', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_access_subject_subject_at', ['subject', 'at'], unique=False)

    op.create_table('exchange_change',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resource', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('op', sa.String(length=8), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_exchange_change'))
    )
    with op.batch_alter_table('exchange_change', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_change_resource_seq', ['resource', 'seq'], unique=False)

    op.create_table('exchange_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_consent')),
    sa.UniqueConstraint('subject', 'purpose', name=op.f('uq_exchange_consent_subject_purpose'))
    )
    op.create_table('exchange_feed_head',
    sa.Column('resource', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('resource', 'key', name=op.f('pk_exchange_feed_head'))
    )
    op.create_table('exchange_feed_state',
    sa.Column('resource', sa.String(length=60), nullable=False),
    sa.Column('initialised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('resource', name=op.f('pk_exchange_feed_state'))
    )
    op.create_table('exchange_idempotency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_idempotency')),
    sa.UniqueConstraint('client_id', 'key', name=op.f('uq_exchange_idempotency_client_id_key'))
    )
    with op.batch_alter_table('exchange_idempotency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_idempotency_expires_at'), ['expires_at'], unique=False)

    op.create_table('exchange_seen_jti',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('jti', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_seen_jti')),
    sa.UniqueConstraint('client_id', 'kind', 'jti', name=op.f('uq_exchange_seen_jti_client_id_kind_jti'))
    )
    with op.batch_alter_table('exchange_seen_jti', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_seen_jti_expires_at'), ['expires_at'], unique=False)

    op.create_table('exchange_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('jwks', sa.JSON(), nullable=False),
    sa.Column('rate_limit', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_exchange_client_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_exchange_client_client_id')),
    sa.UniqueConstraint('name', name=op.f('uq_exchange_client_name'))
    )
    with op.batch_alter_table('exchange_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_client_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('exchange_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose_id', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['exchange_client.id'], name=op.f('fk_exchange_grant_client_id_exchange_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_grant')),
    sa.UniqueConstraint('client_id', 'purpose', name=op.f('uq_exchange_grant_client_id_purpose')),
    sa.UniqueConstraint('purpose_id', name=op.f('uq_exchange_grant_purpose_id'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('exchange_grant')
    with op.batch_alter_table('exchange_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_client_organisation_id'))

    op.drop_table('exchange_client')
    with op.batch_alter_table('exchange_seen_jti', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_seen_jti_expires_at'))

    op.drop_table('exchange_seen_jti')
    with op.batch_alter_table('exchange_idempotency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_idempotency_expires_at'))

    op.drop_table('exchange_idempotency')
    op.drop_table('exchange_feed_state')
    op.drop_table('exchange_feed_head')
    op.drop_table('exchange_consent')
    with op.batch_alter_table('exchange_change', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_change_resource_seq')

    op.drop_table('exchange_change')
    with op.batch_alter_table('exchange_access_subject', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_access_subject_subject_at')

    op.drop_table('exchange_access_subject')
