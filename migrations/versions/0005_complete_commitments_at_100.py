"""complete commitments are 100 % done

A commitment assessed complete counts as 100 % done (tracker.agreements.models.Commitment
validates it from now on); rows recorded before, e.g. imported with only the assessment, are
brought in line. Nothing to undo: the old percentage of a complete commitment meant nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE commitments SET percent_complete = 100 "
        "WHERE completion = 'complete' AND percent_complete <> 100"
    )


def downgrade():
    pass
