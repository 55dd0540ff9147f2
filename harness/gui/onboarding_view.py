"""The onboarding pieces of the desktop app, as standalone widgets the main window can plug in.

`OnboardingView(workspace, reload_servers)` holds three tabs:

- Questionnaire: the five Appendix-1 fields, filled from the mock IdP or any IdP's metadata
  (file or URL), validated as you type, saved/loaded as TOML; "Create subscription" onboards it
  and shows the unique login URL; "Export SP side" writes the SP's entityID, ACS URL and metadata.
- Test procedure: the guide's checklist, run against the mock IdP (demo, with a pace or step by
  step with Next) or with the system browser (interactive), each step marked with its reason
  and the side to fix; the HTML onboarding report can be saved.
- Provisioning rules: group → role/scope rules, edited and saved to the workspace; a preview of
  the sync and the sync itself through the SP's user API.

`reload_servers()` is the main window's: it applies workspace edits to the running servers and
returns them, or returns None when none run (then the view starts its own on free ports for a run).
Work that blocks (a run, a metadata fetch, a sync) happens in a worker thread that only emits
signals; widgets change in the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from harness.core.certs import CertError, describe_cert
from harness.core.checklist import (
    FAIL,
    ORDER,
    PASS,
    SKIP,
    TITLES,
    ChecklistReport,
    CheckStep,
    run_demo,
    run_interactive,
)
from harness.core.onboarding import OnboardingError, onboard
from harness.core.onboarding_report import write_report
from harness.core.provision import ProvisionError, UserAPI, default_mode, make_plan, manager_credentials, sync
from harness.core.questionnaire import Questionnaire, QuestionnaireError, sp_side
from harness.core.servers import Servers
from harness.core.trace import Step, Trace
from harness.core.workspace import Rule, Workspace, WorkspaceError
from harness.gui.plain import form_row, plain_label
from sp.model import MAPPING_MODES, ROLES

ReloadServers = Callable[[], "Servers | None"]
COLORS = {PASS: "#2e7d32", FAIL: "#c62828", SKIP: "#78909c", "pending": "#546e7a", "warning": "#e65100"}
MARKS = {PASS: "✔", FAIL: "✘", SKIP: "–", "pending": "…"}


class _Signals(QObject):
    """Worker threads emit these; the slots run in the GUI thread."""

    metadata_ready = Signal(object)  # Questionnaire
    metadata_failed = Signal(str)
    check = Signal(object)  # CheckStep (a copy)
    trace_step = Signal(object)  # Step
    run_done = Signal(object)  # ChecklistReport
    run_failed = Signal(str)
    sync_done = Signal(str)


def _servers_for_run(reload_servers: ReloadServers, workspace: Workspace) -> tuple[Servers, bool]:
    """The main window's running servers, or our own on free ports (True: we must stop them)."""
    servers = reload_servers()
    if servers is not None and servers.running:
        return servers, False
    return Servers(workspace, sp_port=0, idp_port=0).start(), True


# -- the questionnaire form ------------------------------------------------------------------------


