"""SP subscriptions (the questionnaire's trust, the unique login URL, mapping) and their accounts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from harness.core.certs import CertError, describe_cert, normalize_cert_pem
from harness.gui.controller import AppController
from harness.gui.errors import in_words
from harness.gui.models.subscriptions import MAPPING_WORDS, SubscriptionTableModel
from harness.gui.plain import plain_label
from harness.gui.trust import cert_of, keypair_for_cert, signing_key_for_sp, trust_report
from harness.gui.views.editor_base import TableWithForm, show_error, title_label
from harness.gui.views.forms import Form
from harness.gui.views.subscription_accounts import AccountsTab
from harness.gui.views.subscription_extras import RequestOptionsPanel, RolloverPanel
from sp.contract import Route
from sp.model import Subscription

ENCRYPTION_WORDS = {"accept": "accepted (or plain)", "require": "required", "plain": "refused: plain only"}

IDENTITY_SOURCES = [
    ("the NameID", "nameid"),
    ("attribute uid", "attribute:uid"),
    ("attribute mail", "attribute:mail"),
    ("attribute employeeNumber", "attribute:employeeNumber"),
]


BINDING_WORDS = [("HTTP-Redirect", "redirect"), ("HTTP-POST", "post")]


def cert_summary(pem: bytes) -> tuple[str, str]:
    """(text, status) for a trusted certificate."""
    if not pem:
        return "No certificate: paste the IdP's signing certificate from the questionnaire.", "missing"
    try:
        info = describe_cert(pem)
    except CertError as err:
        return f"Unreadable certificate: {err}", "unreadable"
    fp = ":".join(info.fingerprint_sha256.split(":")[:8]) + ":…"
    until = info.not_after.strftime("%Y-%m-%d")
    return f"{info.subject}\nSHA-256 {fp}   valid until {until} ({info.status})", info.status


class SubscriptionsEditor(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.subs = _Subscriptions(controller, self)
        self.accounts = AccountsTab(controller, self)
        self.tabs = QTabWidget()
        settings = QWidget()
        sl = QVBoxLayout(settings)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.subs.form_area)
        self.rollover = RolloverPanel(controller)
        sl.addWidget(self.rollover)
        self.request = RequestOptionsPanel(controller)
        self.tabs.addTab(settings, "Settings and trust")
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.request, "AuthnRequest")
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "SP subscriptions",
                "Each subscription is one onboarding: its unique login URL, the IdP it trusts (EntityID, "
                "certificate, SSO URL) and its accounts. Saved at once; Ctrl+Z undoes.",
            )
        )
        lay.addLayout(self.subs.buttons)
        lay.addWidget(self.subs.table, 1)
        lay.addWidget(self.tabs, 3)
        self.subs.table.selectionModel().currentRowChanged.connect(lambda *_: self._sub_changed())

    def reload(self) -> None:
        self.subs.set_rows(self.controller.workspace.subscriptions())
        self._sub_changed()

    def _sub_changed(self) -> None:
        sub = self.subs.selected()
        self.accounts.subscription = sub
        self.accounts.set_rows(list(sub.accounts) if sub else [])
        self.rollover.load(sub)
        self.request.load(sub)
        n = len(sub.accounts) if sub else 0
        self.tabs.setTabText(1, f"Accounts ({n})")

    def select(self, idm_key: str, sub: str = "") -> None:
        self.subs.select(lambda s: s.idm_key == idm_key)
        self.tabs.setCurrentIndex(1 if sub == "accounts" else 0)

    def refresh_urls(self) -> None:
        self.subs.load(self.subs.selected())


class _Subscriptions(TableWithForm):
    def __init__(self, controller: AppController, page: SubscriptionsEditor):
        super().__init__(SubscriptionTableModel(), add="Add subscription", item="subscription", arrange=False)
        self.controller = controller
        self.page = page
        self.table.setMaximumHeight(110)
        f, g = self.form, self.grid
        self.idm_key = f.line("idm_key", "e.g. 4711", tip="The key in the unique login URL")
        self.name = f.line("name", "Customer name")
        self.primary_contact = f.line("primary_contact", "the Manager's login", tip="The subscription's Manager")
        self.exit_url = f.line(
            "exit_url", "{mock_idp}/", tip="Where logout sends the browser ({sp}, {mock_idp} allowed)"
        )
        self.nds = f.check("nds_enabled", "New Data Security Model (SAML needs it)")
        self.idp_init = f.check("allow_idp_initiated", "Allow IdP-initiated login")
        self.signed = f.check("require_signed_assertion", "Require a signed Assertion")
        self.mapping = f.combo(
            "mapping_mode", [(w, k) for k, w in MAPPING_WORDS.items()], tip="How the SAML identity finds the account"
        )
        self.source = f.combo(
            "identity_source",
            IDENTITY_SOURCES,
            editable=True,
            tip="Where the identity is read: the NameID, or attribute:<Name>",
        )
        self.entity = f.line("idp_entity_id", "https://idp.example/saml", tip="Questionnaire: the IdP EntityID")
        self.sso = f.line("idp_sso_url", "{mock_idp}/sso", tip="Questionnaire: the IdP's SSO URL")
        self.slo = f.line("idp_slo_url", "{mock_idp}/slo (optional)", tip="Questionnaire: the IdP's Single Logout URL")
        self.slo_binding = f.combo("slo_binding", BINDING_WORDS, tip="How the SP sends its LogoutRequest")
        self.sign_requests = f.check("sign_authn_requests", "Sign AuthnRequests (the SP's signing key)")
        self.request_binding = f.combo(
            "authn_request_binding", BINDING_WORDS, tip="How the SP sends its AuthnRequest (the vendor: Redirect)"
        )
        self.encryption = f.combo(
            "assertion_encryption",
            [(w, k) for k, w in ENCRYPTION_WORDS.items()],
            tip="What the ACS does with an EncryptedAssertion (the metadata publishes the key unless 'plain only')",
        )
        self.encryption_key = f.combo(
            "encryption_key", [], tip="The key pair that decrypts; its certificate is in the metadata"
        )
        self.rsa15 = f.combo(
            "encryption_allow_rsa15",
            [("refused (weak)", False), ("allowed", True)],
            tip="RSA 1.5 key transport (PKCS#1 v1.5) is open to Bleichenbacher's attack",
        )
        self.login_url = QLineEdit(readOnly=True)
        self.login_url.setAccessibleName("Unique login URL")
        self.copy_btn = QPushButton("Copy")
        self.copy_btn.setToolTip("Copy the unique login URL")
        self.copy_btn.clicked.connect(self.copy_url)
        url_row = QWidget()
        ul = QHBoxLayout(url_row)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(self.login_url, 1)
        ul.addWidget(self.copy_btn)
        self.cert_label = plain_label("")
        self.cert_label.setWordWrap(True)
        self.cert_label.setStyleSheet("font-family: monospace")
        self.trust_combo = QComboBox()
        self.trust_combo.setToolTip("Trust the certificate of one of the workspace's key pairs")
        self.trust_combo.activated.connect(self._trust_keypair)
        self.paste_btn = QPushButton("Paste PEM…")
        self.import_btn = QPushButton("Import file…")
        self.export_btn = QPushButton("Export…")
        self.paste_btn.clicked.connect(self._paste)
        self.import_btn.clicked.connect(self._import)
        self.export_btn.clicked.connect(self._export)
        cert_row = QWidget()
        cl = QHBoxLayout(cert_row)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.trust_combo, 1)
        cl.addWidget(self.paste_btn)
        cl.addWidget(self.import_btn)
        cl.addWidget(self.export_btn)
        self.warning = plain_label("")
        self.warning.setWordWrap(True)

        g.add("idm_&key", self.idm_key)
        g.add("&Name", self.name)
        g.add("Primary contact", self.primary_contact)
        g.add("E&xit URL", self.exit_url)
        g.add("&Mapping", self.mapping)
        g.add("Identity from", self.source)
        g.add("", self.nds, 1)
        g.add("", self.idp_init, 1)
        g.add("", self.signed, 1)
        g.add("IdP &EntityID", self.entity, 1)
        g.add("IdP &SSO URL", self.sso, 1)
        g.add("IdP S&LO URL", self.slo, 1)
        g.add("SLO binding", self.slo_binding, 1)
        g.add("", self.sign_requests, 1)
        g.add("AuthnRequest binding", self.request_binding, 1)
        g.add("Encrypted assertions", self.encryption)
        g.add("Encryption key", self.encryption_key)
        g.add("RSA 1.5 key transport", self.rsa15, 1)
        g.add("Unique login URL", url_row, 0, span=2)
        g.add("Trusted IdP certificate", self.cert_label, 0, span=2)
        g.add("Change it", cert_row, 0, span=2)
        g.add_wide(self.warning)

    def same(self, a: Subscription, b: Subscription) -> bool:
        return a.idm_key == b.idm_key

    def load(self, s: Subscription | None) -> None:
        names = self.controller.workspace.keypair_names()
        Form.set_choices(self.encryption_key, [("none (encrypted assertions refused)", "")] + [(n, n) for n in names])
        if s is None:
            self.form.set_values({k: "" for k in ("idm_key", "name", "primary_contact", "exit_url")})
            self.login_url.clear()
            self.cert_label.clear()
            self.warning.clear()
            return
        self.form.set_values(
            {
                "idm_key": s.idm_key,
                "name": s.name,
                "primary_contact": s.primary_contact,
                "exit_url": s.exit_url,
                "nds_enabled": s.nds_enabled,
                "allow_idp_initiated": s.allow_idp_initiated,
                "require_signed_assertion": s.require_signed_assertion,
                "mapping_mode": s.mapping_mode,
                "identity_source": s.identity_source,
                "idp_entity_id": s.idp_entity_id,
                "idp_sso_url": s.idp_sso_url,
                "idp_slo_url": s.idp_slo_url,
                "slo_binding": s.slo_binding,
                "sign_authn_requests": s.sign_authn_requests,
                "authn_request_binding": s.authn_request_binding,
                "assertion_encryption": s.assertion_encryption,
                "encryption_key": s.encryption_key,
                "encryption_allow_rsa15": s.encryption_allow_rsa15,
            }
        )
        servers = self.controller.servers
        if servers is not None and servers.sp_app.config.subscription(s.idm_key) is not None:
            self.login_url.setText(servers.login_url(s.idm_key))
        else:
            self.login_url.setText(f"(servers not running) {{sp}}{Route.LOGIN}?idm_key={s.idm_key}")
        text, status = cert_summary(s.idp_cert_pem)
        ws = self.controller.workspace
        kp = keypair_for_cert(ws, s.idp_cert_pem) if s.idp_cert_pem else None
        if kp:
            text += f"\n= the certificate of key pair '{kp}'"
        self.cert_label.setText(text)
        bad = status in ("expired", "unreadable", "missing", "not-yet-valid")
        self.cert_label.setStyleSheet(f"font-family: monospace; color: {'#c62828' if bad else '#263238'}")
        self.trust_combo.blockSignals(True)
        self.trust_combo.clear()
        self.trust_combo.addItem("Trust the certificate of key pair…", None)
        signing = signing_key_for_sp(ws)
        for name in ws.keypair_names():
            self.trust_combo.addItem(f"{name}" + ("  (the mock IdP signs with it)" if name == signing else ""), name)
        self.trust_combo.setCurrentIndex(0)
        self.trust_combo.blockSignals(False)
        line = next((t for t in trust_report(ws) if t.idm_key == s.idm_key), None)
        if line is None or line.ok:
            self.warning.setText(f"✔ {line.message}" if line else "")
            self.warning.setStyleSheet("color: #2e7d32")
        else:
            self.warning.setText(f"⚠ {line.message}")
            self.warning.setStyleSheet("color: #e65100; font-weight: bold")

    def commit(self, s: Subscription, v: dict, field: str) -> None:
        if v["identity_source"] not in ("nameid",) and not str(v["identity_source"]).startswith("attribute:"):
            show_error(self.error, "Identity from: use 'nameid' or 'attribute:<Name>'.")
            return
        new = replace(s, **v)
        self.want(lambda x: x.idm_key == new.idm_key)
        if not self.controller.save_subscription(new, old_idm_key=s.idm_key):
            self.want(lambda x: x.idm_key == s.idm_key)
            self.load(self.controller.workspace.subscription(s.idm_key) or s)

    def add(self) -> None:
        ws = self.controller.workspace
        key = self.controller.unique_idm_key()
        try:
            cert = cert_of(ws, signing_key_for_sp(ws))
        except Exception:  # a new subscription may start without trust
            cert = b""
        sub = Subscription(
            idm_key=key,
            name="New subscription",
            exit_url="{mock_idp}/",
            idp_entity_id=ws.idp_profile().entity_id,
            idp_cert_pem=cert,
            idp_sso_url="{mock_idp}/sso",
            mapping_mode="either",
        )
        self.want(lambda x: x.idm_key == key)
        self.controller.save_subscription(sub)

    def duplicate(self) -> None:
        s = self.selected()
        if s is None:
            return
        key = self.controller.unique_idm_key()
        self.want(lambda x: x.idm_key == key)
        self.controller.save_subscription(replace(s, idm_key=key, name=f"{s.name} (copy)", accounts=list(s.accounts)))

    def delete(self) -> None:
        s = self.selected()
        if s is not None:
            self.controller.delete_subscription(s.idm_key)

    def copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.login_url.text())
        self.controller.bridge.info("Unique login URL copied.")

    def _set_cert(self, pem: bytes) -> None:
        s = self.selected()
        if s is not None:
            self.want(lambda x: x.idm_key == s.idm_key)
            self.controller.save_subscription(replace(s, idp_cert_pem=pem))

    def _trust_keypair(self, index: int) -> None:
        name = self.trust_combo.itemData(index)
        s = self.selected()
        if name and s is not None:
            self.want(lambda x: x.idm_key == s.idm_key)
            self.controller.trust_keypair(s.idm_key, name)

    def _paste(self) -> None:
        text, ok = QInputDialog.getMultiLineText(
            self, "Trusted IdP certificate", "Paste the certificate (PEM, or the base64 from metadata):"
        )
        if ok and text.strip():
            self.set_cert_text(text)

    def set_cert_text(self, text: str) -> bool:
        try:
            pem = normalize_cert_pem(text)
            describe_cert(pem)
        except CertError as err:
            show_error(self.error, f"That is not a certificate: {err}")
            return False
        self._set_cert(pem)
        return True

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import the IdP certificate", "", "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            try:
                self.set_cert_text(Path(path).read_text(encoding="ascii", errors="replace"))
            except OSError as err:
                show_error(self.error, f"Cannot read {path}: {in_words(err)}")

    def _export(self) -> None:
        s = self.selected()
        if s is None or not s.idp_cert_pem:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the trusted certificate", f"{s.idm_key}-idp.crt.pem")
        if path:
            try:
                Path(path).write_bytes(s.idp_cert_pem)
            except OSError as err:
                show_error(self.error, f"Cannot write {path}: {in_words(err)}")
