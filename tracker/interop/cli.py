"""`tracker export` and `tracker import`: the interchange format and Excel from the command line.

Messages are in English, the reasons a file is refused included: the import runs under
`force_locale("en")`, as a command has no request, so no user's language (without it, gettext
would ask the locale selector, which reads the session). A refused import prints every problem
found, exits with status 1 and writes nothing."""

import os
import sys
import tempfile
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import force_locale

from tracker.agreements.models import Agreement
from tracker.agreements.queries import agreement_full
from tracker.errors import InvalidValue
from tracker.extensions import db
from tracker.interop.excel import MAX_XLSX_BYTES, agreement_code_in, import_commitments
from tracker.interop.json import (
    MAX_JSON_BYTES,
    document_bytes,
    export_agreement,
    load_json,
    run_import,
)
from tracker.interop.xlsx import export_workbook
from tracker.progress.figures import parse_as_of


def _agreement(code: str):
    agreement = agreement_full(code)
    if agreement is None:
        raise click.ClickException(f"No agreement with code {code!r}.")
    return agreement


def _write(path: str, data: bytes) -> None:
    """Write atomically: a refused or interrupted export leaves no half-written file."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("export")
@click.argument("agreement")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xlsx"]),
    default="json",
    show_default=True,
    help="tracker.agreement/v1 JSON, or an Excel workbook.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="The file to write ('-' for standard output).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="For xlsx: judge the summary's figures as of this day (default: the agreement's own "
    "day, today or the end of a closed agreement).",
)
@with_appcontext
def export_command(agreement, fmt, out, as_of):
    """Export the agreement with code AGREEMENT."""
    with force_locale("en"):
        try:
            wanted = parse_as_of(as_of.date().isoformat() if as_of else None)
        except InvalidValue as exc:
            raise click.BadParameter(str(exc.message), param_hint="--as-of") from None
    if wanted is not None and fmt != "xlsx":
        raise click.BadParameter("only an xlsx export states figures.", param_hint="--as-of")
    with force_locale("vi"):
        item = _agreement(agreement)
        if fmt == "json":
            data = document_bytes(export_agreement(item))
        else:
            data = export_workbook(item, wanted)
    _write(out, data)
    if out != "-":
        click.echo(f"Exported {item.code} to {out} ({len(data):,} bytes).", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--agreement",
    "agreement_code",
    help="For an .xlsx workbook: the agreement its commitments go into (by default the one "
    "named in the workbook's general information sheet).",
)
@with_appcontext
def import_command(file, dry_run, agreement_code):
    """Import FILE: a tracker.agreement/v1 .json file (creates or updates the agreement of its
    code) or an .xlsx workbook (its commitments sheet, into --agreement)."""
    path = Path(file)
    kind = path.suffix.lower()
    if kind not in (".json", ".xlsx"):
        raise click.ClickException("FILE must be a .json or an .xlsx file.")
    limit = MAX_JSON_BYTES if kind == ".json" else MAX_XLSX_BYTES
    size = path.stat().st_size
    if size > limit:  # before reading a byte of it
        raise click.ClickException(
            f"Refused: {file} is {size:,} bytes, larger than the {limit // 2**20} MB limit."
        )
    data = path.read_bytes()
    with force_locale("en"):
        try:
            if kind == ".json":
                summary = run_import(load_json(data), dry_run=dry_run)
            else:
                agreement_code = agreement_code or agreement_code_in(data)
                if not agreement_code:
                    raise click.UsageError(
                        "This workbook does not name its agreement: give --agreement CODE."
                    )
                agreement = db.session.scalar(
                    sa.select(Agreement).where(Agreement.code == agreement_code)
                )
                if agreement is None:
                    raise click.ClickException(f"No agreement with code {agreement_code!r}.")
                summary = import_commitments(agreement, data, dry_run=dry_run)
        except InvalidValue as exc:
            db.session.rollback()
            problems = getattr(exc, "errors", None) or [exc.message]
            click.echo(
                f"Refused: {file} ({len(problems)} problem(s)); nothing was written.", err=True
            )
            for problem in problems:
                click.echo(f"  - {problem}", err=True)
            raise SystemExit(1) from None
        if not dry_run:
            db.session.commit()
        for line in summary.lines():
            click.echo(line)
        if dry_run:
            click.echo("Dry run: nothing was written.")
