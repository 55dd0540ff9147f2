"""The workspace tree: a view over WorkspaceTreeModel; activating an item opens its page."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeView, QWidget

from harness.core.workspace import Workspace
from harness.gui.history import HistoryEntry
from harness.gui.models.base import ObjectRole
from harness.gui.models.workspace_tree import Target, WorkspaceTreeModel


class WorkspaceTree(QTreeView):
    target_activated = Signal(object)  # Target

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree_model = WorkspaceTreeModel(self)
        self.setModel(self.tree_model)
        self.setHeaderHidden(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAccessibleName("Workspace")
        self.setUniformRowHeights(True)
        self.clicked.connect(self._activated)
        self.activated.connect(self._activated)
        self._collapsed: set[str] = set()
        self.collapsed.connect(lambda idx: self._collapsed.add(self._key(idx)))
        self.expanded.connect(lambda idx: self._collapsed.discard(self._key(idx)))

    def _key(self, index: QModelIndex) -> str:
        t = index.data(ObjectRole)
        return f"{t.page}/{t.key}/{t.sub}" if t else ""

    def rebuild(self, ws: Workspace, history: list[HistoryEntry], warnings: int = 0) -> None:
        current = self.currentIndex().data(ObjectRole)
        collapsed = set(self._collapsed)
        self.tree_model.rebuild(ws, history, warnings)
        root = self.tree_model.invisibleRootItem()
        for r in range(root.rowCount()):
            top = root.child(r)
            idx = top.index()
            if self._key(idx) not in collapsed:
                self.expand(idx)
            for c in range(top.rowCount()):
                child = top.child(c)
                if child.data(ObjectRole).page == "subscriptions" and self._key(child.index()) not in collapsed:
                    self.expand(child.index())
        self._collapsed = collapsed
        if current is not None:
            self.select_target(current)

    def find(self, target: Target) -> QModelIndex:
        stack = [self.tree_model.invisibleRootItem()]
        while stack:
            item = stack.pop()
            for r in range(item.rowCount()):
                child = item.child(r)
                if child.data(ObjectRole) == target:
                    return child.index()
                stack.append(child)
        return QModelIndex()

    def select_target(self, target: Target) -> None:
        idx = self.find(target)
        if idx.isValid():
            self.setCurrentIndex(idx)

    def _activated(self, index: QModelIndex) -> None:
        t = index.data(ObjectRole)
        if t is not None:
            self.target_activated.emit(t)
