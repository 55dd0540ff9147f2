"""The status bar's permanent part: SP and IdP URLs with up/down, and the workspace."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QWidget

from harness.gui.plain import escape, plain_label, plain_tip, rich_label

STATE = {True: ("#2e7d32", "up"), False: ("#c62828", "down"), None: ("#9e9e9e", "starting")}


class ServerStatus(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sp = rich_label()
        self.idp = rich_label()
        self.workspace = plain_label()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(110)
        self.busy.setMaximumHeight(14)
        self.busy.hide()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        for w in (self.busy, self.sp, self.idp, self.workspace):
            lay.addWidget(w)
        self.urls = {"sp": "", "idp": ""}
        self.state: dict[str, bool | None] = {"sp": None, "idp": None}
        self._render()

    def set_urls(self, sp: str, idp: str) -> None:
        self.urls = {"sp": sp, "idp": idp}
        self._render()

    def set_health(self, state: dict) -> None:
        self.state.update(state)
        self._render()

    def set_starting(self) -> None:
        self.state = {"sp": None, "idp": None}
        self._render()

    def set_workspace(self, path: str) -> None:
        self.workspace.setText(f"  workspace: {path}")
        self.workspace.setToolTip(plain_tip(path))

    def _render(self) -> None:
        for key, label, name in (("sp", self.sp, "SP"), ("idp", self.idp, "IdP")):
            color, word = STATE[self.state.get(key)]
            url = self.urls.get(key) or "—"
            label.setText(f"{name} {escape(url)} <span style='color:{color}'>●</span> {word}")
            label.setToolTip(f"The {'embedded SP' if key == 'sp' else 'mock IdP'} is {word}")

    def text(self) -> str:
        return f"{self.sp.text()} | {self.idp.text()}"
