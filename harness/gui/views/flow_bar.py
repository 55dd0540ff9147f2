"""The flow bar: SP- or IdP-initiated, subscription, user; Run, Open in browser, Step."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from harness.core.terminal import visible
from harness.core.workspace import Workspace
from harness.gui.plain import plain_label


class FlowBar(QWidget):
    run_requested = Signal(str, str, str)  # kind, idm_key, username
    browser_requested = Signal(str, str, str)
    step_requested = Signal(str, str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = QComboBox()
        self.kind.addItem("SP-initiated", "sp")
        self.kind.addItem("IdP-initiated", "idp")
        self.kind.addItem("SP-initiated logout", "logout")
        self.kind.addItem("IdP-initiated logout", "idp-logout")
        self.kind.setToolTip(
            "SP-initiated starts at the subscription's unique login URL; IdP-initiated at the IdP. The logouts "
            "sign in SP-initiated, then Single Logout from the SP or from the IdP"
        )
        self.subscription = QComboBox()
        self.subscription.setMinimumContentsLength(16)
        self.subscription.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.user = QComboBox()
        self.user.setMinimumContentsLength(10)
        self.user.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_btn = QPushButton("▶ Run")
        self.run_btn.setToolTip("Run the login with the built-in scripted browser (Ctrl+R)")
        self.browser_btn = QPushButton("Open in browser")
        self.browser_btn.setToolTip("Open the login URL in your browser and record its steps (Ctrl+B)")
        self.step_btn = QPushButton("Step")
        self.step_btn.setToolTip("Run the login, then play it one hop at a time; press again for the next hop (F8)")
        for b in (self.run_btn, self.browser_btn, self.step_btn):
            b.setAutoDefault(False)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(self.kind)
        sub_label = plain_label("&subscription:")
        sub_label.setBuddy(self.subscription)
        user_label = plain_label("&user:")
        user_label.setBuddy(self.user)
        lay.addWidget(sub_label)
        lay.addWidget(self.subscription)
        lay.addWidget(user_label)
        lay.addWidget(self.user)
        lay.addSpacing(8)
        lay.addWidget(self.run_btn)
        lay.addWidget(self.browser_btn)
        lay.addWidget(self.step_btn)
        lay.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.run_btn.clicked.connect(lambda: self.run_requested.emit(*self.choice()))
        self.browser_btn.clicked.connect(lambda: self.browser_requested.emit(*self.choice()))
        self.step_btn.clicked.connect(lambda: self.step_requested.emit(*self.choice()))

    def choice(self) -> tuple[str, str, str]:
        return self.kind.currentData() or "sp", self.subscription.currentData() or "", self.user.currentData() or ""

    def set_choice(self, kind: str | None = None, idm_key: str | None = None, username: str | None = None) -> None:
        for combo, value in ((self.kind, kind), (self.subscription, idm_key), (self.user, username)):
            if value is not None:
                i = combo.findData(value)
                if i >= 0:
                    combo.setCurrentIndex(i)

    def reload(self, ws: Workspace) -> None:
        for combo, items in (
            (self.subscription, [(f"{s.name or s.idm_key} ({s.idm_key})", s.idm_key) for s in ws.subscriptions()]),
            (self.user, [(u.username, u.username) for u in ws.users()]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for label, value in items:
                combo.addItem(visible(label), value)  # names may hold bidi overrides
            i = combo.findData(current)
            combo.setCurrentIndex(i if i >= 0 else 0)
            combo.blockSignals(False)

    def set_running(self, running: bool) -> None:
        self.run_btn.setEnabled(not running)
        self.step_btn.setEnabled(not running)
        self.run_btn.setText("Running…" if running else "▶ Run")

    def set_stepping(self, shown: int, total: int) -> None:
        """In step mode the Step button reveals the next hop."""
        if total and shown < total:
            self.step_btn.setText(f"Next hop ({shown + 1}/{total})")
        else:
            self.step_btn.setText("Step")
