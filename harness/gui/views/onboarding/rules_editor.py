"""The provisioning rules tab: group → role/scope rules (first match wins) saved to the workspace
(undoable), a sync preview, and the sync itself through the SP's user API as a Task whose text
comes back through the Bridge (`sync_finished`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from harness.core.checklist import FAIL, PASS
from harness.core.provision import ProvisionError, UserAPI, default_mode, make_plan, manager_credentials, sync
from harness.core.terminal import visible
from harness.core.workspace import Rule, Workspace
from harness.gui.errors import in_words
from harness.gui.plain import plain_label
from harness.gui.views.onboarding.common import COLORS, running_servers, servers_for_run
from sp.model import ROLES

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class RulesEditor(QWidget):
    """Group → role/scope rules (first match wins), a sync preview and the sync itself."""

    changed = Signal()

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        controller.bridge.sync_finished.connect(self._sync_done)
        self._syncing = False
        self._make_widgets()
        self._lay_out()
        self.add_button.clicked.connect(lambda: self.add_rule(Rule("", "Reader", [])))
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.save_button.clicked.connect(self.save)
        self.preview_button.clicked.connect(self.preview)
        self.sync_button.clicked.connect(self.start_sync)
        self.load()

    @property
    def workspace(self) -> Workspace:
        return self.controller.workspace

    def _make_widgets(self) -> None:
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            ["IdP group (* = everyone)", "Role", "Scope (asset groups, comma-separated)"]
        )
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 200)
        self.table.setColumnWidth(1, 150)
        self.subscription = QComboBox()
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.add_button = QPushButton("Add rule")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.save_button = QPushButton("Save rules")
        self.preview_button = QPushButton("Preview sync")
        self.sync_button = QPushButton("Sync through the user API")

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        sync_row = QHBoxLayout()
        sync_row.addWidget(plain_label("Subscription"))
        sync_row.addWidget(self.subscription)
        sync_row.addWidget(self.preview_button)
        sync_row.addWidget(self.sync_button)
        sync_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Users get the role and scope of the first rule whose group they are in; "
                "users matching no rule are not provisioned."
            )
        )
        layout.addWidget(self.table, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addLayout(sync_row)
        layout.addWidget(self.output, 2)

    def load(self) -> None:
        self.table.setRowCount(0)
        for rule in self.workspace.rules():
            self.add_rule(rule)
        self.subscription.clear()
        for s in self.workspace.subscriptions():
            self.subscription.addItem(visible(f"{s.name or s.idm_key} ({s.idm_key})"), s.idm_key)

    def add_rule(self, rule: Rule) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(rule.group))
        role = QComboBox()
        role.addItems(list(ROLES))
        role.setCurrentText(rule.role if rule.role in ROLES else "Reader")
        self.table.setCellWidget(row, 1, role)
        self.table.setItem(row, 2, QTableWidgetItem(", ".join(rule.scope)))

    def rules(self) -> list[Rule]:
        out = []
        for row in range(self.table.rowCount()):
            group = (self.table.item(row, 0).text() if self.table.item(row, 0) else "").strip()
            role = self.table.cellWidget(row, 1).currentText()
            scope_text = self.table.item(row, 2).text() if self.table.item(row, 2) else ""
            out.append(Rule(group, role, [s.strip() for s in scope_text.split(",") if s.strip()]))
        return out

    def problems(self) -> list[str]:
        found = []
        for i, r in enumerate(self.rules(), 1):
            if not r.group:
                found.append(f"rule {i} has no group")
        groups = [r.group for r in self.rules() if r.group]
        found += [
            f"the group {g!r} appears twice: only its first rule is used"
            for g in sorted(set(groups))
            if groups.count(g) > 1
        ]
        return found

    def save(self) -> bool:
        problems = self.problems()
        if any("has no group" in p for p in problems):
            self.message.setText("Not saved: " + "; ".join(problems))
            self.message.setStyleSheet(f"color: {COLORS[FAIL]}")
            return False
        if not self.controller.set_rules(self.rules()):
            self.message.setText("Not saved: the workspace refused the rules (see the status bar).")
            self.message.setStyleSheet(f"color: {COLORS[FAIL]}")
            return False
        self.message.setText("Rules saved." + (" Note: " + "; ".join(problems) if problems else ""))
        self.message.setStyleSheet(f"color: {COLORS['warning' if problems else PASS]}")
        self.changed.emit()
        return True

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def _move(self, delta: int) -> None:
        row = self.table.currentRow()
        rules = self.rules()
        target = row + delta
        if row < 0 or not 0 <= target < len(rules):
            return
        rules[row], rules[target] = rules[target], rules[row]
        self.table.setRowCount(0)
        for r in rules:
            self.add_rule(r)
        self.table.setCurrentCell(target, 0)

    def preview(self) -> str:
        """The plan for the chosen subscription, from the workspace (no server needed)."""
        idm_key = self.subscription.currentData()
        sub = self.workspace.subscription(idm_key) if idm_key else None
        if sub is None:
            self.output.setPlainText("No subscription.")
            return ""
        caller = {a.login for a in sub.accounts if a.role == "Manager" and a.password}
        plan = make_plan(
            self.workspace.users(),
            self.rules(),
            [asdict(a) for a in sub.accounts],
            idm_key=sub.idm_key,
            mode=default_mode(self.workspace, sub.idm_key),
            protected={sub.primary_contact} | caller,
            primary_contact=sub.primary_contact,
            link_external=sub.mapping_mode == "either",
        )
        text = "\n".join(
            [
                f"Preview for {sub.name or sub.idm_key} (rules as edited, not yet saved):",
                *(plan.lines() or ["  nothing to do"]),
            ]
        )
        self.output.setPlainText(text)
        return text

    def start_sync(self) -> None:
        idm_key = self.subscription.currentData()
        if idm_key is None or self._syncing:
            return
        if not self.save():
            return
        self._syncing = True
        self.sync_button.setEnabled(False)
        bridge = self.controller.bridge
        self.controller.tasks.start(
            self._sync_work(idm_key),
            done=bridge.sync_finished.emit,
            failed=lambda err: bridge.sync_finished.emit(f"The sync could not run: {in_words(err)}"),
        )

    def _sync_work(self, idm_key: str) -> Callable[[], str]:
        """The sync through the SP's user API, as a task: its text comes back through the Bridge."""
        controller = self.controller

        def work() -> str:
            servers, own = servers_for_run(controller)
            workspace = controller.workspace
            try:
                api = UserAPI(servers.sp_base, *manager_credentials(workspace, idm_key))
                try:
                    out = sync(workspace, api, idm_key=idm_key, mode=default_mode(workspace, idm_key))
                finally:
                    api.close()
                return "\n".join([*out.plan.lines(), out.summary()])
            except ProvisionError as err:
                return f"Provisioning stopped: {err}" + (f" ({err.code})" if err.code else "")
            finally:
                if own:
                    servers.stop()

        return work

    def _sync_done(self, text: str) -> None:
        self._syncing = False
        self.output.setPlainText(text)
        self.sync_button.setEnabled(True)
        running_servers(self.controller)
        self.changed.emit()

    def shutdown(self, timeout: float = 10.0) -> None:
        if self._syncing:
            self.controller.tasks.wait(int(timeout * 1000))
