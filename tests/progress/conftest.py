"""A reporting world: the two-province world with its agreements in force around today."""

import pytest

from tests.interop import reporting_world


@pytest.fixture
def rw(db):
    return reporting_world()
