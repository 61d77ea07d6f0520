"""reply tallies: background-check replies per top unit, residential committee, year and working days
(issue 4: the slowest committees at national scale)

Revision ID: 469efc3cf435
Revises: 34ab9e8525da
Create Date: 2026-11-22 02:16:44.245470

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '469efc3cf435'
down_revision = '34ab9e8525da'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('top_unit_id', sa.Integer(), nullable=False),
    sa.Column('committee_unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['committee_unit_id'], ['units.id'], name=op.f('fk_reply_tallies_committee_unit_id_units')),
    sa.ForeignKeyConstraint(['top_unit_id'], ['units.id'], name=op.f('fk_reply_tallies_top_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_tallies')),
    sa.UniqueConstraint('year', 'top_unit_id', 'committee_unit_id', 'working_days', name='uq_reply_tallies_key')
    )
    with op.batch_alter_table('reply_tallies', schema=None) as batch_op:
        batch_op.create_index('ix_reply_tallies_committee', ['year', 'committee_unit_id', 'working_days'],
                              unique=False, postgresql_include=['n', 'top_unit_id'])
    from casework.monitoring.summaries import rebuild
    rebuild(op.get_bind(), only=('reply_tallies',))


def downgrade():
    op.drop_table('reply_tallies')
