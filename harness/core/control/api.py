"""The control API: a small JSON-over-HTTP WSGI app on loopback that drives a running harness.

Every endpoint but /health and /openapi.json needs `Authorization: Bearer <token>`, the random
token the harness printed at start and wrote (0600) to the workspace's control.json. A browser
page cannot send that header cross-origin without a CORS preflight this app never answers, so
a web page the tester visits cannot drive it. Errors are 4xx JSON `{"error": code, "message"}`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from harness.core.control import handlers as h
from harness.core.control.errors import ApiError, bad
from harness.core.idp_process import IdPProcessError

MAX_BODY = 2 * 1024 * 1024

Handler = Callable[[h.Live, Any, dict], tuple[int, Any]]

# path -> {method: handler}; the OpenAPI document lists exactly these (a test checks).
ROUTES: dict[str, dict[str, Handler]] = {
    "/health": {"GET": h.health},
    "/info": {"GET": h.info},
    "/users": {"GET": h.list_users},
    "/users/<username>": {"GET": h.get_user, "PUT": h.put_user, "PATCH": h.patch_user, "DELETE": h.delete_user},
    "/sps": {"GET": h.list_sps, "POST": h.register_sp, "PATCH": h.patch_sp, "DELETE": h.delete_sp},
    "/scenarios": {"GET": h.list_scenarios},
    "/attacks": {"GET": h.list_attacks, "POST": h.arm_attack, "DELETE": h.disarm_attacks},
    "/traces": {"GET": h.traces},
    "/workspace/changes": {"POST": h.workspace_changes},
}


def openapi_document() -> bytes:
    return resources.files("harness.core.control").joinpath("openapi.json").read_bytes()


def _json(status: int, data: Any) -> Response:
    r = Response(json.dumps(data), status=status, mimetype="application/json")
    r.headers["Cache-Control"] = "no-store"
    return r


def _error(err: ApiError) -> Response:
    r = _json(err.status, err.to_dict())
    if err.status == 401:
        r.headers["WWW-Authenticate"] = 'Bearer realm="saml-harness control"'
    return r


class ControlAPI:
    def __init__(self, live: h.Live, token: str):
        self.live = live
        self._token = token.encode()
        rules = [Rule(path, endpoint=path, methods=list(methods)) for path, methods in ROUTES.items()]
        self._map = Map([*rules, Rule("/openapi.json", endpoint="/openapi.json", methods=["GET"])], merge_slashes=False)

    def __call__(self, environ: dict, start_response: Callable):
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            response = self._route(request)
        except ApiError as err:
            response = _error(err)
        except HTTPException as err:
            code = err.code if err.code and 400 <= err.code < 500 else 400
            response = _error(ApiError(code, err.name.lower().replace(" ", "-"), err.description or err.name))
        except IdPProcessError as err:  # not the request's fault: the harness is half down, say so
            response = _error(ApiError(503, "idp-process-gone", f"{err}; a change saved before this stays saved"))
        except Exception as err:
            logging.getLogger(__name__).exception("control API request failed")
            response = _error(
                ApiError(400, "bad-request", f"the request could not be processed ({type(err).__name__})")
            )
        return response(environ, start_response)

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self._token)

    def _route(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            path, values = adapter.match()
        except NotFound:
            raise ApiError(404, "not-found", f"there is no endpoint {request.path}") from None
        except MethodNotAllowed as err:
            allowed = ", ".join(sorted(err.valid_methods or []))
            raise ApiError(
                405, "method-not-allowed", f"{request.method} is not allowed here (allowed: {allowed})"
            ) from None
        if path == "/openapi.json":
            return Response(openapi_document(), mimetype="application/json")
        handler = ROUTES[path]["GET" if request.method == "HEAD" else request.method]  # Werkzeug adds HEAD to GET
        if handler is not h.health and not self._authorized(request):
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token> (the token is in control.json)")
        status, data = handler(self.live, self._body(request), {**request.args.to_dict(), **values})
        return _json(status, data)

    def _body(self, request: Request) -> Any:
        raw = request.get_data(cache=False)
        if not raw:
            return None
        if request.mimetype != "application/json":
            raise ApiError(415, "unsupported-media-type", "send the body as application/json")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise bad(f"the body is not JSON ({err})", "malformed-json") from err
