"""The pytest plugin: its fixture used directly, in a pytest run of its own, and by the example suites.

The examples in docs/examples/ are run here as a user would run them, so they stay true.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.request import urlopen

import pytest
from conftest import plugin_args

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def test_the_fixture_runs_the_mock_idp_and_the_vendor_sp(saml_harness):
    with urlopen(saml_harness.idp_metadata_url, timeout=30) as r:
        served = r.read().decode()
    assert served == saml_harness.idp_metadata and saml_harness.idp_entity_id in served
    assert saml_harness.info["control"]["token"]
    login = saml_harness.login(saml_harness.sp_login_url(), "frank")  # TOTP answered by the scripted browser
    assert login.status == 200
    assert json.loads(login.browser.get(saml_harness.sp_url + "/whoami").text)["login"] == "frank"


def test_each_test_gets_its_own_workspace(saml_harness, saml_workspace_dir):
    assert saml_harness.workspace.path == saml_workspace_dir.resolve()
    assert (saml_workspace_dir / "control.json").exists()


def test_a_scenario_picked_by_a_test_reaches_the_embedded_sp(saml_harness):
    saml_harness.control.arm("QualysGuard_SharedPlatformSAML20SP", "xsw1")
    assert saml_harness.login(saml_harness.sp_login_url(), "alice").page.reason_code in {
        "assertion-count",
        "signature-invalid",
        "signature-wrong-reference",
        "duplicate-id",
    }


def test_a_test_suite_of_its_own_uses_the_plugin(pytester):
    pytester.makepyfile(
        """
        def test_login(saml_harness):
            saml_harness.control.put_user("pat", "pw-1", email="pat@example.org")
            page = saml_harness.login(saml_harness.sp_login_url(), "pat").page
            assert page.reason_code == "user-not-found"  # the IdP knew pat; the SP has no account

        def test_fresh_workspace_per_test(saml_harness):
            assert "pat" not in [u["username"] for u in saml_harness.control.users()]
        """
    )
    result = pytester.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert not list(Path(pytester.path).rglob("control.json"))  # every harness stopped and cleaned up


@pytest.mark.slow
@pytest.mark.parametrize(("example", "tests"), [("python3_saml", 7), ("pysaml2", 6)])
def test_the_example_suites_pass(pytester, example, tests):
    result = pytester.runpytest_subprocess(str(EXAMPLES / example), *plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=tests)
