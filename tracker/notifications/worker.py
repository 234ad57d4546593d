"""`tracker worker`: the Huey consumer that sends the notification e-mails and runs the daily
scan of scheduled notices."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.notifications.queue import queue_of


@click.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Worker threads.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Run the periodic tasks (the daily scan of notices). Run them in one worker only.",
)
@click.option(
    "--max-delay",
    default=2.0,
    show_default=True,
    help="Longest pause, in seconds, between two looks at an empty queue.",
)
@with_appcontext
def worker_command(workers, periodic, max_delay):
    """Run the job queue: send notification e-mails (with retries) and the periodic tasks."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    queue = queue_of(current_app)
    click.echo(
        f"Queue {type(queue.huey).__name__} ({queue.huey.name}); {workers} worker thread(s)",
        err=True,
    )
    consumer = queue.huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=max_delay,
    )
    consumer.run()
