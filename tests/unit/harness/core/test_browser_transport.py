"""harness.core.browser_transport: the scripted browser's form posts encode exactly as urlencode."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.core.browser_transport import form_encode

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXT, _TEXT | st.sampled_from(["%", "% +", "a+b/c=", "%2B %25"]), max_size=4))
def test_form_encoding_is_urlencode_for_any_text(data: dict[str, str]) -> None:
    assert form_encode(data).decode("ascii") == urlencode(data)
