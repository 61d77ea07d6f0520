"""tasks: an index on who completed a task and when, for the inbox's "recently done by me" queue

Revision ID: f7c2a9d4e8b1
Revises: e5a7c3f9b1d4
Create Date: 2026-11-30 21:10:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f7c2a9d4e8b1'
down_revision = 'e5a7c3f9b1d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_completed_by', ['completed_by_id', 'completed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_completed_by')
