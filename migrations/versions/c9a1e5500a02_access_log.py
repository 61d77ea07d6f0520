"""access log of personal data: who opened which case, task, document, printable or export

Revision ID: c9a1e5500a02
Revises: 66bb17427974
Create Date: 2026-11-30 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9a1e5500a02'
down_revision = '66bb17427974'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('accessed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('export_name', sa.String(length=60), nullable=True),
        sa.Column('scope_unit_id', sa.Integer(), nullable=False),
        sa.Column('scope_path', sa.String(length=400), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('face', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_access_log_case_id_cases')),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_access_log_document_id_documents')),
        sa.ForeignKeyConstraint(['scope_unit_id'], ['units.id'], name=op.f('fk_access_log_scope_unit_id_units')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_access_log_task_id_tasks')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_access_log_unit_id_units')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_log_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_accessed_at'), ['accessed_at'], unique=False)
        batch_op.create_index('ix_access_log_scope_path', ['scope_path'], unique=False,
                              postgresql_ops={'scope_path': 'varchar_pattern_ops'})
        batch_op.create_index('ix_access_log_case_at', ['case_id', 'accessed_at'], unique=False)
        batch_op.create_index('ix_access_log_user_at', ['user_id', 'accessed_at'], unique=False)


def downgrade():
    op.drop_table('access_log')