class QuestionnaireForm(QWidget):
    subscription_created = Signal(str)  # idm_key

    def __init__(self, workspace: Workspace, reload_servers: ReloadServers, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.reload_servers = workspace, reload_servers
        self.signals = _Signals(self)
        self.signals.metadata_ready.connect(self.set_questionnaire)
        self.signals.metadata_failed.connect(lambda text: self._say(text, FAIL))
        self.entity_id = QLineEdit()
        self.entity_id.setPlaceholderText("urn:mace:incommon:example.com")
        self.certificate = QPlainTextEdit()
        self.certificate.setPlaceholderText("-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----")
        self.certificate.setMinimumHeight(110)
        self.cert_info = plain_label()
        self.cert_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sso_url = QLineEdit()
        self.sso_url.setPlaceholderText("https://idp.example.com/sso (HTTP-Redirect)")
        self.subscription = QLineEdit()
        self.subscription.setPlaceholderText("abcd_ef (the Manager primary contact's username)")
        self.exit_url = QLineEdit()
        self.exit_url.setPlaceholderText("optional: https://www.example.com/")
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
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form_row(form, "IdP EntityID", self.entity_id)
        form_row(form, "IdP certificate (PEM)", self.certificate)
        form_row(form, "", self.cert_info)
        form_row(form, "IdP SSO URL", self.sso_url)
        form_row(form, "Subscription (primary contact)", self.subscription)
        form_row(form, "Exit URL", self.exit_url)
        fill = QHBoxLayout()
        self.from_mock = QPushButton("Fill from the mock IdP")
        self.from_file = QPushButton("Fill from a metadata file…")
        self.fetch = QPushButton("Fetch")
        fill.addWidget(self.from_mock)
        fill.addWidget(self.from_file)
        fill.addWidget(self.metadata_url, 1)
        fill.addWidget(self.fetch)
        files = QHBoxLayout()
        self.open_toml = QPushButton("Open TOML…")
        self.save_toml_button = QPushButton("Save TOML…")
        self.export = QPushButton("Export SP side…")
        for b in (self.open_toml, self.save_toml_button, self.export):
            files.addWidget(b)
        files.addStretch(1)
        create = QHBoxLayout()
        self.create = QPushButton("Create subscription")
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

        for w in (self.entity_id, self.sso_url, self.subscription, self.exit_url):
            w.textChanged.connect(self.revalidate)
        self.certificate.textChanged.connect(self.revalidate)
        self.from_mock.clicked.connect(self.fill_from_mock)
        self.from_file.clicked.connect(self._pick_metadata_file)
        self.fetch.clicked.connect(lambda: self.fetch_metadata(self.metadata_url.text().strip()))
        self.open_toml.clicked.connect(self._pick_toml_to_open)
        self.save_toml_button.clicked.connect(self._pick_toml_to_save)
        self.export.clicked.connect(self._pick_export_dir)
        self.create.clicked.connect(self.create_subscription)
        self.revalidate()

    # values

    def questionnaire(self) -> Questionnaire:
        return Questionnaire(
            idp_entity_id=self.entity_id.text(),
            idp_certificate=self.certificate.toPlainText(),
            idp_sso_url=self.sso_url.text(),
            subscription=self.subscription.text(),
            exit_url=self.exit_url.text(),
        )

    def set_questionnaire(self, q: Questionnaire) -> None:
        keep = self.subscription.text()
        self.entity_id.setText(q.idp_entity_id)
        self.certificate.setPlainText(q.idp_certificate)
        self.sso_url.setText(q.idp_sso_url)
        self.subscription.setText(q.subscription or keep)
        self.exit_url.setText(q.exit_url)
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
        """Fetch in a worker thread; the form fills when the answer arrives."""
        if not url:
            self._say("Give the IdP's metadata URL first.", FAIL)
            return
        self._say(f"Fetching {url} …", "pending")
        sub, exit_url = self.subscription.text(), self.exit_url.text()

        def work() -> None:
            try:
                q = Questionnaire.from_metadata(url, subscription=sub, exit_url=exit_url)
            except QuestionnaireError as err:
                self.signals.metadata_failed.emit(f"That metadata cannot be used: {err}")
                return
            self.signals.metadata_ready.emit(q)

        threading.Thread(target=work, name="metadata-fetch", daemon=True).start()

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
        servers = self.reload_servers()
        base = servers.sp_base if servers is not None and servers.running else None
        try:
            done = onboard(
                self.workspace,
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
        self.reload_servers()
        sub = done.subscription
        note = (
            "" if sub.nds_enabled else "\nThis subscription lacks the New Data Security Model: SAML cannot be enabled."
        )
        self._say(
            f"Subscription {sub.name} created with idm_key {sub.idm_key}.\nUnique login URL: {done.login_url}\n"
            f"API account (the user API only, never SAML): {done.api_login} / {done.api_password}{note}",
            PASS,
        )
        self.subscription_created.emit(sub.idm_key)
        return sub.idm_key

    def export_sp(self, directory: str | Path, idm_key: str | None = None) -> list[Path]:
        servers = self.reload_servers()
        base = servers.sp_base if servers is not None and servers.running else None
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


# -- the checklist ----------------------------------------------------------------------------------


class ChecklistPanel(QWidget):
    """Run the guide's test procedure and show each step's verdict as it is decided."""

    finished = Signal(object)  # ChecklistReport

    def __init__(self, workspace: Workspace, reload_servers: ReloadServers, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.reload_servers = workspace, reload_servers
        self.report: ChecklistReport | None = None
        self._thread: threading.Thread | None = None
        self._next = threading.Event()
        self._stop = threading.Event()
        self.signals = _Signals(self)
        self.signals.check.connect(self._show_step)
        self.signals.trace_step.connect(self._show_trace)
        self.signals.run_done.connect(self._done)
        self.signals.run_failed.connect(self._failed)

        self.subscription = QComboBox()
        self.user = QComboBox()
        self.account = QLineEdit()
        self.account.setPlaceholderText("expected SP account (optional)")
        self.interactive = QCheckBox("Real browser (interactive)")
        self.pace = QDoubleSpinBox()
        self.pace.setRange(0, 30)
        self.pace.setSingleStep(0.5)
        self.pace.setSuffix(" s between steps")
        self.step_through = QCheckBox("Wait for Next")
        self.run_button = QPushButton("Run the test procedure")
        self.next_button = QPushButton("Next")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save report…")
        self.steps = QTableWidget(len(ORDER), 3)
        self.steps.setHorizontalHeaderLabels(["", "Step", "What the harness saw / what to fix"])
        self.steps.verticalHeader().setVisible(False)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.steps.setColumnWidth(1, 320)
        self.steps.setWordWrap(True)
        self.trace = QListWidget()
        self.verdict = plain_label()
        self.verdict.setWordWrap(True)

        top = QHBoxLayout()
        for label, w in (("Subscription", self.subscription), ("IdP user", self.user)):
            top.addWidget(plain_label(label))
            top.addWidget(w)
        top.addWidget(self.account, 1)
        controls = QHBoxLayout()
        for w in (
            self.interactive,
            self.pace,
            self.step_through,
            self.run_button,
            self.next_button,
            self.stop_button,
            self.save_button,
        ):
            controls.addWidget(w)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(controls)
        layout.addWidget(self.steps, 3)
        layout.addWidget(plain_label("Trace"))
        layout.addWidget(self.trace, 2)
        layout.addWidget(self.verdict)

        self.run_button.clicked.connect(self.start)
        self.next_button.clicked.connect(self._next.set)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._pick_report_path)
        self.interactive.toggled.connect(lambda on: self.user.setEnabled(not on))
        self.refresh()
        self._reset_rows()
        self._running(False)

    def refresh(self) -> None:
        """Reload the subscription and user lists from the workspace."""
        keep_sub, keep_user = self.subscription.currentData(), self.user.currentText()
        self.subscription.clear()
        for s in self.workspace.subscriptions():
            self.subscription.addItem(f"{s.name or s.idm_key} ({s.idm_key})", s.idm_key)
        self.user.clear()
        self.user.addItems([u.username for u in self.workspace.users()])
        if keep_sub is not None and (i := self.subscription.findData(keep_sub)) >= 0:
            self.subscription.setCurrentIndex(i)
        if keep_user and (i := self.user.findText(keep_user)) >= 0:
            self.user.setCurrentIndex(i)

    def select(self, idm_key: str, user: str | None = None) -> None:
        self.refresh()
        self.subscription.setCurrentIndex(max(0, self.subscription.findData(idm_key)))
        if user is not None:
            self.user.setCurrentIndex(max(0, self.user.findText(user)))

    def _reset_rows(self) -> None:
        for row, key in enumerate(ORDER):
            self._set_row(row, "pending", TITLES[key], "")
        self.trace.clear()
        self.verdict.clear()

    def _set_row(self, row: int, status: str, title: str, text: str) -> None:
        for col, value in enumerate((MARKS.get(status, "?"), title, text)):
            item = QTableWidgetItem(value)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            item.setForeground(QBrush(QColor(COLORS.get(status, "#263238"))))
            self.steps.setItem(row, col, item)

    def row_texts(self) -> list[tuple[str, str, str]]:
        return [tuple(self.steps.item(r, c).text() for c in range(3)) for r in range(self.steps.rowCount())]

    def _running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        self.next_button.setEnabled(on)
        self.save_button.setEnabled(not on and self.report is not None)

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.busy:
            return
        idm_key = self.subscription.currentData()
        if idm_key is None:
            self.verdict.setText("The workspace has no subscription: create one in the Questionnaire tab.")
            return
        user, account = self.user.currentText(), self.account.text().strip() or None
        interactive, pace, step_through = self.interactive.isChecked(), self.pace.value(), self.step_through.isChecked()
        self._reset_rows()
        self.report = None
        self._next.clear()
        self._stop.clear()
        self._running(True)
        reload_servers, workspace, sig, stop, nxt = (
            self.reload_servers,
            self.workspace,
            self.signals,
            self._stop,
            self._next,
        )

        def wait(seconds: float) -> None:
            if stop.is_set():
                return
            nxt.wait(None if step_through else seconds)
            nxt.clear()

        def on_check(_report: ChecklistReport, step: CheckStep) -> None:
            sig.check.emit(replace(step, evidence=list(step.evidence)))

        def on_trace(_trace: Trace, step: Step) -> None:
            sig.trace_step.emit(step)

        def work() -> None:
            try:
                servers, own = _servers_for_run(reload_servers, workspace)
            except Exception as err:  # shown in words
                sig.run_failed.emit(f"The servers cannot start: {err}")
                return
            try:
                if interactive:
                    report = run_interactive(
                        servers, idm_key=idm_key, account=account, on_check=on_check, on_trace=on_trace, cancel=stop
                    )
                else:
                    report = run_demo(
                        servers,
                        idm_key=idm_key,
                        username=user,
                        account=account,
                        pace=pace if pace > 0 else (1.0 if step_through else 0.0),
                        wait=wait,
                        on_check=on_check,
                        on_trace=on_trace,
                    )
            except Exception as err:  # shown in words
                sig.run_failed.emit(f"The test procedure stopped: {err}")
                return
            finally:
                if own:
                    servers.stop()
            sig.run_done.emit(report)

        self._thread = threading.Thread(target=work, name="onboarding-checklist", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._next.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def _show_step(self, step: CheckStep) -> None:
        row = ORDER.index(step.key)
        text = step.reason + (f"\nFix on the {step.side} side: {step.fix}" if step.status == FAIL and step.fix else "")
        self._set_row(row, step.status, step.title, text)
        self.steps.resizeRowToContents(row)

    def _show_trace(self, step: Step) -> None:
        item = QListWidgetItem(
            f"{step.index}. {step.src} → {step.dst}  {step.label}  [{step.status}]"
            + (f"  {step.code}" if step.code and step.verdict != "ok" else "")
        )
        if step.verdict in ("refused", "error"):
            item.setForeground(QBrush(QColor(COLORS[FAIL])))
        elif step.verdict == "ok":
            item.setForeground(QBrush(QColor(COLORS[PASS])))
        self.trace.addItem(item)

    def _done(self, report: ChecklistReport) -> None:
        self.report = report
        for s in report.steps:
            self._show_step(s)
        level = PASS if report.passed else FAIL
        self.verdict.setText(report.verdict)
        self.verdict.setStyleSheet(f"color: {COLORS[level]}; font-weight: bold")
        self._running(False)
        self.finished.emit(report)

    def _failed(self, text: str) -> None:
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {COLORS[FAIL]}")
        self._running(False)

    def save_report(self, path: str | Path) -> Path | None:
        if self.report is None:
            return None
        return write_report(self.report, Path(path))

    def _pick_report_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the onboarding report", "onboarding-report.html", "HTML (*.html)"
        )
        if path:
            self.save_report(path)


# -- provisioning rules ---------------------------------------------------------------------------


class RulesEditor(QWidget):
    """Group → role/scope rules (first match wins), a sync preview and the sync itself."""

    changed = Signal()

    def __init__(self, workspace: Workspace, reload_servers: ReloadServers, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.reload_servers = workspace, reload_servers
        self.signals = _Signals(self)
        self.signals.sync_done.connect(self._sync_done)
        self._thread: threading.Thread | None = None
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
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add rule")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.save_button = QPushButton("Save rules")
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        sync_row = QHBoxLayout()
        self.preview_button = QPushButton("Preview sync")
        self.sync_button = QPushButton("Sync through the user API")
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
        self.add_button.clicked.connect(lambda: self.add_rule(Rule("", "Reader", [])))
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.save_button.clicked.connect(self.save)
        self.preview_button.clicked.connect(self.preview)
        self.sync_button.clicked.connect(self.start_sync)
        self.load()

    def load(self) -> None:
        self.table.setRowCount(0)
        for rule in self.workspace.rules():
            self.add_rule(rule)
        self.subscription.clear()
        for s in self.workspace.subscriptions():
            self.subscription.addItem(f"{s.name or s.idm_key} ({s.idm_key})", s.idm_key)

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
        self.workspace.set_rules(self.rules())
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
        if idm_key is None or (self._thread is not None and self._thread.is_alive()):
            return
        if not self.save():
            return
        reload_servers, workspace, sig = self.reload_servers, self.workspace, self.signals
        self.sync_button.setEnabled(False)

        def work() -> None:
            try:
                servers, own = _servers_for_run(reload_servers, workspace)
            except Exception as err:
                sig.sync_done.emit(f"The servers cannot start: {err}")
                return
            try:
                api = UserAPI(servers.sp_base, *manager_credentials(workspace, idm_key))
                try:
                    out = sync(workspace, api, idm_key=idm_key, mode=default_mode(workspace, idm_key))
                finally:
                    api.close()
                text = "\n".join([*out.plan.lines(), out.summary()])
            except ProvisionError as err:
                text = f"Provisioning stopped: {err}" + (f" ({err.code})" if err.code else "")
            finally:
                if own:
                    servers.stop()
            sig.sync_done.emit(text)

        self._thread = threading.Thread(target=work, name="provisioning-sync", daemon=True)
        self._thread.start()

    def _sync_done(self, text: str) -> None:
        self.output.setPlainText(text)
        self.sync_button.setEnabled(True)
        self.reload_servers()
        self.changed.emit()

    def shutdown(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


# -- the whole view -------------------------------------------------------------------------------


class OnboardingView(QWidget):
    """The three onboarding tabs; plug into the main window with a workspace and its reload callable."""

    workspace_changed = Signal(str)  # "subscriptions" | "rules"

    def __init__(self, workspace: Workspace, reload_servers: ReloadServers, parent: QWidget | None = None):
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.questionnaire = QuestionnaireForm(workspace, reload_servers)
        self.checklist = ChecklistPanel(workspace, reload_servers)
        self.rules = RulesEditor(workspace, reload_servers)
        self.tabs.addTab(self.questionnaire, "Questionnaire")
        self.tabs.addTab(self.checklist, "Test procedure")
        self.tabs.addTab(self.rules, "Provisioning rules")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.questionnaire.subscription_created.connect(self._created)
        self.rules.changed.connect(lambda: self.workspace_changed.emit("rules"))

    def _created(self, idm_key: str) -> None:
        self.checklist.select(idm_key)
        self.rules.load()
        self.workspace_changed.emit("subscriptions")

    def shutdown(self) -> None:
        """Stop background work; the main window calls this before closing the workspace."""
        self.checklist.shutdown()
        self.rules.shutdown()

    def closeEvent(self, event: Any) -> None:  # Qt's name
        self.shutdown()
        super().closeEvent(event)
