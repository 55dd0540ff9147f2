"""mock_idp.sessions: the IdP's session registry that Single Logout reads."""

from __future__ import annotations

from mock_idp.sessions import Participant, SessionRegistry


def test_participants_are_kept_per_sp_newest_last_and_go_with_the_session() -> None:
    reg = SessionRegistry()
    token = reg.create("alice", 60)
    reg.add_participant(token, Participant("sp-a", "alice", "fmt", "_1"))
    reg.add_participant(token, Participant("sp-b", "alice@x", "fmt", "_2"))
    reg.add_participant(token, Participant("sp-a", "alice", "fmt", "_3"))
    assert [(p.sp_entity_id, p.session_index) for p in reg.participants(token)] == [("sp-b", "_2"), ("sp-a", "_3")]
    ended = reg.end(token)
    assert ended.username == "alice" and len(ended.participants) == 2
    assert reg.get(token) is None and reg.participants(token) == [] and reg.end(token) is None


def test_an_expired_session_is_not_found() -> None:
    reg = SessionRegistry()
    token = reg.create("bob", -1)
    assert reg.get(token) is None and reg.get(None) is None and reg.get("nope") is None


def test_a_session_is_found_only_by_its_own_sp_name_id_and_session_index() -> None:
    reg = SessionRegistry()
    alice, bob = reg.create("alice", 60), reg.create("bob", 60)
    reg.add_participant(alice, Participant("sp-a", "alice", "fmt", "_a"))
    reg.add_participant(bob, Participant("sp-a", "bob", "fmt", "_b"))
    reg.add_participant(bob, Participant("sp-b", "bob", "fmt", "_c"))
    found = reg.find("sp-a", "alice", ["_a"])
    assert found is not None and found[0] == alice and found[1].username == "alice"
    assert reg.find("sp-a", "alice", ["_b"]) is None  # bob's SessionIndex with alice's NameID
    assert reg.find("sp-b", "bob", ["_b"]) is None  # _b is sp-a's, not sp-b's
    assert reg.find("sp-a", "bob ", ["_b"]) is None  # NameIDs match exactly
    assert reg.find("sp-a", "alice", []) is None  # no SessionIndex: no one browser's session
    expired = reg.create("carol", -1)
    reg.add_participant(expired, Participant("sp-a", "carol", "fmt", "_x"))
    assert reg.find("sp-a", "carol", ["_x"]) is None


def test_live_sessions_are_bounded_the_oldest_going_first(monkeypatch) -> None:
    """Each sign-in opens a session: signing in again and again (a script with one valid password)
    must not grow the registry, which every cookie-less LogoutRequest scans, without end."""
    import mock_idp.sessions as sessions

    monkeypatch.setattr(sessions, "MAX_SESSIONS", 5)
    reg = SessionRegistry()
    first = reg.create("alice", 3600)
    tokens = [reg.create("alice", 3600) for _ in range(50)]
    assert reg.count() <= 5
    assert reg.get(first) is None and reg.get(tokens[-1]) is not None
