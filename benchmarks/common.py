"""Shared setup for the benchmarks: keys, configs, the two Responses, the baselines, timing.

Every benchmark script measures our path and its baseline in the same run and prints a table,
then a last line `RATIO <name>: ...` (so a noisy machine shifts both sides alike). Nothing here
is a test: the suite never asserts on time.

The two Responses are the issue's: one "small" (~7.6 kB: a user with the five standard
attributes, assertion and response both signed, RSA-2048, SHA-256) and one "large" (~1.1 MB:
the same plus 5,000 extra attributes, 5,005 in all).
"""

from __future__ import annotations

import base64
import functools
import gc
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# pysaml2 imports a deprecated cipher mode at import time; that is noise here, not news.
warnings.filterwarnings("ignore", message=".*CFB.*")
warnings.filterwarnings("ignore", category=DeprecationWarning)

from harness.core.certs import KeyPair, make_keypair  # noqa: E402
from mock_idp.app import IdPApp, create_idp_app  # noqa: E402
from mock_idp.model import IdPConfig, IdPUser, SPSettings  # noqa: E402
from mock_idp.response import Issued, issue  # noqa: E402
from sp.app import SPApp, create_sp_app  # noqa: E402
from sp.model import Account, SPConfig, Subscription  # noqa: E402

SP_BASE = "http://sp.bench.test"
IDP_BASE = "http://idp.bench.test"
IDP_ENTITY = "https://idp.bench.test/saml/metadata"
IDM_KEY = "4711"
LARGE_EXTRA_ATTRIBUTES = 5000
STANDARD = ["uid", "mail", "givenName", "sn", "groups"]


# -- keys and users ------------------------------------------------------------------------------


@functools.cache
def keys() -> KeyPair:
    """The IdP's RSA-2048 key pair, made once per process."""
    return make_keypair("idp.bench.test")


@functools.cache
def key_files() -> tuple[str, str]:
    """The same key pair as files, for the stock pysaml2 baseline (it reads keys from files)."""
    d = tempfile.mkdtemp(prefix="saml-bench-")
    kp = keys()
    paths = []
    for name, data in (("key.pem", kp.key_pem), ("cert.pem", kp.cert_pem)):
        p = os.path.join(d, name)
        with open(p, "wb") as fh:
            fh.write(data)
        os.chmod(p, 0o600)
        paths.append(p)
    return paths[0], paths[1]


def small_user() -> IdPUser:
    return IdPUser(
        "alice",
        "alice-pw",
        email="alice.liddell@wonderland-corp.example",
        first_name="Alice",
        last_name="Liddell",
        groups=[
            "qualys-managers",
            "qualys-scanners",
            "vulnerability-management",
            "asset-owners-emea",
            "asset-owners-americas",
            "patch-management",
            "policy-compliance",
            "web-application-scanning",
            "container-security",
            "cloud-security-assessment",
            "endpoint-detection-and-response",
        ],
    )


def large_user() -> IdPUser:
    extra = {
        f"urn:bench:attribute:{i:04d}": f"value {i:04d} of a long-ish attribute released by the IdP"
        for i in range(LARGE_EXTRA_ATTRIBUTES)
    }
    return replace(small_user(), extra=extra)


def sp_settings(sp_config: SPConfig, user: IdPUser) -> SPSettings:
    """How the IdP answers our SP: sign assertion and response, RSA-2048 SHA-256."""
    return SPSettings(
        entity_id=sp_config.entity_id,
        acs_url=sp_config.acs_url,
        name="Vendor SP",
        sign="both",
        sig_hash="sha256",
        attributes=STANDARD + list(user.extra),
    )


# -- the two apps --------------------------------------------------------------------------------


def sp_config(*, users: list[IdPUser] | None = None) -> SPConfig:
    sub = Subscription(
        idm_key=IDM_KEY,
        name="Bench Corp",
        idp_entity_id=IDP_ENTITY,
        idp_cert_pem=keys().cert_pem,
        idp_sso_url=IDP_BASE + "/sso",
        accounts=[Account("alice", saml_enabled=True, role="Manager")],
    )
    return SPConfig(base_url=SP_BASE, subscriptions=[sub])


def idp_config(spc: SPConfig, user: IdPUser | None = None) -> IdPConfig:
    user = user or small_user()
    kp = keys()
    return IdPConfig(
        entity_id=IDP_ENTITY,
        base_url=IDP_BASE,
        key_pem=kp.key_pem,
        cert_pem=kp.cert_pem,
        users=[user],
        sps=[sp_settings(spc, user)],
    )


