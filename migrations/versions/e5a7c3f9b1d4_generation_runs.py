"""generation runs: the record of each casework generate and its written batches, so an interrupted run continues

Revision ID: e5a7c3f9b1d4
Revises: d8b2c6e4f1a7
Create Date: 2026-11-30 19:50:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'e5a7c3f9b1d4'
down_revision = 'd8b2c6e4f1a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'generation_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seed', sa.BigInteger(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('batch_size', sa.Integer(), nullable=False),
        sa.Column('today', sa.Date(), nullable=False),
        sa.Column('plan', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_generation_runs')),
    )
    op.create_table(
        'generation_batches',
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('batch', sa.Integer(), nullable=False),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['generation_runs.id'],
                                name=op.f('fk_generation_batches_run_id_generation_runs')),
        sa.PrimaryKeyConstraint('run_id', 'batch', name=op.f('pk_generation_batches')),
    )


def downgrade():
    op.drop_table('generation_batches')
    op.drop_table('generation_runs')
