"""The serving record: the real base URLs of the harness holding a workspace, while it lives."""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.core import serving


def test_record_read_and_clear(tmp_path: Path) -> None:
    serving.record(tmp_path, "http://127.0.0.1:5001", "http://127.0.0.1:5002")
    found = serving.current(tmp_path)
    assert found is not None and (found.pid, found.sp_base, found.idp_base) == (
        os.getpid(),
        "http://127.0.0.1:5001",
        "http://127.0.0.1:5002",
    )
    serving.clear(tmp_path)
    assert serving.current(tmp_path) is None and not (tmp_path / serving.RECORD_NAME).exists()


def test_a_dead_process_or_a_garbled_record_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / serving.RECORD_NAME
    path.write_text(json.dumps({"pid": 2**22 + 12345, "sp_base": "http://x", "idp_base": "http://y"}))
    assert serving.current(tmp_path) is None
    path.write_text("{not json")
    assert serving.current(tmp_path) is None
    path.write_text(json.dumps({"pid": os.getpid()}))
    assert serving.current(tmp_path) is None


def test_clear_leaves_another_live_process_record(tmp_path: Path) -> None:
    path = tmp_path / serving.RECORD_NAME
    path.write_text(json.dumps({"pid": os.getppid(), "sp_base": "http://x", "idp_base": "http://y"}))
    serving.clear(tmp_path)
    assert path.exists()
