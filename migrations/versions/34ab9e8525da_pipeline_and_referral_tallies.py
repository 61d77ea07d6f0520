"""pipeline and referral tallies: cases per top and sub unit, state, source, ownership, business ownership and the
years they opened and closed; referrals per organisation and year (issue 4: the dashboard at national scale)

Revision ID: 34ab9e8525da
Revises: a012d6d4bd6a
Create Date: 2026-11-22 02:08:12.639715

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '34ab9e8525da'
down_revision = 'a012d6d4bd6a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referring_org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_tallies')),
    sa.UniqueConstraint('referring_org_id', 'year', name='uq_referral_tallies_key')
    )
    op.create_table('pipeline_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('top_unit_id', sa.Integer(), nullable=False),
    sa.Column('sub_unit_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('ownership', sa.String(length=32), nullable=False),
    sa.Column('business_owner', sa.Boolean(), nullable=False),
    sa.Column('opened_year', sa.Integer(), nullable=False),
    sa.Column('closed_year', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sub_unit_id'], ['units.id'], name=op.f('fk_pipeline_tallies_sub_unit_id_units')),
    sa.ForeignKeyConstraint(['top_unit_id'], ['units.id'], name=op.f('fk_pipeline_tallies_top_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_tallies')),
    sa.UniqueConstraint('top_unit_id', 'sub_unit_id', 'state', 'source', 'ownership', 'business_owner', 'opened_year', 'closed_year', name='uq_pipeline_tallies_key')
    )
    # An existing history is counted by f3b8c2d4e6a1 (generic cases), with the queries of the code that runs the
    # migrations: they read the cases' columns as that revision leaves them, not as they are here.


def downgrade():
    op.drop_table('pipeline_tallies')
    op.drop_table('referral_tallies')
