"""docs/ARCHITECTURE.md, layers: imports only point down. The servers never import the harness,
samlkit imports neither server, and the two servers do not import each other. Scans the source
(imports inside functions included), as test_no_qt_outside_gui does for Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the top-level packages of this repository it must never import
FORBIDDEN = {
    "samlkit": {"harness", "sp", "mock_idp"},
    "sp": {"harness", "mock_idp"},
    "mock_idp": {"harness", "sp"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.add(str(node.args[0].value).split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(package: str) -> None:
    sources = sorted((ROOT / package).rglob("*.py"))
    assert sources, package
    offenders = {
        str(p.relative_to(ROOT)): sorted(bad) for p in sources if (bad := imported_packages(p) & FORBIDDEN[package])
    }
    assert offenders == {}


def test_the_scanner_sees_every_form_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport harness.core\nfrom sp.app import SPApp\n"
        "def f():\n    from mock_idp import app\n    importlib.import_module('harness.gui')\n"
        "from . import harness\n"
    )
    assert imported_packages(sample) == {"os", "harness", "sp", "mock_idp"}
