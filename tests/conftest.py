"""Fixtures every test directory shares (the SAML-specific ones live in tests/saml_helpers.py),
and the lane markers (tests/markers.py) added to every collected test."""

from pathlib import Path

import pytest
from hypothesis import settings
from markers import markers_for

from harness.core.workspace import Workspace

TESTS = Path(__file__).resolve().parent

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock limit that a busy
# 2-core CI trips. Property tests bound their work by example counts and sizes instead.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    lanes: dict[Path, set[str]] = {}
    for item in items:
        path = Path(str(item.path))
        if path not in lanes:
            try:
                rel = path.relative_to(TESTS).as_posix()
            except ValueError:  # a test outside tests/ (pytester): no lane
                lanes[path] = set()
                continue
            lanes[path] = markers_for(rel, path.read_text(encoding="utf-8"))
        for name in sorted(lanes[path]):
            item.add_marker(name)


@pytest.fixture
def demo(tmp_path):
    """A fresh copy of the demo workspace, closed after the test."""
    ws = Workspace.demo(tmp_path / "ws")
    yield ws
    ws.close()


def _plugin_installed() -> bool:
    """The package's pytest11 entry point loads the plugin; an install that predates it needs help."""
    from importlib.metadata import entry_points

    return any(e.value == "harness.pytest_plugin" for e in entry_points(group="pytest11"))


# The saml_harness fixtures (harness/pytest_plugin.py) are what other projects use; our tests use them too.
pytest_plugins = ["pytester"] + ([] if _plugin_installed() else ["harness.pytest_plugin"])


def plugin_args() -> list[str]:
    """pytest options a subprocess needs to load the plugin (none once the entry point is installed)."""
    return [] if _plugin_installed() else ["-p", "harness.pytest_plugin"]
