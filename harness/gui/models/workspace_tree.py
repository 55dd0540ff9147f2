"""The workspace tree on the left: what is in the workspace, and where each item opens."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel

from harness.core.terminal import visible
from harness.core.workspace import Workspace, WorkspaceError
from harness.gui.history import HistoryEntry
from harness.gui.models.base import ObjectRole
from harness.gui.plain import plain_tip

PAGES = ("flow", "users", "subscriptions", "matrix", "certs", "idp", "inspector", "battery", "onboarding")


@dataclass(frozen=True)
class Target:
    """Where a tree item leads: a page, and optionally what to select there."""

    page: str
    key: str = ""
    sub: str = ""  # e.g. "accounts"


def _item(text: str, target: Target, *, bold: bool = False, color: str | None = None, tip: str = "") -> QStandardItem:
    it = QStandardItem(visible(text))  # a trace title from a file is hostile: nothing may reorder it
    it.setEditable(False)
    it.setData(target, ObjectRole)
    if bold:
        f = it.font()
        f.setBold(True)
        it.setFont(f)
    if color:
        it.setForeground(QColor(color))
    if tip:
        it.setToolTip(plain_tip(tip))
    return it


class WorkspaceTreeModel(QStandardItemModel):
    def rebuild(self, ws: Workspace, history: list[HistoryEntry], warnings: int = 0) -> None:
        self.clear()
        self.setHorizontalHeaderLabels(["Workspace"])
        root = self.invisibleRootItem()
        users = ws.users()
        top = _item(f"IdP users ({len(users)})", Target("users"), bold=True)
        for u in users:
            top.appendRow(_item(u.username, Target("users", u.username), tip=u.email))
        root.appendRow(top)

        subs = ws.subscriptions()
        top = _item(f"SP subscriptions ({len(subs)})", Target("subscriptions"), bold=True)
        for s in subs:
            it = _item(f"{s.name or s.idm_key} ({s.idm_key})", Target("subscriptions", s.idm_key))
            it.appendRow(_item(f"accounts ({len(s.accounts)})", Target("subscriptions", s.idm_key, "accounts")))
            top.appendRow(it)
        root.appendRow(top)

        root.appendRow(_item("User/account matrix", Target("matrix"), bold=True))
        try:
            n_keys = len(ws.keypair_names())
        except (OSError, WorkspaceError):
            n_keys = 0
        label = f"Certificates ({n_keys})" + ("  ⚠" if warnings else "")
        tip = f"{warnings} trust problem(s): see the Certificates page" if warnings else ""
        root.appendRow(_item(label, Target("certs"), bold=True, color="#e65100" if warnings else None, tip=tip))

        top = _item("IdP settings", Target("idp"), bold=True)
        for s in ws.idp_for_sps():
            top.appendRow(_item(s.name or s.entity_id, Target("idp", s.entity_id)))
        root.appendRow(top)

        top = _item(f"Traces ({len(history)})", Target("flow"), bold=True)
        colors = {"ok": "#2e7d32", "refused": "#c62828", "error": "#8e24aa"}
        for n, e in enumerate(history, 1):
            level, text = e.outcome()
            top.appendRow(
                _item(f"{e.mark} #{n} {e.title}", Target("flow", e.run_id), color=colors.get(level), tip=text)
            )
        root.appendRow(top)
        root.appendRow(_item("Inspector", Target("inspector"), bold=True))
        root.appendRow(_item("Attack battery", Target("battery"), bold=True, tip="Attack scenarios against the SP"))
        root.appendRow(_item("Onboarding", Target("onboarding"), bold=True, tip="Questionnaire, test procedure, rules"))
