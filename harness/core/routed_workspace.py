"""A workspace held by a running harness, changed through that harness's control API.

The one-writer rule stays: while `serve` or the app holds a workspace, a command such as
`onboard` or `certs make` opens it read-only and sends each save to the running harness
(POST /workspace/changes), which applies it in its own transaction and reloads its servers.
Saves made inside one `_transaction()` travel together, so they are applied all or none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.core.certs import KeyPair
from harness.core.control.client import ControlClient, ControlError
from harness.core.control.endpoint import ControlInfo, read_control
from harness.core.workspace import Workspace, WorkspaceBusy, WorkspaceError


class RoutedWorkspace(Workspace):
    def __init__(self, path: str | Path, control: ControlInfo):
        super().__init__(path, read_only=True)
        self.control = control
        self._batch: list[dict[str, Any]] | None = None
        self._client = ControlClient.of(control)

    @classmethod
    def connect(cls, path: str | Path, busy: WorkspaceBusy) -> RoutedWorkspace:
        """Route through the harness that holds `path`; `busy` is raised again when it has no control API."""
        control = read_control(Path(path).expanduser())
        if control is None or (busy.pid is not None and control.pid != busy.pid):
            raise busy
        routed = cls(path, control)
        try:
            routed._client.info()  # answers, and the token is right
        except ControlError:
            routed.close()
            raise busy from None
        return routed

    def close(self) -> None:
        self._client.close()
        super().close()

    def _writable(self) -> None:
        pass  # every save goes to the writer

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._batch is not None:
            yield
            return
        self._batch = []
        try:
            yield
            batch = self._batch
        finally:
            self._batch = None
        self._send(batch)

    def _change(self, change: dict[str, Any]) -> None:
        if self._batch is not None:
            self._batch.append(change)
        else:
            self._send([change])

    def _send(self, changes: list[dict[str, Any]]) -> None:
        if not changes:
            return
        try:
            self._client.apply_changes(changes)
        except ControlError as err:
            raise WorkspaceError(
                f"the running harness (pid {self.control.pid}) did not take the change: {err}"
            ) from err

    def _put(self, kind: str, key: str, data: dict[str, Any]) -> None:
        if not key:
            raise WorkspaceError(f"a {kind.replace('_', ' ')} needs a name")
        self._change({"op": "put", "kind": kind, "key": key, "data": data})

    def _delete(self, kind: str, key: str) -> None:
        self._change({"op": "delete", "kind": kind, "key": key})

    def _replace_all(self, kind: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        self._change({"op": "replace_all", "kind": kind, "items": [[k, d] for k, d in items]})

    def save_keypair(self, name: str, kp: KeyPair) -> None:
        self._change({"op": "keypair", "name": name, "key_pem": kp.key_pem.decode(), "cert_pem": kp.cert_pem.decode()})
