"""PDF documents; importing the package registers the fonts first."""

from tracker.reports.pdf import fonts  # noqa: F401
