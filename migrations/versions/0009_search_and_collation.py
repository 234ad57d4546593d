"""search documents and the Vietnamese collation

The global search (tracker/search): one row per searchable record in `search_documents`, its
text folded by tracker.text.fold (case, diacritics, đ → d), with the database's own index over
it: on PostgreSQL a weighted full-text GIN index and a trigram GIN index (pg_trgm), on SQLite an
FTS5 table kept in step with the rows by triggers. The rows are written by the session hook in
tracker/search/index.py whenever a searchable record changes; the records that exist before this
upgrade are indexed by `tracker search reindex` (the folding is Python's, so a migration cannot
do it: run the command once after upgrading).

PostgreSQL also gets the ICU collation `vi` (Vietnamese alphabetical order) that
tracker/collation.py sorts names with; SQLite registers its own on each connection.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 06:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: The weighted text vector the PostgreSQL index holds; tracker/search/backends.py queries the
#: very same expression (PostgreSQL uses an expression index only for an identical expression).
PG_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, title_folded), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_folded), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, context_folded), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, place_folded), 'D')"
)
COLUMNS = "title_folded, body_folded, context_folded, place_folded"
OLD = "old.title_folded, old.body_folded, old.context_folded, old.place_folded"
NEW = "new.title_folded, new.body_folded, new.context_folded, new.place_folded"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE COLLATION IF NOT EXISTS vi (provider = icu, locale = 'vi')")
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('title_folded', sa.Text(), nullable=False),
    sa.Column('body_folded', sa.Text(), nullable=False),
    sa.Column('context_folded', sa.Text(), nullable=False),
    sa.Column('place_folded', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_search_documents_agreement_id_agreements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('kind', 'record_id', name=op.f('uq_search_documents_kind_record_id'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_agreement_id'), ['agreement_id'], unique=False)

    if dialect == 'postgresql':
        op.execute(
            f"CREATE INDEX ix_search_documents_fts ON search_documents USING gin (({PG_VECTOR}))"
        )
        op.execute(
            "CREATE INDEX ix_search_documents_trgm ON search_documents "
            "USING gin (title_folded gin_trgm_ops)"
        )
    elif dialect == 'sqlite':
        # External content: the text lives once, in search_documents; the triggers keep the
        # index in step with every insert, update and delete (a cascade from agreements too).
        op.execute(
            f"CREATE VIRTUAL TABLE search_fts USING fts5({COLUMNS}, "
            "content='search_documents', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
            f"INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
            f"INSERT INTO search_fts(search_fts, rowid, {COLUMNS}) "
            f"VALUES ('delete', old.id, {OLD}); END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
            f"INSERT INTO search_fts(search_fts, rowid, {COLUMNS}) "
            f"VALUES ('delete', old.id, {OLD}); "
            f"INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('search_documents_ai', 'search_documents_ad', 'search_documents_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_search_documents_trgm")
        op.execute("DROP INDEX IF EXISTS ix_search_documents_fts")
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_documents_agreement_id'))

    op.drop_table('search_documents')
    if dialect == 'postgresql':
        # The extension stays: other database objects may use it; the collation is ours.
        op.execute("DROP COLLATION IF EXISTS vi")
