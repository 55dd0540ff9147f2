"""A file the user asks for (--report, --save-trace, --save-har) that cannot be written is an error in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.cli import main
from harness.core.workspace import Workspace


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    Workspace.demo(tmp_path / "ws").close()
    return tmp_path / "ws"


@pytest.mark.parametrize("option", ["--report", "--save-trace", "--save-har"])
def test_flow_says_which_file_it_cannot_write(ws_dir: Path, tmp_path: Path, option: str, capsys) -> None:
    target = tmp_path / "missing-dir" / "out"
    assert main(["--workspace", str(ws_dir), "flow", "sp", "--user", "alice", option, str(target)]) == 2
    err = capsys.readouterr().err
    assert f"saml-harness: cannot write {target}: No such file or directory" in err
    assert "Traceback" not in err


def test_decode_of_a_capture_says_so_when_the_output_is_a_directory(ws_dir: Path, tmp_path: Path, capsys) -> None:
    har = tmp_path / "login.har"
    assert main(["--workspace", str(ws_dir), "flow", "sp", "--user", "alice", "--save-har", str(har)]) == 0
    capsys.readouterr()
    assert main(["decode", str(har), "--save-trace", str(tmp_path)]) == 2
    assert f"cannot write {tmp_path}: Is a directory" in capsys.readouterr().err


def test_send_says_which_file_it_cannot_write(ws_dir: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run.json"
    assert main(["--workspace", str(ws_dir), "flow", "sp", "--user", "alice", "--save-trace", str(run)]) == 0
    capsys.readouterr()
    target = tmp_path / "nope" / "sent.json"
    code = main(["--workspace", str(ws_dir), "send", str(run), "--save-trace", str(target)])
    assert code == 2 and f"cannot write {target}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["onboard", "--from-mock-idp", "--subscription", "ab_cd", "--save-questionnaire", "{bad}/q.toml"],
        ["onboard", "--export-sp", "{bad}/out"],
    ],
)
def test_onboard_names_the_path_it_cannot_write(ws_dir: Path, tmp_path: Path, capsys, argv: list[str]) -> None:
    bad = tmp_path / "a-file"
    bad.write_text("not a directory")
    argv = [a.replace("{bad}", str(bad)) for a in argv]
    assert main(["--workspace", str(ws_dir), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"saml-harness: {bad}/") and "Not a directory" in err and "Traceback" not in err
