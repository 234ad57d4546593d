"""`tracker search reindex`: rebuild the search index from the records."""

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.search.index import reindex


@click.group("search")
def search_cli():
    """The global search."""


@search_cli.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index (after upgrading to it, or restoring a database)."""
    count = reindex(db.session)
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} records.")
