"""tallies: stays per top unit, state, next state, year and whole days; admissions per cell, referring
organisation, year and business ownership (issue 4: the dashboard at national scale)

Revision ID: a012d6d4bd6a
Revises: b4d9e3f1a7c2
Create Date: 2026-11-22 01:59:03.930892

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a012d6d4bd6a'
down_revision = 'b4d9e3f1a7c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admission_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owning_cell_id', sa.Integer(), nullable=False),
    sa.Column('referring_org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('business_owner', sa.Boolean(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owning_cell_id'], ['units.id'], name=op.f('fk_admission_tallies_owning_cell_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_tallies')),
    sa.UniqueConstraint('year', 'owning_cell_id', 'referring_org_id', 'business_owner', name='uq_admission_tallies_key')
    )
    op.create_table('stay_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('top_unit_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('next_state', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['top_unit_id'], ['units.id'], name=op.f('fk_stay_tallies_top_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stay_tallies')),
    sa.UniqueConstraint('year', 'top_unit_id', 'state', 'next_state', 'days', name='uq_stay_tallies_key')
    )
    # An existing history is counted by f3b8c2d4e6a1 (generic cases), with the queries of the code that runs the
    # migrations: they read the cases' columns as that revision leaves them, not as they are here.


def downgrade():
    op.drop_table('stay_tallies')
    op.drop_table('admission_tallies')
