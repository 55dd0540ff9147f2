"""The mock IdP's settings: its profile, and per SP what it releases, signs and how."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from harness.core.encryption_config import IDP_FIELDS, checked_idp_encryption
from harness.core.workspace import IdPForSP, WorkspaceError
from harness.gui.controller import AppController
from harness.gui.models.idp import IdPForSPModel
from harness.gui.views.editor_base import FormGrid, TableWithForm, error_label, show_error, title_label
from harness.gui.views.forms import Form
from mock_idp.model import NAMEID_FORMATS, SIGN_CHOICES, STANDARD_ATTRIBUTES
from samlkit import xmlenc

HASHES = ["sha256", "sha384", "sha512", "sha1"]
SIGN_WORDS = {"assertion": "the Assertion", "response": "the Response", "both": "both", "none": "nothing"}
INNER_WORDS = {"": "nothing", "nameid": "the NameID", "attributes": "the attributes", "both": "NameID and attributes"}
DATA_WORDS = {
    "aes128-cbc": "AES-128-CBC",
    "aes256-cbc": "AES-256-CBC",
    "aes128-gcm": "AES-128-GCM",
    "aes256-gcm": "AES-256-GCM",
}
KEY_WORDS = {"rsa-oaep-mgf1p": "RSA-OAEP (SHA-1)", "rsa-oaep-sha256": "RSA-OAEP SHA-256", "rsa-1_5": "RSA 1.5 (weak)"}


class IdPSettingsEditor(QWidget):
    def __init__(self, controller: AppController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.error = error_label()

        self.idp_form = Form(self)
        f = self.idp_form
        self.idp_entity = f.line("entity_id", tip="The mock IdP's EntityID (the questionnaire's IdP EntityID)")
        self.idp_key = f.combo("signing_key", [], tip="The key pair the IdP signs with")
        self.idp_skew = f.spin("accepted_time_diff", 0, 3600, " s", tip="Clock skew the IdP accepts on requests")
        g = FormGrid()
        g.add("EntityID", self.idp_entity, 0, span=2)
        g.add("Signing key", self.idp_key)
        g.add("Accepted skew", self.idp_skew, 1)
        idp_box = QGroupBox("Mock IdP")
        QVBoxLayout(idp_box).addWidget(g)

        self.sp_form = Form(self)
        f = self.sp_form
        self.sp_entity = f.line("entity_id", tip="The embedded SP's EntityID (the vendor's is the default)")
        self.sp_acs = f.line("acs_path")
        self.sp_login = f.line("login_path")
        self.sp_skew = f.spin("clock_skew", 0, 3600, " s", tip="Clock skew the SP allows on every time check")
        self.sp_https = f.check(
            "https",
            "Serve both sides over HTTPS",
            tip="The SP and the mock IdP answer on https with certificates from the workspace's local CA "
            "(tls/local-ca.crt.pem: trust it in your browser); the servers restart",
        )
        g = FormGrid()
        g.add("EntityID", self.sp_entity, 0, span=2)
        g.add("ACS path", self.sp_acs)
        g.add("Login path", self.sp_login, 1)
        g.add("Clock skew", self.sp_skew)
        g.add_wide(self.sp_https)
        sp_box = QGroupBox("Embedded SP (vendor profile)")
        QVBoxLayout(sp_box).addWidget(g)

        self.per_sp = _PerSP(controller)
        lay = QVBoxLayout(self)
        lay.addWidget(
            title_label(
                "IdP settings",
                "How the mock IdP answers each SP: NameID, attributes, what it signs and with which algorithm, "
                "what it encrypts, assertion lifetime, clock offset. Saved at once; Ctrl+Z undoes.",
            )
        )
        lay.addWidget(self.error)
        top = QHBoxLayout()
        top.addWidget(idp_box, 1)
        top.addWidget(sp_box, 1)
        lay.addLayout(top)
        lay.addWidget(self.per_sp, 1)
        self.idp_form.committed.connect(self._commit_idp)
        self.sp_form.committed.connect(self._commit_sp)

    def reload(self) -> None:
        ws = self.controller.workspace
        Form.set_choices(self.idp_key, [(n, n) for n in ws.keypair_names()])
        p = ws.idp_profile()
        self.idp_form.set_values(
            {"entity_id": p.entity_id, "signing_key": p.signing_key, "accepted_time_diff": p.accepted_time_diff}
        )
        s = ws.sp_profile()
        self.sp_form.set_values(
            {
                "entity_id": s.entity_id,
                "acs_path": s.acs_path,
                "login_path": s.login_path,
                "clock_skew": s.clock_skew,
                "https": s.https,
            }
        )
        self.per_sp.refresh_choices()
        self.per_sp.set_rows(ws.idp_for_sps())

    def select(self, entity_id: str) -> None:
        self.per_sp.select(lambda s: s.entity_id == entity_id)

    def _commit_idp(self, _field: str) -> None:
        v = self.idp_form.values()
        if not v["entity_id"]:
            show_error(self.error, "The IdP needs an EntityID.")
            return
        show_error(self.error, "")
        self.controller.set_idp_profile(replace(self.controller.workspace.idp_profile(), **v))

    def _commit_sp(self, _field: str) -> None:
        v = self.sp_form.values()
        if not v["entity_id"] or not v["acs_path"].startswith("/") or not v["login_path"].startswith("/"):
            show_error(self.error, "The SP needs an EntityID, and its paths must start with /.")
            return
        show_error(self.error, "")
        self.controller.set_sp_profile(replace(self.controller.workspace.sp_profile(), **v))


class _PerSP(TableWithForm):
    def __init__(self, controller: AppController):
        super().__init__(IdPForSPModel(), add="Add SP", item="SP")
        self.controller = controller
        f, g = self.form, self.grid
        self.name = f.line("name")
        self.entity_id = f.line("entity_id", tip="The SP's EntityID: the IdP finds these settings by it")
        self.acs_url = f.line("acs_url", "{sp}/IdM/saml2/", tip="Where the IdP posts the Response")
        self.nameid_format = f.combo("nameid_format", [(x, x) for x in NAMEID_FORMATS])
        self.nameid_source = f.combo(
            "nameid_source",
            [(x, x) for x in ("username", "email", "first_name", "last_name", "employeeNumber")],
            editable=True,
            tip="The user field (or extra attribute) the NameID is taken from",
        )
        self.attributes = f.line(
            "attributes",
            ", ".join(STANDARD_ATTRIBUTES),
            kind="list",
            tip="Attributes released, comma-separated (standard names or extra attributes)",
        )
        self.sign = f.combo("sign", [(SIGN_WORDS[x], x) for x in SIGN_CHOICES])
        self.sig_hash = f.combo("sig_hash", [(x, x) for x in HASHES], tip="sha1 is refused by the SP: a test case")
        self.digest_hash = f.combo("digest_hash", [("same as the signature", "")] + [(x, x) for x in HASHES])
        self.lifetime = f.spin("lifetime", 1, 86400, " s", tip="How long the assertion is valid")
        self.clock_offset = f.spin(
            "clock_offset", -86400, 86400, " s", tip="Seconds added to the IdP's clock: test the SP's skew handling"
        )
        self.signing_key = f.combo("signing_key", [])
        self.encrypt_assertion = f.combo(
            "encrypt_assertion",
            [("no", False), ("yes: EncryptedAssertion", True)],
            tip="Sign the Assertion, then encrypt it to the SP's encryption certificate",
        )
        self.encrypt_inner = f.combo("encrypt_inner", [(w, k) for k, w in INNER_WORDS.items()])
        self.data_alg = f.combo("encryption_data_alg", [(DATA_WORDS[k], k) for k in xmlenc.DATA_ALGS])
        self.key_alg = f.combo("encryption_key_alg", [(KEY_WORDS[k], k) for k in xmlenc.KEY_ALGS])
        self.encrypt_to = f.combo("encryption_key", [], tip="The SP's encryption certificate")
        self.relay = f.line("default_relay_state", tip="RelayState sent on IdP-initiated logins")
        self.slo_url = f.line("slo_url", "{sp}/IdM/saml2/slo", tip="The SP's Single Logout URL (empty: none)")
        self.slo_binding = f.combo("slo_binding", [("HTTP-Redirect", "redirect"), ("HTTP-POST", "post")])
        self.want_signed = f.check(
            "want_authn_requests_signed", "Require signed AuthnRequests (checked with the SP's certificate)"
        )
        g.add("Name", self.name)
        g.add("SP EntityID", self.entity_id)
        g.add("ACS URL", self.acs_url)
        g.add("NameID format", self.nameid_format)
        g.add("NameID from", self.nameid_source)
        g.add("Attributes", self.attributes)
        g.add("Default RelayState", self.relay)
        g.add("SP SLO URL", self.slo_url)
        g.add("SLO binding", self.slo_binding)
        g.add("", self.want_signed)
        g.add("Signs", self.sign, 1)
        g.add("Signature hash", self.sig_hash, 1)
        g.add("Digest hash", self.digest_hash, 1)
        g.add("Signing key", self.signing_key, 1)
        g.add("Lifetime", self.lifetime, 1)
        g.add("Clock offset", self.clock_offset, 1)
        g.add("Encrypt Assertion", self.encrypt_assertion)
        g.add("Encrypt inside it", self.encrypt_inner)
        g.add("Data encryption", self.data_alg, 1)
        g.add("Key transport", self.key_alg, 1)
        g.add("Encrypt to", self.encrypt_to, 1)

    def refresh_choices(self) -> None:
        names = self.controller.workspace.keypair_names()
        Form.set_choices(self.signing_key, [("the IdP's key", "")] + [(n, n) for n in names])
        Form.set_choices(self.encrypt_to, [("the certificate in the SP's metadata", "")] + [(n, n) for n in names])

    def same(self, a: IdPForSP, b: IdPForSP) -> bool:
        return a.entity_id == b.entity_id

    def load(self, s: IdPForSP | None) -> None:
        if s is None:
            self.form.set_values({"name": "", "entity_id": "", "acs_url": ""})
            return
        self.form.set_values(
            {
                "name": s.name,
                "entity_id": s.entity_id,
                "acs_url": s.acs_url,
                "nameid_format": s.nameid_format,
                "nameid_source": s.nameid_source,
                "attributes": s.attributes,
                "sign": s.sign,
                "sig_hash": s.sig_hash,
                "digest_hash": s.digest_hash or "",
                "lifetime": s.lifetime,
                "clock_offset": s.clock_offset,
                "signing_key": s.signing_key or "",
                "default_relay_state": s.default_relay_state,
                "slo_url": s.slo_url,
                "slo_binding": s.slo_binding,
                "want_authn_requests_signed": s.want_authn_requests_signed,
                "encrypt_assertion": s.encrypt_assertion,
                "encrypt_inner": {(False, False): "", (True, False): "nameid", (False, True): "attributes"}.get(
                    (s.encrypt_name_id, s.encrypt_attributes), "both"
                ),
                "encryption_data_alg": s.encryption_data_alg,
                "encryption_key_alg": s.encryption_key_alg,
                "encryption_key": s.encryption_key,
            }
        )

    def commit(self, s: IdPForSP, v: dict, field: str) -> None:
        if not v["entity_id"]:
            show_error(self.error, "The SP needs an EntityID.")
            return
        v["digest_hash"] = v["digest_hash"] or None
        v["signing_key"] = v["signing_key"] or None
        inner = v.pop("encrypt_inner")
        v["encrypt_name_id"], v["encrypt_attributes"] = inner in ("nameid", "both"), inner in ("attributes", "both")
        enc = {k: v.pop(k) for k in IDP_FIELDS if k in v}
        try:
            new = checked_idp_encryption(self.controller.workspace, replace(s, **v), **enc)
        except WorkspaceError as err:
            show_error(self.error, str(err))
            self.load(s)
            return
        show_error(self.error, "")
        self.want(lambda x: x.entity_id == new.entity_id)
        if not self.controller.save_idp_for_sp(new, old_entity_id=s.entity_id):
            self.want(lambda x: x.entity_id == s.entity_id)

    def add(self) -> None:
        existing = {s.entity_id for s in self.controller.workspace.idp_for_sps()}
        n, eid = 1, "https://sp.example/saml"
        while eid in existing:
            n += 1
            eid = f"https://sp{n}.example/saml"
        self.want(lambda x: x.entity_id == eid)
        self.controller.save_idp_for_sp(IdPForSP(entity_id=eid, acs_url="https://sp.example/acs", name="Another SP"))

    def duplicate(self) -> None:
        s = self.selected()
        if s is None:
            return
        eid = s.entity_id + "-copy"
        self.want(lambda x: x.entity_id == eid)
        self.controller.save_idp_for_sp(
            replace(s, entity_id=eid, name=f"{s.name} (copy)", attributes=list(s.attributes))
        )

    def delete(self) -> None:
        s = self.selected()
        if s is not None:
            self.controller.delete_idp_for_sp(s.entity_id)
