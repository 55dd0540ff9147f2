"""Shared by the samlkit, sp, mock_idp and flow tests: keys made once, a two-app world, a scripted login.

A `World` is one vendor SP (state in a temp SQLite file) and one mock IdP that trust each
other, with a default subscription and accounts. `world.browser()` is a scripted browser on
werkzeug's test client (each browser has its own cookies); `world.forge(...)` builds a
Response with `mock_idp.response.build_unsigned`, lets a test bend the lxml tree before
and/or after signing, and returns the base64 value an attacker would post to the ACS.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from lxml import etree
from werkzeug.test import Client, TestResponse

from harness.core.certs import KeyPair, make_keypair
from mock_idp.app import IdPApp, create_idp_app
from mock_idp.model import IdPConfig, IdPUser, SPSettings
from mock_idp.response import build_unsigned, sign_as_configured
from samlkit import codec
from samlkit.events import Event
from sp.app import SPApp, create_sp_app
from sp.model import Account, SPConfig, Subscription

SP_BASE = "http://sp.test"
IDP_BASE = "http://idp.test"
IDP_ENTITY = "https://idp.test/saml/metadata"
IDM_KEY = "1001"
EXIT_URL = "https://www.example.com/goodbye"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
API_PASSWORD = "api-secret"


@dataclass(frozen=True)
class Keys:
    idp: KeyPair  # the IdP's signing key, trusted by the default subscription
    foreign: KeyPair  # an attacker's key: its certificate travels in KeyInfo, never trusted
    ec: KeyPair  # an EC P-256 key for the ECDSA paths
    sp: KeyPair  # the SP's signing key (signed AuthnRequests, Single Logout)
    sp_encryption: KeyPair  # the default subscription's encryption key pair (EncryptedAssertion)


@functools.cache
def keys() -> Keys:
    """RSA-2048 and EC keys, made once per test process."""
    return Keys(
        idp=make_keypair("idp.test"),
        foreign=make_keypair("evil.test"),
        ec=make_keypair("ec-idp.test", kind="ec"),
        sp=make_keypair("sp.test"),
        sp_encryption=make_keypair("sp-encryption.test"),
    )


def default_accounts() -> list[Account]:
    return [
        Account("alice", saml_enabled=True, role="Manager", password=API_PASSWORD, email="alice@corp.test"),
        Account("bob", saml_enabled=False, password=API_PASSWORD),
        Account("carol", saml_enabled=True, active=False),
        Account("dave", saml_enabled=True, role="Reader", password=API_PASSWORD),
        Account("tina", saml_enabled=True),
        # Two accounts for one identity (External ID E-42): the account picker.
        Account("ops_admin", external_id="E-42", saml_enabled=True, role="Manager"),
        Account("ops_reader", external_id="E-42", saml_enabled=True, role="Reader"),
        Account("erin_qa", external_id="E-7", saml_enabled=True),
    ]


def default_users() -> list[IdPUser]:
    return [
        IdPUser("alice", "alice-pw", email="alice@corp.test", first_name="Alice", groups=["qa"]),
        IdPUser("bob", "bob-pw", email="bob@corp.test"),
        IdPUser("carol", "carol-pw", email="carol@corp.test"),
        IdPUser("dave", "dave-pw", email="dave@corp.test"),
        IdPUser("mallory", "mallory-pw", email="mallory@corp.test"),
        IdPUser("tina", "tina-pw", email="tina@corp.test", totp_secret=TOTP_SECRET),
        IdPUser("olga", "olga-pw", email="olga@corp.test", extra={"employeeNumber": "E-42"}),
        IdPUser("erin", "erin-pw", email="erin@corp.test", extra={"employeeNumber": "E-7"}),
    ]


def subscription(**overrides: Any) -> Subscription:
    base = Subscription(
        idm_key=IDM_KEY,
        name="Acme",
        exit_url=EXIT_URL,
        idp_entity_id=IDP_ENTITY,
        idp_cert_pem=keys().idp.cert_pem,
        idp_sso_url=IDP_BASE + "/sso",
        accounts=default_accounts(),
    )
    return replace(base, **overrides)


@dataclass
class World:
    state_path: str
    sp_config: SPConfig
    idp_config: IdPConfig
    events: list[Event] = field(default_factory=list)
    _sp: SPApp | None = None
    _idp: IdPApp | None = None

    @property
    def sp(self) -> SPApp:
        if self._sp is None:
            self._sp = create_sp_app(self.sp_config, state_path=self.state_path, sink=self.events.append)
        return self._sp

    @property
    def idp(self) -> IdPApp:
        """Built on first use: most refusal tests forge Responses and never need it."""
        if self._idp is None:
            self._idp = create_idp_app(self.idp_config, sink=self.events.append)
        return self._idp

    def restart_sp(self) -> None:
        """A new SP app on the same state file, as after a process restart."""
        if self._sp is not None:
            self._sp.close()
        self._sp = None

    def close(self) -> None:
        if self._sp is not None:
            self._sp.close()

    @property
    def sub(self) -> Subscription:
        return self.sp_config.subscriptions[0]

    @property
    def idp_sp(self) -> SPSettings:
        """How the IdP answers our SP."""
        return self.idp_config.sps[0]

    def browser(self) -> Browser:
        return Browser(self)

    def forge(
        self,
        *,
        user: str | IdPUser = "alice",
        in_response_to: str | None = None,
        now: Any = None,
        before_sign: Callable[[etree._Element, etree._Element], None] | None = None,
        after_sign: Callable[[etree._Element, etree._Element], Any] | None = None,
        wrap: Callable[[etree._Element, etree._Element], etree._Element] | None = None,
        issuer: str | None = None,
        **sp_overrides: Any,
    ) -> str:
        """A Response for `user`, bent by the callbacks, as the base64 value of SAMLResponse.

        `sp_overrides` change the IdP's settings for this one Response (sign, sig_hash,
        key_pem/cert_pem for a foreign key, clock_offset, lifetime, nameid_source, ...).
        `wrap` returns a new root element to send instead (wrapping attacks on the Response).
        """
        sp = replace(self.idp_sp, **sp_overrides)
        u = user if isinstance(user, IdPUser) else self.idp_config.user(user)
        assert u is not None, user
        resp, assertion = build_unsigned(
            idp_entity_id=issuer or self.idp_config.entity_id,
            sp=sp,
            user=u,
            in_response_to=in_response_to,
            now=now,
        )
        if before_sign:
            before_sign(resp, assertion)
        sign_as_configured(resp, assertion, sp, self.idp_config.key_pem, self.idp_config.cert_pem)
        if after_sign:
            after_sign(resp, assertion)
        if wrap:
            resp = wrap(resp, assertion)
        return codec.encode_post(etree.tostring(resp, xml_declaration=True, encoding="UTF-8"))

    def verdicts(self) -> list[Event]:
        return [e for e in self.events if e.kind == "verdict"]


def make_world(
    state_dir: Path,
    *,
    sub: dict[str, Any] | None = None,
    extra_subs: list[Subscription] | None = None,
    idp_sp: dict[str, Any] | None = None,
    sp_config: dict[str, Any] | None = None,
    sp_base: str = SP_BASE,
    idp_base: str = IDP_BASE,
) -> World:
    k = keys()
    main = subscription(**{"idp_sso_url": idp_base + "/sso", **(sub or {})})
    sp_cfg = SPConfig(base_url=sp_base, subscriptions=[main] + list(extra_subs or []))
    if sp_config:
        sp_cfg = replace(sp_cfg, **sp_config)
    settings = SPSettings(entity_id=sp_cfg.entity_id, acs_url=sp_cfg.acs_url, name="Vendor SP")
    if idp_sp:
        settings = replace(settings, **idp_sp)
    idp_cfg = IdPConfig(
        entity_id=IDP_ENTITY,
        base_url=idp_base,
        key_pem=k.idp.key_pem,
        cert_pem=k.idp.cert_pem,
        users=default_users(),
        sps=[settings],
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    return World(state_path=str(state_dir / "sp-state.sqlite"), sp_config=sp_cfg, idp_config=idp_cfg)


# -- HTML forms and the scripted browser --------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]


def forms(html: str) -> list[Form]:
    doc = lxml.html.fromstring(html)
    found = []
    for f in doc.forms:
        fields = {i.name: i.value or "" for i in f.inputs if i.name and getattr(i, "type", "") != "radio"}
        radios = f.xpath(".//input[@type='radio'][@checked]")
        for r in radios:
            fields[r.get("name")] = r.get("value")
        found.append(Form(action=f.get("action") or "", method=(f.get("method") or "get").lower(), fields=fields))
    return found


def saml_form(html: str) -> Form:
    """The auto-submitting HTTP-POST form that carries a SAMLResponse."""
    for f in forms(html):
        if "SAMLResponse" in f.fields:
            return f
    raise AssertionError(f"no SAMLResponse form in the page: {html[:300]!r}")


def reason(response: TestResponse | Any) -> str | None:
    return response.headers.get("X-SAML-Reason")


def assert_refused(response: TestResponse, code: str, status: int | None = None) -> None:
    """A 4xx naming `code` in the X-SAML-Reason header and on the page, with no session cookie."""
    got = (response.status_code, reason(response))
    assert 400 <= response.status_code < 500 and reason(response) == code, f"expected {code}, got {got}"
    if status is not None:
        assert response.status_code == status, got
    assert f'<code id="reason-code">{code}</code>' in response.get_data(as_text=True)
    assert not any(
        "sp_session=" in h and "Expires=Thu, 01 Jan 1970" not in h for h in response.headers.getlist("Set-Cookie")
    )



# Markup and control characters a request can carry into a page: C0 (NUL, ESC, BEL, CR), DEL,
# C1 (NEL, CSI) and a bidi override. XML 1.0 carries only the last four of them.
HOSTILE_MARKUP = '<script>alert(1)</script><b x="y">'
HOSTILE_CONTROLS = "\x00\x07\x1b[2J\r\x7f\x85\x9b\u202e"
HOSTILE_XML_CONTROLS = "\x7f\x85\x9b\u202e"


def assert_inert(html: str) -> None:
    """Neither raw markup nor a raw control or format character (but newline and tab) in a page."""
    assert "<script>alert" not in html and "<b x=" not in html, html[:400]
    raw = sorted({hex(ord(c)) for c in html if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"})
    assert raw == [], raw


class Browser:
    """One user agent: its own cookies at the SP and at the IdP (werkzeug test clients)."""

    def __init__(self, world: World):
        self.world = world
        self.sp = Client(world.sp)
        self._idp: Client | None = None

    @property
    def idp(self) -> Client:
        if self._idp is None:
            self._idp = Client(self.world.idp)
        return self._idp

    # -- SP side ------------------------------------------------------------------------

    def start(self, idm_key: str = IDM_KEY, relay_state: str | None = None) -> tuple[str, TestResponse]:
        """GET the unique login URL; returns (AuthnRequest ID, the 302)."""
        q = {"idm_key": idm_key}
        if relay_state is not None:
            q["RelayState"] = relay_state
        r = self.sp.get(self.world.sp_config.login_path, query_string=q)
        assert r.status_code == 302, (r.status_code, reason(r))
        xml = codec.decode_redirect(parse_qs(urlsplit(r.headers["Location"]).query)["SAMLRequest"][0])
        return etree.fromstring(xml).get("ID"), r

    def post_acs(
        self, saml_response: str, relay_state: str | None = None, *, follow_bounce: bool = True
    ) -> TestResponse:
        """Post to the ACS; like a browser running the page's script, follow the SP's same-site re-post."""
        data = {"SAMLResponse": saml_response}
        if relay_state is not None:
            data["RelayState"] = relay_state
        r = self.sp.post(self.world.sp_config.acs_path, data=data)
        if follow_bounce and r.status_code == 200 and "X-SAML-Bounce" in r.headers:
            from lxml import html as lxml_html

            form = lxml_html.fromstring(r.get_data(as_text=True)).forms[0]
            r = self.sp.post(form.action, data=dict(form.form_values()))
        return r

    def whoami(self) -> tuple[int, dict]:
        r = self.sp.get("/whoami")
        return r.status_code, r.get_json()

    def log_out(self) -> TestResponse:
        """The tester clicks the app's own "Log out" link: the browser sends Sec-Fetch-Site."""
        return self.sp.get("/fo/logout.php", headers={"Sec-Fetch-Site": "same-origin"})

    # -- IdP side -----------------------------------------------------------------------

    def idp_get(self, url: str) -> TestResponse:
        parts = urlsplit(url)
        return self.idp.get(parts.path, query_string=parts.query)

    def sign_in(self, page: TestResponse, username: str, password: str, code: str | None = None) -> TestResponse:
        """Fill the IdP's login form (and the TOTP form when asked); returns the last page.

        When the IdP already has a session for this browser there is no form: the page is
        the auto-post form already and is returned as it is.
        """
        assert page.status_code == 200, (page.status_code, reason(page))
        if "SAMLResponse" in page.get_data(as_text=True):
            return page
        form = next(f for f in forms(page.get_data(as_text=True)) if f.action == "/login")
        r = self.idp.post("/login", data={**form.fields, "username": username, "password": password})
        if code is not None:
            assert r.status_code == 200, (r.status_code, reason(r))
            mfa = next(f for f in forms(r.get_data(as_text=True)) if f.action == "/mfa")
            r = self.idp.post("/mfa", data={**mfa.fields, "code": code})
        return r

    def deliver(self, idp_page: TestResponse) -> TestResponse:
        """Submit the IdP's auto-post form to the SP's ACS, as the page's script would."""
        assert idp_page.status_code == 200, (idp_page.status_code, reason(idp_page))
        form = saml_form(idp_page.get_data(as_text=True))
        assert form.action == self.world.sp_config.acs_url
        return self.post_acs(form.fields["SAMLResponse"], form.fields.get("RelayState"))

    def login(
        self,
        username: str = "alice",
        password: str | None = None,
        *,
        idm_key: str = IDM_KEY,
        relay_state: str | None = None,
        code: str | None = None,
    ) -> TestResponse:
        """A whole SP-initiated login; returns the ACS's answer."""
        _, r = self.start(idm_key, relay_state)
        page = self.idp_get(r.headers["Location"])
        done = self.sign_in(page, username, password or f"{username}-pw", code)
        return self.deliver(done)

    def idp_initiated(self, username: str = "alice", relay_state: str | None = None) -> TestResponse:
        q = {"sp": self.world.sp_config.entity_id, "user": username}
        if relay_state is not None:
            q["RelayState"] = relay_state
        page = self.idp.get("/start", query_string=q)
        return self.deliver(self.sign_in(page, username, f"{username}-pw"))


