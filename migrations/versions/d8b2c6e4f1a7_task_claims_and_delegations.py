"""who is on it: a task's claimant, delegations ("acting for") and the absent person an event's actor stood in for

Revision ID: d8b2c6e4f1a7
Revises: c1f4e7a9b3d2
Create Date: 2026-11-30 19:40:00

Tasks gain claimed_by_id and claimed_at (nobody claimed the tasks written before); events gain acting_for_id
(nobody acted for anyone before); delegations is new and empty.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd8b2c6e4f1a7'
down_revision = 'c1f4e7a9b3d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'delegations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delegator_id', sa.Integer(), nullable=False),
        sa.Column('delegate_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], name=op.f('fk_delegations_delegate_id_users')),
        sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], name=op.f('fk_delegations_delegator_id_users')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_delegations_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations')),
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index('ix_delegations_delegate', ['delegate_id', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_delegator_id'), ['delegator_id'], unique=False)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tasks_claimed_by_id_users'), 'users', ['claimed_by_id'], ['id'])
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acting_for_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_events_acting_for_id_users'), 'users', ['acting_for_id'], ['id'])


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_acting_for_id_users'), type_='foreignkey')
        batch_op.drop_column('acting_for_id')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tasks_claimed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_delegator_id'))
        batch_op.drop_index('ix_delegations_delegate')
    op.drop_table('delegations')
