"""stay tallies by workflow: a workflow's forecast reads its own cases' stays, not those of a state named alike

Revision ID: c1f4e7a9b3d2
Revises: a9d3f0c6b2e7
Create Date: 2026-11-30 18:05:00

stay_tallies gains the case's workflow, part of its unique key. The rows are recounted from the state visits
(the code's definition, casework.monitoring.summaries); the downgrade adds the workflows' counts together again.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1f4e7a9b3d2'
down_revision = 'a9d3f0c6b2e7'
branch_labels = None
depends_on = None

OLD_KEY = ('year', 'top_unit_id', 'state', 'next_state', 'days')


def upgrade():
    op.execute('DELETE FROM stay_tallies')  # recounted below, with their workflow
    with op.batch_alter_table('stay_tallies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow', sa.String(length=40), nullable=False))
        batch_op.drop_constraint('uq_stay_tallies_key', type_='unique')
        batch_op.create_unique_constraint('uq_stay_tallies_key', [*OLD_KEY, 'workflow'])
    from casework.monitoring.summaries import rebuild
    rebuild(op.get_bind(), only=('stay_tallies',))


def downgrade():
    conn = op.get_bind()
    keys = ', '.join(OLD_KEY)
    rows = [dict(row._mapping) for row in conn.execute(sa.text(
        f'SELECT {keys}, SUM(n) AS n FROM stay_tallies GROUP BY {keys}'))]
    op.execute('DELETE FROM stay_tallies')
    with op.batch_alter_table('stay_tallies', schema=None) as batch_op:
        batch_op.drop_constraint('uq_stay_tallies_key', type_='unique')
        batch_op.drop_column('workflow')
        batch_op.create_unique_constraint('uq_stay_tallies_key', list(OLD_KEY))
    if rows:
        table = sa.table('stay_tallies', *[sa.column(name) for name in (*OLD_KEY, 'n')])
        conn.execute(table.insert(), rows)
