"""samlkit.codec: the two SAML encodings, strict base64 and bounded inflation."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samlkit import codec


@given(st.binary(max_size=4096))
def test_redirect_round_trip(data: bytes) -> None:
    assert codec.decode_redirect(codec.encode_redirect(data)) == data


@given(st.binary(max_size=4096))
def test_post_round_trip(data: bytes) -> None:
    assert codec.decode_post(codec.encode_post(data)) == data


def test_post_is_plain_base64_and_never_inflated() -> None:
    xml = b"<samlp:Response/>"
    deflated_value = codec.encode_redirect(xml)
    # The POST decoder hands back the raw DEFLATE bytes: it never tries to inflate.
    assert codec.decode_post(deflated_value) == codec.deflate(xml)
    assert codec.decode_post(codec.encode_post(xml)) == xml


def test_base64_whitespace_and_line_breaks_are_tolerated() -> None:
    value = base64.encodebytes(b"<x>" * 100).decode()  # MIME line breaks every 76 characters
    assert "\n" in value
    assert codec.b64decode_strict(value) == b"<x>" * 100


@pytest.mark.parametrize(
    "value",
    ["not base64!", "PHg+P", "PHg+\u00e9", "PHg+==PHg+", "%3Cx%3E", "PHg-"],
    ids=["punctuation", "bad-padding", "non-ascii", "padding-inside", "url-encoded", "urlsafe-alphabet"],
)
def test_malformed_base64_is_refused(value: str) -> None:
    with pytest.raises(codec.DecodeError):
        codec.b64decode_strict(value)


def test_not_deflate_is_refused() -> None:
    with pytest.raises(codec.DecodeError, match="not DEFLATE"):
        codec.decode_redirect(base64.b64encode(b"<samlp:AuthnRequest/>").decode())


def test_deflate_bomb_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded work: at most the cap (plus one byte) is ever inflated, not the 64 MiB."""
    import zlib

    inflated = []

    class CountingZlib:
        error = zlib.error

        @staticmethod
        def decompressobj(*args):
            real = zlib.decompressobj(*args)

            class Counted:
                unconsumed_tail = b""

                def decompress(self, data, max_length=0):
                    out = real.decompress(data, max_length)
                    inflated.append(len(out))
                    self.unconsumed_tail = real.unconsumed_tail
                    return out

            return Counted()

    bomb = codec.deflate(b"A" * (64 * 1024 * 1024))  # 64 MiB of 'A' deflates to ~64 KiB
    assert len(bomb) < 100_000
    monkeypatch.setattr(codec, "zlib", CountingZlib)
    with pytest.raises(codec.DecodeError, match="larger than"):
        codec.inflate(bomb, max_bytes=codec.MAX_MESSAGE_BYTES)
    assert 0 < sum(inflated) <= codec.MAX_MESSAGE_BYTES + 1


def test_inflate_limit_is_exact() -> None:
    data = b"x" * 1000
    assert codec.inflate(codec.deflate(data), max_bytes=1000) == data
    with pytest.raises(codec.DecodeError):
        codec.inflate(codec.deflate(data), max_bytes=999)


def test_post_size_is_checked_before_decoding() -> None:
    limit = 1024
    ok = codec.encode_post(b"a" * limit)
    assert codec.decode_post(ok, max_bytes=limit) == b"a" * limit
    with pytest.raises(codec.DecodeError, match="larger than"):
        codec.decode_post(codec.encode_post(b"a" * (limit * 2)), max_bytes=limit)


@given(st.one_of(st.text(), st.binary(max_size=900).map(lambda b: base64.b64encode(b).decode("ascii"))))
def test_form_quote_gives_quote_plus_octets(text):
    assert codec.form_quote(text) == quote_plus(text)


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 40_000])
def test_deflate_around_the_small_window_limit_is_raw_deflate_any_inflater_reads(size: int) -> None:
    """Small messages get a small window; Python's and every SAML library's inflate(-15) read it."""
    import random
    import zlib

    rnd = random.Random(size)
    data = bytes(rnd.choice(b"<saml:Issuer> abcdef0123456789") for _ in range(size))
    out = codec.deflate(data)
    assert zlib.decompress(out, -15) == data
    assert codec.inflate(out) == data
    assert len(out) <= 1.05 * len(zlib.compress(data, 9, wbits=-15)) + 16  # nearly as small
