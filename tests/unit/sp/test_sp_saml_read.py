"""sp.saml_read: the memo of parse_instant is bounded and answers each value for itself."""

from __future__ import annotations

import datetime as dt

from sp import saml_read
from sp.saml_read import INSTANT_CACHE_SIZE, parse_instant


def test_instant_memo_is_bounded_and_never_confuses_two_values() -> None:
    saml_read._read_instant_cached.cache_clear()
    z = parse_instant("2026-05-01T10:00:00Z")
    plus = parse_instant("2026-05-01T10:00:00+02:00")
    assert z == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    assert plus == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    assert parse_instant("2026-05-01T10:00:00Z") == z  # served again, the same value
    assert parse_instant("2026-13-01T10:00:00Z") is None
    for i in range(INSTANT_CACHE_SIZE + 50):
        assert parse_instant(f"2026-01-01T00:00:00.{i:06d}Z") == dt.datetime(2026, 1, 1, microsecond=i, tzinfo=dt.UTC)
    info = saml_read._read_instant_cached.cache_info()
    assert info.currsize == INSTANT_CACHE_SIZE
    assert parse_instant("2026-05-01T10:00:00+02:00") == plus


def test_a_long_value_is_read_without_the_memo() -> None:
    saml_read._read_instant_cached.cache_clear()
    long_value = "2026-05-01T10:00:00." + "1" * 100 + "Z"
    assert parse_instant(long_value) == dt.datetime(2026, 5, 1, 10, 0, 0, 111111, tzinfo=dt.UTC)
    assert parse_instant(" " * 200) is None
    assert saml_read._read_instant_cached.cache_info().currsize == 0
