"""What python-calamine would hold for an XLSX sheet, measured from the sheet's XML before it loads.

calamine (Rust) reads a sheet's cells into a list, then into a *dense* rectangle from the first to the
last filled cell (``Range::from_sparse``), and copies a shared string into every cell that uses it. So a
few bytes of XML can ask for gigabytes: two cells at A1 and XFD1048576 (a 17-billion-cell rectangle: the
process aborts), or one long shared string used by a million cells. ``SheetScanner`` streams a sheet's
XML and keeps, in constant memory, what decides that cost: the filled cells, the last row and column,
the shared-string text the cells copy and the merged ranges. ``SharedStringsScanner`` measures the
shared-strings table first (how many entries, and an upper bound of each one's length).

How calamine reads a sheet (calamine 0.37, the version python-calamine 0.9 bundles), which the scanner
follows: empty elements count as a start and an end; a ``<row r>`` sets the row (else it is one past the
last), a ``<c r>`` sets row and column (else the column is one past the last cell of the row); only the
elements' local names matter (``<x:c>`` is a cell); a cell without content is never stored. The scanner
errs on the safe side wherever it cannot tell (a cell with any content counts as filled, its rectangle
starts at A1), so its figures are never below calamine's.

Speed: most sheets (Excel, LibreOffice, openpyxl) write every row and cell with an ``r`` attribute first,
without prefixes. A piece of XML that is verifiably in that shape is counted with a few regular
expressions over the whole piece; any other piece is walked tag by tag, exactly.
"""

from __future__ import annotations

import array
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter

from pimtasks.imports.reading.xml_chunks import XmlPiece, xml_pieces

CELL_MARKER = b'<c r="'
PIECE_MARKERS = (CELL_MARKER, b"<c>", b"<row")
"""Where sheet pieces are preferably cut: before a cell or a row, so a cell and its value stay together."""

# --- the fast path: pieces in the usual shape --------------------------------------------------------
_PREFIXED = re.compile(rb":(?:c|row|v|is)[\s/>]")
_FILLED_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*+(?<!/)>')
_EMPTY_CELL = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"[^>]*+(?<=/)>')
_ATTRIBUTE = rb'(?: [a-zA-Z]{1,12}="[^"<>]{0,40}")'
_SHARED_CELL = re.compile(rb"<c" + _ATTRIBUTE + rb'*? t="s"' + _ATTRIBUTE + rb"*><v>([0-9]{1,10})</v></c>")
_CELL_WITH_R = re.compile(rb"<c\s[^>]*?(?<![\w:.-])r\s*=")
_ROW_TAG = re.compile(rb"<row(?=[\s/>])([^>]*)>")
_ROW_START = b'<row r="'
_LAST_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"[^>]*>')
_LAST_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_first, _second = itemgetter(0), itemgetter(1)

