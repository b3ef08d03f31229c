"""Attachments import end to end on moto: a ZIP of files (with an index or named by convention) stored under
Attachments/, linked to articles, de-duplicated by checksum, checked by sniffing, idempotent."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile

from pimtasks.catalog.models import Attachment
from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportTarget

from tests.integration.imports.harness import Imports

IMPORT = "Attachments"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_of(members: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


def attachments_task(imports: Imports) -> Task:
    return imports.create_task(description="Attachments", import_name=IMPORT, target="attachments",
                               custom_layout=False, layout=None, archived=False)


def stored(imports: Imports) -> dict[tuple[str, ...], Attachment]:
    return {tuple(r.key): Attachment.model_validate(r.data) for r in imports.records(ImportTarget.ATTACHMENTS)}


def test_a_zip_with_an_index_is_stored_and_linked(imports: Imports) -> None:
    task = attachments_task(imports)
    index = (b"Artikelnummer;Bestandsnaam;Type;Taal;Volgnummer\r\n"
             b"4711;manual.pdf;MAN;nl;1\r\n"
             b"4711;photo.png;PPI;;2\r\n"
             b"4712;manual.pdf;man;nl;1\r\n")
    imports.upload("files.zip", zip_of({"index.csv": index, "manual.pdf": PDF, "photo.png": PNG}),
                   import_name=IMPORT)

    run = imports.run(task)

    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert run.counts.model_dump() == {"read": 2, "created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    records = stored(imports)
    manual = records[("4711", "MAN", "nl", "1")]
    assert manual.file_name == "manual.pdf" and manual.content_type == "application/pdf"
    assert manual.checksum == sha(PDF) and manual.stored_key == f"Attachments/4711/{sha(PDF)}.pdf"
    assert records[("4711", "PPI", "", "2")].stored_key == f"Attachments/4711/{sha(PNG)}.png"
    assert records[("4712", "MAN", "nl", "1")].stored_key == f"Attachments/4712/{sha(PDF)}.pdf"
    assert imports.keys("Attachments/") == sorted([f"Attachments/4711/{sha(PDF)}.pdf",
                                                  f"Attachments/4711/{sha(PNG)}.png",
                                                  f"Attachments/4712/{sha(PDF)}.pdf"])
    assert imports.read(f"Attachments/4711/{sha(PNG)}.png") == PNG
    assert imports.keys("Uploads/") == []


def test_a_zip_by_file_name_convention_stores_duplicate_bytes_once_and_rejects_a_lying_member(
        imports: Imports) -> None:
    task = attachments_task(imports)
    imports.upload("pictures.zip", zip_of({
        "4711_PPI_1.jpg": JPEG,
        "4711_PPI_2.jpg": JPEG,           # the same bytes again: one object
        "sub/4711_CAD_1.dxf": b"  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n",
        "4711_MAN_1.pdf": PNG,            # a PNG dressed as a PDF
    }), import_name=IMPORT)

    run = imports.run(task)

    assert run.status is RunStatus.PARTIALLY_SUCCEEDED, run.messages
    assert run.counts.model_dump() == {"read": 4, "created": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    assert set(stored(imports)) == {("4711", "PPI", "", "1"), ("4711", "PPI", "", "2"), ("4711", "CAD", "", "1")}
    assert imports.keys("Attachments/4711/") == sorted([f"Attachments/4711/{sha(JPEG)}.jpg",
                                                       "Attachments/4711/" + sha(
                                                           b"  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n")
                                                       + ".dxf"])
    errors = [m for m in run.messages if m.level is MessageLevel.ERROR]
    assert len(errors) == 1
    assert errors[0].file == "pictures.zip/4711_MAN_1.pdf" and "'4711_MAN_1.pdf'" in errors[0].text
    assert "PNG" in errors[0].text


def rejected_rows(imports: Imports, key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(imports.read(key).decode("utf-8-sig")), delimiter=";"))


def test_every_rejection_is_a_line_of_the_rejected_rows_file_under_reports(imports: Imports) -> None:
    # given a ZIP whose index has an incomplete row and a row for a missing file, a member dressed as a PDF,
    # and a member that neither the index nor the naming convention places
    task = attachments_task(imports)
    index = (b"Artikelnummer;Bestandsnaam;Type;Taal\r\n"
             b"4711;manual.pdf;MAN;nl\r\n"
             b"4711;fake.pdf;MAN;en\r\n"
             b"4712;;PPI;\r\n"
             b"4713;gone.pdf;MAN;nl\r\n")
    imports.upload("files.zip", zip_of({"index.csv": index, "manual.pdf": PDF, "fake.pdf": PNG, "stray.jpg": JPEG}),
                   import_name=IMPORT)

    # when it is imported
    run = imports.run(task)

    # then the run records a rejected-rows file under Reports/ with one line per rejection
    assert run.status is RunStatus.PARTIALLY_SUCCEEDED, run.messages
    assert run.counts.rejected == 4 and run.counts.created == 1
    key = f"Reports/{IMPORT}/{run.run_id}/files.zip.rejected.csv"
    assert ("rejected_rows", key) in {(f.role, f.key) for f in run.files}
    lines = rejected_rows(imports, key)
    assert list(lines[0])[:8] == ["file", "sheet", "row", "member", "Artikelnummer", "Bestandsnaam", "Type", "Taal"]
    assert sorted((line["file"], line["row"], line["member"], line["Artikelnummer"], line["Bestandsnaam"])
                  for line in lines) == [("files.zip/fake.pdf", "", "fake.pdf", "", ""),
                                         ("files.zip/index.csv", "4", "", "4712", ""),
                                         ("files.zip/index.csv", "5", "", "4713", "gone.pdf"),
                                         ("files.zip/stray.jpg", "", "stray.jpg", "", "")]
    errors = {line["member"] or line["row"]: line["error"] for line in lines}
    assert "PNG" in errors["fake.pdf"] and "not in the index" in errors["stray.jpg"]
    assert errors["4"] == "index row 4: no file_name" and "not in the ZIP" in errors["5"]
    report = imports.read(f"Reports/{IMPORT}/{run.run_id}/files.zip.report.txt").decode("utf-8")
    assert key in report


def test_a_zip_without_rejections_writes_no_rejected_rows_file(imports: Imports) -> None:
    task = attachments_task(imports)
    imports.upload("a.zip", zip_of({"4711_PPI_1.jpg": JPEG}), import_name=IMPORT)

    run = imports.run(task)

    assert run.status is RunStatus.SUCCEEDED, run.messages
    assert not [k for k in imports.keys("Reports/") if k.endswith(".rejected.csv")]
    assert "rejected_rows" not in {f.role for f in run.files}
    assert imports.keys("Reports/") == [f"Reports/{IMPORT}/{run.run_id}/a.zip.report.txt"]


def test_the_same_zip_imported_again_is_unchanged(imports: Imports) -> None:
    task = attachments_task(imports)
    archive = zip_of({"4711_PPI_1.jpg": JPEG, "4711_MAN_1.pdf": PDF})
    imports.upload("a.zip", archive, import_name=IMPORT)
    first = imports.run(task)
    assert first.counts.created == 2
    before = {key: (r.content_hash, r.changed_at) for key, r in
              ((tuple(r.key), r) for r in imports.records(ImportTarget.ATTACHMENTS))}

    imports.upload("a.zip", archive, import_name=IMPORT)
    again = imports.run(task)

    assert again.status is RunStatus.SUCCEEDED, again.messages
    assert again.counts.model_dump() == {"read": 2, "created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert {tuple(r.key): (r.content_hash, r.changed_at) for r in imports.records(ImportTarget.ATTACHMENTS)} == before


def test_an_unsafe_zip_fails_as_a_whole_and_changes_nothing(imports: Imports) -> None:
    task = attachments_task(imports)
    imports.upload("evil.zip", zip_of({"4711_PPI_1.jpg": JPEG, "../4711_MAN_1.pdf": PDF}), import_name=IMPORT)

    run = imports.run(task)

    assert run.status is RunStatus.FAILED
    assert imports.records(ImportTarget.ATTACHMENTS) == [] and imports.keys("Attachments/") == []
    assert any("unsafe path" in m.text for m in run.messages)
    assert [k for k in imports.keys("Failed/") if k.endswith("evil.zip")]


def test_an_index_without_its_required_columns_fails_the_zip(imports: Imports) -> None:
    task = attachments_task(imports)
    imports.upload("files.zip", zip_of({"index.csv": b"article;file\r\n4711;a.pdf\r\n", "a.pdf": PDF}),
                   import_name=IMPORT)

    run = imports.run(task)

    assert run.status is RunStatus.FAILED
    assert imports.records(ImportTarget.ATTACHMENTS) == [] and imports.keys("Attachments/") == []
    assert any("type_code" in m.text and m.file == "files.zip/index.csv" for m in run.messages)
