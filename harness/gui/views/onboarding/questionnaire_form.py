"""The questionnaire form: the five Appendix-1 fields, filled from the mock IdP or any IdP's
metadata (file or URL), validated as you type, saved/loaded as TOML; "Create subscription"
onboards it (undoable) and shows the unique login URL; "Export SP side" writes the SP's entityID,
ACS URL and metadata. A metadata fetch runs as a Task and comes back through the Bridge."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from harness.core.certs import CertError, describe_cert
from harness.core.checklist import FAIL, PASS
from harness.core.onboarding import OnboardingError
from harness.core.questionnaire import Questionnaire, QuestionnaireError, sp_side
from harness.core.workspace import Workspace, WorkspaceError
from harness.gui.errors import in_words
from harness.gui.plain import form_row, plain_label
from harness.gui.views.onboarding.common import COLORS, running_servers
from sp.model import MAPPING_MODES

if TYPE_CHECKING:
    from harness.gui.controller import AppController


class QuestionnaireForm(QWidget):
    subscription_created = Signal(str)  # idm_key

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        controller.bridge.metadata_read.connect(self.set_questionnaire)
        controller.bridge.metadata_failed.connect(lambda text: self._say(text, FAIL))
        self._make_fields()
        self._lay_out()
        self._connect()
        self.revalidate()

    @property
    def workspace(self) -> Workspace:
        return self.controller.workspace

    def _make_fields(self) -> None:
        self.entity_id = QLineEdit()
        self.entity_id.setPlaceholderText("urn:mace:incommon:example.com")
        self.certificate = QPlainTextEdit()
        self.certificate.setPlaceholderText("-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----")
        self.certificate.setMinimumHeight(110)
        self.certificate_next = QPlainTextEdit()
        self.certificate_next.setPlaceholderText("optional, during a rollover: the IdP's next certificate (PEM)")
        self.certificate_next.setMaximumHeight(60)
        self.cert_info = plain_label()
        self.cert_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sso_url = QLineEdit()
        self.sso_url.setPlaceholderText("https://idp.example.com/sso (HTTP-Redirect)")
        self.subscription = QLineEdit()
        self.subscription.setPlaceholderText("abcd_ef (the Manager primary contact's username)")
        self.exit_url = QLineEdit()
        self.exit_url.setPlaceholderText("optional: https://www.example.com/")
        self.slo_url = QLineEdit()
        self.slo_url.setPlaceholderText("optional: https://idp.example.com/slo (Single Logout)")
        self.name = QLineEdit()
        self.name.setPlaceholderText("display name (default: the primary contact)")
        self.mapping = QComboBox()
        self.mapping.addItems(list(MAPPING_MODES))
        self.nds = QCheckBox("New Data Security Model (SAML needs it)")
        self.nds.setChecked(True)
        self.metadata_url = QLineEdit()
        self.metadata_url.setPlaceholderText("IdP metadata URL")
        self.problems = QListWidget()
        self.problems.setMaximumHeight(110)
        self.result = plain_label()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)  # shows EntityIDs and URLs from the questionnaire
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.from_mock = QPushButton("Fill from the mock IdP")
        self.from_file = QPushButton("Fill from a metadata file…")
        self.fetch = QPushButton("Fetch")
        self.open_toml = QPushButton("Open TOML…")
        self.save_toml_button = QPushButton("Save TOML…")
        self.export = QPushButton("Export SP side…")
        self.create = QPushButton("Create subscription")

    def _lay_out(self) -> None:
        form = QFormLayout()
        form_row(form, "IdP EntityID", self.entity_id)
        form_row(form, "IdP certificate (PEM)", self.certificate)
        form_row(form, "", self.cert_info)
        form_row(form, "Next certificate (rollover)", self.certificate_next)
        form_row(form, "IdP SSO URL", self.sso_url)
        form_row(form, "Subscription (primary contact)", self.subscription)
        form_row(form, "Exit URL", self.exit_url)
        form_row(form, "IdP SLO URL", self.slo_url)
        fill = QHBoxLayout()
        fill.addWidget(self.from_mock)
        fill.addWidget(self.from_file)
        fill.addWidget(self.metadata_url, 1)
        fill.addWidget(self.fetch)
        files = QHBoxLayout()
        for b in (self.open_toml, self.save_toml_button, self.export):
            files.addWidget(b)
        files.addStretch(1)
        create = QHBoxLayout()
        create.addWidget(self.name, 1)
        create.addWidget(self.mapping)
        create.addWidget(self.nds)
        create.addWidget(self.create)
        layout = QVBoxLayout(self)
        layout.addLayout(fill)
        layout.addLayout(form)
        layout.addWidget(plain_label("Validation"))
        layout.addWidget(self.problems)
        layout.addLayout(files)
        layout.addLayout(create)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def _connect(self) -> None:
        for w in (self.entity_id, self.sso_url, self.subscription, self.exit_url, self.slo_url):
            w.textChanged.connect(self.revalidate)
        self.certificate.textChanged.connect(self.revalidate)
        self.certificate_next.textChanged.connect(self.revalidate)
        self.from_mock.clicked.connect(self.fill_from_mock)
        self.from_file.clicked.connect(self._pick_metadata_file)
        self.fetch.clicked.connect(lambda: self.fetch_metadata(self.metadata_url.text().strip()))
        self.open_toml.clicked.connect(self._pick_toml_to_open)
        self.save_toml_button.clicked.connect(self._pick_toml_to_save)
        self.export.clicked.connect(self._pick_export_dir)
        self.create.clicked.connect(self.create_subscription)

    # values

    def questionnaire(self) -> Questionnaire:
        return Questionnaire(
            idp_entity_id=self.entity_id.text(),
            idp_certificate=self.certificate.toPlainText(),
            idp_sso_url=self.sso_url.text(),
            subscription=self.subscription.text(),
            exit_url=self.exit_url.text(),
            idp_slo_url=self.slo_url.text(),
            idp_certificate_next=self.certificate_next.toPlainText(),
        )

    def set_questionnaire(self, q: Questionnaire) -> None:
        keep = self.subscription.text()
        self.entity_id.setText(q.idp_entity_id)
        self.certificate.setPlainText(q.idp_certificate)
        self.sso_url.setText(q.idp_sso_url)
        self.subscription.setText(q.subscription or keep)
        self.exit_url.setText(q.exit_url)
        self.slo_url.setText(q.idp_slo_url)
        self.certificate_next.setPlainText(q.idp_certificate_next)
        self.revalidate()

    def revalidate(self) -> None:
        q = self.questionnaire()
        problems = q.validate()
        self.problems.clear()
        for p in problems:
            item = QListWidgetItem(str(p))
            item.setForeground(QBrush(QColor(COLORS[FAIL if p.level == "error" else "warning"])))
            self.problems.addItem(item)
        if not problems:
            item = QListWidgetItem("✔ The questionnaire is complete.")
            item.setForeground(QBrush(QColor(COLORS[PASS])))
            self.problems.addItem(item)
        self.create.setEnabled(not any(p.level == "error" for p in problems))
        try:
            info = describe_cert(q.idp_certificate) if q.idp_certificate.strip() else None
        except CertError:
            info = None
        self.cert_info.setText(
            f"{info.subject} · {info.algorithm} · until {info.not_after:%Y-%m-%d} ({info.status})\n"
            f"SHA-256 {info.fingerprint_sha256}"
            if info
            else ""
        )

    def problem_texts(self) -> list[str]:
        return [self.problems.item(i).text() for i in range(self.problems.count())]

    # filling it in

    def fill_from_mock(self) -> None:
        self.set_questionnaire(Questionnaire.from_mock_idp(self.workspace, subscription=self.subscription.text()))
        self._say("Filled from the mock IdP (its URL is set when the servers start).", PASS)

    def fill_from_metadata(self, source: bytes | str | Path) -> bool:
        try:
            q = Questionnaire.from_metadata(
                source, subscription=self.subscription.text(), exit_url=self.exit_url.text()
            )
        except QuestionnaireError as err:
            self._say(f"That metadata cannot be used: {err}", FAIL)
            return False
        self.set_questionnaire(q)
        self._say(f"Filled from the metadata of {q.idp_entity_id}.", PASS)
        return True

    def fetch_metadata(self, url: str) -> None:
        """Fetch in a task; the form fills when the Bridge brings the answer."""
        if not url:
            self._say("Give the IdP's metadata URL first.", FAIL)
            return
        self._say(f"Fetching {url} …", "pending")
        sub, exit_url, bridge = self.subscription.text(), self.exit_url.text(), self.controller.bridge

        def work() -> Questionnaire:
            return Questionnaire.from_metadata(url, subscription=sub, exit_url=exit_url)

        def failed(err: Exception) -> None:
            why = str(err) if isinstance(err, QuestionnaireError) else in_words(err)
            bridge.metadata_failed.emit(f"That metadata cannot be used: {why}")

        self.controller.tasks.start(work, done=bridge.metadata_read.emit, failed=failed)

    def load_toml(self, path: str | Path) -> bool:
        try:
            self.set_questionnaire(Questionnaire.load(path))
        except QuestionnaireError as err:
            self._say(str(err), FAIL)
            return False
        self._say(f"Opened {path}.", PASS)
        return True

    def save_toml(self, path: str | Path) -> Path:
        saved = self.questionnaire().save(path)
        self._say(f"Saved {saved}.", PASS)
        return saved

    # acting on it

    def create_subscription(self) -> str | None:
        servers = running_servers(self.controller)
        base = servers.sp_base if servers is not None else None
        try:
            done = self.controller.onboard(
                self.questionnaire(),
                name=self.name.text().strip() or None,
                mapping=self.mapping.currentText(),
                nds_enabled=self.nds.isChecked(),
                sp_base=base,
            )
        except OnboardingError as err:
            self._say("The questionnaire cannot be used yet:\n" + "\n".join(str(p) for p in err.problems), FAIL)
            return None
        except WorkspaceError as err:
            self._say(str(err), FAIL)
            return None
        sub = done.subscription
        note = (
            "" if sub.nds_enabled else "\nThis subscription lacks the New Data Security Model: SAML cannot be enabled."
        ) + "".join(f"\n{w}" for w in done.warnings)
        self._say(
            f"Subscription {sub.name} created with idm_key {sub.idm_key}.\nUnique login URL: {done.login_url}\n"
            f"API account (the user API only, never SAML): {done.api_login} / {done.api_password}{note}",
            PASS,
        )
        self.subscription_created.emit(sub.idm_key)
        return sub.idm_key

    def export_sp(self, directory: str | Path, idm_key: str | None = None) -> list[Path]:
        servers = running_servers(self.controller)
        base = servers.sp_base if servers is not None else None
        paths = sp_side(self.workspace, sp_base=base, idm_key=idm_key).write(directory)
        self._say("Wrote " + ", ".join(str(p) for p in paths), PASS)
        return paths

    def _say(self, text: str, level: str) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(f"color: {COLORS.get(level, '#263238')}")

    # dialogs (thin: the methods above do the work, and the tests call them)

    def _pick_metadata_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "IdP metadata", "", "SAML metadata (*.xml);;All files (*)")
        if path:
            self.fill_from_metadata(Path(path))

    def _pick_toml_to_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open questionnaire", "", "Questionnaire (*.toml)")
        if path:
            self.load_toml(path)

    def _pick_toml_to_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save questionnaire", "questionnaire.toml", "TOML (*.toml)")
        if path:
            self.save_toml(path)

    def _pick_export_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export the SP side to")
        if path:
            self.export_sp(path)
