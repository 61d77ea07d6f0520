"""monitoring: state visits, targets, party organisations founded, working calendar, monitoring indexes

Revision ID: b4d9e3f1a7c2
Revises: 46dc4095f145
Create Date: 2026-11-21 23:58:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d9e3f1a7c2'
down_revision = '46dc4095f145'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('state_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('owning_cell_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('entered_seq', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_seq', sa.Integer(), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_state', sa.String(length=40), nullable=True),
    sa.Column('days', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_state_visits_case_id_cases')),
    sa.ForeignKeyConstraint(['owning_cell_id'], ['units.id'], name=op.f('fk_state_visits_owning_cell_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_state_visits')),
    sa.UniqueConstraint('case_id', 'entered_seq', name='uq_state_visits_case_seq')
    )
    with op.batch_alter_table('state_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_state_visits_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_state_visits_left', ['left_at', 'state'], unique=False,
                              postgresql_include=['days', 'owning_cell_id', 'next_state'])
        batch_op.create_index('ix_state_visits_entered', ['state', 'entered_at'], unique=False)

    op.create_table('monitoring_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year_from', sa.Integer(), nullable=False),
    sa.Column('year_to', sa.Integer(), nullable=False),
    sa.Column('admissions', sa.Integer(), nullable=False),
    sa.Column('business_owners', sa.Integer(), nullable=False),
    sa.Column('new_party_orgs', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_monitoring_targets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_targets')),
    sa.UniqueConstraint('unit_id', 'year_from', 'year_to', name='uq_monitoring_targets_span')
    )
    with op.batch_alter_table('monitoring_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_targets_unit_id'), ['unit_id'], unique=False)

    op.create_table('party_org_foundings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('founded_on', sa.Date(), nullable=False),
    sa.Column('ownership', sa.String(length=32), nullable=False),
    sa.Column('decision_number', sa.String(length=50), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['units.id'], name=op.f('fk_party_org_foundings_decided_by_id_units')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['units.id'], name=op.f('fk_party_org_foundings_enterprise_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_org_foundings'))
    )
    with op.batch_alter_table('party_org_foundings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_org_foundings_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_org_foundings_founded_on'), ['founded_on'], unique=False)

    op.create_table('working_calendar',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_working_calendar'))
    )

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_status_due', ['status', 'due_date'], unique=False)
        batch_op.create_index('ix_tasks_kind_completed', ['kind', 'completed_at'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_open_since', ['state_entered_at'], unique=False,
                              postgresql_where=sa.text('closed_on IS NULL'), sqlite_where=sa.text('closed_on IS NULL'))

    # Cases that existed before this migration get their visits from their history.
    _backfill_visits()


def _backfill_visits():
    from casework.monitoring.visits import backfill_sql
    op.execute(backfill_sql(op.get_bind().dialect.name))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_since')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_kind_completed')
        batch_op.drop_index('ix_tasks_status_due')
    op.drop_table('working_calendar')
    op.drop_table('party_org_foundings')
    op.drop_table('monitoring_targets')
    op.drop_table('state_visits')
