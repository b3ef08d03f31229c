"""The FTPS user's virtual tree: normalisation and confinement to the environment (no AWS)."""

from __future__ import annotations

import pytest
from pimtasks_local.ftps_gateway.paths import PathRefusedError, VirtualPath, check_import_folder, normalize

PREFIX = "environments/000001/"


@pytest.mark.parametrize(("cwd", "raw", "expected"), [
    ("/", "/", "/"),
    ("/", "Uploads", "/Uploads"),
    ("/", "Uploads/Imp/a.csv", "/Uploads/Imp/a.csv"),
    ("/Uploads/Imp", "a.csv", "/Uploads/Imp/a.csv"),
    ("/Uploads/Imp", "..", "/Uploads"),
    ("/Uploads/Imp", "../../Archived/./Imp//", "/Archived/Imp"),
    ("/Uploads", "/Downloads/Export/feed.json", "/Downloads/Export/feed.json"),
    ("/", "Uploads/Imp/prices 10% off.csv", "/Uploads/Imp/prices 10% off.csv"),
    ("/", "Uploads/Imp/Pre\u0301sentation.pdf", "/Uploads/Imp/Pr\u00e9sentation.pdf"),  # NFD in, NFC stored
])
def test_paths_normalise_inside_the_tree(cwd: str, raw: str, expected: str) -> None:
    assert normalize(cwd, raw).text == expected


@pytest.mark.parametrize("raw", [
    "..", "../000002", "/..", "/../000002/Uploads", "/Uploads/../../000002", "Uploads/Imp/../../../x",
    "/environments/000002/Uploads", "environments", "/Failed/Imp", "/Reports", "/Attachments",
    "%2e%2e/000002", "/Uploads/%2E%2E/x", "/Uploads/Imp%2fx", "/Uploads/Imp/%00",
    "..\\000002", "/Uploads\\Imp",
    "/Uploads/Imp/a\x00.csv", "/Uploads/Imp/a\r\n.csv", "/Uploads/Imp/\u202egnp.exe",  # NUL, CR/LF, bidi override
    "/Uploads/\uff0e\uff0e/x", "\uff0e\uff0e/000002", "/Uploads/a\uff0fb",  # full-width dots and slash
    "/Uploads/" + "x" * 300,
])
def test_escapes_and_odd_encodings_are_refused(raw: str) -> None:
    with pytest.raises(PathRefusedError):
        normalize("/", raw)


def test_keys_always_sit_under_the_environment_prefix() -> None:
    path = normalize("/Uploads/Imp", "../Imp/./a.csv")
    assert path.key(PREFIX) == "environments/000001/Uploads/Imp/a.csv"
    assert path.parent.folder_prefix(PREFIX) == "environments/000001/Uploads/Imp/"
    assert VirtualPath(()).folder_prefix(PREFIX) == PREFIX


def test_only_paths_below_uploads_are_writable() -> None:
    assert normalize("/", "/Uploads/Imp/a.csv").in_writable_folder
    assert normalize("/", "/Uploads/Imp").in_writable_folder
    assert not normalize("/", "/Uploads").in_writable_folder
    assert not normalize("/", "/Archived/Imp/a.csv").in_writable_folder
    assert not normalize("/", "/").in_writable_folder


def test_import_folders_must_be_valid_import_names() -> None:
    check_import_folder(normalize("/", "/Uploads/Sales conditions APAC/x.csv"))
    with pytest.raises(PathRefusedError):
        check_import_folder(normalize("/", "/Uploads/.hidden/x.csv"))
    with pytest.raises(PathRefusedError):
        check_import_folder(normalize("/", "/Uploads/" + "n" * 80))
