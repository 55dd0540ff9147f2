from hypothesis import given
from hypothesis import strategies as st

from harness.core.safe_url import urlsplit


def test_a_well_formed_url_splits_as_usual():
    parts = urlsplit("http://127.0.0.1:8080/fo/login.php?idm_key=4711")
    assert (parts.hostname, parts.path, parts.query) == ("127.0.0.1", "/fo/login.php", "idm_key=4711")


def test_an_unsplittable_url_is_kept_whole_as_the_path():
    for bad in ("A://[", "http://]x/", "http://[::1/a"):
        parts = urlsplit(bad)
        assert parts.path == bad and parts.netloc == "" and parts.query == ""


@given(st.text())
def test_any_text_splits_without_raising(text):
    assert isinstance(urlsplit(text).path, str)
