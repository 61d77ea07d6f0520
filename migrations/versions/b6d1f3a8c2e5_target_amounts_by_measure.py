"""monitoring_targets: one JSON map of the numbers a target sets, by measure, instead of a column per measure

The measures are those the workflows' packages declare (admission's admissions and business owners, founding's
new party organisations): the three columns' values move under their names; the downgrade puts them back (a
measure without a column of its own is lost there).

Revision ID: b6d1f3a8c2e5
Revises: f7c2a9d4e8b1
Create Date: 2026-11-30 23:10:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'b6d1f3a8c2e5'
down_revision = 'f7c2a9d4e8b1'
branch_labels = None
depends_on = None

MEASURE_COLUMNS = ('admissions', 'business_owners', 'new_party_orgs')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('monitoring_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amounts', JSON, server_default='{}', nullable=False))
    pairs = ', '.join(f"'{name}', {name}" for name in MEASURE_COLUMNS)
    build = 'jsonb_build_object' if op.get_bind().dialect.name == 'postgresql' else 'json_object'
    op.execute(f"UPDATE monitoring_targets SET amounts = {build}({pairs})")
    with op.batch_alter_table('monitoring_targets', schema=None) as batch_op:
        batch_op.alter_column('amounts', server_default=None, existing_type=JSON, existing_nullable=False)
        for name in MEASURE_COLUMNS:
            batch_op.drop_column(name)


def downgrade():
    with op.batch_alter_table('monitoring_targets', schema=None) as batch_op:
        for name in MEASURE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    for name in MEASURE_COLUMNS:
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f"UPDATE monitoring_targets SET {name} = COALESCE((amounts ->> '{name}')::integer, 0)")
        else:
            op.execute(f"UPDATE monitoring_targets SET {name} = COALESCE(json_extract(amounts, '$.{name}'), 0)")
    with op.batch_alter_table('monitoring_targets', schema=None) as batch_op:
        for name in MEASURE_COLUMNS:
            batch_op.alter_column(name, server_default=None, existing_type=sa.Integer(), existing_nullable=False)
        batch_op.drop_column('amounts')