def make_apps(*, user: IdPUser | None = None, state_path: str | None = None) -> tuple[SPApp, IdPApp]:
    spc = sp_config()
    return create_sp_app(spc, state_path=state_path), create_idp_app(idp_config(spc, user))


# -- the Responses -------------------------------------------------------------------------------


def issue_response(user: IdPUser, *, in_response_to: str | None = None) -> Issued:
    """A fresh signed Response (assertion and response) for `user`, as the mock IdP makes it."""
    spc = sp_config()
    kp = keys()
    return issue(
        idp_entity_id=IDP_ENTITY,
        sp=sp_settings(spc, user),
        user=user,
        key_pem=kp.key_pem,
        cert_pem=kp.cert_pem,
        in_response_to=in_response_to,
    )


# -- the in-process login (werkzeug test client, both apps) ---------------------------------------

_T = re.compile(r'name="t" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SAMLRESPONSE = re.compile(r'name="SAMLResponse" value="([^"]+)"')


def form_value(value: str) -> str:
    """URL-encode a base64 value as a browser's form submission does (only + / = need it)."""
    return value.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


class WSGIBrowser:
    """A minimal browser for one WSGI app, for timing: a plain environ per request (what an
    HTTP server hands the app: method, path, query, headers, body) and the cookies the app set.

    werkzeug's test client does much more per request (URL and IRI handling, cookie policy, a
    full Request to build the environ, a Response to wrap the answer): 0.6 ms of a 4 ms login,
    all of it outside the apps. The apps still parse every request themselves."""

    def __init__(self, app: Callable, host: str) -> None:
        self.app, self.host = app, host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, query: str = "", body: bytes = b"") -> tuple[int, dict, bytes]:
        import io

        env = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": self.host,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": self.host,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if body:
            env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            env["CONTENT_LENGTH"] = str(len(body))
        if self.cookies:
            env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        seen: dict = {}

        def start_response(status: str, headers: list, exc_info: object = None) -> Callable:
            seen["status"], seen["headers"] = int(status[:3]), headers
            return lambda data: None

        out = self.app(env, start_response)
        try:
            data = b"".join(out)
        finally:
            if hasattr(out, "close"):
                out.close()
        headers: dict[str, str] = {}
        for name, value in seen["headers"]:
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                    self.cookies.pop(k, None)
                else:
                    self.cookies[k] = v
            else:
                headers[name] = value
        return seen["status"], headers, data


class InProcessLogin:
    """SP-initiated login through both WSGI apps, one fresh browser per run.

    `client="wsgi"`: the minimal `WSGIBrowser`; `client="werkzeug"`: werkzeug's test client."""

    def __init__(
        self, sp: SPApp, idp: IdPApp, username: str = "alice", password: str = "alice-pw", client: str = "wsgi"
    ):
        from werkzeug.test import Client

        self.sp, self.idp, self._client = sp, idp, Client
        self.username, self.password = username, password
        self.login_path = f"{sp.config.login_path}?idm_key={IDM_KEY}"
        self.acs_path = sp.config.acs_path
        self.run = self.run_wsgi if client == "wsgi" else self.run_werkzeug

    def run_wsgi(self) -> None:
        csp, cidp = WSGIBrowser(self.sp, "sp.bench.test"), WSGIBrowser(self.idp, "idp.bench.test")
        path, _, query = self.login_path.partition("?")
        _, headers, _ = csp.request("GET", path, query)
        loc = urlsplit(headers["Location"])
        _, _, html = cidp.request("GET", loc.path, loc.query)
        html = html.decode("utf-8")
        fields = {
            "t": _T.search(html).group(1),
            "csrf": _CSRF.search(html).group(1),
            "username": self.username,
            "password": self.password,
        }
        body = "&".join(f"{k}={form_value(v)}" for k, v in fields.items()).encode("ascii")
        _, _, page = cidp.request("POST", "/login", body=body)
        value = _SAMLRESPONSE.search(page.decode("utf-8")).group(1)
        status, headers, _ = csp.request("POST", self.acs_path, body=b"SAMLResponse=" + form_value(value).encode())
        if status != 303:
            raise RuntimeError(f"login refused: {status} {headers.get('X-SAML-Reason')}")

    def run_werkzeug(self) -> None:
        csp, cidp = self._client(self.sp), self._client(self.idp)
        r = csp.get(self.login_path)
        loc = urlsplit(r.headers["Location"])
        r = cidp.get(f"{loc.path}?{loc.query}")
        html = r.get_data(as_text=True)
        r = cidp.post(
            "/login",
            data={
                "t": _T.search(html).group(1),
                "csrf": _CSRF.search(html).group(1),
                "username": self.username,
                "password": self.password,
            },
        )
        value = _SAMLRESPONSE.search(r.get_data(as_text=True)).group(1)
        r = csp.post(
            self.acs_path, data="SAMLResponse=" + form_value(value), content_type="application/x-www-form-urlencoded"
        )
        if r.status_code != 303:
            raise RuntimeError(f"login refused: {r.status_code} {r.headers.get('X-SAML-Reason')}")


