"""What the FTPS gateway does with names an import would not read as they are: temporary names are taken
(clients upload to one and rename), and only the rename is announced as the file; subfolders are refused."""

from __future__ import annotations

import ftplib
import io

import pytest

from tests.integration.ftps.conftest import Ftps
from tests.integration.ftps.harness import logged_in

SUBFOLDER_REPLY = r"^550 subfolders of an import are never imported; store the file directly in /Uploads/Imp/"


def test_a_temporary_name_is_taken_with_a_note_and_only_its_rename_is_the_file(ftps: Ftps) -> None:
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        # When a client uploads to a temporary name, as WinSCP (.filepart) and others do
        stored = ftp.storbinary("STOR /Uploads/Imp/prices.csv.filepart", io.BytesIO(b"article;price\n1;2\n"))
        # Then the reply says that only the rename is imported, and what happens to the file otherwise
        assert stored.startswith("226 Transfer complete. prices.csv.filepart has a temporary name: it is imported "
                                 "once renamed (RNFR/RNTO) to its final name; left under this name, its import "
                                 "fails it after 15 minutes.")
        # And an ordinary name gets the ordinary reply
        assert ftp.storbinary("STOR /Uploads/Imp/other.csv", io.BytesIO(b"x")) == "226 Transfer complete."
        ftp.rename("/Uploads/Imp/prices.csv.filepart", "/Uploads/Imp/prices.csv")

    # And after the rename the file is there under its final name only
    prefix = "environments/000001/Uploads/Imp/"
    assert sorted(ftps.bucket.keys()) == [f"{prefix}other.csv", f"{prefix}prices.csv"]
    created = [key for _, key in ftps.bucket.created_events()]
    assert created == [f"{prefix}prices.csv.filepart", f"{prefix}other.csv", f"{prefix}prices.csv"]


def test_writes_below_an_import_folder_are_refused_saying_where_files_go(ftps: Ftps) -> None:
    # Given a file that another route left in a subfolder of the import
    ftps.bucket.put("environments/000001/Uploads/Imp/old/stray.csv", b"stray")
    ftps.bucket.put("environments/000001/Uploads/Imp/direct.csv", b"direct")
    ftps.bucket.created_events()

    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        # When a client makes a subfolder, stores into one, or renames a file into one, it is refused
        for attempt in (
            lambda: ftp.mkd("/Uploads/Imp/sub"),
            lambda: ftp.mkd("/Uploads/Imp/sub/dir"),
            lambda: ftp.storbinary("STOR /Uploads/Imp/sub/dir/prices.csv", io.BytesIO(b"x")),
            lambda: ftp.storbinary("STOR /Uploads/Imp/old/prices.csv", io.BytesIO(b"x")),
            lambda: ftp.rename("/Uploads/Imp/direct.csv", "/Uploads/Imp/old/direct.csv"),
        ):
            with pytest.raises(ftplib.error_perm, match=SUBFOLDER_REPLY):
                attempt()
        # But what is already there can be seen and moved out, into the import's folder
        listed = ftp.nlst("/Uploads/Imp/old")
        ftp.rename("/Uploads/Imp/old/stray.csv", "/Uploads/Imp/stray.csv")

    assert listed == ["stray.csv"]
    assert sorted(ftps.bucket.keys()) == ["environments/000001/Uploads/Imp/direct.csv",
                                          "environments/000001/Uploads/Imp/stray.csv"]
    assert [key for _, key in ftps.bucket.created_events()] == ["environments/000001/Uploads/Imp/stray.csv"]
