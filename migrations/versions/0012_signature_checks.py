"""signature checks and trust anchors

The check of each stored PDF's digital signatures (one row per file content) and the CA
certificates (trust anchors) the checks are made against (tracker/signatures). PDFs stored before
this revision are checked by `tracker signatures recheck`.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 10:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signature_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('unsigned', 'valid', 'untrusted', 'expired', 'revoked', 'modified', 'invalid', name='signaturestatus', native_enum=False, length=24), nullable=False),
    sa.Column('signatures', sa.JSON(), nullable=False),
    sa.Column('problem', sa.String(length=24), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anchors_fingerprint', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_checks')),
    sa.UniqueConstraint('sha256', name=op.f('uq_signature_checks_sha256'))
    )
    op.create_table('trust_anchors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_trust_anchors_added_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_anchors')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_trust_anchors_fingerprint'))
    )


def downgrade():
    op.drop_table('trust_anchors')
    op.drop_table('signature_checks')
