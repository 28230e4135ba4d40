import pytest
from django.db import connection

from rapport.core.db import sqlite_page_cache


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_page_cache_is_larger_while_loading_and_restored_after():
    if connection.vendor != "sqlite":
        with sqlite_page_cache(4096), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        return
    before = _cache_size()
    with sqlite_page_cache(4096):
        assert _cache_size() == -4096
    assert _cache_size() == before
    with pytest.raises(RuntimeError), sqlite_page_cache(8192):
        raise RuntimeError
    assert _cache_size() == before
