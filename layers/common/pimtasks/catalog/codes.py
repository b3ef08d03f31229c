"""Check digits and code patterns of the identifiers the trade uses (GS1 GTIN and GLN, ETIM codes)."""

from __future__ import annotations

import functools
import re

GTIN_LENGTHS = (8, 12, 13, 14)
ETIM_CLASS_PATTERN = r"^EC[0-9]{6}$"
# ETIM features include imperial (EFI.....) and local-standard (EF + country + 4 digits) ones; the official
# ETIM xChange 2.0 sample carries both (EFI06272, EFNL0001).
ETIM_FEATURE_PATTERN = r"^EF([0-9]{6}|I[0-9]{5}|[A-Z]{2}[0-9]{4})$"
ETIM_UNIT_PATTERN = r"^EU[0-9]{6}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"

_DIGITS = re.compile(r"^[0-9]+$")


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (all digits but the last).

    Weights 3 and 1 alternate from the right, so the same rule serves GTIN-8/12/13/14 and GLN.
    """
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


@functools.lru_cache(maxsize=4096)
def gs1_problem(value: str, *, lengths: tuple[int, ...], name: str) -> str | None:
    """Why ``value`` is not a valid GS1 number of one of ``lengths`` digits, or None when it is.

    Cached: an import checks the same supplier GLN on every row. Small: the cache lives as long as the
    process, and a file of unique GTINs would only fill it (an import's column memos see the repeats first).
    """
    if not _DIGITS.match(value):
        return f"a {name} has digits only"
    if len(value) not in lengths:
        expected = " or ".join(str(length) for length in lengths)
        return f"a {name} has {expected} digits, this one has {len(value)}"
    expected_digit = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected_digit:
        return f"wrong check digit (the last digit should be {expected_digit})"
    return None


def normalize_language(tag: str) -> str:
    """``NL``, ``nl_nl`` and ``nl-NL`` become ``nl`` / ``nl-NL``: lower-case language, upper-case region."""
    parts = re.split(r"[-_ ]+", tag.strip())
    language = parts[0].lower()
    if len(parts) > 1 and parts[1]:
        return f"{language}-{parts[1].upper()}"
    return language
