"""certification: QRSP standards, IVC procedure, credentials (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: QRSP standards, delegations, the IVC procedure, issuers, status lists, credentials."""
    op.create_table('qrsp_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sector_code', sa.String(length=40), nullable=False),
    sa.Column('sector_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('qualification', sa.String(length=300), nullable=False),
    sa.Column('repertory', sa.String(length=200), nullable=False),
    sa.Column('eqf_level', sa.Integer(), nullable=False),
    sa.Column('ateco', sa.JSON(), nullable=False),
    sa.Column('cp2011', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qrsp_profile')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_qrsp_profile_code_version'))
    )
    op.create_index(op.f('ix_qrsp_profile_code'), 'qrsp_profile', ['code'], unique=False)
    op.create_index(op.f('ix_qrsp_profile_sector_code'), 'qrsp_profile', ['sector_code'], unique=False)
    op.create_table('ivc_accreditation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=300), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ivc_accreditation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_accreditation')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_ivc_accreditation_organisation_id'))
    )
    op.create_table('ivc_assessor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('qualifications', sa.Text(), nullable=False),
    sa.Column('register_number', sa.String(length=60), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_ivc_assessor_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_assessor')),
    sa.UniqueConstraint('user_id', name=op.f('uq_ivc_assessor_user_id'))
    )
    op.create_table('ivc_delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('profiles', sa.JSON(), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('legal_reference', sa.String(length=300), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ivc_delegation_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_delegation'))
    )
    op.create_index(op.f('ix_ivc_delegation_organisation_id'), 'ivc_delegation', ['organisation_id'], unique=False)
    op.create_table('ivc_issuer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('legal_reference', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ivc_issuer_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_issuer')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_ivc_issuer_organisation_id')),
    sa.UniqueConstraint('slug', name=op.f('uq_ivc_issuer_slug'))
    )
    op.create_table('ivc_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('person_user_id', sa.Integer(), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('tax_code', sa.String(length=16), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('birth_place', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('titolare_org_id', sa.Integer(), nullable=False),
    sa.Column('provider_org_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('phase_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('phase_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('person', 'provider', 'fund')", name=op.f('ck_ivc_request_channel')),
    sa.CheckConstraint("status IN ('requested', 'identification', 'validation', 'validated', 'certification', 'assessed', 'certified', 'closed', 'withdrawn', 'refused')", name=op.f('ck_ivc_request_status')),
    sa.ForeignKeyConstraint(['person_user_id'], ['app_user.id'], name=op.f('fk_ivc_request_person_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['profile_id'], ['qrsp_profile.id'], name=op.f('fk_ivc_request_profile_id_qrsp_profile'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['provider_org_id'], ['organisation.id'], name=op.f('fk_ivc_request_provider_org_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['titolare_org_id'], ['organisation.id'], name=op.f('fk_ivc_request_titolare_org_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_request')),
    sa.UniqueConstraint('number', name=op.f('uq_ivc_request_number'))
    )
    op.create_index(op.f('ix_ivc_request_person_user_id'), 'ivc_request', ['person_user_id'], unique=False)
    op.create_index(op.f('ix_ivc_request_profile_id'), 'ivc_request', ['profile_id'], unique=False)
    op.create_index(op.f('ix_ivc_request_provider_org_id'), 'ivc_request', ['provider_org_id'], unique=False)
    op.create_index(op.f('ix_ivc_request_status'), 'ivc_request', ['status'], unique=False)
    op.create_index(op.f('ix_ivc_request_titolare_org_id'), 'ivc_request', ['titolare_org_id'], unique=False)
    op.create_table('qrsp_competence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('eqf_level', sa.Integer(), nullable=False),
    sa.Column('abilities', sa.JSON(), nullable=False),
    sa.Column('knowledge', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['qrsp_profile.id'], name=op.f('fk_qrsp_competence_profile_id_qrsp_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qrsp_competence')),
    sa.UniqueConstraint('profile_id', 'code', name=op.f('uq_qrsp_competence_profile_id_code'))
    )
    op.create_index(op.f('ix_qrsp_competence_code'), 'qrsp_competence', ['code'], unique=False)
    op.create_index(op.f('ix_qrsp_competence_profile_id'), 'qrsp_competence', ['profile_id'], unique=False)
    op.create_table('ivc_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=True),
    sa.Column('declaration_note', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_by', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('validation', 'president', 'evaluation_expert', 'sector_expert')", name=op.f('ck_ivc_assignment_role')),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_assignment_request_id_ivc_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_ivc_assignment_user_id_app_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_assignment')),
    sa.UniqueConstraint('request_id', 'role', name=op.f('uq_ivc_assignment_request_id_role'))
    )
    op.create_index(op.f('ix_ivc_assignment_request_id'), 'ivc_assignment', ['request_id'], unique=False)
    op.create_index(op.f('ix_ivc_assignment_user_id'), 'ivc_assignment', ['user_id'], unique=False)
    op.create_table('ivc_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('learning', sa.String(length=12), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('validated', sa.Boolean(), nullable=True),
    sa.Column('validation_reason', sa.Text(), nullable=False),
    sa.Column('validated_by', sa.String(length=200), nullable=True),
    sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certified', sa.Boolean(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=True),
    sa.Column('certification_reason', sa.Text(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('assessed_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint("learning IN ('formal', 'non_formal', 'informal')", name=op.f('ck_ivc_claim_learning')),
    sa.ForeignKeyConstraint(['competence_id'], ['qrsp_competence.id'], name=op.f('fk_ivc_claim_competence_id_qrsp_competence'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_claim_request_id_ivc_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_claim')),
    sa.UniqueConstraint('request_id', 'competence_id', name=op.f('uq_ivc_claim_request_id_competence_id'))
    )
    op.create_index(op.f('ix_ivc_claim_request_id'), 'ivc_claim', ['request_id'], unique=False)
    op.create_table('ivc_course_competence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('profile_code', sa.String(length=40), nullable=False),
    sa.Column('competence_code', sa.String(length=40), nullable=False),
    sa.Column('declared_by', sa.String(length=200), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['catalog_course.id'], name=op.f('fk_ivc_course_competence_course_id_catalog_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_course_competence')),
    sa.UniqueConstraint('course_id', 'profile_code', 'competence_code', name=op.f('uq_ivc_course_competence_course_id_profile_code_competence_code'))
    )
    op.create_index(op.f('ix_ivc_course_competence_course_id'), 'ivc_course_competence', ['course_id'], unique=False)
    op.create_table('ivc_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('transparency', 'validation', 'certificate')", name=op.f('ck_ivc_document_kind')),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_document_request_id_ivc_request'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_document')),
    sa.UniqueConstraint('number', name=op.f('uq_ivc_document_number')),
    sa.UniqueConstraint('request_id', 'kind', name=op.f('uq_ivc_document_request_id_kind'))
    )
    op.create_index(op.f('ix_ivc_document_request_id'), 'ivc_document', ['request_id'], unique=False)
    op.create_table('ivc_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_evidence_request_id_ivc_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_evidence'))
    )
    op.create_index(op.f('ix_ivc_evidence_request_id'), 'ivc_evidence', ['request_id'], unique=False)
    op.create_table('ivc_experience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('organisation', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.CheckConstraint("kind IN ('work', 'training', 'volunteering', 'other')", name=op.f('ck_ivc_experience_kind')),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_experience_request_id_ivc_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_experience'))
    )
    op.create_index(op.f('ix_ivc_experience_request_id'), 'ivc_experience', ['request_id'], unique=False)
    op.create_table('ivc_issuer_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('public_key_multibase', sa.String(length=80), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['issuer_id'], ['ivc_issuer.id'], name=op.f('fk_ivc_issuer_key_issuer_id_ivc_issuer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_issuer_key')),
    sa.UniqueConstraint('public_key_multibase', name=op.f('uq_ivc_issuer_key_public_key_multibase'))
    )
    op.create_index(op.f('ix_ivc_issuer_key_issuer_id'), 'ivc_issuer_key', ['issuer_id'], unique=False)
    op.create_table('ivc_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_move_request_id_ivc_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_move'))
    )
    op.create_index(op.f('ix_ivc_move_request_id'), 'ivc_move', ['request_id'], unique=False)
    op.create_table('ivc_status_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('next_index', sa.Integer(), nullable=False),
    sa.Column('credential', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['ivc_issuer.id'], name=op.f('fk_ivc_status_list_issuer_id_ivc_issuer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_status_list'))
    )
    op.create_index(op.f('ix_ivc_status_list_issuer_id'), 'ivc_status_list', ['issuer_id'], unique=False)
    op.create_table('qrsp_skill_alignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('esco_uri', sa.String(length=300), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("origin IN ('import', 'classifier', 'person')", name=op.f('ck_qrsp_skill_alignment_origin')),
    sa.CheckConstraint("status IN ('suggested', 'confirmed', 'rejected')", name=op.f('ck_qrsp_skill_alignment_status')),
    sa.ForeignKeyConstraint(['competence_id'], ['qrsp_competence.id'], name=op.f('fk_qrsp_skill_alignment_competence_id_qrsp_competence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qrsp_skill_alignment')),
    sa.UniqueConstraint('competence_id', 'esco_uri', name=op.f('uq_qrsp_skill_alignment_competence_id_esco_uri'))
    )
    op.create_index(op.f('ix_qrsp_skill_alignment_competence_id'), 'qrsp_skill_alignment', ['competence_id'], unique=False)
    op.create_index(op.f('ix_qrsp_skill_alignment_esco_uri'), 'qrsp_skill_alignment', ['esco_uri'], unique=False)
    op.create_table('ivc_credential',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('certificate', 'validation')", name=op.f('ck_ivc_credential_kind')),
    sa.ForeignKeyConstraint(['claim_id'], ['ivc_claim.id'], name=op.f('fk_ivc_credential_claim_id_ivc_claim'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['ivc_document.id'], name=op.f('fk_ivc_credential_document_id_ivc_document'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issuer_id'], ['ivc_issuer.id'], name=op.f('fk_ivc_credential_issuer_id_ivc_issuer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['key_id'], ['ivc_issuer_key.id'], name=op.f('fk_ivc_credential_key_id_ivc_issuer_key'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['request_id'], ['ivc_request.id'], name=op.f('fk_ivc_credential_request_id_ivc_request'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['status_list_id'], ['ivc_status_list.id'], name=op.f('fk_ivc_credential_status_list_id_ivc_status_list'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_credential')),
    sa.UniqueConstraint('status_list_id', 'status_index', name=op.f('uq_ivc_credential_status_list_id_status_index'))
    )
    op.create_index(op.f('ix_ivc_credential_document_id'), 'ivc_credential', ['document_id'], unique=False)
    op.create_index(op.f('ix_ivc_credential_issuer_id'), 'ivc_credential', ['issuer_id'], unique=False)
    op.create_index(op.f('ix_ivc_credential_request_id'), 'ivc_credential', ['request_id'], unique=False)
    op.create_table('ivc_share_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['credential_id'], ['ivc_credential.id'], name=op.f('fk_ivc_share_link_credential_id_ivc_credential'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivc_share_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ivc_share_link_token_hash'))
    )
    op.create_index(op.f('ix_ivc_share_link_credential_id'), 'ivc_share_link', ['credential_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_ivc_share_link_credential_id'), table_name='ivc_share_link')
    op.drop_table('ivc_share_link')
    op.drop_index(op.f('ix_ivc_credential_request_id'), table_name='ivc_credential')
    op.drop_index(op.f('ix_ivc_credential_issuer_id'), table_name='ivc_credential')
    op.drop_index(op.f('ix_ivc_credential_document_id'), table_name='ivc_credential')
    op.drop_table('ivc_credential')
    op.drop_index(op.f('ix_qrsp_skill_alignment_esco_uri'), table_name='qrsp_skill_alignment')
    op.drop_index(op.f('ix_qrsp_skill_alignment_competence_id'), table_name='qrsp_skill_alignment')
    op.drop_table('qrsp_skill_alignment')
    op.drop_index(op.f('ix_ivc_status_list_issuer_id'), table_name='ivc_status_list')
    op.drop_table('ivc_status_list')
    op.drop_index(op.f('ix_ivc_move_request_id'), table_name='ivc_move')
    op.drop_table('ivc_move')
    op.drop_index(op.f('ix_ivc_issuer_key_issuer_id'), table_name='ivc_issuer_key')
    op.drop_table('ivc_issuer_key')
    op.drop_index(op.f('ix_ivc_experience_request_id'), table_name='ivc_experience')
    op.drop_table('ivc_experience')
    op.drop_index(op.f('ix_ivc_evidence_request_id'), table_name='ivc_evidence')
    op.drop_table('ivc_evidence')
    op.drop_index(op.f('ix_ivc_document_request_id'), table_name='ivc_document')
    op.drop_table('ivc_document')
    op.drop_index(op.f('ix_ivc_course_competence_course_id'), table_name='ivc_course_competence')
    op.drop_table('ivc_course_competence')
    op.drop_index(op.f('ix_ivc_claim_request_id'), table_name='ivc_claim')
    op.drop_table('ivc_claim')
    op.drop_index(op.f('ix_ivc_assignment_user_id'), table_name='ivc_assignment')
    op.drop_index(op.f('ix_ivc_assignment_request_id'), table_name='ivc_assignment')
    op.drop_table('ivc_assignment')
    op.drop_index(op.f('ix_qrsp_competence_profile_id'), table_name='qrsp_competence')
    op.drop_index(op.f('ix_qrsp_competence_code'), table_name='qrsp_competence')
    op.drop_table('qrsp_competence')
    op.drop_index(op.f('ix_ivc_request_titolare_org_id'), table_name='ivc_request')
    op.drop_index(op.f('ix_ivc_request_status'), table_name='ivc_request')
    op.drop_index(op.f('ix_ivc_request_provider_org_id'), table_name='ivc_request')
    op.drop_index(op.f('ix_ivc_request_profile_id'), table_name='ivc_request')
    op.drop_index(op.f('ix_ivc_request_person_user_id'), table_name='ivc_request')
    op.drop_table('ivc_request')
    op.drop_table('ivc_issuer')
    op.drop_index(op.f('ix_ivc_delegation_organisation_id'), table_name='ivc_delegation')
    op.drop_table('ivc_delegation')
    op.drop_table('ivc_assessor')
    op.drop_table('ivc_accreditation')
    op.drop_index(op.f('ix_qrsp_profile_sector_code'), table_name='qrsp_profile')
    op.drop_index(op.f('ix_qrsp_profile_code'), table_name='qrsp_profile')
    op.drop_table('qrsp_profile')
