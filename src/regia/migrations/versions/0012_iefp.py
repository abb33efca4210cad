"""iefp: figures, centres, paths, placements, training plans, matching (issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: the iefp domain's tables (regia.iefp.models)."""
    op.create_table('iefp_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_figure')),
    sa.UniqueConstraint('code', name=op.f('uq_iefp_figure_code'))
    )
    op.create_table('iefp_import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('file', sa.String(length=500), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_import_run'))
    )
    with op.batch_alter_table('iefp_import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_import_run_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('iefp_matching_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.String(length=7), nullable=False),
    sa.Column('nuts3', sa.String(length=5), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('instance', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('run_by', sa.String(length=60), nullable=False),
    sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('deferred_acceptance', 'fit_score')", name=op.f('ck_iefp_matching_run_mode')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_matching_run'))
    )
    with op.batch_alter_table('iefp_matching_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_matching_run_school_year'), ['school_year'], unique=False)

    op.create_table('iefp_centre',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('accreditation_code', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_iefp_centre_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_centre')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_iefp_centre_organisation_id'))
    )
    op.create_table('iefp_figure_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('figure_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('eqf_level', sa.Integer(), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('ateco', sa.JSON(), nullable=False),
    sa.Column('cp2011', sa.JSON(), nullable=False),
    sa.Column('esco_occupations', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('qualifica', 'diploma')", name=op.f('ck_iefp_figure_version_kind')),
    sa.ForeignKeyConstraint(['figure_id'], ['iefp_figure.id'], name=op.f('fk_iefp_figure_version_figure_id_iefp_figure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_figure_version')),
    sa.UniqueConstraint('figure_id', 'number', name=op.f('uq_iefp_figure_version_figure_id_number'))
    )
    with op.batch_alter_table('iefp_figure_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_figure_version_figure_id'), ['figure_id'], unique=False)

    op.create_table('iefp_figure_competence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('esco_skills', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('base', 'common', 'specific')", name=op.f('ck_iefp_figure_competence_kind')),
    sa.ForeignKeyConstraint(['version_id'], ['iefp_figure_version.id'], name=op.f('fk_iefp_figure_competence_version_id_iefp_figure_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_figure_competence')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_iefp_figure_competence_version_id_code'))
    )
    with op.batch_alter_table('iefp_figure_competence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_figure_competence_version_id'), ['version_id'], unique=False)

    op.create_table('iefp_place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('figure_id', sa.Integer(), nullable=False),
    sa.Column('figure_version_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('comune', sa.String(length=6), nullable=False),
    sa.Column('nuts3', sa.String(length=5), nullable=False),
    sa.Column('ateco', sa.String(length=8), nullable=False),
    sa.Column('school_year', sa.String(length=7), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('hours_per_year', sa.Integer(), nullable=False),
    sa.Column('weekly_hours', sa.Integer(), nullable=False),
    sa.Column('company_tutor', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('alternanza', 'tirocinio', 'apprendistato')", name=op.f('ck_iefp_place_kind')),
    sa.CheckConstraint("status IN ('draft', 'published', 'closed')", name=op.f('ck_iefp_place_status')),
    sa.CheckConstraint('seats >= 0', name=op.f('ck_iefp_place_seats')),
    sa.ForeignKeyConstraint(['figure_id'], ['iefp_figure.id'], name=op.f('fk_iefp_place_figure_id_iefp_figure'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['figure_version_id'], ['iefp_figure_version.id'], name=op.f('fk_iefp_place_figure_version_id_iefp_figure_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_iefp_place_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_place'))
    )
    with op.batch_alter_table('iefp_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_place_figure_id'), ['figure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_place_nuts3'), ['nuts3'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_place_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_place_school_year'), ['school_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_place_status'), ['status'], unique=False)

    op.create_table('iefp_seat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('comune', sa.String(length=6), nullable=False),
    sa.Column('nuts3', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['iefp_centre.id'], name=op.f('fk_iefp_seat_centre_id_iefp_centre'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_seat')),
    sa.UniqueConstraint('centre_id', 'name', name=op.f('uq_iefp_seat_centre_id_name'))
    )
    with op.batch_alter_table('iefp_seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_seat_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_seat_nuts3'), ['nuts3'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_seat_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('iefp_path',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('figure_id', sa.Integer(), nullable=False),
    sa.Column('figure_version_id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.String(length=7), nullable=False),
    sa.Column('year_of_course', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=10), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('enrolled', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('places >= 0 AND enrolled >= 0', name=op.f('ck_iefp_path_counts')),
    sa.CheckConstraint('year_of_course BETWEEN 1 AND 4', name=op.f('ck_iefp_path_year_of_course')),
    sa.ForeignKeyConstraint(['figure_id'], ['iefp_figure.id'], name=op.f('fk_iefp_path_figure_id_iefp_figure'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['figure_version_id'], ['iefp_figure_version.id'], name=op.f('fk_iefp_path_figure_version_id_iefp_figure_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_iefp_path_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['seat_id'], ['iefp_seat.id'], name=op.f('fk_iefp_path_seat_id_iefp_seat'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_path')),
    sa.UniqueConstraint('seat_id', 'figure_id', 'school_year', 'year_of_course', 'section', name=op.f('uq_iefp_path_seat_id_figure_id_school_year_year_of_course_section'))
    )
    with op.batch_alter_table('iefp_path', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_path_figure_id'), ['figure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_path_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_path_school_year'), ['school_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_path_seat_id'), ['seat_id'], unique=False)

    op.create_table('iefp_student',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=12), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('comune', sa.String(length=6), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_by', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_iefp_student_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['path_id'], ['iefp_path.id'], name=op.f('fk_iefp_student_path_id_iefp_path'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_student')),
    sa.UniqueConstraint('label', name=op.f('uq_iefp_student_label')),
    sa.UniqueConstraint('pseudonym', name=op.f('uq_iefp_student_pseudonym'))
    )
    with op.batch_alter_table('iefp_student', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_student_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_student_path_id'), ['path_id'], unique=False)

    op.create_table('iefp_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['iefp_place.id'], name=op.f('fk_iefp_assignment_place_id_iefp_place'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['iefp_matching_run.id'], name=op.f('fk_iefp_assignment_run_id_iefp_matching_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['iefp_student.id'], name=op.f('fk_iefp_assignment_student_id_iefp_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_assignment')),
    sa.UniqueConstraint('run_id', 'student_id', name=op.f('uq_iefp_assignment_run_id_student_id'))
    )
    with op.batch_alter_table('iefp_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_assignment_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_assignment_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_assignment_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_assignment_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_assignment_student_id'), ['student_id'], unique=False)

    op.create_table('iefp_candidacy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('student_rank', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_by', sa.String(length=60), nullable=False),
    sa.Column('firm_rank', sa.Integer(), nullable=True),
    sa.Column('ranked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('firm_rank IS NULL OR firm_rank >= 1', name=op.f('ck_iefp_candidacy_firm_rank')),
    sa.CheckConstraint('student_rank IS NULL OR student_rank >= 1', name=op.f('ck_iefp_candidacy_student_rank')),
    sa.ForeignKeyConstraint(['place_id'], ['iefp_place.id'], name=op.f('fk_iefp_candidacy_place_id_iefp_place'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['iefp_student.id'], name=op.f('fk_iefp_candidacy_student_id_iefp_student'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_candidacy')),
    sa.UniqueConstraint('place_id', 'student_id', name=op.f('uq_iefp_candidacy_place_id_student_id'))
    )
    with op.batch_alter_table('iefp_candidacy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_candidacy_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_candidacy_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_candidacy_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_candidacy_student_id'), ['student_id'], unique=False)

    op.create_table('iefp_placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('figure_version_id', sa.Integer(), nullable=False),
    sa.Column('nuts3', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('contract_started_at', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=15), nullable=True),
    sa.Column('outcome_at', sa.Date(), nullable=True),
    sa.Column('hired_after', sa.Boolean(), nullable=True),
    sa.Column('hired_source', sa.String(length=10), nullable=True),
    sa.Column('hired_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("hired_source IS NULL OR hired_source IN ('co', 'declared')", name=op.f('ck_iefp_placement_hired_source')),
    sa.CheckConstraint("kind IN ('alternanza', 'tirocinio', 'apprendistato')", name=op.f('ck_iefp_placement_kind')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('qualified', 'not_qualified', 'withdrawn')", name=op.f('ck_iefp_placement_outcome')),
    sa.CheckConstraint("status IN ('planned', 'active', 'completed', 'withdrawn')", name=op.f('ck_iefp_placement_status')),
    sa.ForeignKeyConstraint(['assignment_id'], ['iefp_assignment.id'], name=op.f('fk_iefp_placement_assignment_id_iefp_assignment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['figure_version_id'], ['iefp_figure_version.id'], name=op.f('fk_iefp_placement_figure_version_id_iefp_figure_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['place_id'], ['iefp_place.id'], name=op.f('fk_iefp_placement_place_id_iefp_place'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['student_id'], ['iefp_student.id'], name=op.f('fk_iefp_placement_student_id_iefp_student'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_placement')),
    sa.UniqueConstraint('place_id', 'student_id', name=op.f('uq_iefp_placement_place_id_student_id'))
    )
    with op.batch_alter_table('iefp_placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_placement_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_placement_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_placement_nuts3'), ['nuts3'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_placement_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_iefp_placement_student_id'), ['student_id'], unique=False)

    op.create_table('iefp_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('hours_work_done', sa.Integer(), nullable=False),
    sa.Column('hours_centre_done', sa.Integer(), nullable=False),
    sa.Column('competences_acquired', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by', sa.String(length=60), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['iefp_placement.id'], name=op.f('fk_iefp_progress_placement_id_iefp_placement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_progress')),
    sa.UniqueConstraint('placement_id', 'period', name=op.f('uq_iefp_progress_placement_id_period'))
    )
    with op.batch_alter_table('iefp_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_iefp_progress_placement_id'), ['placement_id'], unique=False)

    op.create_table('iefp_training_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('figure_version_id', sa.Integer(), nullable=False),
    sa.Column('school_year', sa.String(length=7), nullable=False),
    sa.Column('year_of_course', sa.Integer(), nullable=False),
    sa.Column('hours_work', sa.Integer(), nullable=False),
    sa.Column('hours_centre', sa.Integer(), nullable=False),
    sa.Column('weekly_hours_work', sa.Integer(), nullable=False),
    sa.Column('competences', sa.JSON(), nullable=False),
    sa.Column('tutor_company', sa.String(length=200), nullable=False),
    sa.Column('tutor_centre', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f('ck_iefp_training_plan_status')),
    sa.ForeignKeyConstraint(['figure_version_id'], ['iefp_figure_version.id'], name=op.f('fk_iefp_training_plan_figure_version_id_iefp_figure_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['placement_id'], ['iefp_placement.id'], name=op.f('fk_iefp_training_plan_placement_id_iefp_placement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iefp_training_plan')),
    sa.UniqueConstraint('placement_id', name=op.f('uq_iefp_training_plan_placement_id'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('iefp_training_plan')
    with op.batch_alter_table('iefp_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_progress_placement_id'))

    op.drop_table('iefp_progress')
    with op.batch_alter_table('iefp_placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_placement_student_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_placement_place_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_placement_nuts3'))
        batch_op.drop_index(batch_op.f('ix_iefp_placement_firm_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_placement_centre_id'))

    op.drop_table('iefp_placement')
    with op.batch_alter_table('iefp_candidacy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_candidacy_student_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_candidacy_place_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_candidacy_firm_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_candidacy_centre_id'))

    op.drop_table('iefp_candidacy')
    with op.batch_alter_table('iefp_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_assignment_student_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_assignment_run_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_assignment_place_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_assignment_firm_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_assignment_centre_id'))

    op.drop_table('iefp_assignment')
    with op.batch_alter_table('iefp_student', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_student_path_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_student_organisation_id'))

    op.drop_table('iefp_student')
    with op.batch_alter_table('iefp_path', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_path_seat_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_path_school_year'))
        batch_op.drop_index(batch_op.f('ix_iefp_path_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_path_figure_id'))

    op.drop_table('iefp_path')
    with op.batch_alter_table('iefp_seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_seat_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_seat_nuts3'))
        batch_op.drop_index(batch_op.f('ix_iefp_seat_centre_id'))

    op.drop_table('iefp_seat')
    with op.batch_alter_table('iefp_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_place_status'))
        batch_op.drop_index(batch_op.f('ix_iefp_place_school_year'))
        batch_op.drop_index(batch_op.f('ix_iefp_place_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_iefp_place_nuts3'))
        batch_op.drop_index(batch_op.f('ix_iefp_place_figure_id'))

    op.drop_table('iefp_place')
    with op.batch_alter_table('iefp_figure_competence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_figure_competence_version_id'))

    op.drop_table('iefp_figure_competence')
    with op.batch_alter_table('iefp_figure_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_figure_version_figure_id'))

    op.drop_table('iefp_figure_version')
    op.drop_table('iefp_centre')
    with op.batch_alter_table('iefp_matching_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_matching_run_school_year'))

    op.drop_table('iefp_matching_run')
    with op.batch_alter_table('iefp_import_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_iefp_import_run_file_sha256'))

    op.drop_table('iefp_import_run')
    op.drop_table('iefp_figure')
