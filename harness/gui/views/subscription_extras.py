"""Two panels of the subscription editor: what its AuthnRequest asks of the IdP, and a certificate
rollover (the second trusted certificate and the three stages). Logic stays in harness.core and sp."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from harness.core.rollover import signing_key_for_sp
from harness.gui.controller import AppController
from harness.gui.plain import form_row, plain_label
from harness.gui.trust import cert_of
from harness.gui.views.editor_base import show_error
from harness.gui.views.forms import Form
from samlkit import ns
from samlkit.authn_context import COMPARISONS
from sp import request_options
from sp.model import Subscription
from sp.trust import cert_sha256, trusted_certs

NAMEID_CHOICES = [("(no NameIDPolicy)", ""), *[(n, n) for n in ns.NAMEID_FORMATS]]


def _colon(sha256: str) -> str:
    return ":".join(sha256[i : i + 2] for i in range(0, 16, 2)).upper() + ":…"


def _plain_label(text: str = "") -> QLabel:
    label = plain_label(text)  # certificate subjects, URIs typed by the tester
    label.setWordWrap(True)
    return label


class RequestOptionsPanel(QWidget):
    """ForceAuthn, IsPassive, NameIDPolicy and RequestedAuthnContext sent by this subscription."""

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.sub: Subscription | None = None
        f = self.form = Form(self)
        self.force = f.check("request_force_authn", "ForceAuthn: the IdP asks for credentials even with a session")
        self.passive = f.check("request_passive", "IsPassive: no login form (NoPassive without an IdP session)")
        self.nameid = f.combo("request_nameid_format", NAMEID_CHOICES, editable=True, tip="short name or a URI")
        self.allow = f.check("request_allow_create", "AllowCreate (the IdP may create a new identifier)")
        self.contexts = f.line(
            "request_authn_context", "e.g. mfa, totp, ppt, password or URIs", kind="list", tip="AuthnContextClassRef"
        )
        self.comparison = f.combo("request_authn_comparison", [(c, c) for c in COMPARISONS])
        self.summary = _plain_label()
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.error = _plain_label()
        self.error.setStyleSheet("color: #c62828")
        lay = QFormLayout(self)
        lay.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)  # a check box stays clickable
        lay.addRow(_plain_label("What this subscription's AuthnRequest asks of the IdP (the vendor sends none)."))
        for text, field in (
            ("", self.force),
            ("", self.passive),
            ("NameIDPolicy Format", self.nameid),
            ("", self.allow),
            ("Authentication context", self.contexts),
            ("Comparison", self.comparison),
            ("Sends", self.summary),
        ):
            form_row(lay, text, field)
        lay.addRow(self.error)
        f.committed.connect(self._commit)

    def load(self, sub: Subscription | None) -> None:
        self.sub = sub
        self.form.set_enabled(sub is not None)
        self.error.clear()
        if sub is None:
            self.summary.clear()
            return
        self.form.set_values({k: getattr(sub, k) for k in self.form.fields})
        self.summary.setText(request_options.describe(sub))

    def _commit(self, _field: str) -> None:
        if self.sub is None:
            return
        try:
            new = replace(self.sub, **self.form.values())
        except ValueError as err:
            show_error(self.error, str(err))
            return
        found = request_options.problems(new)
        if found:
            text = "; ".join(found)
            show_error(self.error, text[0].upper() + text[1:] + ".")
            return
        self.controller.save_subscription(new)


class RolloverPanel(QWidget):
    """The rollover's new certificate beside the current one, and the stages that move it on."""

    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.sub: Subscription | None = None
        self.state = _plain_label()
        self.state.setStyleSheet("font-family: monospace")
        self.add_btn = QPushButton("1. Add the IdP's next certificate")
        self.switch_btn = QPushButton("2. Switch the IdP's signing key")
        self.remove_btn = QPushButton("3. Remove the old certificate")
        for btn, stage in ((self.add_btn, "add"), (self.switch_btn, "switch"), (self.remove_btn, "remove")):
            btn.clicked.connect(lambda _=False, s=stage: self.run(s))
        row = QHBoxLayout()
        for b in (self.add_btn, self.switch_btn, self.remove_btn):
            row.addWidget(b)
        row.addStretch(1)
        box = QGroupBox("IdP certificate rollover (up to two trusted certificates)")
        inner = QVBoxLayout(box)
        inner.addWidget(self.state)
        inner.addLayout(row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)

    def load(self, sub: Subscription | None) -> None:
        self.sub = sub
        if sub is None:
            self.state.clear()
            for b in (self.add_btn, self.switch_btn, self.remove_btn):
                b.setEnabled(False)
            return
        ws = self.controller.workspace
        try:
            signing = cert_sha256(cert_of(ws, signing_key_for_sp(ws)))
        except Exception:
            signing = ""
        certs = trusted_certs(sub)
        words = {"only": "trusted", "old": "old    ", "new": "new    "}
        lines = [
            f"{words[c.role]}  SHA-256 {_colon(c.sha256)}"
            + ("   ← the mock IdP signs with it" if c.sha256 == signing else "")
            for c in certs
        ]
        rolling = bool(sub.idp_cert_pem_next)
        lines.append("Rollover in progress: both verify." if rolling else "No rollover: one trusted certificate.")
        self.state.setText("\n".join(lines))
        self.add_btn.setEnabled(not rolling and any(c.sha256 == signing for c in certs))
        self.switch_btn.setEnabled(rolling and cert_sha256(sub.idp_cert_pem_next) != signing)
        self.remove_btn.setEnabled(rolling and cert_sha256(sub.idp_cert_pem_next) == signing)

    def run(self, stage: str) -> bool:
        if self.sub is None:
            return False
        return self.controller.rollover_stage(stage, self.sub.idm_key)
