"""The operations commands: `tracker backup`, `tracker restore`, `tracker check`, `tracker gc`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker import storage
from tracker.ops.backup import BackupError, create_backup, restore_backup
from tracker.ops.check import run_checks
from tracker.ops.gc import DEFAULT_MIN_AGE, collect_garbage


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write an online backup (database and stored files) to FILE (.tar, or .tar.gz)."""

    try:
        result = create_backup(file)
    except BackupError as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    manifest = result.manifest
    rows = sum(manifest["counts"].values())
    click.echo(
        f"Backup written to {result.path}: {manifest['database']['kind']} database at "
        f"{manifest['alembic_revision']} ({rows} rows), {manifest['totals']['files']} files "
        f"({_size(manifest['totals']['bytes'])}); archive {_size(result.size)}, "
        f"sha256 {result.sha256}"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--verify-only", is_flag=True, help="Check the archive against its manifest; restore nothing."
)
@with_appcontext
def restore_command(file, verify_only):
    """Restore a backup FILE into this instance, which must be empty."""

    try:
        result = restore_backup(file, verify_only=verify_only)
    except BackupError as exc:
        raise click.ClickException(f"restore failed: {exc}") from None
    manifest = result.manifest
    described = (
        f"{manifest['database']['kind']} database at {manifest['alembic_revision']}, "
        f"{manifest['totals']['files']} files, made {manifest['created_at']}"
    )
    if verify_only:
        click.echo(f"Archive verified: {described}")
        return
    click.echo(
        f"Restored {described}: {result.files_written} files written, "
        f"{result.files_present} already present"
    )
    if result.upgraded_to:
        click.echo(f"Database upgraded from {result.revision} to {result.upgraded_to}")


@click.command("check")
@with_appcontext
def check_command():
    """Check configuration, database, migrations, fonts and files; exit 1 on any problem."""

    findings = run_checks(current_app)
    for finding in findings:
        click.echo(finding.line())
    problems = [f for f in findings if not f.ok]
    if problems:
        click.echo(f"{len(problems)} problem(s) found.")
        click.get_current_context().exit(1)


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option(
    "--min-age",
    type=click.FloatRange(min=0),
    default=None,
    help="Keep unreferenced files younger than this many seconds (default 600; 0 with the app "
    "stopped). Temporary upload files are removed after an hour.",
)
@with_appcontext
def gc_command(dry_run, min_age):
    """Remove stored files no record references and stale temporary upload files."""

    found = collect_garbage(
        dry_run=dry_run, min_age=DEFAULT_MIN_AGE if min_age is None else min_age
    )
    root = storage.root()
    verb = "would remove" if dry_run else "removed"
    for label in found.purged:
        click.echo(f"{'would purge' if dry_run else 'purged'} from the recycle bin: {label}")
    for path in found.orphans:
        click.echo(f"{verb} unreferenced {path.relative_to(root)}")
    for path in found.temporary:
        click.echo(f"{verb} temporary {path.relative_to(root)}")
    for sha in found.missing:
        click.echo(f"WARNING referenced file missing: {sha[:2]}/{sha}", err=True)
    kept = f"; kept {found.kept_young} recent unreferenced file(s)" if found.kept_young else ""
    click.echo(
        f"{'Would remove' if dry_run else 'Removed'} {len(found.orphans)} unreferenced and "
        f"{len(found.temporary)} temporary file(s) ({_size(found.bytes)}){kept}."
    )