# -- the stock pysaml2 baseline (xmlsec1 program) -------------------------------------------------


@dataclass
class StockPair:
    client: object  # saml2.client.Saml2Client
    server: object  # saml2.server.Server
    acs_url: str
    sp_entity_id: str


def stock_pair(*, crypto: str = "xmlsec1") -> StockPair:
    """A pysaml2 Saml2Client + Server trusting each other, same keys and signing as ours.

    crypto "xmlsec1": pysaml2's default backend (forks /usr/bin/xmlsec1). "inprocess": the same
    entities with our in-process backend installed (samlkit.pysaml2_backend).
    """
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.config import IdPConfig as _IdPConfig
    from saml2.config import SPConfig as _SPConfig
    from saml2.server import Server
    from saml2.sigver import get_xmlsec_binary

    from samlkit import pysaml2_backend
    from samlkit.metadata_xml import idp_metadata, sp_metadata

    spc = sp_config()
    key_file, cert_file = key_files()
    binary = (
        get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]) if crypto == "xmlsec1" else pysaml2_backend.PLACEHOLDER_BINARY
    )
    sha256 = {
        "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
    }
    sp_conf = _SPConfig()
    sp_conf.load(
        {
            "entityid": spc.entity_id,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(spc.acs_url, BINDING_HTTP_POST)]},
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "want_assertions_signed": True,
                    "want_response_signed": True,
                    "allow_unknown_attributes": True,
                    **sha256,
                }
            },
            "metadata": {
                "inline": [idp_metadata(entity_id=IDP_ENTITY, sso_url=IDP_BASE + "/sso", cert_pem=keys().cert_pem)]
            },
            "xmlsec_binary": binary,
            "accepted_time_diff": 60,
        }
    )
    idp_conf = _IdPConfig()
    idp_conf.load(
        {
            "entityid": IDP_ENTITY,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(IDP_BASE + "/sso", BINDING_HTTP_REDIRECT)]},
                    "want_authn_requests_signed": False,
                    "sign_response": True,
                    "sign_assertion": True,
                    **sha256,
                }
            },
            "metadata": {"inline": [sp_metadata(entity_id=spc.entity_id, acs_url=spc.acs_url)]},
            "key_file": key_file,
            "cert_file": cert_file,
            "xmlsec_binary": binary,
            "accepted_time_diff": 60,
        }
    )
    client, server = Saml2Client(config=sp_conf), Server(config=idp_conf)
    if crypto != "xmlsec1":
        pysaml2_backend.install(client)
        pysaml2_backend.install(server, key_file, cert_file)
    return StockPair(client, server, spc.acs_url, spc.entity_id)


def identity_of(user: IdPUser) -> dict[str, list[str]]:
    ident = {"uid": [user.username], "mail": [user.email], "givenName": [user.first_name], "sn": [user.last_name]}
    ident["groups"] = list(user.groups)
    for k, v in user.extra.items():
        ident[k] = [v]
    return ident


def stock_create_response(pair: StockPair, user: IdPUser, in_response_to: str | None) -> str:
    """pysaml2's IdP: a Response with signed assertion and signed response, as base64."""
    from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAMEID_FORMAT_UNSPECIFIED, NameID

    resp = pair.server.create_authn_response(
        identity_of(user),
        in_response_to=in_response_to,
        destination=pair.acs_url,
        sp_entity_id=pair.sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=user.username),
        authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": IDP_ENTITY},
        sign_response=True,
        sign_assertion=True,
        sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
    )
    return base64.b64encode(str(resp).encode("utf-8")).decode("ascii")


