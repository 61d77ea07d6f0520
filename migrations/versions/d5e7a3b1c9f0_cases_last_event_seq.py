"""cases.last_event_seq: the number of a case's last event, so a step numbers its event without max(seq)

Revision ID: d5e7a3b1c9f0
Revises: a7673c507871, c9a1e5500a01, c9a1e5500a02
Create Date: 2026-11-30 15:50:00

Filled from the history (max(events.seq) per case); it also joins the three heads.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e7a3b1c9f0'
down_revision = ('a7673c507871', 'c9a1e5500a01', 'c9a1e5500a02')
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_event_seq', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE cases SET last_event_seq = COALESCE("
               "(SELECT max(events.seq) FROM events WHERE events.case_id = cases.id), 0)")


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('last_event_seq')
