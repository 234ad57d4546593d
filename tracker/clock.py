"""What time and day it is: timestamps in UTC, deadlines as dates in Vietnam."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam (deadlines are local dates, the server may run in UTC)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def local_date(moment: datetime | None) -> date | None:
    """The day in Vietnam of a stored time (SQLite hands back naive UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
