"""sp.authn_request: the Redirect query spells SAMLRequest and RelayState exactly as urlencode would."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from sp.authn_request import redirect
from sp.model import SPConfig
from tests.saml_helpers import subscription

CONFIG = SPConfig(base_url="http://sp.test", subscriptions=[subscription()])


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_the_query_is_what_urlencode_makes(relay: str | None) -> None:
    r = redirect(CONFIG, CONFIG.subscriptions[0], relay)
    query = urlsplit(r.location).query
    assert query == urlencode({"SAMLRequest": r.saml_request, **({"RelayState": relay} if relay else {})})
