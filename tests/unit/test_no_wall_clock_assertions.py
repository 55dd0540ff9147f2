"""The suite asserts no timing: a busy machine must never fail a test (see tests/work_counter.py)."""

import re
from pathlib import Path

from hypothesis import settings

TESTS = Path(__file__).resolve().parents[1]
CLOCKS = re.compile(r"\btime\.(perf_counter|monotonic|process_time)\(|\.seconds\s*<|elapsed\s*<")


def test_no_test_reads_a_clock_to_assert_on_it():
    offenders = [
        f"{p.relative_to(TESTS)}:{n}"
        for p in TESTS.rglob("*.py")
        if p.name != Path(__file__).name
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if CLOCKS.search(line)
    ]
    assert offenders == []


def test_hypothesis_has_no_deadline():
    assert settings().deadline is None
