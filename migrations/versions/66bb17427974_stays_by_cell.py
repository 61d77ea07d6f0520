"""stays by cell: state visits indexed by owning cell and end, for drill-downs below the top units (issue 4)

Revision ID: 66bb17427974
Revises: e069a1e5e94c
Create Date: 2026-11-22 02:31:20.392843

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66bb17427974'
down_revision = 'e069a1e5e94c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('state_visits', schema=None) as batch_op:
        batch_op.create_index('ix_state_visits_cell_left', ['owning_cell_id', 'left_at'], unique=False)



def downgrade():
    with op.batch_alter_table('state_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_state_visits_cell_left')

