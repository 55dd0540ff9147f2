"""A client of a running harness's control API: for scripts, the pytest plugin and RoutedWorkspace."""

from __future__ import annotations

from typing import Any

import requests

from harness.core.control.endpoint import ControlInfo

TIMEOUT = 30


class ControlError(Exception):
    """The control API refused a request (status, its error code and message) or did not answer (status 0)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{message} ({code}, HTTP {status})" if status else message)
        self.status, self.code, self.message = status, code, message


class ControlClient:
    def __init__(self, url: str, token: str, *, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        self._http.trust_env = False  # loopback: no proxy, no .netrc
        self._http.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def of(cls, info: ControlInfo) -> ControlClient:
        return cls(info.url, info.token)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        try:
            r = self._http.request(method, self.url + path, json=body, params=params or None, timeout=self.timeout)
        except requests.RequestException as err:
            raise ControlError(0, "unreachable", f"the harness at {self.url} did not answer ({err})") from err
        try:
            data = r.json()
        except ValueError:
            data = {"error": "not-json", "message": r.text[:200]}
        if r.status_code >= 300:
            raise ControlError(r.status_code, str(data.get("error", "")), str(data.get("message", "")))
        return data

    # -- the endpoints --------------------------------------------------------------------------

    def health(self) -> dict:
        return self.request("GET", "/health")

    def info(self) -> dict:
        return self.request("GET", "/info")

    def users(self) -> list[dict]:
        return self.request("GET", "/users")["users"]

    def put_user(self, username: str, password: str, **fields: Any) -> dict:
        """Create or replace a user (email, first_name, last_name, groups, extra, totp_secret)."""
        return self.request("PUT", f"/users/{username}", {"password": password, **fields})

    def change_user(self, username: str, **fields: Any) -> dict:
        return self.request("PATCH", f"/users/{username}", fields)

    def delete_user(self, username: str) -> dict:
        return self.request("DELETE", f"/users/{username}")

    def sps(self) -> list[dict]:
        return self.request("GET", "/sps")["sps"]

    def register_sp(self, metadata: str | bytes | None = None, *, metadata_url: str | None = None, **fields: Any):
        """Let the mock IdP serve an SP, from its metadata XML or URL; `fields` override (sign, nameid_format...)."""
        body: dict[str, Any] = dict(fields)
        if metadata is not None:
            body["metadata"] = metadata.decode() if isinstance(metadata, bytes) else metadata
        if metadata_url is not None:
            body["metadata_url"] = metadata_url
        return self.request("POST", "/sps", body)

    def configure_sp(self, entity_id: str, *, count: int | None = None, **settings: Any) -> dict:
        """How the mock IdP answers that SP: sign, sig_hash, nameid_format, nameid_source, attributes, ...
        Saved; with `count`, for the next `count` Responses only."""
        body = {"entity_id": entity_id, **settings} | ({"count": count} if count is not None else {})
        return self.request("PATCH", "/sps", body)

    def delete_sp(self, entity_id: str) -> dict:
        return self.request("DELETE", "/sps", entity_id=entity_id)

    def scenarios(self) -> list[dict]:
        return self.request("GET", "/scenarios")["scenarios"]

    def arm(self, entity_id: str, scenario: str, count: int = 1, victim: str | None = None) -> dict:
        """The next `count` Responses to that SP are the scenario's bad message."""
        body: dict[str, Any] = {"entity_id": entity_id, "scenario": scenario, "count": count}
        if victim is not None:
            body["victim"] = victim
        return self.request("POST", "/attacks", body)

    def disarm(self, entity_id: str | None = None) -> list[dict]:
        params = {"entity_id": entity_id} if entity_id else {}
        return self.request("DELETE", "/attacks", **params)["armed"]

    def traces(self, limit: int = 10) -> list[dict]:
        return self.request("GET", "/traces", limit=str(limit))["traces"]

    def apply_changes(self, changes: list[dict]) -> int:
        return self.request("POST", "/workspace/changes", {"changes": changes})["applied"]
