"""A genuine signed Response from the demo workspace's mock IdP, built by the battery's own context."""

from __future__ import annotations

import pytest

from harness.core.battery import foreign_keypair
from harness.core.workbench.message import OpenMessage
from mock_idp.model import SPSettings
from mock_idp.scenarios.base import Context

ACS = "http://127.0.0.1:9999/IdM/saml2/"
SP_ENTITY = "QualysGuard_SharedPlatformSAML20SP"


@pytest.fixture
def ctx(demo) -> Context:
    prof = demo.idp_profile()
    kp = demo.keypair(prof.signing_key)
    users = {u.username: u for u in demo.users()}
    foreign = foreign_keypair()
    return Context(
        idp_entity_id=prof.entity_id,
        idp_key_pem=kp.key_pem,
        idp_cert_pem=kp.cert_pem,
        sp=SPSettings(entity_id=SP_ENTITY, acs_url=ACS),
        user=users["alice"],
        victim=users["bob"],
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
        in_response_to="id-request-1",
        relay_state="/home",
    )


@pytest.fixture
def signed(ctx: Context) -> OpenMessage:
    """A Response and Assertion both signed by the mock IdP's key, as raw XML text."""
    return OpenMessage(xml=ctx.legitimate().xml.decode("utf-8"), relay_state="/home", origin="test")
