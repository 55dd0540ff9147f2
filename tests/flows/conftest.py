"""Shared fixtures for the flow tests; they live in tests/saml_helpers.py.

`keys` (RSA-2048 and EC keys made once per session), `world` (a fresh SP and mock IdP that
trust each other, SP state in a temp file), `new_world(...)` (a factory for variants) and
`no_process_spawned` (fails a test that starts any process, xmlsec1 above all; flow modules
opt in with `pytestmark = pytest.mark.usefixtures("no_process_spawned")`); `opened` (scripted
browsers closed after the test, tests/slo_helpers.py).
"""

from saml_helpers import keys_fixture, new_world_fixture, no_process_spawned_fixture, world_fixture  # noqa: F401
from slo_helpers import opened_fixture  # noqa: F401
