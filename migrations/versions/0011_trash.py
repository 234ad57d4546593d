"""recycle bin

Deleted records with their children, kept 30 days (tracker/trash), and the stored files they
reference (counted as referenced, so `tracker gc` keeps them while in the bin).

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02 06:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trash_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('agreement_label', sa.String(length=200), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_trash_items_deleted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['provinces.id'], name=op.f('fk_trash_items_province_id_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trash_items'))
    )
    with op.batch_alter_table('trash_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trash_items_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trash_items_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trash_items_deleted_by_id'), ['deleted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trash_items_province_id'), ['province_id'], unique=False)

    op.create_table('trash_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['trash_items.id'], name=op.f('fk_trash_files_item_id_trash_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trash_files'))
    )
    with op.batch_alter_table('trash_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trash_files_item_id'), ['item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('trash_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trash_files_item_id'))

    op.drop_table('trash_files')
    with op.batch_alter_table('trash_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trash_items_province_id'))
        batch_op.drop_index(batch_op.f('ix_trash_items_deleted_by_id'))
        batch_op.drop_index(batch_op.f('ix_trash_items_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_trash_items_agreement_id'))

    op.drop_table('trash_items')
