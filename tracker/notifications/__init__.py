"""Notifications: what concerns each user, in the app and by e-mail through the job queue.

`init_app` (called by the app factory) registers the pages, the bell's Jinja global
``unread_notifications`` and the app's job queue; importing the package connects the receivers
of tracker/events.py and of the agreement page signals."""

from tracker.notifications import receivers  # noqa: F401  (connects the event receivers)
from tracker.notifications.queue import init_app as init_queue
from tracker.notifications.views import bp, unread_notifications


def init_app(app) -> None:
    """Register the blueprint, the bell's Jinja global and the job queue."""
    app.register_blueprint(bp)
    app.add_template_global(unread_notifications)
    init_queue(app)
