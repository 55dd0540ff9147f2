"""control.json: owner-only, unreadable files ignored, removed only by the harness that wrote it."""

from __future__ import annotations

import os

from harness.core.control.endpoint import CONTROL_NAME, ControlInfo, read_control, remove_control


def test_written_owner_only_and_read_back(tmp_path):
    info = ControlInfo("http://127.0.0.1:1234", "tok", os.getpid())
    path = info.save(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_control(tmp_path) == info


def test_missing_or_broken_files_read_as_none(tmp_path):
    assert read_control(tmp_path) is None
    for text in ("{", "[]", '{"url": "x"}', '{"url": "x", "token": "t", "pid": "abc"}'):
        (tmp_path / CONTROL_NAME).write_text(text)
        assert read_control(tmp_path) is None


def test_only_the_writer_removes_it(tmp_path):
    mine = ControlInfo("http://127.0.0.1:1", "mine", os.getpid())
    other = ControlInfo("http://127.0.0.1:2", "other", os.getpid() + 1)
    other.save(tmp_path)
    remove_control(tmp_path, mine)
    assert read_control(tmp_path) == other
    mine.save(tmp_path)
    remove_control(tmp_path, mine)
    assert not (tmp_path / CONTROL_NAME).exists()
