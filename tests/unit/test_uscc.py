import pytest

from commerce.uscc import ALPHABET, WEIGHTS, check_character, division_code, is_valid_uscc
from commerce.validation import RuleViolation, check_uscc
from tests.factories import REAL_USCCS, TEXTBOOK_USCC


def test_weights_are_powers_of_three_modulo_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_alphabet_leaves_out_letters_that_look_like_digits():
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_codes_pass(code):
    assert is_valid_uscc(code)


def test_textbook_example_fails():
    assert not is_valid_uscc(TEXTBOOK_USCC)
    assert check_character(TEXTBOOK_USCC[:17]) != "P"


@pytest.mark.parametrize(
    "code",
    [
        "91350200776049653",  # 17 characters
        "91350200776049653AA",  # 19 characters
        "91350200776049653B",  # wrong check character
        "9135020077604965IA",  # I is not in the alphabet
        "",
    ],
)
def test_malformed_codes_fail(code):
    assert not is_valid_uscc(code)


def test_check_uscc_normalises_case_and_space():
    assert check_uscc(" 91440101ma5cjq4n59 ") == "91440101MA5CJQ4N59"


def test_check_uscc_raises_with_stable_code():
    with pytest.raises(RuleViolation) as raised:
        check_uscc(TEXTBOOK_USCC)
    assert raised.value.code == "invalid_uscc"


def test_division_code_is_positions_three_to_eight():
    assert division_code("91350200776049653A") == "350200"
