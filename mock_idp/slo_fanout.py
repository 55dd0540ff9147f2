"""The mock IdP tells every session participant, each in its own frame, and goes on whatever one does.

A front-channel logout that sends the browser from SP to SP stops at the first SP that shows an
error page instead of answering. Like Shibboleth's and SimpleSAMLphp's IdPs, the mock IdP instead
shows one page with a frame per SP: each frame gets its SP's LogoutRequest (`/slo/frame`) and, when
the SP answers, its LogoutResponse comes back to `/slo` inside that frame and tells the page. Once
every frame has answered, or every frame has loaded and stayed quiet for a few seconds (an SP's
refusal page, an error, nothing listening), the page posts `/slo/done`: SPs that never answered
count as refused or failed, the IdP's final page lists each SP's result (`X-SAML-Logout: complete`
or `partial`), and an SP that asked for the logout gets its LogoutResponse, with PartialLogout when
any SP was not logged out. Without JavaScript the page has a Continue button.
"""

from __future__ import annotations

import hashlib
import hmac
from string import Template
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from mock_idp.contract import LOGOUT_HEADER, SLO_RUN_COOKIE, IdPRoute
from mock_idp.logout_request import logout_request_for
from mock_idp.slo_run import ACTOR, RUN_TTL, LogoutRun, Target, deliver, send, verdict
from samlkit import csp, logout
from samlkit.events import Check
from samlkit.html import esc, page

if TYPE_CHECKING:
    from mock_idp.app import IdPApp

RUN_KEY = "run:"  # the run by its token (the frames and the final POST)
REQUEST_KEY = "req:"  # the run by the ID of a LogoutRequest it sent
ANSWERED = "slo-answered"  # what a frame tells the page once its SP answered
QUIET_MS = 3000  # every frame loaded and none moved for this long: the rest will not answer
CAP_MS = 30000  # the page goes on after this, whatever the frames do

_SCRIPT = Template(
    "(function(){var fs=[].slice.call(document.querySelectorAll('iframe.slo')),"
    "form=document.getElementById('slo-done'),answered=0,loaded=new Set(),gone=false,quiet=null;"
    "function go(){if(!gone){gone=true;form.submit();}}"
    "function settle(){clearTimeout(quiet);if(loaded.size>=fs.length)quiet=setTimeout(go,$quiet);}"
    "window.addEventListener('message',function(e){if(e.origin===location.origin&&e.data==='$answered'"
    "&&++answered>=fs.length)go();});"
    "fs.forEach(function(f){f.addEventListener('load',function(){loaded.add(f);settle();});});"
    "setTimeout(go,$cap);})();"
).substitute(quiet=QUIET_MS, answered=ANSWERED, cap=CAP_MS)
_TELL = f"parent.postMessage('{ANSWERED}', location.origin)"  # an answered frame tells the page
_MARKS = {
    True: ("logged-out", "✔ logged out"),
    False: ("not-logged-out", "✘ not logged out"),
    None: ("skipped", "– skipped"),
}


def start(app: IdPApp, run: LogoutRun) -> Response:
    """Tell each SP of `run.queue` in a frame, or finish at once when none can be told."""
    c = app.config
    for p in run.queue:
        sp = c.sp(p.sp_entity_id)
        name = sp.name if sp and sp.name else p.sp_entity_id
        if sp is None or not sp.slo_url:
            run.results.append((name, None, "names no SLO URL: its session was left alone"))
        else:
            run.targets.append(Target(name, p))
    run.queue = []
    if not run.targets:
        return finish(app, run)
    app.slo_runs.put(RUN_KEY + run.token, run)
    resp = _fan_out_page(app, run)
    resp.set_cookie(
        _cookie_name(run.token),
        run.browser,
        max_age=RUN_TTL,
        path="/slo",
        httponly=True,
        samesite="Lax",
        secure=app._secure,
    )
    return resp


