"""docs/ARCHITECTURE.md, layers: nothing outside harness/gui imports Qt. Scans the source, so it also catches
imports inside functions and importlib calls."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harness", "sp", "mock_idp", "samlkit")
QT = ("PySide6", "PySide2", "PyQt6", "PyQt5", "shiboken6", "shiboken2", "pytestqt", "qtpy")


def _is_qt(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in QT


def qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if _is_qt(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_qt(node.module):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and _is_qt(str(node.args[0].value)):
                found.append(f"line {node.lineno}: {name}({node.args[0].value!r})")
    return found


def sources() -> list[Path]:
    gui = ROOT / "harness" / "gui"
    return [
        p
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if gui not in p.parents and "__pycache__" not in p.parts
    ]


def test_there_is_something_to_scan():
    names = {p.relative_to(ROOT).as_posix() for p in sources()}
    assert "harness/core/workspace.py" in names and "sp/app.py" in names
    assert not any(n.startswith("harness/gui/") for n in names)


def test_no_module_outside_harness_gui_imports_qt():
    offenders = {str(p.relative_to(ROOT)): hits for p in sources() if (hits := qt_imports(p))}
    assert offenders == {}, f"Qt imported outside harness/gui: {offenders}"


def test_the_scanner_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nimport PySide6.QtCore\nfrom PyQt5 import QtWidgets\n"
        "def f():\n    from PySide6.QtGui import QColor\n    importlib.import_module('shiboken6')\n"
        "from . import PySide6\n"
    )
    assert len(qt_imports(sample)) == 4
