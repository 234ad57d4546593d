"""`tracker trust add|list|remove` and `tracker signatures recheck`: the trust anchors and the
signature checks from the command line, through the same services as /admin/trust-anchors."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker import storage
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.i18n import fmt_date
from tracker.signatures import services as signatures


@click.group("trust")
def trust_cli():
    """Trust anchors: the CA certificates signatures are checked against."""


@trust_cli.command("add")
@click.argument("pem_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def trust_add_command(pem_file):
    """Trust the CA certificate in PEM_FILE (PEM), then check the signed files again."""
    with pem_file.open("rb") as fh:
        data = fh.read(signatures.MAX_ANCHOR_BYTES + 1)
    try:
        anchor = signatures.add_anchor(data, user=None)
    except InvalidValue as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"Added trust anchor {anchor.subject} (SHA-256 {anchor.fingerprint}).")


@trust_cli.command("list")
@with_appcontext
def trust_list_command():
    """List the trust anchors: fingerprint, expiry, subject."""
    anchors = signatures.anchors()
    for anchor in anchors:
        click.echo(f"{anchor.fingerprint}  {fmt_date(anchor.not_after)}  {anchor.subject}")
    if not anchors:
        click.echo("No trust anchor: every signature is 'issuing authority not established'.")


@trust_cli.command("remove")
@click.argument("fingerprint")
@with_appcontext
def trust_remove_command(fingerprint):
    """Stop trusting the anchor with this SHA-256 FINGERPRINT (hex, as `trust list` shows)."""
    wanted = fingerprint.lower().replace(":", "")
    anchor = next((a for a in signatures.anchors() if a.fingerprint == wanted), None)
    if anchor is None:
        raise click.ClickException(f"no trust anchor with fingerprint {fingerprint!r}")
    subject = anchor.subject
    signatures.remove_anchor(anchor, user=None)
    db.session.commit()
    click.echo(f"Removed trust anchor {subject}.")


@click.group("signatures")
def signatures_cli():
    """Checks of the digital signatures of stored PDFs."""


@signatures_cli.command("recheck")
@with_appcontext
def recheck_command():
    """Check again the signatures of every stored PDF (after upgrading, or restoring a
    database; adding or removing an anchor re-checks the signed ones by itself)."""
    done = storage.recheck_signatures()
    db.session.commit()
    counts = ", ".join(f"{status.value} {n}" for status, n in sorted(done.counts.items()))
    click.echo(
        f"Checked {done.checked} PDF files ({counts or 'none'}); "
        f"forgot {done.dropped} checks of files no longer stored."
    )
