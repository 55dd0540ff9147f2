"""JSON values checked against dataclass annotations before anything is saved."""

from __future__ import annotations

import pytest

from harness.core.control.errors import ApiError
from harness.core.control.fields import checked_fields
from harness.core.workspace import IdPForSP
from mock_idp.model import IdPUser


def test_good_values_pass():
    values = {"username": "a", "groups": ["x"], "extra": {"k": "v"}, "totp_secret": None}
    assert checked_fields(IdPUser, values) == values
    assert checked_fields(IdPForSP, {"lifetime": 10, "digest_hash": None, "signing_key": "k"})["lifetime"] == 10


@pytest.mark.parametrize(
    ("cls", "data", "code"),
    [
        (IdPUser, {"username": 1}, "invalid-field"),
        (IdPUser, {"groups": "a"}, "invalid-field"),
        (IdPUser, {"groups": ["a", 2]}, "invalid-field"),
        (IdPUser, {"extra": {"k": 1}}, "invalid-field"),
        (IdPUser, {"extra": ["k"]}, "invalid-field"),
        (IdPUser, {"password": None}, "invalid-field"),
        (IdPUser, {"admin": True}, "unknown-field"),
        (IdPForSP, {"lifetime": True}, "invalid-field"),
        (IdPForSP, {"lifetime": "300"}, "invalid-field"),
        (IdPUser, "not an object", "invalid-input"),
    ],
)
def test_bad_values_are_refused_naming_the_field(cls, data, code):
    with pytest.raises(ApiError) as err:
        checked_fields(cls, data)
    assert (err.value.status, err.value.code) == (400, code)


def test_fixed_fields_cannot_be_set():
    with pytest.raises(ApiError):
        checked_fields(IdPUser, {"username": "x"}, fixed=("username",))