def _cookie_name(token: str) -> str:
    return SLO_RUN_COOKIE + hashlib.sha256(token.encode()).hexdigest()[:16]


def _run_of(app: IdPApp, request: Request, token: str) -> LogoutRun | Response:
    """The run `token` names, or the refusal when it is not in progress or another
    browser started it: a run token alone (the attacker's own, say) must not drive or end a logout,
    nor show a browser whose session lives a page saying it signed out."""
    run = app.slo_runs.peek(RUN_KEY + token)
    if run is None:
        return app._error("logout-run-unknown", "This logout is not in progress (finished, expired or never begun).")
    if not hmac.compare_digest(request.cookies.get(_cookie_name(token), "").encode(), run.browser.encode()):
        return app._error(
            "logout-run-other-browser", "This logout was started in another browser: only that browser goes on with it."
        )
    return run


def _fan_out_page(app: IdPApp, run: LogoutRun) -> Response:
    frames = "".join(
        f'<li>{esc(t.name)}<br><iframe class="slo" title="Logout at {esc(t.name)}" width="420" height="90" '
        f'src="{IdPRoute.SLO_FRAME}?{esc(urlencode({"run": run.token, "n": i}))}"></iframe></li>'
        for i, t in enumerate(run.targets)
    )
    body = (
        f"<p>Signing you out of every service…</p><ul>{frames}</ul>"
        f'<form id="slo-done" method="post" action="{IdPRoute.SLO_DONE}" data-after-frames="1">'
        f'<input type="hidden" name="run" value="{esc(run.token)}">'
        "<noscript><p>JavaScript is off: press Continue once every frame above has finished.</p></noscript>"
        f'<button type="submit">Continue</button></form><script>{_SCRIPT}</script>'
    )
    resp = app._html(page("Signing out", body, actor=ACTOR), policy=_fan_out_policy(app, run))
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _fan_out_policy(app: IdPApp, run: LogoutRun) -> csp.Policy:
    """The frames show the IdP's own pages and each SP's SLO endpoint, nothing else. The page's form
    ends the run: the IdP's result page, or, when an SP asked for the logout, that SP's answer and its
    exit URL, which the IdP cannot know (form-action is then left out, as on a self-posting page)."""
    slo_urls = [sp.slo_url for t in run.targets if (sp := app.config.sp(t.participant.sp_entity_id)) and sp.slo_url]
    return csp.Policy(
        scripts=(_SCRIPT,),
        frame_src=(csp.SELF, *csp.origins(slo_urls)),
        form_action=(csp.SELF,) if run.initiator is None else None,
    )


_ANSWERED_POLICY = csp.Policy(scripts=(_TELL,), form_action=(), frame_ancestors=csp.SELF)


def _framed(resp: Response) -> Response:
    """A page of the IdP's own fan-out page's frames (framable by the IdP only: its policy says so),
    leaking no URL."""
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def answered_page(app: IdPApp, target: Target) -> Response:
    """What the frame shows once its SP answered (or could not be asked): it tells the fan-out page."""
    ok, detail = target.result or (False, "")
    mark = "✔ logged out" if ok else "✘ not logged out"
    body = f"<p>{esc(target.name)}: {mark} ({esc(detail)})</p><script>{_TELL}</script>"
    return _framed(app._html(page("Service logout", body, actor=ACTOR), policy=_ANSWERED_POLICY))


