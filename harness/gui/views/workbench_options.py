"""The editor's choices: what happens to signatures, encryption, one-click transforms, and the target."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from harness.core.terminal import visible
from harness.core.workbench import encryption
from harness.core.workbench.binding import POST, REDIRECT
from harness.core.workbench.encryption import EncryptionChoice
from harness.core.workbench.message import WorkbenchError
from harness.core.workbench.send import SendOptions
from harness.core.workbench.signing import HASHES, KEY_CLONE, KEY_IDP, KEY_PEM, KEY_PREFIX, SigningChoice
from harness.core.workspace import Workspace, WorkspaceError
from harness.gui.plain import plain_label
from harness.gui.workbench import EMBEDDED_SP, MOCK_IDP, OTHER_URL, TargetChoice
from mock_idp.scenarios import CATALOGUE

KEEP, STRIP, RESIGN = "keep", "strip", "resign"
MAX_SHIFT = 10**8


class WorkbenchOptions(QWidget):
    scenario_requested = Signal(str)
    shift_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._pem: tuple[bytes, bytes] | None = None
        self._workspace: Workspace | None = None
        # signatures
        self.sig_mode = QComboBox()
        self.sig_mode.addItem("Keep as they are (test tampering)", KEEP)
        self.sig_mode.addItem("Strip", STRIP)
        self.sig_mode.addItem("Re-sign", RESIGN)
        self.on_response = QCheckBox("Response")
        self.on_assertion = QCheckBox("Assertion")
        self.on_response.setChecked(True)
        self.on_assertion.setChecked(True)
        self.key = QComboBox()
        self.key.setToolTip("The key that re-signs; a clone copies the message's certificate with a new key")
        self.hash = QComboBox()
        self.hash.addItems(list(HASHES))
        self.refresh = QCheckBox("Make current")
        self.refresh.setToolTip(
            "Before signing: new Response and Assertion IDs, InResponseTo of a fresh request from the SP, "
            "times moved to now (your time shifts stay)"
        )
        self.encrypt = QCheckBox("Encrypt the Assertion for")
        self.encrypt_cert = QComboBox()
        if not encryption.available():
            self.encrypt.setToolTip(encryption.NOT_AVAILABLE)
        sig = QGroupBox("Signatures and encryption")
        g = QGridLayout(sig)
        g.addWidget(self.sig_mode, 0, 0, 1, 2)
        g.addWidget(self.on_response, 0, 2)
        g.addWidget(self.on_assertion, 0, 3)
        g.addWidget(plain_label("with"), 1, 0)
        g.addWidget(self.key, 1, 1, 1, 2)
        g.addWidget(self.hash, 1, 3)
        g.addWidget(self.refresh, 2, 0, 1, 2)
        g.addWidget(self.encrypt, 3, 0, 1, 2)
        g.addWidget(self.encrypt_cert, 3, 2, 1, 2)
        # transforms
        self.scenario = QComboBox()
        for s in CATALOGUE:
            self.scenario.addItem(s.name, s.name)
            self.scenario.setItemData(self.scenario.count() - 1, s.summary, 3)  # Qt.ToolTipRole
        self.apply_btn = QPushButton("Apply scenario")
        self.shift = QSpinBox()
        self.shift.setRange(-MAX_SHIFT, MAX_SHIFT)
        self.shift.setSuffix(" s")
        self.shift.setValue(-3600)
        self.shift_btn = QPushButton("Shift all times")
        tr = QGroupBox("Transforms")
        t = QGridLayout(tr)
        t.addWidget(self.scenario, 0, 0)
        t.addWidget(self.apply_btn, 0, 1)
        t.addWidget(self.shift, 1, 0)
        t.addWidget(self.shift_btn, 1, 1)
        # target
        self.target = QComboBox()
        self.target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.target.setMinimumContentsLength(24)
        self.url = QLineEdit(placeholderText="https://sp.example/acs, or an IdP's SSO URL")
        self.login_url = QLineEdit(placeholderText="optional: the SP's login URL (a fresh request to answer)")
        self.binding = QComboBox()
        self.binding.addItem("binding: automatic", None)
        self.binding.addItem("HTTP-POST", POST)
        self.binding.addItem("HTTP-Redirect", REDIRECT)
        self.send_btn = QPushButton("Send")
        self.send_btn.setDefault(True)
        self.browser_btn = QPushButton("Open in browser")
        tg = QGroupBox("Target")
        tl = QGridLayout(tg)
        tl.addWidget(self.target, 0, 0, 1, 2)
        tl.addWidget(self.url, 1, 0, 1, 2)
        tl.addWidget(self.login_url, 2, 0, 1, 2)
        tl.addWidget(self.binding, 3, 0, 1, 2)
        tl.addWidget(self.send_btn, 4, 0)
        tl.addWidget(self.browser_btn, 4, 1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(sig, 3)
        lay.addWidget(tr, 2)
        lay.addWidget(tg, 3)
        self.sig_mode.currentIndexChanged.connect(self._mode_changed)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.key.activated.connect(self._key_chosen)
        self.apply_btn.clicked.connect(lambda: self.scenario_requested.emit(self.scenario.currentData()))
        self.shift_btn.clicked.connect(lambda: self.shift_requested.emit(self.shift.value()))
        self._mode_changed()
        self._target_changed()

    def reload(self, ws: Workspace) -> None:
        key, target, cert = self.key.currentData(), self.target.currentData(), self.encrypt_cert.currentData()
        self.key.clear()
        self.key.addItem("the mock IdP's key (trusted)", KEY_IDP)
        for name in ws.keypair_names():
            self.key.addItem(f"key pair {name}", KEY_PREFIX + name)
        self.key.addItem("a clone of the message's certificate (new key)", KEY_CLONE)
        self.key.addItem("PEM files…", KEY_PEM)
        self.encrypt_cert.clear()
        for name in ws.keypair_names():
            self.encrypt_cert.addItem(f"the certificate of {name}", name)
        self.target.clear()
        for s in ws.subscriptions():
            label = visible(f"the embedded SP, {s.name or s.idm_key} ({s.idm_key})")
            self.target.addItem(label, f"{EMBEDDED_SP}:{s.idm_key}")
        self.target.addItem("the mock IdP (requests)", f"{MOCK_IDP}:")
        self.target.addItem("another URL…", f"{OTHER_URL}:")
        for combo, value in ((self.key, key), (self.target, target), (self.encrypt_cert, cert)):
            i = combo.findData(value)
            combo.setCurrentIndex(max(i, 0))
        self._workspace = ws

    def suit(self, is_request: bool) -> None:
        """Aim at the mock IdP for a request, the embedded SP for a Response."""
        want = MOCK_IDP if is_request else EMBEDDED_SP
        if (self.target.currentData() or "").split(":")[0] not in (want, OTHER_URL):
            i = next((i for i in range(self.target.count()) if self.target.itemData(i).startswith(want)), 0)
            self.target.setCurrentIndex(i)
        self.on_assertion.setEnabled(not is_request)
        self.on_response.setText("the request" if is_request else "Response")

    def _mode_changed(self) -> None:
        mode = self.sig_mode.currentData()
        for w in (self.key, self.hash):
            w.setEnabled(mode == RESIGN)
        for w in (self.on_response, self.on_assertion):
            w.setVisible(mode != KEEP)
        self.refresh.setChecked(mode == RESIGN)

    def _target_changed(self) -> None:
        other = (self.target.currentData() or "").startswith(OTHER_URL)
        self.url.setVisible(other)
        self.login_url.setVisible(other)

    def _key_chosen(self) -> None:
        if self.key.currentData() != KEY_PEM:
            return
        key, _ = QFileDialog.getOpenFileName(self, "Private key (PEM)", "", "PEM (*.pem *.key);;All (*)")
        cert, _ = QFileDialog.getOpenFileName(self, "Its certificate (PEM)", "", "PEM (*.pem *.crt);;All (*)")
        try:
            self._pem = (Path(key).read_bytes(), Path(cert).read_bytes()) if key and cert else None
        except OSError:
            self._pem = None

    def set_pem(self, key_pem: bytes, cert_pem: bytes) -> None:
        self._pem = (key_pem, cert_pem)
        self.key.setCurrentIndex(self.key.findData(KEY_PEM))

    # -- what the tester chose -------------------------------------------------------------------

    def signing(self) -> SigningChoice:
        mode = self.sig_mode.currentData()
        parts = {
            p
            for p, box in (("response", self.on_response), ("assertion", self.on_assertion))
            if box.isChecked() and box.isEnabled()
        }
        if mode != KEEP and not parts:
            raise WorkbenchError("tick the Response and/or the Assertion to strip or re-sign")
        choice = SigningChoice(hash=self.hash.currentText())
        if mode == STRIP:
            choice.strip = parts
        elif mode == RESIGN:
            choice.resign, choice.key = parts, self.key.currentData() or KEY_IDP
            if choice.key == KEY_PEM:
                if self._pem is None:
                    raise WorkbenchError("choose the PEM key and certificate files to re-sign with")
                choice.key_pem, choice.cert_pem = self._pem
        return choice

    def options(self) -> SendOptions:
        enc = None
        if self.encrypt.isChecked():
            name = self.encrypt_cert.currentData()
            if not name:
                raise WorkbenchError("the workspace has no certificate to encrypt for")
            try:
                enc = EncryptionChoice(cert_pem=self._workspace.keypair(name).cert_pem)
            except WorkspaceError as err:
                raise WorkbenchError(str(err)) from err
        return SendOptions(
            signing=self.signing(), refresh=self.refresh.isChecked(), encryption=enc, binding=self.binding.currentData()
        )

    def target_choice(self) -> TargetChoice:
        kind, _, key = (self.target.currentData() or f"{OTHER_URL}:").partition(":")
        return TargetChoice(kind=kind, idm_key=key, url=self.url.text(), login_url=self.login_url.text())