def stock_login(pair: StockPair, user: IdPUser) -> None:
    """The same login with pysaml2 only: AuthnRequest redirect, the IdP reads it and answers
    signed (assertion and response), the SP parses and verifies the Response."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    req_id, info = pair.client.prepare_for_authenticate(entityid=IDP_ENTITY, binding=BINDING_HTTP_REDIRECT)
    location = dict(info["headers"])["Location"]
    saml_request = parse_qs(urlsplit(location).query)["SAMLRequest"][0]
    req = pair.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
    b64 = stock_create_response(pair, user, req.message.id)
    out = pair.client.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={req_id: "/"})
    if out is None or out.ava.get("uid") != [user.username]:
        raise RuntimeError("stock pysaml2 login did not yield the identity")


# -- python3-saml (OneLogin), strict -------------------------------------------------------------


def onelogin_settings(spc: SPConfig, *, encryption: KeyPair | None = None):
    """python3-saml strict settings for our SP; with `encryption` it also wants encrypted assertions."""
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    sp_keys = {}
    if encryption:
        sp_keys = {"x509cert": encryption.cert_pem.decode(), "privateKey": encryption.key_pem.decode()}
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": spc.entity_id,
                "assertionConsumerService": {
                    "url": spc.acs_url,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                **sp_keys,
            },
            "idp": {
                "entityId": IDP_ENTITY,
                "singleSignOnService": {
                    "url": IDP_BASE + "/sso",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "x509cert": keys().cert_pem.decode("ascii"),
            },
            "security": {
                "wantAssertionsSigned": True,
                "wantMessagesSigned": True,
                "wantNameId": True,
                "rejectDeprecatedAlgorithm": True,
                "wantAttributeStatement": False,
                "wantAssertionsEncrypted": encryption is not None,
            },
        },
        custom_base_path=None,
    )


def onelogin_read(settings, b64: str, request_data: dict, request_id: str) -> int:
    """python3-saml strict: validate the Response and read its attributes (their count)."""
    from onelogin.saml2.response import OneLogin_Saml2_Response

    r = OneLogin_Saml2_Response(settings, b64)
    if not r.is_valid(request_data, request_id=request_id, raise_exceptions=True):
        raise RuntimeError("python3-saml refused the Response")
    return len(r.get_attributes())


def bench_validator(sub: Subscription, spc: SPConfig):  # -> sp.validate.Validator
    """Our Validator as the ACS builds it, for one Response answering the benchmark's request."""
    from sp.validate import Validator

    request = {"idm_key": sub.idm_key, "browser": "bench-browser"}
    return Validator(
        sub=sub,
        sp_entity_id=spc.entity_id,
        acs_url=spc.acs_url,
        skew=spc.clock_skew,
        take_request=lambda _id: request,
        peek_request=lambda _id: request,
        seen=lambda _id: False,
        browser="bench-browser",
        max_bytes=spc.max_body,
    )


def onelogin_request_data(spc: SPConfig, b64: str) -> dict:
    parts = urlsplit(spc.acs_url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": {"SAMLResponse": b64},
    }


# -- timing and reporting ------------------------------------------------------------------------


def measure(fn: Callable[[], object], *, runs: int, warmup: int = 3, budget: float = 20.0) -> list[float]:
    """Seconds per call, `runs` times after `warmup` calls, stopping early after `budget` seconds."""
    for _ in range(warmup):
        fn()
    out: list[float] = []
    gc.collect()
    start = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget and len(out) >= 5:
            break
    return out


def interleaved(
    fns: dict[str, tuple[Callable[[], object], int]], *, rounds: int, budget: float = 40.0
) -> dict[str, list[float]]:
    """Time several functions in alternating rounds (`n` calls of each per round), so that a
    neighbour's load on a shared machine falls on all of them alike. Stops after `budget` s."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for fn, _n in fns.values():
        fn()  # warm-up
    gc.collect()
    start = time.perf_counter()
    for _ in range(rounds):
        for name, (fn, n) in fns.items():
            for _ in range(n):
                t = time.perf_counter()
                fn()
                out[name].append(time.perf_counter() - t)
        if time.perf_counter() - start > budget:
            break
    return out


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def pct_ms(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] * 1000


def row(label: str, samples: list[float], note: str = "") -> list[str]:
    return [
        label,
        f"{median_ms(samples):.2f}",
        f"{pct_ms(samples, 10):.2f}",
        f"{pct_ms(samples, 90):.2f}",
        str(len(samples)),
        note,
    ]


TIME_HEADERS = ["measurement", "median ms", "p10 ms", "p90 ms", "runs", "note"]


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    print(f"\n{title}")
    print(f"machine: {machine()}")
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 or i == len(r) - 1 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=False))
            )
        )


@functools.cache
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ratio_line(name: str, text: str, ok: bool) -> None:
    """The last line every benchmark prints."""
    print(f"RATIO {name}: {text} {verdict(ok)}", flush=True)
