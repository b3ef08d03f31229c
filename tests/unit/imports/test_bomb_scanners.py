"""The scanners that measure a workbook before python-calamine loads it never measure less than calamine.

Each test builds many small sheets in the shapes real and hostile writers produce (cells with and
without ``r``, prefixed elements, self-closing cells and rows, shared-string cells with formulas or
several values, repeated ODS cells and rows, ...), cuts their XML at random places, and checks that the
scanner's rows, columns, cells and text are at least what calamine itself then loads. (A scanner that
measured less would let a bomb through; one that measures a little more only errs on the safe side.)
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import python_calamine as calamine
from pimtasks.imports.reading.ods_scan import ContentScanner
from pimtasks.imports.reading.xlsx_scan import SharedStringsScanner, SheetScanner, SheetStats, column_number
from pimtasks.imports.reading.xml_chunks import xml_pieces

from tests.unit.imports.bombs import (
    ODS_HEAD,
    ODS_TAIL,
    ods_table,
    shared_strings_xml,
    sheet_xml,
    write_ods,
    write_xlsx,
)

CASES = 300


def letters(column: int) -> str:
    text = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(65 + rest) + text
    return text


def random_cuts(data: bytes, rng: random.Random) -> list[bytes]:
    chunks, position = [], 0
    while position < len(data):
        size = rng.choice([7, 50, 300, 5000, 1 << 20])
        chunks.append(data[position:position + size])
        position += size
    return chunks


def xlsx_cell(kind: str, ref: str, column: int, strings: int) -> str:
    shared = strings > 0
    return {
        "number": f'<c r="{ref}"><v>{column}</v></c>',
        "shared": f'<c r="{ref}" s="1" t="s"><v>{column % strings}</v></c>' if shared else f'<c r="{ref}"><v>1</v></c>',
        "empty": f'<c r="{ref}" s="1"/>',
        "empty-open": f'<c r="{ref}" s="1"></c>',
        "formula": f'<c r="{ref}" t="s"><f>A1</f><v>0</v></c>' if shared else f'<c r="{ref}"><f>A1</f><v>2</v></c>',
        "inline": f'<c r="{ref}" t="inlineStr"><is><t>x{column}</t></is></c>',
        "no-ref": '<c t="n"><v>3</v></c>',
        "no-ref-shared": '<c t="s"><v>0</v></c>' if shared else "<c><v>3</v></c>",
        "no-ref-empty": '<c s="1"/>',
        "lower-case": f'<c r="{ref.lower()}"><v>3</v></c>',
        "single-quotes": f"<c r='{ref}' t='s'><v>0</v></c>" if shared else f"<c r='{ref}'><v>1</v></c>",
        "gt-in-attribute": f'<c r="{ref}" xx="a>b"><v>4</v></c>',
        "slash-in-attribute": f'<c r="{ref}" xx="a/"><v>4</v></c>',
        "prefixed": f'<x:c r="{ref}"><x:v>5</x:v></x:c>',
        "new-lines": f'<c\nr="{ref}"\nt="n"><v>6</v></c>',
        "two-values": f'<c r="{ref}" t="s"><v>0</v><v>1</v></c>' if strings > 1 else f'<c r="{ref}"><v>7</v></c>',
    }[kind]


SHAPES = {
    # what Excel, LibreOffice and openpyxl write (the scanner's fast path), with the odd cell a writer may add
    "usual": ["number", "shared", "empty", "empty-open", "formula", "inline", "two-values"],
    # no r anywhere: rows and columns are counted
    "bare": ["number", "shared", "no-ref-shared", "no-ref", "no-ref-empty"],
    # anything, hostile included (the scanner's tag-by-tag path)
    "mixed": ["number", "shared", "empty", "empty-open", "formula", "inline", "no-ref", "lower-case",
              "single-quotes", "gt-in-attribute", "slash-in-attribute", "prefixed", "new-lines", "two-values"],
}


def random_sheet(rng: random.Random, *, strings: int) -> bytes:
    """Rows in one of the ``SHAPES``; a big sheet now and then (pieces of it split around odd rows)."""
    shape_name = rng.choice(list(SHAPES))
    bare = shape_name == "bare"
    kinds = SHAPES[shape_name]
    big = rng.random() < 0.1
    rows, row = [], 0
    for _ in range(rng.randint(600, 900) if big else rng.randint(1, 12)):
        row += rng.choice([1, 1, 1, 2] if big else [1, 1, 1, 2, 50])
        column, cells = -1, []
        for _ in range(rng.randint(0, 6)):
            column += rng.choice([1, 1, 2] if big else [1, 1, 2, 30])
            kind = rng.choice(kinds)
            if bare and not kind.startswith("no-ref"):
                kind = "no-ref-shared" if kind == "shared" else "no-ref"
            cells.append(xlsx_cell(kind, f"{letters(column)}{row}", column, strings))
        body = "".join(cells)
        shape = {"bare": "bare", "usual": "r"}.get(shape_name) or rng.choice(["r", "bare", "self-closing",
                                                                              "prefixed"])
        rows.append({"r": f'<row r="{row}">{body}</row>', "bare": f"<row>{body}</row>",
                     "self-closing": f'<row r="{row}"/>', "prefixed": f'<x:row r="{row}">{body}</x:row>'}[shape])
    return "".join(rows).encode()


def xlsx_stats(sheet: bytes, strings: bytes | None, rng: random.Random) -> SheetStats:
    table = SharedStringsScanner()
    for piece in xml_pieces(random_cuts(strings or b"", rng), part="strings"):
        table.feed(piece)
    scanner = SheetScanner(table.bounds())
    for _ in scanner.scan(random_cuts(sheet, rng), part="sheet"):
        pass
    return scanner.stats


@pytest.mark.parametrize("seed", [1, 2])
def test_the_xlsx_scanner_never_measures_less_than_calamine_loads(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for case in range(CASES):
        # Longer with every index: a cell counted with the wrong index is counted short.
        texts = ["y" * (1 + 300 * n) for n in range(rng.choice([0, 3]))]
        sheet = sheet_xml(random_sheet(rng, strings=len(texts))).replace(
            b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ')
        strings = shared_strings_xml(texts) if texts else None
        workbook = calamine.CalamineWorkbook.from_path(str(write_xlsx(tmp_path / "case.xlsx", sheet,
                                                                      shared_strings=strings)))
        loaded = workbook.get_sheet_by_index(0)
        if loaded.end is None:
            continue
        stats = xlsx_stats(sheet, strings, rng)
        values = [value for row in loaded.to_python(skip_empty_area=False) for value in row if value != ""]
        shared_text = sum(len(value.encode()) for value in values if isinstance(value, str) and value[0] == "y")
        assert stats.rows >= loaded.end[0] + 1, (case, sheet)
        assert stats.columns >= loaded.end[1] + 1, (case, sheet)
        assert stats.cells >= len(values), (case, sheet)
        assert stats.text_bytes >= shared_text, (case, sheet)
        compared += 1
    assert compared > CASES // 2


def random_ods_table(rng: random.Random, name: str) -> bytes:
    rows = []
    for _ in range(rng.randint(1, 8)):
        cells = []
        for _ in range(rng.randint(0, 6)):
            repeat = rng.choice(["", "", ' table:number-columns-repeated="2"', ' table:number-columns-repeated="30"'])
            cells.append(rng.choice([
                f'<table:table-cell{repeat} office:value-type="float" office:value="1.5"><text:p>1.5</text:p>'
                "</table:table-cell>",
                f'<table:table-cell{repeat} office:value-type="string"><text:p>{"z" * rng.choice([1, 40])}</text:p>'
                "</table:table-cell>",
                f"<table:table-cell{repeat}/>",
                f"<table:table-cell{repeat}></table:table-cell>",
                f'<table:table-cell{repeat} office:value-type="string"><text:p>a<text:s text:c="'
                f'{rng.choice([1, 50])}"/>b</text:p></table:table-cell>',
                f'<table:table-cell{repeat} table:formula="of:=1+1" office:value-type="float" office:value="2"/>',
                f"<table:covered-table-cell{repeat}/>",
            ]))
        repeat = rng.choice(["", "", ' table:number-rows-repeated="2"', ' table:number-rows-repeated="40"'])
        rows.append(f"<table:table-row{repeat}>{''.join(cells)}</table:table-row>")
    return ods_table("".join(rows).encode(), name=name)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_ods_scanner_never_measures_less_than_calamine_loads(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for _ in range(CASES):
        tables = [random_ods_table(rng, f"T{n}") for n in range(rng.randint(1, 3))]
        workbook = calamine.CalamineWorkbook.from_path(str(write_ods(tmp_path / "case.ods", *tables)))
        scanner = ContentScanner()
        for _ in scanner.scan(random_cuts(ODS_HEAD + b"".join(tables) + ODS_TAIL, rng), part="content.xml"):
            pass
        for name, table in zip(workbook.sheet_names, scanner.tables, strict=True):
            loaded = workbook.get_sheet_by_name(name)
            if loaded.end is None:
                continue
            text = sum(len(value.encode()) for row in loaded.to_python(skip_empty_area=False) for value in row
                       if isinstance(value, str))
            assert table.rows >= loaded.end[0] + 1, tables
            assert table.width >= loaded.end[1] + 1, tables
            assert table.cells >= loaded.height * loaded.width, tables
            assert table.text_bytes + len(b"".join(tables)) >= text, tables
            compared += 1
    assert compared > CASES // 2


def test_column_numbers_follow_excel() -> None:
    assert [column_number(text) for text in (b"A", b"Z", b"AA", b"xfd")] == [0, 25, 26, 16383]
