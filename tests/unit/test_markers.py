"""tests/markers.py: every test lands in its lane, so `-m` and the fast lane select what they say."""

from __future__ import annotations

from pathlib import Path

from markers import FAST, markers_for

TESTS = Path(__file__).resolve().parents[1]


def test_lanes_follow_the_directory() -> None:
    assert markers_for("browser/test_sso_in_chromium.py", "") == {"browser", "servers"}
    assert markers_for("gui/test_main_window.py", "") == {"gui"}
    assert markers_for("flows/test_flow_login.py", "") == {"flow"}
    assert markers_for("unit/sp/test_sp_validate.py", "") == set()


def test_a_unit_test_that_starts_servers_is_marked() -> None:
    assert markers_for("unit/harness/core/test_x.py", "with Servers(ws, sp_port=0) as s:") == {"servers"}
    assert markers_for("unit/harness/core/test_x.py", 'srv = make_server("127.0.0.1", 0, app)') == {"servers"}
    assert markers_for("unit/harness/core/test_x.py", 'EmbeddedServer("127.0.0.1", 0, app).start()') == {"servers"}
    assert markers_for("unit/harness/core/test_x.py", "from harness.core.servers import Servers") == set()


def test_every_browser_test_is_in_the_browser_lane() -> None:
    for path in (TESTS / "browser").glob("test_*.py"):
        assert "browser" in markers_for(path.relative_to(TESTS).as_posix(), path.read_text()), path


def test_the_fast_lane_excludes_every_lane() -> None:
    assert FAST == "not browser and not gui and not flow and not servers and not slow"
