"""Which file names the API's presigned upload accepts: only names an import will read."""

from __future__ import annotations

import pytest
from pimtasks.errors import ValidationFailedError
from pimtasks.services.uploads import validate_file_name


@pytest.mark.parametrize(("name", "expected"), [
    ("apac.xlsx", "apac.xlsx"),
    ("  Prijzen 2027 (v2).csv ", "Prijzen 2027 (v2).csv"),
    ("partners.part.csv", "partners.part.csv"),  # .part inside the name is fine; only a temporary ending is not
])
def test_plain_file_names_are_accepted(name: str, expected: str) -> None:
    assert validate_file_name(name) == expected


@pytest.mark.parametrize(("name", "why"), [
    ("x.part", "is a temporary name that is never imported: it ends with .part"),
    ("prices.xlsx.tmp", "it ends with .tmp"),
    ("report.filepart", "it ends with .filepart"),
    ("~$prices.xlsx", "it starts with ~$ (an Office lock file)"),
    (".hidden.csv", "it starts with a dot"),
    ("sub/dir/x.csv", "names a folder: give the plain file name (files in subfolders of an import are never "
                      "imported)"),
    ("..\\x.csv", "names a folder"),
    ("..", "is not a file name"),
    ("tab\there.csv", "contains control or invisible characters"),
    ("x" * 201, "is longer than 200 characters"),
])
def test_names_that_would_never_be_imported_are_refused_naming_the_field_and_why(name: str, why: str) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        validate_file_name(name)
    assert refused.value.field == "file_name"
    assert why in refused.value.message and repr(name) in refused.value.message
