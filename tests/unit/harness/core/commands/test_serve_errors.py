"""`serve` with a port or an address it cannot use says so in a sentence, and leaves no lock behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.cli import main
from harness.core.workspace import Workspace


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    Workspace.demo(tmp_path / "ws").close()
    return tmp_path / "ws"


def test_a_port_out_of_range_is_a_usage_error(ws_dir: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--workspace", str(ws_dir), "serve", "--sp-port", "99999"])
    assert exit_.value.code == 2
    assert "'99999' is not a port (a number from 0, any free port, to 65535)" in capsys.readouterr().err


def test_an_address_this_machine_lacks_is_refused_in_words(ws_dir: Path, capsys) -> None:
    argv = ["--workspace", str(ws_dir), "serve", "--host", "192.0.2.1", "--sp-port", "0", "--idp-port", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "saml-harness: cannot listen on 192.0.2.1:" in err and "Traceback" not in err
    Workspace(ws_dir).close()  # the lock was released: the workspace opens for writing again
