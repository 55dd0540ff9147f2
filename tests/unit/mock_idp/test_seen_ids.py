from __future__ import annotations

from mock_idp.seen_ids import SeenIDs


def test_an_id_is_new_once_and_the_store_stays_bounded() -> None:
    seen = SeenIDs(limit=3)
    assert seen.first_time("sp _a", 300) and not seen.first_time("sp _a", 300)
    for i in range(10):
        assert seen.first_time(f"sp _{i}", 300)
    assert len(seen._ids) == 3


def test_an_expired_id_is_forgotten() -> None:
    seen = SeenIDs()
    assert seen.first_time("sp _a", -1)
    assert seen.first_time("sp _a", 300)
