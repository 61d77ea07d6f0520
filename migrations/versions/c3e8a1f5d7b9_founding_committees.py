"""founding committees: which committee founds party organisations in an enterprise, set per unit by an
administrator (an enterprise, or every enterprise under a commune or zone committee); without a row the tree
decides (workflows/founding/committees.py)

Revision ID: c3e8a1f5d7b9
Revises: b6d1f3a8c2e5
Create Date: 2026-11-30 23:05:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3e8a1f5d7b9'
down_revision = 'b6d1f3a8c2e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'founding_committees',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('committee_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_founding_committees_unit_id_units'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['committee_id'], ['units.id'],
                                name=op.f('fk_founding_committees_committee_id_units'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_founding_committees')),
    )
    with op.batch_alter_table('founding_committees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_founding_committees_committee_id'), ['committee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('founding_committees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_founding_committees_committee_id'))
    op.drop_table('founding_committees')
