"""A guard for PySide6 6.12's QSyntaxHighlighter.setFormat, which drops one reference to Python's
None per call (any overload). Highlighting enough text (a 200 kB one-line message is enough) takes
None's reference count to zero and the interpreter aborts ("none_dealloc"), killing the app.

`GuardedHighlighter.setFormat` gives None back what each call lost; should a later PySide fix the
leak, it measures no loss and does nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtGui import QSyntaxHighlighter

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class GuardedHighlighter(QSyntaxHighlighter):
    def setFormat(self, *args) -> None:
        before = sys.getrefcount(None)
        super().setFormat(*args)
        for _ in range(before - sys.getrefcount(None)):
            _incref(None)
