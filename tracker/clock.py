"""What time and day it is: timestamps in UTC, deadlines as dates in Vietnam."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam (deadlines are local dates, the server may run in UTC)."""
    return datetime.now(LOCAL_TZ).date()


def local_date(value: datetime | None) -> date | None:
    """The date in Vietnam of a stored timestamp (SQLite hands back naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).date()
