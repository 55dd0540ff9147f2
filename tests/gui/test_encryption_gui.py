"""Encrypted assertions in the app: the IdP settings and subscription combo boxes, a run whose trace
shows the Assertion decrypted, and the inspector with and without a key picked from the workspace."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from harness.gui.models.workspace_tree import Target


def choose(combo: QComboBox, value: object) -> None:
    """What a click on a combo box item does: select it and emit `activated`."""
    i = combo.findData(value)
    assert i >= 0, (combo.objectName(), value)
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_encrypt_in_the_idp_settings_then_run_and_inspect(qtbot, tester, window, tmp_path):
    tester.open(Target("idp", "QualysGuard_SharedPlatformSAML20SP"))
    per_sp = window.idp_page.per_sp
    choose(per_sp.data_alg, "aes128-cbc")
    choose(per_sp.key_alg, "rsa-oaep-sha256")
    choose(per_sp.encrypt_assertion, True)
    saved = window.controller.workspace.idp_for_sps()[0]
    assert (saved.encrypt_assertion, saved.encryption_data_alg, saved.encryption_key_alg) == (
        True,
        "aes128-cbc",
        "rsa-oaep-sha256",
    )
    qtbot.wait(200)
    window.grab().save(str(tmp_path / "idp-settings.png"))

    tester.open(Target("subscriptions", "4711"))
    subs = window.subs_page.subs
    assert subs.encryption_key.currentData() == "sp-encryption-4711"
    choose(subs.encryption, "require")
    assert window.controller.workspace.subscription("4711").assertion_encryption == "require"
    window.grab().save(str(tmp_path / "subscription.png"))

    entry = tester.run("sp", "4711", "alice")
    assert entry.trace.outcome == "session", entry.trace.outcome_detail
    acs = next(s for s in entry.trace.steps if s.checks)
    assert any(c.name == "Decryption" and c.ok for c in acs.checks)
    response = acs.message.raw

    tester.open(Target("inspector"))
    insp = window.inspector_page
    insp.set_text(response)
    choose(insp.key, "")
    summary = insp.detail.text("Summary")
    assert "EncryptedAssertion: AES-128-CBC" in summary and "decrypts with the private key" in summary
    choose(insp.key, "sp-encryption-4711")
    assert insp.messages[0].summary.name_id == "alice"
    assert "Decrypted with the key given" in insp.detail.text("Summary")
    window.grab().save(str(tmp_path / "inspector.png"))


def test_a_bad_choice_is_refused_in_words(qtbot, tester, window):
    tester.open(Target("idp", "QualysGuard_SharedPlatformSAML20SP"))
    per_sp = window.idp_page.per_sp
    choose(per_sp.encrypt_to, "")  # the metadata's certificate, which the embedded SP's entry does not have
    choose(per_sp.encrypt_assertion, True)
    assert "needs the SP's encryption certificate" in per_sp.error.text()
    assert window.controller.workspace.idp_for_sps()[0].encrypt_assertion is False
