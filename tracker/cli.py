"""The `tracker` command group: Flask's CLI over the app factory, plus the tracker's commands."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from tracker import create_app, storage
from tracker.admin.cli import signatures_cli, trust_cli
from tracker.agreements.models import Agreement
from tracker.auth.models import Role
from tracker.auth.services import AccountError, create_user
from tracker.demo.loader import load_demo
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.interop.cli import export_command, import_command
from tracker.notifications.digest import remind_command
from tracker.notifications.worker import worker_command
from tracker.ops.cli import backup_command, check_command, gc_command, restore_command
from tracker.org.models import Unit
from tracker.reports import services, signing
from tracker.search.cli import search_cli


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main():
    """Cooperation Agreement Tracker."""


def register_commands(app) -> None:
    """Attach the tracker's own commands to the app's CLI."""
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(report_cli)

    app.cli.add_command(export_command)
    app.cli.add_command(import_command)

    for command in (backup_command, restore_command, check_command, gc_command):
        app.cli.add_command(command)

    app.cli.add_command(remind_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(search_cli)
    app.cli.add_command(trust_cli)
    app.cli.add_command(signatures_cli)


@click.group("user")
def user_cli():
    """Manage user accounts."""


@user_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--unit", "unit_code", help="Unit code (optional for admins and national VNPT users)."
)
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user_command(email, role, unit_code, full_name, password):
    """Create a user account."""

    unit = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
    try:
        user = create_user(
            email=email, password=password, role=Role(role), unit=unit, full_name=full_name
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"Created {user.email} ({user.role.value}{', ' + user.unit.code if user.unit else ''})"
    )


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo data drawn from the seed documents (idempotent)."""

    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data cannot be loaded in a production configuration.")
    summary = load_demo()
    db.session.commit()
    for line in summary:
        click.echo(line)


@click.group("report")
def report_cli():
    """Review documents (PDF)."""


@report_cli.command("five-year")
@click.argument("agreement_code")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option(
    "--from",
    "date_from",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Start of the range (default: the kind's usual range, see docs/review-pdf.md).",
)
@click.option(
    "--to",
    "date_to",
    type=click.DateTime(["%Y-%m-%d"]),
    help="End of the range (default: the kind's usual one, never after the document's date).",
)
@click.option(
    "--date",
    "issued_on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of the document (default: the end of the range, else of the period or today).",
)
@click.option(
    "--kind",
    type=click.Choice(["five_year", "annual", "interim"]),
    default=None,
    help="five_year for the whole period; interim when a range is given.",
)
@click.option(
    "--sign",
    "key_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Sign the review with this PKCS#12 key (.p12/.pfx): it gets its register number.",
)
@click.option(
    "--sign-password-file",
    "password_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A file holding the key's password (never on the command line).",
)
@click.option(
    "--seal",
    "seal_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The organisation's PKCS#12 key: adds the seal and the appendices' signature.",
)
@click.option(
    "--seal-password-file",
    "seal_password_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A file holding the organisation key's password.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["pdf", "docx"]),
    default=None,
    help="pdf (recorded with the generated reviews) or docx (an editable Word file, not "
    "recorded); default: from the extension of --out, else pdf.",
)
@with_appcontext
def five_year_command(
    agreement_code,
    out,
    lang,
    date_from,
    date_to,
    issued_on,
    kind,
    key_path,
    password_path,
    seal_path,
    seal_password_path,
    file_format,
):
    """Write the review of AGREEMENT_CODE to a PDF (the same data and options give the same
    bytes), with --sign the signed review (the document of record), or an editable Word file."""
    if seal_path and not key_path:
        raise click.UsageError("--seal needs --sign (the leader signs first)")

    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == agreement_code))
    if agreement is None:
        raise click.ClickException(f"no agreement with code {agreement_code!r}")
    start = date_from.date() if date_from else None
    end = date_to.date() if date_to else None
    if kind is None:
        kind = "interim" if start or end else "five_year"
    options = services.previous_options(agreement)
    options.kind, options.lang = kind, lang
    options.issued_on = (
        issued_on.date() if issued_on else services.default_issued_on(agreement, end)
    )
    if file_format is None:
        file_format = "docx" if Path(out).suffix.lower() == ".docx" else "pdf"
    if file_format == "docx" and key_path:
        raise click.UsageError("--sign makes a signed PDF; the Word file is for drafting")
    try:
        if file_format == "docx":
            docx, fingerprint = services.render_review_docx(agreement, options, start, end)
            Path(out).write_bytes(docx)
            click.echo(f"Wrote {out}: {len(docx)} bytes, data fingerprint {fingerprint}")
            return
        record = services.generate_review(
            agreement, user=None, options=options, date_from=start, date_to=end
        )
        if key_path:
            signing.sign_review(
                record,
                user=None,
                key_file=Path(key_path).read_bytes(),
                password=_password(password_path),
                seal_key_file=Path(seal_path).read_bytes() if seal_path else None,
                seal_password=_password(seal_password_path),
            )
    except InvalidValue as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()

    sha256 = record.signed_sha256 or record.sha256
    data = storage.path_for(sha256).read_bytes()
    Path(out).write_bytes(data)
    signed = f", signed No. {record.number_text}" if record.signed else " (draft)"
    click.echo(f"Wrote {out}: {record.pages} pages, {len(data)} bytes, sha256 {sha256}{signed}")


def _password(path) -> str:
    """A password from a file (its first line; empty without a file)."""
    if not path:
        return ""
    return (
        Path(path).read_text(encoding="utf-8").splitlines()[0] if Path(path).stat().st_size else ""
    )