# -- no xmlsec1 process, ever ----------------------------------------------------------------

_SPAWN_EVENTS = {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.forkpty", "os.exec", "os.system"}
_spawned: list[tuple[str, tuple]] = []


def _audit(event: str, args: tuple) -> None:
    if event in _SPAWN_EVENTS:
        _spawned.append((event, args))


@functools.cache
def _install_audit_hook() -> None:
    sys.addaudithook(_audit)


def spawned_processes() -> list[tuple[str, tuple]]:
    """Every process this test process started since the hook went in (audit events, no patching)."""
    _install_audit_hook()
    return list(_spawned)


def forget_spawned() -> None:
    _install_audit_hook()
    _spawned.clear()


# -- fixtures (conftests import these by name) ------------------------------------------------


@pytest.fixture(scope="session", name="keys")
def keys_fixture() -> Keys:
    return keys()


@pytest.fixture(name="new_world")
def new_world_fixture(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """A factory: `new_world(sub={...}, idp_sp={...}, ...)`; each world gets its own state file."""
    made: list[World] = []

    def factory(**kw: Any) -> World:
        w = make_world(tmp_path / f"world{len(made)}", **kw)
        made.append(w)
        return w

    yield factory
    for w in made:
        w.close()


@pytest.fixture(name="world")
def world_fixture(new_world: Callable[..., World]) -> World:
    return new_world()


@pytest.fixture(name="no_process_spawned")
def no_process_spawned_fixture() -> Iterator[None]:
    """Fails the test if anything (pysaml2's xmlsec1 above all) starts a process."""
    forget_spawned()
    yield
    assert spawned_processes() == [], "a process was started during the test"


# -- an independent IdP (pysaml2's own IdP code) onboarded as a subscription ---------------------


def onboard_pysaml2_idp(ws: Any, servers: Any) -> tuple[Any, Subscription]:
    """A pysaml2 IdP (`saml2.server.Server`) trusted by a new subscription whose account `pat` has
    SAML on, as a customer would onboard it from the IdP's metadata: (the IdP, the subscription)."""
    from harness.core.onboarding import onboard
    from harness.core.questionnaire import Questionnaire
    from samlkit.entities import make_idp_server, metadata_of

    kp = make_keypair("pysaml2-idp.test")
    idp = make_idp_server(
        entity_id="https://pysaml2-idp.test",
        sso_url="https://pysaml2-idp.test/sso",
        key_pem=kp.key_pem,
        cert_pem=kp.cert_pem,
        sps=[(servers.sp_app.config.entity_id, servers.sp_app.config.acs_url)],
    )
    q = Questionnaire.from_metadata(metadata_of(idp).encode(), subscription="py_mgr")
    sub = onboard(ws, q, sp_base=servers.sp_base).subscription
    sub = replace(sub, accounts=[*sub.accounts, Account("pat", saml_enabled=True)])
    ws.save_subscription(sub)
    servers.reload()
    return idp, sub
