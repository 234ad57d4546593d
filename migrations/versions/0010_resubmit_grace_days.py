"""resubmission window of returned reports

`agreements.resubmit_grace_days`: how many days after its return a returned report may still be
corrected and resubmitted, even once its period has locked (default 5).

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('resubmit_grace_days', sa.Integer(), nullable=False, server_default='5')
        )


def downgrade():
    # A plain DROP COLUMN (SQLite >= 3.35 has it): batch mode would copy and drop the agreements
    # table, which the foreign keys of a filled database forbid.
    op.drop_column('agreements', 'resubmit_grace_days')
