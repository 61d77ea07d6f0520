"""login throttles

Revision ID: 7c1e5a2b9d40
Revises: 46dc4095f145
Create Date: 2026-11-21 23:52:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5a2b9d40'
down_revision = '46dc4095f145'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username_key', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
    sa.UniqueConstraint('username_key', name=op.f('uq_login_throttles_username_key'))
    )


def downgrade():
    op.drop_table('login_throttles')
