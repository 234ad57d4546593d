"""What time and day it is: timestamps in UTC, deadlines as dates in Vietnam."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam (deadlines are local dates, the server may run in UTC)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