# --- the exact path: tag by tag ----------------------------------------------------------------------
_TAG = re.compile(rb"<(/?)(?:[^\s/>:]+:)?(row|c|v)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>([^<]{0,24})")
_SI_TAG = re.compile(rb"<(?:[^\s/>:]+:)?si(?=[\s/>])")
_PREFIXED_STRING = re.compile(rb"<[^\s/>:]+:(?:si|t)[\s/>]")
_EMPTY_TEXTS = (b"<t/>", b"<t></t>", b'xml:space="preserve"/>', b'xml:space="preserve"></t>', b"<rPh")
_R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_T_ATTRIBUTE = re.compile(rb"""(?:^|\s)t\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]{1,7})([0-9]{1,10})")
_MERGE_COUNT = (b"mergeCell ", b"mergeCell/", b"mergeCell>")
_MERGE = b"mergeCell"
_SMALLEST_SPLIT = 16 << 10


def column_number(letters: bytes) -> int:
    """0-based column of ``A``/``xfd`` (calamine takes letters of either case)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number - 1


@dataclass
class SheetStats:
    """What calamine would hold for one sheet; rows and columns are 0-based, -1 when there is none."""

    cells: int = 0
    last_row: int = -1
    last_column: int = -1
    text_bytes: int = 0
    merged_ranges: int = 0
    row_tags: int = 0
    """Row elements read (what a scan of this sheet costs; it stops once they pass ``max_rows``)."""

    @property
    def rows(self) -> int:
        return self.last_row + 1

    @property
    def columns(self) -> int:
        return self.last_column + 1

    @property
    def rectangle(self) -> int:
        """Cells of calamine's dense range, counted from A1 (never less than calamine's own)."""
        return self.rows * self.columns if self.cells else 0

    def place(self, row: int, column: int) -> None:
        self.cells += 1
        self.last_row = max(self.last_row, row)
        self.last_column = max(self.last_column, column)


@dataclass
class StringBounds:
    """An upper bound of the length of each shared string, by the index a cell uses."""

    lengths: array.array[int] = field(default_factory=lambda: array.array("Q"))

    def text_of(self, indexes: Iterable[int]) -> int:
        lengths, count = self.lengths, len(self.lengths)
        return sum(lengths[index] for index in indexes if index < count)


class SharedStringsScanner:
    """Counts the entries of ``sharedStrings.xml`` and bounds each one's length by its bytes in the XML.

    calamine may drop an entry (an empty one), which shifts the indexes after it; an entry that could be
    dropped widens every index's bound to the longest of the next entries (as many as could be dropped).
    """

    def __init__(self) -> None:
        self._lengths = array.array("Q")
        self._droppable = 0
        self._plain = True

    @property
    def count(self) -> int:
        return len(self._lengths)

    def feed(self, piece: XmlPiece) -> None:
        data = piece.data
        prefixed = (b":t" in data or b":si" in data) and _PREFIXED_STRING.search(data) is not None
        if prefixed or data.count(b"<si") != data.count(b"<si>"):
            self._plain = False  # attributes or prefixes: every index gets the safe, simple bound
            self._feed_by_tag(data)
            return
        parts = data.split(b"<si>")
        if self._lengths:
            self._lengths[-1] += len(parts[0])
        self._lengths.extend(len(part) + 4 for part in parts[1:])
        # Entries calamine could drop as empty: no text element, an empty one, or only phonetic text.
        self._droppable += sum(1 for part in parts[1:] if b"<t" not in part)
        self._droppable += sum(data.count(empty) for empty in _EMPTY_TEXTS)

    def _feed_by_tag(self, data: bytes) -> None:
        position = 0
        for match in _SI_TAG.finditer(data):
            if self._lengths:
                self._lengths[-1] += match.start() - position
            self._lengths.append(0)
            position = match.start()
        if self._lengths:
            self._lengths[-1] += len(data) - position

    def bounds(self) -> StringBounds:
        lengths = self._lengths
        window = len(lengths) if not self._plain else self._droppable
        if window == 0:
            return StringBounds(lengths)
        return StringBounds(_window_max(lengths, window))


def _window_max(values: array.array[int], window: int) -> array.array[int]:
    """``out[i] = max(values[i : i + window + 1])``: the longest entry index ``i`` may end up naming."""
    out = array.array("Q", values)
    if window >= len(values):
        longest = 0
        for index in range(len(values) - 1, -1, -1):
            longest = max(longest, values[index])
            out[index] = longest
        return out
    candidates: deque[int] = deque()
    for index in range(len(values) - 1, -1, -1):
        while candidates and values[candidates[-1]] <= values[index]:
            candidates.pop()
        candidates.append(index)
        if candidates[0] > index + window:
            candidates.popleft()
        out[index] = values[candidates[0]]
    return out


@dataclass
class _Position:
    """calamine's running row and column (for cells and rows without ``r``) and the cell being read."""

    row: int = 0
    column: int = 0
    in_cell: bool = False
    shared_cell: bool = False


_Found = tuple[int, int, int, _Position]
"""What a fast path found in a piece: cells, last row, last column, and the position after it."""


def _count_segment(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """``(cells, row ends)`` between two row tags; None when a cell comes after the row's end."""
    ends = data.count(b"</row>", start, end)
    cells = data.count(b"<c", start, end)
    if ends > 1 or (ends and cells and data.rfind(b"<c", start, end) > data.find(b"</row>", start, end)):
        return None
    return cells, ends


def _place_segment(segment: tuple[int, int], at: _Position, cells: int, last_row: int,
                   last_column: int) -> tuple[int, int, int]:
    count, ends = segment
    if count:
        cells += count
        last_row = max(last_row, at.row)
        last_column = max(last_column, at.column + count - 1)
        at.column += count
    if ends:
        at.row, at.column = at.row + 1, 0
    return cells, last_row, last_column


class SheetScanner:
    """Streams one sheet part's XML into ``stats``; ``strings`` are the shared strings' bounds."""

    def __init__(self, strings: StringBounds) -> None:
        self.stats = SheetStats()
        self._strings = strings
        self._at = _Position()

    def scan(self, chunks: Iterable[bytes], *, part: str) -> Iterable[SheetStats]:
        """Feed the part's unpacked ``chunks``; yields the running stats after each piece (to stop early)."""
        for piece in xml_pieces(chunks, part=part, markers=PIECE_MARKERS):
            self.feed(piece)
            yield self.stats

    def feed(self, piece: XmlPiece) -> None:
        data = piece.data
        if _MERGE in data:
            self.stats.merged_ranges += sum(data.count(marker) for marker in _MERGE_COUNT)
        self._feed_piece(data, whole=piece.at_marker and not piece.cut_in_text)

    def _feed_piece(self, data: bytes, *, whole: bool) -> None:
        """A fast path if the piece allows one; else its halves (cut before a row) in turn, so that a few
        odd rows (a header written differently) cost the exact path only for a small piece around them.

        ``whole``: the piece ends before a cell or a row (a fast path needs whole cells).
        """
        if whole and not self._at.in_cell and self._feed_fast(data):
            return
        if len(data) > _SMALLEST_SPLIT:
            middle = data.find(b"<row", len(data) // 2)
            if middle > 0:
                self._feed_piece(data[:middle], whole=True)
                self._feed_piece(data[middle:], whole=whole)
                return
        self._feed_by_tag(data)

    # --- fast paths -----------------------------------------------------------------------------------
    def _feed_fast(self, data: bytes) -> bool:
        """Count a piece in one of the usual shapes (False, having counted nothing, for any other piece).

        The usual shapes: every tag whole (as many ``<`` as ``>``: no ``>`` inside an attribute, which the
        expressions below could not tell from a tag's end), no prefixed sheet element, every shared-string
        cell (every ``"s"`` in the piece) of the form ``<c .. t="s" ..><v>index</v></c>``, and either every
        cell and row with its ``r`` first (Excel, LibreOffice, openpyxl) or no cell with an ``r`` at all
        (rows and columns are then counted, as calamine does).
        """
        if data.count(b"<") != data.count(b">") or _PREFIXED.search(data) is not None:
            return False
        indexes: list[bytes] = []
        if self._strings.lengths:
            quoted_s = data.count(b'"s"') + (data.count(b"'s'") if b"'" in data else 0)
            indexes = _SHARED_CELL.findall(data) if quoted_s else []
            if len(indexes) != quoted_s:
                return False
        tags = data.count(b"<c")
        if tags == data.count(CELL_MARKER) and data.count(b"<row") == data.count(_ROW_START):
            found = self._by_reference(data, tags)
        else:
            found = self._by_counting(data)
        if found is None:
            return False
        cells, last_row, last_column, at = found
        stats = self.stats
        stats.cells += cells
        stats.last_row = max(stats.last_row, last_row)
        stats.last_column = max(stats.last_column, last_column)
        stats.row_tags += data.count(b"<row")
        if indexes:
            stats.text_bytes += self._strings.text_of(map(int, indexes))
        self._at = at
        return True

    def _by_reference(self, data: bytes, tags: int) -> _Found | None:
        """Every cell with ``r``: its filled cells' references give the rows and columns."""
        filled = _FILLED_CELL.findall(data)
        if len(filled) != tags and len(filled) + len(_EMPTY_CELL.findall(data)) != tags:
            return None
        last_row = last_column = -1
        if filled:
            last_column = max(map(column_number, set(map(_first, filled))))
            last_row = max(map(int, set(map(_second, filled)))) - 1
        return len(filled), last_row, last_column, self._position_after(data)

    def _position_after(self, data: bytes) -> _Position:
        """calamine's running row/column after a piece whose rows and cells all have ``r``.

        A row start sets the row, a row end moves one row on and to column A, a cell sets the column to
        one past its own (only r-less cells in a later piece depend on this).
        """
        at = _Position(row=self._at.row, column=self._at.column)
        row_start = data.rfind(_ROW_START)
        last_end = data.rfind(b"</row>")
        if row_start >= 0:
            match = _LAST_ROW_NUMBER.match(data, row_start)
            if match is not None:
                at.row = int(match[1]) - 1 + data.count(b"</row>", row_start)
                if match[0].endswith(b"/>"):
                    at.row += 1
                    last_end = max(last_end, row_start)
        else:
            at.row += data.count(b"</row>")
        cell_start = data.rfind(CELL_MARKER)
        if cell_start > last_end:
            match = _LAST_CELL_COLUMN.match(data, cell_start)
            if match:
                at.column = column_number(match[1]) + 1
        elif last_end >= 0:
            at.column = 0
        return at

    def _by_counting(self, data: bytes) -> _Found | None:
        """No cell with ``r``: row by row, cells take the next column and rows the next row (or their ``r``).

        Every cell counts as filled and as placed at the column it takes (empty ones too: the safe side).
        """
        # Tags that only start like a cell (``<col``) count as cells too: the safe side, and never in
        # ``sheetData``. A cell with an ``r`` would be placed wrongly by counting.
        if _CELL_WITH_R.search(data):
            return None
        rows = data.count(b"<row")
        if rows and rows == data.count(b"<row>"):
            plain = self._by_counting_plain(data)
            if plain is not None:
                return plain
        at = _Position(row=self._at.row, column=self._at.column)
        cells, last_row, last_column = 0, -1, -1
        position = 0
        for match in _ROW_TAG.finditer(data):
            segment = _count_segment(data, position, match.start())
            if segment is None:
                return None
            cells, last_row, last_column = _place_segment(segment, at, cells, last_row, last_column)
            number = _attribute(_R_ATTRIBUTE, match[1])
            if number is not None and number.isdigit():
                at.row = int(number) - 1
            if match[1].endswith(b"/"):
                at.row, at.column = at.row + 1, 0
            position = match.end()
        segment = _count_segment(data, position, len(data))
        if segment is None:
            return None
        cells, last_row, last_column = _place_segment(segment, at, cells, last_row, last_column)
        return cells, last_row, last_column, at

    def _by_counting_plain(self, data: bytes) -> _Found | None:
        """Rows as bare ``<row>`` tags, each closed by ``</row>`` right at its end: counted row by row with
        C-speed operations only (the shape of writers that leave ``r`` out)."""
        first, *rows = data.split(b"<row>")
        ends = list(map(bytes.endswith, rows, repeat(b"</row>")))
        complete = all(ends) or (not any(ends[-1:]) and all(ends[:-1]))
        if not complete or data.count(b"</row>") != sum(ends) + first.count(b"</row>"):
            return None
        if first.count(b"</row>") > 1 or (b"</row>" in first and first.rfind(b"<c") > first.find(b"</row>")):
            return None
        at = _Position(row=self._at.row, column=self._at.column)
        cells, last_row, last_column = 0, -1, -1
        leading = first.count(b"<c")
        if leading:
            cells, last_row, last_column = leading, at.row, at.column + leading - 1
        if b"</row>" in first:
            at.row, at.column = at.row + 1, 0
        counts = list(map(bytes.count, rows, repeat(b"<c")))
        filled_rows = [index for index, count in enumerate(counts) if count]
        if filled_rows:
            cells += sum(counts)
            last_row = max(last_row, at.row + filled_rows[-1])
            last_column = max(last_column, max(counts) - 1)
        if ends[-1]:
            at.row, at.column = at.row + len(rows), 0
        else:
            at.row, at.column = at.row + len(rows) - 1, counts[-1]
        return cells, last_row, last_column, at

    # --- exact path -----------------------------------------------------------------------------------
    def _feed_by_tag(self, data: bytes) -> None:
        at, stats = self._at, self.stats
        for match in _TAG.finditer(data):
            closing, name, attributes = match[1], match[2], match[3]
            empty = attributes.endswith(b"/")
            if name == b"row":
                if closing:
                    at.row, at.column = at.row + 1, 0
                    continue
                stats.row_tags += 1
                reference = _attribute(_R_ATTRIBUTE, attributes)
                if reference is not None and reference.isdigit():
                    at.row = int(reference) - 1
                if empty:
                    at.row, at.column = at.row + 1, 0
            elif name == b"c":
                if closing:
                    if at.in_cell:
                        at.in_cell = at.shared_cell = False
                        at.column += 1
                    continue
                row, column = self._cell_position(attributes)
                at.column = column
                if empty:
                    at.column += 1
                    continue
                stats.place(row, column)
                at.in_cell = True
                at.shared_cell = _attribute(_T_ATTRIBUTE, attributes) == b"s"
            elif name == b"v" and not closing and at.in_cell and at.shared_cell:
                text = match[4].strip()
                if text.isdigit():
                    stats.text_bytes += self._strings.text_of((int(text),))

    def _cell_position(self, attributes: bytes) -> tuple[int, int]:
        reference = _attribute(_R_ATTRIBUTE, attributes)
        if reference is not None:
            parsed = _REFERENCE.fullmatch(reference)
            if parsed:
                return int(parsed[2]) - 1, column_number(parsed[1])
        return self._at.row, self._at.column


def _attribute(pattern: re.Pattern[bytes], attributes: bytes) -> bytes | None:
    match = pattern.search(attributes)
    if match is None:
        return None
    return match[1] if match[1] is not None else match[2]
