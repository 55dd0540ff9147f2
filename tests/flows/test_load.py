"""Many browsers at once against the embedded servers: no errors, no crossed sessions, consistent SP state."""

from __future__ import annotations

import json

from harness.core.load import run_load
from harness.core.servers import Servers
from samlkit.events import Event

LOGIN_OF = {"alice": "alice", "bob": "demo_bb", "frank": "frank"}


def test_200_logins_with_16_concurrent_browsers(demo):
    events: list[Event] = []

    def listen(e: Event) -> None:
        if e.kind in ("saml", "verdict"):
            events.append(e)

    with Servers(demo, sp_port=0, idp_port=0) as servers:
        servers.add_listener(listen)
        store = servers.sp_app.store
        assert store.count_replay() == 0 and store.count_requests() == 0
        result = run_load(
            servers, kind="sp", idm_key="4711", users=["alice", "bob", "frank"], repeat=200, concurrency=16
        )
        print("\n" + result.report())

        assert [x.error for x in result.errors] == []
        assert result.state_problems == []
        assert len(result.logins) == 200
        # Every browser ended in its own user's session, never another's.
        for x in result.logins:
            assert x.login == LOGIN_OF[x.user], (x.index, x.user, x.login)
        assert {u: sum(c.values()) for u, c in result.sessions_by_user().items()} == {
            "alice": 67,
            "bob": 67,
            "frank": 66,
        }
        tokens = {x.session_token for x in result.logins}
        assert len(tokens) == 200 and None not in tokens
        for x in result.logins:
            assert store.get_session(x.session_token)["login"] == LOGIN_OF[x.user]

        # The SP's own account of the run, independent of the load runner.
        sent = [e.request_id for e in events if e.actor == "sp" and e.kind == "saml" and e.direction == "send"]
        verdicts = [e for e in events if e.actor == "sp" and e.kind == "verdict"]
        assert len(sent) == len(set(sent)) == 200
        assert len(verdicts) == 200 and all(v.ok and v.code == "session" for v in verdicts)
        assert sorted(v.login for v in verdicts) == sorted(LOGIN_OF[x.user] for x in result.logins)
        # Replay cache: one entry per login; outstanding requests: none left for completed logins.
        assert store.count_replay() == 200
        assert {x.assertion_id for x in result.logins} == {x.assertion_id for x in result.logins if x.assertion_id}
        assert all(store.seen_assertion(x.assertion_id) for x in result.logins)
        assert store.count_requests() == 0
        assert all(store.peek_request(r) is None for r in sent)
        assert {x.request_id for x in result.logins} == set(sent)

    assert result.peak_overlap() >= 8, "the browsers hardly overlapped: this was not a concurrent run"
    assert result.percentile(50) <= result.percentile(90) <= result.percentile(99) <= result.percentile(100)


def test_idp_initiated_mixed_outcomes_under_load(demo):
    with Servers(demo, sp_port=0, idp_port=0) as servers:
        result = run_load(
            servers,
            kind="idp",
            idm_key="4711",
            users=["dave", "erin", "carol", "bob"],
            repeat=40,
            concurrency=8,
            pick="demo_dd2",
        )
        assert result.ok, result.report()
        outcomes = {u: dict(c) for u, c in result.sessions_by_user().items()}
        assert outcomes == {
            "dave": {"demo_dd2": 10},
            "erin": {"(no session: user-not-found)": 10},
            "carol": {"(no session: saml-disabled-for-user)": 10},
            "bob": {"demo_bb": 10},
        }
        # Refused logins burn their assertion too: a refused Response cannot be replayed later.
        assert servers.sp_app.store.count_replay() == 40


def test_cli_load_mode(tmp_path, capsys):
    from harness.core.cli import main

    ws = str(tmp_path / "ws")
    args = ["--workspace", ws, "flow", "sp", "--users", "alice,bob,frank", "--repeat", "12", "--concurrency", "4"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "12 SP-initiated logins" in out and "errors      0" in out
    assert "alice → alice ×4, bob → demo_bb ×4, frank → frank ×4" in out
    assert "p50" in out and "p99" in out and "logins/s" in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["logins"] == 12 and data["errors"] == []
    assert set(data["latency_seconds"]) == {"p50", "p90", "p99", "max"}
    # A refusal the mapping predicts is not an error; a bad count is a usage error.
    assert main(["--workspace", ws, "flow", "sp", "--user", "erin", "--repeat", "2"]) == 0
    assert main(["--workspace", ws, "flow", "sp", "--user", "alice", "--repeat", "0"]) == 2
    capsys.readouterr()
