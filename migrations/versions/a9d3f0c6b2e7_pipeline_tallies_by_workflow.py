"""pipeline tallies by workflow: cases of every workflow are counted, and two workflows may name a state alike

Revision ID: a9d3f0c6b2e7
Revises: f3b8c2d4e6a1
Create Date: 2026-11-30 18:00:00

pipeline_tallies gains the case's workflow, part of its unique key, so the pipeline can be read for one workflow
(admission's forecast counts only its own open cases) and a state another workflow names alike is not merged
into it. The rows are recounted from the cases (the code's definition, casework.monitoring.summaries); the
downgrade adds the workflows' counts together again.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d3f0c6b2e7'
down_revision = 'f3b8c2d4e6a1'
branch_labels = None
depends_on = None

OLD_KEY = ('top_unit_id', 'sub_unit_id', 'state', 'source', 'ownership', 'business_owner', 'opened_year',
           'closed_year')


def upgrade():
    op.execute('DELETE FROM pipeline_tallies')  # recounted below, with their workflow
    with op.batch_alter_table('pipeline_tallies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workflow', sa.String(length=40), nullable=False))
        batch_op.drop_constraint('uq_pipeline_tallies_key', type_='unique')
        batch_op.create_unique_constraint('uq_pipeline_tallies_key', [*OLD_KEY, 'workflow'])
    from casework.monitoring.summaries import rebuild
    rebuild(op.get_bind(), only=('pipeline_tallies',))


def downgrade():
    conn = op.get_bind()
    keys = ', '.join(OLD_KEY)
    rows = [dict(row._mapping) for row in conn.execute(sa.text(
        f'SELECT {keys}, SUM(n) AS n FROM pipeline_tallies GROUP BY {keys}'))]
    op.execute('DELETE FROM pipeline_tallies')
    with op.batch_alter_table('pipeline_tallies', schema=None) as batch_op:
        batch_op.drop_constraint('uq_pipeline_tallies_key', type_='unique')
        batch_op.drop_column('workflow')
        batch_op.create_unique_constraint('uq_pipeline_tallies_key', list(OLD_KEY))
    if rows:
        table = sa.table('pipeline_tallies', *[sa.column(name) for name in (*OLD_KEY, 'n')])
        conn.execute(table.insert(), rows)
