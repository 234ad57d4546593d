"""`tracker worker`: the Huey consumer that sends the notification e-mails and runs the daily
scan of scheduled notices."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.notifications.mail import TransientMailError
from tracker.notifications.queue import queue_of


class ShortMailErrors(logging.Filter):
    """An SMTP server that is down is expected, and retried: one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, TransientMailError):
            record.msg = f"{record.getMessage()} Mail not sent, will retry: {exc}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


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
    logging.getLogger("huey").addFilter(ShortMailErrors())
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
