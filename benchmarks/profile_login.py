"""Where the time of an in-process login goes (the profile in the README's Performance section).

Wraps the main stages of both apps with wall-clock timers, runs the in-process login of
bench_1 many times and prints, per login, the time spent inside each stage (nested stages are
included in their parents). `--cprofile` also prints cProfile's top functions by own time.
`--large` profiles SP validation and inspection of the 1.1 MB Response instead.

Not a benchmark (no baseline, no ratio): run it by hand, `python benchmarks/profile_login.py`.
"""

from __future__ import annotations

import collections
import functools
import importlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c

_acc: dict[str, float] = collections.defaultdict(float)
_calls: collections.Counter = collections.Counter()


def _wrap(module: str, qualname: str, label: str, also_in: tuple[str, ...] = ()) -> None:
    mod = importlib.import_module(module)
    owner = mod
    *path, name = qualname.split(".")
    for part in path:
        owner = getattr(owner, part)
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _acc[label] += time.perf_counter() - t
            _calls[label] += 1

    setattr(owner, name, timed)
    for other in also_in:
        setattr(importlib.import_module(other), name, timed)


LOGIN_STAGES = [
    ("sp.app", "SPApp._dispatch", "SP app, all requests"),
    ("sp.app", "SPApp._login", "  GET login URL"),
    ("sp.authn_request", "redirect", "    build + deflate the AuthnRequest (lxml)"),
    ("sp.store", "SPStore.add_request", "    SQLite: remember the request"),
    ("sp.app", "SPApp._acs", "  POST ACS"),
    ("sp.validate", "Validator.read", "    decode + safe parse"),
    ("sp.validate", "Validator.check_trust", "    envelope, one Assertion, signatures"),
    ("samlkit.xmldsig", "verify", "      xmldsig.verify x2 (c14n of a copy, digest, RSA)"),
    ("sp.validate", "Validator.finish", "    assertion checks, InResponseTo, replay lookup"),
    ("sp.store", "SPStore.remember_assertion", "    SQLite: replay cache"),
    ("sp.app", "SPApp._accept", "    session (SQLite) + 303"),
    ("mock_idp.app", "IdPApp._dispatch", "IdP app, all requests"),
    ("mock_idp.app", "IdPApp._sso", "  GET SSO (AuthnRequest -> login form)"),
    ("mock_idp.authn_request", "read_authn_request", "    safe parse + read the AuthnRequest (lxml)"),
    ("mock_idp.sign_in", "login", "  POST login -> Response form"),
    ("mock_idp.response", "build_unsigned", "    build the Response (lxml)"),
    ("samlkit.xmldsig", "sign", "    xmldsig.sign x2 (c14n, digest, RSA-2048)"),
]


def profile_login(runs: int, cprofile: bool) -> None:
    # Functions imported by name elsewhere are re-bound there too, so the timers see every call.
    rebind = {"read_authn_request": ("mock_idp.app",)}
    for module, qual, label in LOGIN_STAGES:
        _wrap(module, qual, label, rebind.get(qual, ()))
    state = Path(tempfile.mkdtemp(prefix="profile-")) / "sp_state.sqlite"
    sp, idp = c.make_apps(state_path=str(state))
    login = c.InProcessLogin(sp, idp)
    for _ in range(30):
        login.run()
    _acc.clear()
    _calls.clear()
    t = time.perf_counter()
    for _ in range(runs):
        login.run()
    total = (time.perf_counter() - t) / runs * 1000
    apps = (_acc["SP app, all requests"] + _acc["IdP app, all requests"]) / runs * 1000
    rows = [["whole login (minimal WSGI browser, 4 requests)", f"{total:.2f}", "100%"]]
    rows.append(["  the driver (outside the apps)", f"{total - apps:.2f}", f"{(total - apps) / total:.0%}"])
    for _module, _qual, label in LOGIN_STAGES:
        ms = _acc[label] / runs * 1000
        rows.append([label, f"{ms:.3f}", f"{ms / total:.0%}"])
    c.print_table(
        f"Where an in-process login goes (mean of {runs} logins, wall clock)", ["stage", "ms/login", "share"], rows
    )
    if cprofile:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        for _ in range(runs):
            login.run()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(20)


def profile_large() -> None:
    from harness.core import decode, explain, summary
    from harness.core.inspect_message import inspect
    from samlkit import codec, safexml, xmldsig
    from sp.validate import Validator

    large = c.large_user()
    issued = c.issue_response(large, in_response_to="_r")
    spc = c.sp_config()
    sub = spc.subscriptions[0]
    cert = c.keys().cert_pem

    def validate() -> None:
        Validator(
            sub=sub,
            sp_entity_id=spc.entity_id,
            acs_url=spc.acs_url,
            skew=60,
            take_request=lambda _i: {"idm_key": sub.idm_key, "browser": "b"},
            peek_request=lambda _i: {"idm_key": sub.idm_key, "browser": "b"},
            browser="b",
            max_bytes=spc.max_body,
        ).run(issued.b64)

    xml = codec.decode_post(issued.b64, spc.max_body)
    root = safexml.parse(xml, spc.max_body)
    assertion = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    parts = [
        ("SP: Validator.run, whole", validate),
        ("  base64 decode", lambda: codec.decode_post(issued.b64, spc.max_body)),
        ("  safexml.parse (DOCTYPE, entities, depth)", lambda: safexml.parse(xml, spc.max_body)),
        ("  ids_of (unique IDs; 3 calls per validation)", lambda: safexml.ids_of(root)),
        ("  xmldsig.verify Response (c14n of a copy, digest, RSA)", lambda: xmldsig.verify(root, cert)),
        ("  xmldsig.verify Assertion (c14n of a copy, digest, RSA)", lambda: xmldsig.verify(assertion, cert)),
        ("inspector: inspect, whole", lambda: inspect(issued.b64, cert)),
        ("  decode_any", lambda: decode.decode_any(issued.b64)),
        ("  pretty_xml", lambda: decode.pretty_xml(xml)),
        ("  summarize", lambda: summary.summarize(root)),
        ("  explain_signatures (digests, 2 verifications)", lambda: explain.explain_signatures(root, cert)),
        ("IdP: issue (build, 2 signatures, serialise)", lambda: c.issue_response(large)),
    ]
    rows = [c.row(label, c.measure(fn, runs=9, warmup=1)) for label, fn in parts]
    c.print_table("Where the 1.1 MB Response's time goes (5,005 attributes)", c.TIME_HEADERS, rows)


if __name__ == "__main__":
    if "--large" in sys.argv:
        profile_large()
    else:
        profile_login(500, "--cprofile" in sys.argv)
