"""generic cases: the subject (subject_id, subject_key, title) and the key dates as data (cases.dates)

Revision ID: f3b8c2d4e6a1
Revises: d5e7a3b1c9f0
Create Date: 2026-11-30 17:40:00

A case's subject lives in its workflow's own table (admission's candidates), so the core keeps no foreign key to
it: cases.candidate_id becomes cases.subject_id (indexed), cases.open_national_id becomes cases.subject_key,
unique together with the workflow (a second open case of the same workflow for the same subject is refused),
and cases.title holds the subject's display name, filled from candidates.full_name.

The key dates a workflow declares (its definition's `dates:`) move from seven typed columns (admission's) into
one JSON map, cases.dates (name -> ISO date, unset dates left out); the downgrade puts them back.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f3b8c2d4e6a1'
down_revision = 'd5e7a3b1c9f0'
branch_labels = None
depends_on = None

# The columns admission's key dates had; cases.dates keeps them under the same names.
DATE_COLUMNS = ('referral_date', 'certificate_date', 'cell_vote_date', 'decision_date', 'ceremony_date',
                'probation_ends', 'official_since')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _sqlite_foreign_keys(on):
    """SQLite's batch mode copies cases into a new table and drops the old one, which the rows of events, tasks
    and documents refer to: the check waits until the table is back (the PRAGMA is ignored inside a transaction,
    where the tables are new and empty anyway)."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _dates_into_json():
    """One UPDATE: each date column's ISO text under its name, the unset ones left out."""
    if op.get_bind().dialect.name == 'postgresql':
        pairs = ', '.join(f"'{name}', to_char({name}, 'YYYY-MM-DD')" for name in DATE_COLUMNS)
        op.execute(f"UPDATE cases SET dates = jsonb_strip_nulls(jsonb_build_object({pairs}))")
    else:  # SQLite keeps dates as ISO text; a JSON merge patch drops the keys whose value is null
        pairs = ', '.join(f"'{name}', {name}" for name in DATE_COLUMNS)
        op.execute(f"UPDATE cases SET dates = json_patch('{{}}', json_object({pairs}))")


def _dates_from_json():
    for name in DATE_COLUMNS:
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"UPDATE cases SET {name} = (dates ->> '{name}')::date")
        else:
            op.execute(f"UPDATE cases SET {name} = json_extract(dates, '$.{name}')")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_candidate_id_candidates', type_='foreignkey')
        batch_op.drop_constraint('uq_cases_open_national_id', type_='unique')
        batch_op.drop_index('ix_cases_candidate_id')
        batch_op.alter_column('candidate_id', new_column_name='subject_id', existing_type=sa.Integer(),
                              existing_nullable=False)
        batch_op.alter_column('open_national_id', new_column_name='subject_key', existing_type=sa.String(20),
                              type_=sa.String(64), existing_nullable=True)
        batch_op.add_column(sa.Column('title', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_subject_id', ['subject_id'], unique=False)
        batch_op.create_unique_constraint('uq_cases_workflow_subject_key', ['workflow', 'subject_key'])
    op.execute("UPDATE cases SET title = (SELECT candidates.full_name FROM candidates "
               "WHERE candidates.id = cases.subject_id) WHERE workflow = 'admission'")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dates', JSON, server_default='{}', nullable=False))
    _dates_into_json()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('title', server_default=None, existing_type=sa.String(200), existing_nullable=False)
        batch_op.alter_column('dates', server_default=None, existing_type=JSON, existing_nullable=False)
        for name in DATE_COLUMNS:
            batch_op.drop_column(name)
    # The tallies the earlier revisions created are counted here, once the cases read as the code reads them
    # (those revisions leave the counting to this one); the pipeline's by a9d3f0c6b2e7 and the stays' by
    # c1f4e7a9b3d2, once they have their workflow.
    from casework.monitoring.summaries import rebuild
    rebuild(op.get_bind(), only=('admission_tallies', 'referral_tallies'))
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name in DATE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
    _dates_from_json()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('dates')
        batch_op.drop_constraint('uq_cases_workflow_subject_key', type_='unique')
        batch_op.drop_index('ix_cases_subject_id')
        batch_op.drop_column('title')
        batch_op.alter_column('subject_id', new_column_name='candidate_id', existing_type=sa.Integer(),
                              existing_nullable=False)
        batch_op.alter_column('subject_key', new_column_name='open_national_id', existing_type=sa.String(64),
                              type_=sa.String(20), existing_nullable=True)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_candidate_id', ['candidate_id'], unique=False)
        batch_op.create_unique_constraint('uq_cases_open_national_id', ['open_national_id'])
        batch_op.create_foreign_key('fk_cases_candidate_id_candidates', 'candidates', ['candidate_id'], ['id'])
    _sqlite_foreign_keys(True)
