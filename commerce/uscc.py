"""The Unified Social Credit Code (GB 32100-2015) and its check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, position, 31) for position in range(17))
_VALUES = {character: index for index, character in enumerate(ALPHABET)}


def check_character(first_seventeen: str) -> str:
    """The 18th character that GB 32100 computes from the first 17."""
    total = sum(_VALUES[character] * weight for character, weight in zip(first_seventeen, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """Whether a code has 18 characters of the GB 32100 alphabet and a correct check character."""
    if len(code) != 18 or any(character not in _VALUES for character in code):
        return False
    return check_character(code[:17]) == code[17]


def division_code(code: str) -> str:
    """The administrative division code (GB/T 2260) of the registering authority: positions 3-8."""
    return code[2:8]