def frame(app: IdPApp, request: Request) -> Response:
    """GET /slo/frame?run=TOKEN&n=INDEX: the LogoutRequest for one SP of a run, once."""
    run = _run_of(app, request, request.args.get("run", ""))
    if isinstance(run, Response):
        return run
    n = request.args.get("n", "")
    if not n.isascii() or not n.isdigit() or int(n) >= len(run.targets):
        return app._error("logout-run-unknown", "This logout has no such frame.")
    target = run.targets[int(n)]
    if target.request_id or target.result is not None:
        return app._error("logout-run-unknown", "This service's LogoutRequest was sent already.")
    sp = app.config.sp(target.participant.sp_entity_id)
    if sp is None or not sp.slo_url:
        target.result = (False, "the SP was removed or lost its SLO URL during the logout")
        return answered_page(app, target)
    try:
        root = logout_request_for(app.config.entity_id, sp, target.participant)
    except ValueError as err:  # encryption asked for without a usable certificate
        target.result = (False, f"no LogoutRequest sent: {err}")
        return answered_page(app, target)
    target.request_id = root.get("ID") or ""
    app.slo_runs.put(REQUEST_KEY + target.request_id, run)
    return _framed(deliver(app, send(app, sp, root, "SAMLRequest", None), target.request_id, framed=True))


def done(app: IdPApp, request: Request) -> Response:
    """POST /slo/done (run=TOKEN): the frames have had their turn; finish the run (in the browser that started it)."""
    token = request.form.get("run", "") if request.method == "POST" else ""
    run = _run_of(app, request, token)
    if isinstance(run, Response):
        return run
    if app.slo_runs.take(RUN_KEY + token) is not run:  # finished meanwhile
        return app._error("logout-run-unknown", "This logout is not in progress (finished, expired or never begun).")
    resp = finish(app, run)
    resp.delete_cookie(_cookie_name(token), path="/slo", secure=app._secure, httponly=True, samesite="Lax")
    return resp


def finish(app: IdPApp, run: LogoutRun) -> Response:
    """Each SP's result in a verdict; the final page, or the initiating SP's LogoutResponse."""
    results = run.all_results()
    partial = any(ok is not True for _, ok, _ in results)
    if run.targets or partial:
        failed = [name for name, ok, _ in results if ok is not True]
        verdict(
            app,
            not partial,
            "partial-logout" if partial else "logged-out",
            f"Partial logout of {run.username}: not logged out of {', '.join(failed)}"
            if partial
            else f"{run.username} logged out of every service",
            [Check(name, ok is True, detail) for name, ok, detail in results],
        )
    if run.initiator is None:
        return finished_page(app, run, "")
    return _answer_initiator(app, run, partial)


def _answer_initiator(app: IdPApp, run: LogoutRun, partial: bool) -> Response:
    init = run.initiator
    sp = app.config.sp(init.sp_entity_id) if init else None
    if init is None or sp is None or not sp.slo_url:
        return finished_page(app, run, "The SP that asked for this logout names no SLO URL to answer.")
    root = logout.logout_response(
        issuer=app.config.entity_id,
        destination=sp.slo_url,
        in_response_to=init.request_id,
        sub_status=logout.STATUS_PARTIAL_LOGOUT if partial else None,
        message="Not every service could be logged out." if partial else None,
    )
    return deliver(app, send(app, sp, root, "SAMLResponse", init.relay_state), init.request_id)


def finished_page(app: IdPApp, run: LogoutRun, note: str) -> Response:
    results = run.all_results()
    rows = "".join(
        f'<tr data-service-result="{_MARKS[ok][0]}"><td>{esc(name)}</td><td>{_MARKS[ok][1]}</td>'
        f"<td>{esc(detail)}</td></tr>"
        for name, ok, detail in results
    )
    table = f"<table><tr><th>Service</th><th>Result</th><th>Detail</th></tr>{rows}</table>" if rows else ""
    partial = any(ok is not True for _, ok, _ in results)
    lead = "You are signed out of the mock IdP" + (", but not of every service (partial logout)." if partial else ".")
    body = f'<p>{lead}</p>{f"<p>{esc(note)}</p>" if note else ""}{table}<p><a href="{IdPRoute.ROOT}">Home</a></p>'
    resp = app._html(page("Signed out", body, actor=ACTOR), policy=csp.STATIC)
    resp.headers[LOGOUT_HEADER] = "partial" if partial else "complete"
    return resp
