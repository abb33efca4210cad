"""linkage: clerical review decisions, linked identities (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: linkage runs, the clerical-review queue, linked identities."""
    op.create_table('linkage_entity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_entity')),
    sa.UniqueConstraint('key', name=op.f('uq_linkage_entity_key'))
    )
    op.create_index(op.f('ix_linkage_entity_kind'), 'linkage_entity', ['kind'], unique=False)
    op.create_table('linkage_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('source_a', sa.String(length=300), nullable=False),
    sa.Column('source_b', sa.String(length=300), nullable=False),
    sa.Column('engine', sa.String(length=10), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('review_low', sa.Float(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_run'))
    )
    op.create_table('linkage_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('record_id', sa.String(length=300), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.Column('tax_key', sa.String(length=64), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entity_id'], ['linkage_entity.id'], name=op.f('fk_linkage_member_entity_id_linkage_entity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['linkage_run.id'], name=op.f('fk_linkage_member_run_id_linkage_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_member')),
    sa.UniqueConstraint('kind', 'source', 'record_id', name='uq_linkage_member_record')
    )
    op.create_index(op.f('ix_linkage_member_entity_id'), 'linkage_member', ['entity_id'], unique=False)
    op.create_index(op.f('ix_linkage_member_record_hash'), 'linkage_member', ['record_hash'], unique=False)
    op.create_index(op.f('ix_linkage_member_tax_key'), 'linkage_member', ['tax_key'], unique=False)
    op.create_table('linkage_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('pair_key', sa.String(length=64), nullable=False),
    sa.Column('source_a', sa.String(length=300), nullable=False),
    sa.Column('id_a', sa.String(length=300), nullable=False),
    sa.Column('source_b', sa.String(length=300), nullable=False),
    sa.Column('id_b', sa.String(length=300), nullable=False),
    sa.Column('record_a', sa.JSON(), nullable=False),
    sa.Column('record_b', sa.JSON(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_linkage_review_decided_by_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['linkage_run.id'], name=op.f('fk_linkage_review_run_id_linkage_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_review')),
    sa.UniqueConstraint('pair_key', name=op.f('uq_linkage_review_pair_key'))
    )
    op.create_index(op.f('ix_linkage_review_kind'), 'linkage_review', ['kind'], unique=False)
    op.create_index(op.f('ix_linkage_review_run_id'), 'linkage_review', ['run_id'], unique=False)
    op.create_index(op.f('ix_linkage_review_status'), 'linkage_review', ['status'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_linkage_review_status'), table_name='linkage_review')
    op.drop_index(op.f('ix_linkage_review_run_id'), table_name='linkage_review')
    op.drop_index(op.f('ix_linkage_review_kind'), table_name='linkage_review')
    op.drop_table('linkage_review')
    op.drop_index(op.f('ix_linkage_member_tax_key'), table_name='linkage_member')
    op.drop_index(op.f('ix_linkage_member_record_hash'), table_name='linkage_member')
    op.drop_index(op.f('ix_linkage_member_entity_id'), table_name='linkage_member')
    op.drop_table('linkage_member')
    op.drop_table('linkage_run')
    op.drop_index(op.f('ix_linkage_entity_kind'), table_name='linkage_entity')
    op.drop_table('linkage_entity')
