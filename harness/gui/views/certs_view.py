"""Certificates: make, import, export, rotate; expired and soon-to-expire marked; trust mismatches
shown as a warning before any flow runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from harness.core.certs import CertError, describe_cert, format_cert
from harness.gui.controller import AppController
from harness.gui.errors import in_words
from harness.gui.models.certs import CertTableModel
from harness.gui.plain import plain_label, plain_message_box
from harness.gui.trust import CertRow, cert_rows, signing_key_for_sp, trust_report
from harness.gui.views.dialogs import MakeKeyPairDialog
from harness.gui.views.editor_base import title_label


class CertificatesView(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.model = CertTableModel(self)
        self.warnings = plain_label("")
        self.warnings.setWordWrap(True)
        self.signing = plain_label("")
        self.signing.setWordWrap(True)
        self.make_btn = QPushButton("Make…")
        self.import_btn = QPushButton("Import…")
        self.export_btn = QPushButton("Export certificate…")
        self.rotate_btn = QPushButton("Rotate…")
        self.sign_btn = QPushButton("IdP signs with it")
        self.trust_btn = QToolButton(text="Trust it in ▾")
        self.trust_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.trust_menu = QMenu(self.trust_btn)
        self.trust_btn.setMenu(self.trust_menu)
        tips = {
            self.make_btn: "Make a key and a self-signed certificate (optionally already expired)",
            self.import_btn: "Import a key pair from a certificate file and a key file",
            self.export_btn: "Save the certificate (PEM) to hand to an SP",
            self.rotate_btn: "A fresh key under the same subject: the fingerprint changes (Ctrl+Z undoes)",
            self.sign_btn: "Make the mock IdP sign with this key pair",
            self.trust_btn: "Make a subscription trust this certificate",
        }
        for w, tip in tips.items():
            w.setToolTip(tip)
        buttons = QHBoxLayout()
        for b in (self.make_btn, self.import_btn, self.export_btn, self.rotate_btn, self.sign_btn):
            buttons.addWidget(b)
        buttons.addWidget(self.trust_btn)
        buttons.addStretch(1)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter()
        split.setOrientation(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([260, 220])
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "Certificates",
                "The workspace's key pairs and the certificates subscriptions trust. Red: expired; orange: "
                "expires within 30 days.",
            )
        )
        lay.addWidget(self.signing)
        lay.addWidget(self.warnings)
        lay.addLayout(buttons)
        lay.addWidget(split, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        self.make_btn.clicked.connect(self.make)
        self.import_btn.clicked.connect(self.import_keypair)
        self.export_btn.clicked.connect(self.export)
        self.rotate_btn.clicked.connect(lambda: self.rotate(confirm=True))
        self.sign_btn.clicked.connect(self.use_for_signing)

    def reload(self) -> None:
        ws = self.controller.workspace
        cur = self.current()
        self.model.set_rows(cert_rows(ws))
        self.table.resizeColumnsToContents()
        row = self.model.find(lambda r: cur is not None and r.fingerprint == cur.fingerprint and r.name == cur.name)
        self._select(max(row, 0))
        lines = trust_report(ws)
        bad = [t for t in lines if not t.ok]
        if bad:
            self.warnings.setText("\n".join(f"⚠ {t.message}" for t in bad))
            self.warnings.setStyleSheet(
                "QLabel { color: #e65100; background: #fff3e0; border-left: 4px solid #e65100; padding: 6px; "
                "font-weight: bold }"
            )
        else:
            self.warnings.setText("\n".join(f"✔ {t.message}" for t in lines) or "No subscriptions yet.")
            self.warnings.setStyleSheet("QLabel { color: #2e7d32; padding: 4px }")
        self.signing.setText(f"The mock IdP signs for the embedded SP with key pair '{signing_key_for_sp(ws)}'.")
        self.trust_menu.clear()
        for s in ws.subscriptions():
            act = self.trust_menu.addAction(f"{s.name or s.idm_key} ({s.idm_key})")
            act.triggered.connect(lambda _c=False, key=s.idm_key: self.trust_in(key))

    def problems(self) -> list[str]:
        return [t.message for t in trust_report(self.controller.workspace) if not t.ok]

    def _select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._selected()

    def select_name(self, name: str) -> None:
        self._select(self.model.row_for(name))

    def current(self) -> CertRow | None:
        idx = self.table.selectionModel().currentIndex()
        return self.model.object(idx.row()) if idx.isValid() else None

    def _selected(self) -> None:
        r = self.current()
        has_key = r is not None and r.has_key and bool(r.name)
        for b in (self.rotate_btn, self.sign_btn, self.trust_btn):
            b.setEnabled(has_key)
        self.export_btn.setEnabled(r is not None and bool(r.cert_pem))
        if r is None:
            self.detail.clear()
            return
        try:
            text = format_cert(describe_cert(r.cert_pem)) if r.cert_pem else r.subject
        except CertError as err:
            text = f"Unreadable: {err}"
        uses = "\n".join(f"  · {u}" for u in r.uses) or "  (not used)"
        head = f"Key pair: {r.name}" if r.name else "A certificate a subscription trusts (no key pair holds it)"
        self.detail.setPlainText(f"{head}\n{text}\nUsed for:\n{uses}\n\n{r.cert_pem.decode('ascii', 'replace')}")

    # -- actions --------------------------------------------------------------------------------------

    def make(self) -> None:
        dlg = MakeKeyPairDialog(self)
        if dlg.exec() == MakeKeyPairDialog.DialogCode.Accepted:
            v = dlg.values()
            if self.controller.make_keypair(
                v["name"], v["common_name"], kind=v["kind"], days=v["days"], expired=v["expired"]
            ):
                self.select_name(v["name"])

    def import_keypair(self) -> None:
        cert_path, _ = QFileDialog.getOpenFileName(self, "The certificate (PEM)", "", "PEM (*.pem *.crt);;All (*)")
        if not cert_path:
            return
        key_path, _ = QFileDialog.getOpenFileName(self, "Its private key (PEM)", str(Path(cert_path).parent))
        if not key_path:
            return
        stem = Path(cert_path).name.split(".")[0]
        name, ok = QInputDialog.getText(self, "Import key pair", "Name in the workspace:", text=stem)
        if not ok or not name.strip():
            return
        try:
            cert, key = Path(cert_path).read_bytes(), Path(key_path).read_bytes()
        except OSError as err:
            self.controller.bridge.error(f"Cannot read the files: {in_words(err)}")
            return
        if self.controller.import_keypair(name.strip(), cert, key):
            self.select_name(name.strip())

    def export(self) -> None:
        r = self.current()
        if r is None or not r.cert_pem:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export certificate", f"{r.name or 'trusted'}.crt.pem")
        if path:
            try:
                Path(path).write_bytes(r.cert_pem)
            except OSError as err:
                self.controller.bridge.error(f"Cannot write {path}: {in_words(err)}")
                return
            self.controller.bridge.info(f"Certificate written to {path}.")

    def rotate(self, confirm: bool = True) -> None:
        r = self.current()
        if r is None or not r.name:
            return
        if confirm:
            answer = plain_message_box(
                self,
                QMessageBox.Icon.Question,
                "Rotate key pair",
                f"Make a fresh key for '{r.name}' under the same subject?\n\nThe fingerprint changes: every SP "
                "trusting the old certificate refuses logins until it is updated. Edit ▸ Undo brings the old key "
                "back.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            ).exec()
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self.controller.rotate_keypair(r.name):
            self.select_name(r.name)

    def use_for_signing(self) -> None:
        r = self.current()
        if r is not None and r.name:
            self.controller.use_signing_key(r.name)

    def trust_in(self, idm_key: str) -> None:
        r = self.current()
        if r is not None and r.name:
            self.controller.trust_keypair(idm_key, r.name)
