"""open task indexes: partial indexes over open tasks for the overdue heat map and awaited replies (issue 4)

Revision ID: e069a1e5e94c
Revises: 469efc3cf435
Create Date: 2026-11-22 02:23:51.912165

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e069a1e5e94c'
down_revision = '469efc3cf435'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_open_due', ['due_date'], unique=False, postgresql_include=['case_id', 'state'], postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_tasks_open_kind', ['kind', 'unit_id'], unique=False, postgresql_include=['case_id', 'created_at', 'due_date'], postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))



def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_open_kind', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_tasks_open_due', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

