import pytest

from tests import apps


@pytest.fixture(autouse=True)
def _clear_record():
    apps.RECORD.clear()
    yield
    apps.RECORD.clear()
