"""sp.authn_request: the Redirect query spells SAMLRequest exactly as urlencode would."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from sp.authn_request import _quote_b64


@given(st.binary(max_size=1200), st.one_of(st.none(), st.text(max_size=40)))
def test_the_query_is_what_urlencode_makes(raw: bytes, relay: str | None) -> None:
    value = base64.b64encode(raw).decode("ascii")
    query = "SAMLRequest=" + _quote_b64(value) + ("&" + urlencode({"RelayState": relay}) if relay else "")
    assert query == urlencode({"SAMLRequest": value, **({"RelayState": relay} if relay else {})})
