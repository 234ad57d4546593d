"""Operations: online backups and restores, the configuration check, file garbage collection,
the health endpoint and structured request logs."""

from functools import cache
from importlib import metadata


@cache
def app_version() -> str:
    """The installed version of the application."""
    try:
        return metadata.version("cooperation-tracker")
    except metadata.PackageNotFoundError:
        return "unknown"
