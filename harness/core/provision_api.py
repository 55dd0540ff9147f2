"""The SP's user API as provisioning calls it: `/api/2.0/fo/user/` (list, add, edit, deactivate)
with HTTP Basic auth, a refusal turned into a `ProvisionError` carrying the SP's reason code."""

from __future__ import annotations

import html
import re
from typing import Any

import requests

from sp.contract import REASON_HEADER, Route


class ProvisionError(Exception):
    """The API refused, or provisioning cannot start; `code` is the SP's reason code when there is one."""

    def __init__(self, message: str, code: str = "", status: int = 0):
        super().__init__(message)
        self.code, self.status = code, status


class UserAPI:
    """`/api/2.0/fo/user/` with HTTP Basic auth; writes carry X-Requested-With, as the API wants."""

    def __init__(self, base_url: str, login: str, password: str, *, timeout: float = 30.0):
        self.url = base_url.rstrip("/") + Route.USER_API
        self.session = requests.Session()
        self.session.auth = (login, password)
        self.session.headers["User-Agent"] = "saml-harness provisioning"
        self.timeout = timeout
        self.login = login

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, data: dict[str, str] | None = None, params: dict[str, str] | None = None) -> dict:
        headers = {"X-Requested-With": "saml-harness"} if method == "POST" else {}
        try:
            r = self.session.request(method, self.url, data=data, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as err:
            raise ProvisionError(f"the user API at {self.url} cannot be reached: {err}") from err
        if r.status_code >= 400:
            code = r.headers.get(REASON_HEADER, "")
            raise ProvisionError(_refusal_text(r.text) or f"HTTP {r.status_code}", code, r.status_code)
        try:
            return r.json()
        except ValueError as err:
            raise ProvisionError(f"the user API answered something that is not JSON (HTTP {r.status_code})") from err

    def list(self) -> tuple[str, list[dict[str, Any]]]:
        body = self._call("GET", params={"action": "list"})
        return body.get("subscription", ""), body.get("accounts", [])

    def add(self, fields: dict[str, Any]) -> dict:
        return self._call("POST", {"action": "add", **_form(fields)})["account"]

    def edit(self, login: str, fields: dict[str, Any]) -> dict:
        return self._call("POST", {"action": "edit", "login": login, **_form(fields)})["account"]

    def deactivate(self, login: str) -> dict:
        return self._call("POST", {"action": "deactivate", "login": login})["account"]


def _form(fields: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in fields.items():
        if isinstance(v, bool):
            out[k] = "1" if v else "0"
        elif isinstance(v, list):
            out[k] = ",".join(v)
        else:
            out[k] = str(v)
    return out


def _refusal_text(page: str) -> str:
    """The sentence of an SP refusal page (its `reason` paragraph), without HTML."""
    m = re.search(r'<p id="reason">(.*?)</p>', page, re.S)
    if m is None:
        paras = re.findall(r"<p>(.*?)</p>", page, re.S)
        text = paras[-1] if paras else ""
    else:
        text = m.group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
