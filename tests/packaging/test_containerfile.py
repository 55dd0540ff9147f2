"""The Containerfile cannot be built here (no container runtime), but what it names must exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_copied_source_exists_and_the_entrypoint_is_our_command():
    text = (ROOT / "Containerfile").read_text()
    copies = re.findall(r"^COPY\s+(.+?)\s+\S+$", text, re.M)
    sources = [s for line in copies for s in line.split()]
    assert {"pyproject.toml", "harness", "sp", "mock_idp", "samlkit", "fixtures"} <= set(sources)
    for s in sources:
        assert (ROOT / s).exists(), s
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= set(sources)  # every package goes into the image
    assert (ROOT / "harness/core/demo/workspace.json").is_file()  # the link to fixtures/demo resolves
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert 'ENTRYPOINT ["saml-harness"]' in text and "saml-harness" in scripts
    assert '"serve", "--json"' in text
    assert "/data/saml-harness/demo/control.json" in text  # where SAML_HARNESS_HOME=/data puts the demo
