"""The inspector: paste or drop any SAML message and see it in the same tabs, with its signatures
checked against a chosen certificate."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from harness.core.certs import CertError, normalize_cert_pem
from harness.core.inspect_message import inspect
from harness.core.terminal import visible
from harness.core.trace import Message
from harness.gui.controller import AppController
from harness.gui.errors import in_words
from harness.gui.plain import plain_label
from harness.gui.trust import cert_of
from harness.gui.views.editor_base import title_label
from harness.gui.views.message_detail import MessageDetail

MAX_DROP_BYTES = 4 * 1024 * 1024


class DropEdit(QPlainTextEdit):
    """Takes pasted text, dropped text, and dropped files (their content)."""

    def canInsertFromMimeData(self, source) -> bool:
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source) -> None:
        if source.hasUrls():
            for url in source.urls():
                if url.isLocalFile():
                    path = Path(url.toLocalFile())
                    try:
                        data = path.read_bytes()[:MAX_DROP_BYTES]
                    except OSError:
                        continue
                    self.setPlainText(data.decode("utf-8", "replace"))
                    return
                self.setPlainText(url.toString())
                return
        super().insertFromMimeData(source)


class InspectorView(QWidget):
    edit_requested = Signal(object)  # harness.core.trace.Message shown: open it in the workbench editor

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.input = DropEdit()
        self.input.setPlaceholderText(
            "Paste or drop a SAML message: raw XML, base64, deflated base64, a whole URL with SAMLRequest or "
            "SAMLResponse, an HTML form, or a file."
        )
        self.input.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.input.setAccessibleName("Message to inspect")
        self.cert = QComboBox()
        self.cert.setToolTip("The certificate the signatures are checked against")
        self.cert.activated.connect(self._cert_chosen)
        self.key = QComboBox()
        self.key.setToolTip("The private key that decrypts an EncryptedAssertion (an SP's encryption key pair)")
        self.key.activated.connect(lambda _i: self.decode())
        self.decode_btn = QPushButton("Decode")
        self.decode_btn.setDefault(True)
        self.clear_btn = QPushButton("Clear")
        self.edit_btn = QPushButton("Edit and send")
        self.edit_btn.setToolTip("Open the message shown in the editor: change, re-sign and send it")
        self.which = QComboBox()
        self.which.setToolTip("The input holds several messages: choose one")
        self.status = plain_label("")
        self.status.setWordWrap(True)
        self.detail = MessageDetail(blank="Paste a message above: it is decoded as you type.")
        self.messages: list[Message] = []
        self._file_cert: bytes | None = None
        bar = QHBoxLayout()
        bar.addWidget(plain_label("Check signatures with:"))
        bar.addWidget(self.cert, 1)
        bar.addWidget(plain_label("Decrypt with:"))
        bar.addWidget(self.key, 1)
        bar.addWidget(self.decode_btn)
        bar.addWidget(self.clear_btn)
        bar.addWidget(self.edit_btn)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.input, 1)
        tl.addLayout(bar)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.which)
        row.addWidget(self.status, 1)
        bl.addLayout(row)
        bl.addWidget(self.detail, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([200, 460])
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Inspector", "Decodes anything SAML; nothing is sent anywhere."))
        lay.addWidget(split, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.decode)
        self.input.textChanged.connect(self._debounce.start)
        self.decode_btn.clicked.connect(self.decode)
        self.clear_btn.clicked.connect(self.input.clear)
        self.edit_btn.clicked.connect(self._edit)
        self.which.activated.connect(self._show)
        self.which.hide()
        self.detail.set_message(None)

    def reload(self) -> None:
        ws = self.controller.workspace
        current = self.cert.currentData()
        self.cert.blockSignals(True)
        self.cert.clear()
        self.cert.addItem("no certificate (show, don't verify)", "none:")
        for s in ws.subscriptions():
            if s.idp_cert_pem:
                self.cert.addItem(
                    visible(f"the certificate {s.name or s.idm_key} ({s.idm_key}) trusts"), f"sub:{s.idm_key}"
                )
        for name in ws.keypair_names():
            self.cert.addItem(f"key pair {name}", f"key:{name}")
        if self._file_cert is not None:
            self.cert.addItem("the certificate from the file", "file:")
        self.cert.addItem("a certificate file…", "pick:")
        i = self.cert.findData(current)
        self.cert.setCurrentIndex(i if i >= 0 else (1 if self.cert.count() > 2 else 0))
        self.cert.blockSignals(False)
        self._reload_keys(ws)

    def _reload_keys(self, ws) -> None:
        """Subscriptions' encryption key pairs first (what the SP decrypts with), then every key pair."""
        current = self.key.currentData()
        self.key.blockSignals(True)
        self.key.clear()
        self.key.addItem("no key (say what would decrypt it)", "")
        names = ws.keypair_names()
        for s in ws.subscriptions():
            if s.encryption_key in names:
                self.key.addItem(
                    visible(f"the encryption key of {s.name or s.idm_key} ({s.idm_key})"), s.encryption_key
                )
        for name in names:
            self.key.addItem(f"key pair {name}", name)
        i = self.key.findData(current)
        self.key.setCurrentIndex(i if i >= 0 else (1 if self.key.count() > 1 and names else 0))
        self.key.blockSignals(False)

    def decryption_key(self) -> bytes | None:
        name = self.key.currentData()
        if not name:
            return None
        try:
            return self.controller.workspace.keypair(name).key_pem
        except Exception:
            return None

    def set_text(self, text: str) -> None:
        self.input.setPlainText(text)
        self.decode()

    def choose_cert(self, kind: str, key: str = "") -> None:
        i = self.cert.findData(f"{kind}:{key}")
        if i >= 0:
            self.cert.setCurrentIndex(i)
            self.decode()

    def _cert_chosen(self, _index: int) -> None:
        kind = (self.cert.currentData() or "none:").split(":", 1)[0]
        if kind == "pick":
            path, _ = QFileDialog.getOpenFileName(
                self, "Certificate to check with", "", "PEM (*.pem *.crt *.cer);;All (*)"
            )
            if path:
                try:
                    self._file_cert = normalize_cert_pem(Path(path).read_bytes())
                except (OSError, CertError) as err:
                    self.status.setText(f"Cannot use that file: {in_words(err)}")
                    self._file_cert = None
            self.reload()
            if self._file_cert is not None:
                self.cert.setCurrentIndex(self.cert.findData("file:"))
        self.decode()

    def trusted_cert(self) -> bytes | None:
        kind, _, key = (self.cert.currentData() or "none:").partition(":")
        ws = self.controller.workspace
        try:
            if kind == "sub":
                sub = ws.subscription(key)
                return sub.idp_cert_pem if sub else None
            if kind == "key":
                return cert_of(ws, key)
        except Exception:  # a broken key file: check without a certificate
            return None
        if kind == "file":
            return self._file_cert
        return None

    def decode(self) -> None:
        self._debounce.stop()
        text = self.input.toPlainText()
        if not text.strip():
            self.messages = []
            self.which.hide()
            self.status.setText("")
            self.detail.set_message(None)
            return
        self.messages = inspect(text, self.trusted_cert(), self.decryption_key())
        self.which.blockSignals(True)
        self.which.clear()
        for i, m in enumerate(self.messages, 1):
            kind = m.summary.kind or "not decoded"
            self.which.addItem(f"{i}. {kind}" + (f" ({m.binding})" if m.binding else ""))
        self.which.blockSignals(False)
        self.which.setVisible(len(self.messages) > 1)
        self._show(0)

    def _show(self, i: int) -> None:
        if not 0 <= i < len(self.messages):
            return
        msg = self.messages[i]
        if msg.error and not msg.summary.kind:
            self.status.setText(f"✘ {msg.error}")
            self.status.setStyleSheet("color: #c62828; font-weight: bold")
        else:
            n = len(self.messages)
            head = f"{n} messages found. " if n > 1 else ""
            self.status.setText(
                f"{head}✔ {msg.summary.kind or 'Message'} decoded"
                + (f" ({msg.binding})" if msg.binding else "")
                + (f" — {msg.error}" if msg.error else "")
            )
            self.status.setStyleSheet("color: #2e7d32")
        self.detail.set_message(msg)

    def _edit(self) -> None:
        i = self.which.currentIndex() if self.which.isVisible() else 0
        if 0 <= i < len(self.messages) and self.messages[i].summary.kind:
            self.edit_requested.emit(self.messages[i])
