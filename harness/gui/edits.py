"""Workspace edits: saved at once, applied to the running servers, undoable (QUndoStack).

A mixin of AppController: it uses the controller's `workspace`, `bridge`, `servers` and
`undo_stack`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtGui import QUndoCommand

from harness.core.certs import KeyPair, make_keypair, rotate
from harness.core.onboarding import Onboarded, onboard
from harness.core.questionnaire import Questionnaire
from harness.core.workspace import IdPForSP, IdPProfile, Rule, SPProfile, WorkspaceError
from harness.gui.errors import EDIT_ERRORS, in_words
from harness.gui.trust import cert_of
from mock_idp.model import IdPUser
from sp.model import Subscription


class _Edit(QUndoCommand):
    """An edit already applied when pushed; undo/redo re-apply the before/after state."""

    def __init__(self, controller: WorkspaceEdits, text: str, what: str, do: Callable, undo: Callable):
        super().__init__(text)
        self._c, self._what, self._do, self._undo = controller, what, do, undo
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._c._apply_quietly(self._do, self._what)

    def undo(self) -> None:
        self._c._apply_quietly(self._undo, self._what)


class WorkspaceEdits:
    def _reload(self) -> None:
        if self.servers is None:
            return
        if self.servers.https != self.workspace.sp_profile().https:
            self.restart_servers()  # http <-> https: new sockets, new URLs
            return
        self.servers.reload()

    def _apply_quietly(self, fn: Callable[[], None], what: str) -> None:
        try:
            fn()
        except EDIT_ERRORS as err:
            self.bridge.error(in_words(err))
        self._reload_or_say()
        self.bridge.workspace_changed.emit(what)

    def _reload_or_say(self) -> None:
        try:
            self._reload()
        except Exception as err:  # the servers' own errors, said in words
            self.bridge.error(f"Saved, but the running servers could not take it: {in_words(err)}")

    def _edit(self, text: str, what: str, do: Callable[[], None], undo: Callable[[], None] | None) -> bool:
        try:
            do()
        except EDIT_ERRORS as err:
            self.bridge.error(in_words(err))
            self.bridge.workspace_changed.emit(what)  # views reload what is really saved
            return False
        self._reload_or_say()
        if undo is not None:
            self.undo_stack.push(_Edit(self, text, what, do, undo))
        self.bridge.workspace_changed.emit(what)
        return True

    # users

    def save_user(self, user: IdPUser, old_username: str | None = None) -> bool:
        ws = self.workspace
        before = ws.user(old_username or user.username)
        if before == user:
            return True
        if before is None:
            return self._edit(
                f"add user {user.username}", "users", lambda: ws.save_user(user), lambda: ws.delete_user(user.username)
            )
        return self._edit(
            f"edit user {user.username}",
            "users",
            lambda: ws.save_user(user, old_username=before.username),
            lambda: ws.save_user(before, old_username=user.username),
        )

    def delete_user(self, username: str) -> bool:
        ws = self.workspace
        before = ws.user(username)
        if before is None:
            return False
        return self._edit(
            f"delete user {username}", "users", lambda: ws.delete_user(username), lambda: ws.save_user(before)
        )

    def unique_username(self, base: str = "new_user") -> str:
        names = {u.username for u in self.workspace.users()}
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}{n}"
        return name

    # subscriptions and accounts

    def save_subscription(self, sub: Subscription, old_idm_key: str | None = None) -> bool:
        ws = self.workspace
        before = ws.subscription(old_idm_key or sub.idm_key)
        if before == sub:
            return True
        if before is None:
            return self._edit(
                f"add subscription {sub.idm_key}",
                "subscriptions",
                lambda: ws.save_subscription(sub),
                lambda: ws.delete_subscription(sub.idm_key),
            )

        def do() -> None:
            if sub.idm_key != before.idm_key:
                if ws.subscription(sub.idm_key) is not None:
                    raise WorkspaceError(f"there is already a subscription with idm_key {sub.idm_key!r}")
                if not sub.idm_key.strip():
                    raise WorkspaceError("a subscription needs an idm_key")
            ws.save_subscription(sub)
            if sub.idm_key != before.idm_key:
                ws.delete_subscription(before.idm_key)

        def undo() -> None:
            if sub.idm_key != before.idm_key:
                ws.delete_subscription(sub.idm_key)
            ws.save_subscription(before)

        return self._edit(f"edit subscription {sub.idm_key}", "subscriptions", do, undo)

    def delete_subscription(self, idm_key: str) -> bool:
        ws = self.workspace
        before = ws.subscription(idm_key)
        if before is None:
            return False
        return self._edit(
            f"delete subscription {idm_key}",
            "subscriptions",
            lambda: ws.delete_subscription(idm_key),
            lambda: ws.save_subscription(before),
        )

    def unique_idm_key(self) -> str:
        keys = {s.idm_key for s in self.workspace.subscriptions()}
        n = 1000
        while str(n) in keys:
            n += 1
        return str(n)

    def onboard(self, questionnaire: Questionnaire, **kw: Any) -> Onboarded:
        """A new subscription from a questionnaire (harness.core.onboarding.onboard), undoable.

        Raises OnboardingError (the questionnaire's problems) or WorkspaceError, and saves nothing then.
        """
        ws = self.workspace
        done = onboard(ws, questionnaire, **kw)
        sub = done.subscription
        self.undo_stack.push(
            _Edit(
                self,
                f"onboard subscription {sub.name or sub.idm_key}",
                "subscriptions",
                lambda: ws.save_subscription(sub),
                lambda: ws.delete_subscription(sub.idm_key),
            )
        )
        self._reload_or_say()
        self.bridge.workspace_changed.emit("subscriptions")
        return done

    # provisioning rules

    def set_rules(self, rules: list[Rule]) -> bool:
        ws = self.workspace
        before = ws.rules()
        if before == rules:
            return True
        return self._edit("edit provisioning rules", "rules", lambda: ws.set_rules(rules), lambda: ws.set_rules(before))

    # IdP settings

    def save_idp_for_sp(self, s: IdPForSP, old_entity_id: str | None = None) -> bool:
        ws = self.workspace
        old_key = old_entity_id or s.entity_id
        before = next((x for x in ws.idp_for_sps() if x.entity_id == old_key), None)
        if before == s:
            return True

        def do() -> None:
            if before is not None and before.entity_id != s.entity_id:
                if any(x.entity_id == s.entity_id for x in ws.idp_for_sps()):
                    raise WorkspaceError(f"the IdP already has settings for {s.entity_id!r}")
                ws.delete_idp_for_sp(before.entity_id)
            ws.save_idp_for_sp(s)

        def undo() -> None:
            ws.delete_idp_for_sp(s.entity_id)
            if before is not None:
                ws.save_idp_for_sp(before)

        return self._edit(f"edit IdP settings for {s.name or s.entity_id}", "idp", do, undo)

    def delete_idp_for_sp(self, entity_id: str) -> bool:
        ws = self.workspace
        before = next((x for x in ws.idp_for_sps() if x.entity_id == entity_id), None)
        if before is None:
            return False
        return self._edit(
            f"delete IdP settings for {entity_id}",
            "idp",
            lambda: ws.delete_idp_for_sp(entity_id),
            lambda: ws.save_idp_for_sp(before),
        )

    def set_idp_profile(self, p: IdPProfile) -> bool:
        ws = self.workspace
        before = ws.idp_profile()
        if before == p:
            return True
        if p.signing_key not in ws.keypair_names():
            self.bridge.error(f"There is no key pair named {p.signing_key!r}.")
            return False
        return self._edit(
            "edit the IdP profile", "idp", lambda: ws.set_idp_profile(p), lambda: ws.set_idp_profile(before)
        )

    def set_sp_profile(self, p: SPProfile) -> bool:
        ws = self.workspace
        before = ws.sp_profile()
        if before == p:
            return True
        return self._edit("edit the SP profile", "idp", lambda: ws.set_sp_profile(p), lambda: ws.set_sp_profile(before))

    # key pairs

    def _save_keypair(self, text: str, name: str, kp: KeyPair) -> bool:
        ws = self.workspace
        before = ws.keypair(name) if name in ws.keypair_names() else None
        undo = (lambda: ws.save_keypair(name, before)) if before is not None else None
        return self._edit(text, "keys", lambda: ws.save_keypair(name, kp), undo)

    def make_keypair(
        self, name: str, common_name: str, *, kind: str = "rsa", days: int = 730, expired: bool = False
    ) -> bool:
        if not name or not common_name:
            self.bridge.error("A key pair needs a name and a common name.")
            return False
        if name in self.workspace.keypair_names():
            self.bridge.error(f"There is already a key pair named {name!r}.")
            return False
        try:
            if expired:
                from datetime import UTC, datetime, timedelta

                kp = make_keypair(common_name, kind=kind, days=days, not_after=datetime.now(UTC) - timedelta(days=1))
            else:
                kp = make_keypair(common_name, kind=kind, days=days)
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot make the key pair: {in_words(err)}")
            return False
        return self._save_keypair(f"make key pair {name}", name, kp)

    def rotate_keypair(self, name: str) -> bool:
        try:
            kp = rotate(self.workspace.keypair(name))
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot rotate {name}: {in_words(err)}")
            return False
        return self._save_keypair(f"rotate key pair {name}", name, kp)

    def import_keypair(self, name: str, cert_pem: bytes, key_pem: bytes) -> bool:
        import tempfile

        from harness.core.certs import load_keypair, normalize_cert_pem, save_keypair

        try:
            kp = KeyPair(key_pem=key_pem, cert_pem=normalize_cert_pem(cert_pem))
            with tempfile.TemporaryDirectory() as tmp:  # load_keypair checks that the key fits the cert
                save_keypair(kp, Path(tmp), "check")
                load_keypair(Path(tmp), "check")
        except EDIT_ERRORS as err:
            self.bridge.error(f"Cannot import the key pair: {in_words(err)}")
            return False
        return self._save_keypair(f"import key pair {name}", name, kp)

    def use_signing_key(self, name: str) -> bool:
        return self.set_idp_profile(replace(self.workspace.idp_profile(), signing_key=name))

    def rollover_stage(self, stage: str, idm_key: str) -> bool:
        """A certificate rollover stage (add / switch / remove) for a subscription (harness.core.rollover).

        Not undoable: each stage is refused when it would make logins fail, and the next stage is the way on."""
        from harness.core import rollover

        ws = self.workspace
        act = {
            "add": lambda: rollover.add(ws, [idm_key]),
            "switch": lambda: rollover.switch(ws),
            "remove": lambda: rollover.remove(ws, [idm_key]),
        }[stage]
        try:
            done = act()
        except EDIT_ERRORS as err:
            self.bridge.error(in_words(err))
            return False
        self._reload_or_say()
        self.bridge.workspace_changed.emit("subscriptions")
        self.bridge.workspace_changed.emit("keys")
        self.bridge.info(f"Rollover, {stage}: {done.detail}.")
        return True

    def trust_keypair(self, idm_key: str, name: str) -> bool:
        """Make a subscription trust a key pair's certificate (the questionnaire's certificate field)."""
        sub = self.workspace.subscription(idm_key)
        if sub is None:
            return False
        try:
            pem = cert_of(self.workspace, name)
        except WorkspaceError as err:
            self.bridge.error(in_words(err))
            return False
        return self.save_subscription(replace(sub, idp_cert_pem=pem))
