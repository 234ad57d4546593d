"""The `tracker` command group: Flask's CLI over the app factory, plus the tracker's commands."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from tracker import create_app
from tracker.auth.models import Role
from tracker.extensions import db


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main():
    """Cooperation Agreement Tracker."""


def register_commands(app) -> None:
    """Attach the tracker's own commands to the app's CLI."""
    app.cli.add_command(user_cli)
    app.cli.add_command(demo_command)
    from tracker.progress.reminders import remind_command

    app.cli.add_command(remind_command)


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
    from tracker.auth.services import AccountError, create_user
    from tracker.org.models import Unit

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
    from tracker.demo.loader import load_demo

    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("Demo data cannot be loaded in a production configuration.")
    summary = load_demo()
    db.session.commit()
    for line in summary:
        click.echo(line)
