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
