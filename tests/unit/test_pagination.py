import pytest
from pydantic import ValidationError

from commerce.web.pagination import ListQuery, decode_cursor, encode_cursor


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(12345)) == 12345
    assert encode_cursor(None) is None
    assert decode_cursor(None) is None


@pytest.mark.parametrize("cursor", ["not-base64!", "eyJ4IjogMX0", "eyJhZnRlciI6ICIxIn0", "eyJhZnRlciI6IC0xfQ"])
def test_bad_cursor_is_a_validation_error(cursor):
    with pytest.raises(ValidationError) as raised:
        ListQuery.model_validate({"cursor": cursor})
    assert raised.value.errors()[0]["type"] == "invalid_cursor"


def test_limit_bounds():
    assert ListQuery.model_validate({}).limit == 50
    with pytest.raises(ValidationError):
        ListQuery.model_validate({"limit": 201})
    with pytest.raises(ValidationError):
        ListQuery.model_validate({"limit": 0})
