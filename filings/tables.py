"""Uploaded tables (CSV or XLSX) read as a stream of text rows under hard limits.

Every upload path (bulk filing, the history import, 4insure's result file) reads through
`table_rows`. The limits hold before a cell is built: the file's size; for XLSX the zip's
member count, uncompressed size and compression ratio (from the zip directory, which
Python's zipfile also enforces while inflating), then the sheet's declared dimension, then
while streaming the real rows and columns and a time budget. A violation is a FieldErrors on
`file` naming the limit.

XLSX is read with zipfile and ElementTree's iterparse rather than openpyxl's reader: that
reader pads every row to the sheet's declared dimension (a 1.5 KB file claiming
A1:XFD1048576 becomes 17 billion cells) and builds an object per cell, where these paths need
only each cell's text. openpyxl's public helpers still decide which number formats are dates.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from portal.errors import FieldErrors


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 10_000  # data rows, the header row not counted
    max_columns: int = 200
    max_uncompressed: int = 64 * 1024 * 1024
    max_ratio: int = 100  # uncompressed / compressed, per zip member
    max_members: int = 200
    seconds: float = 10.0


LIMITS = TableLimits()
# Blank rows cost nothing to skip, but a sheet of nothing but blank rows must still end.
BLANK_ROWS_ALLOWED = 10_000
_CHECK_EVERY = 256  # rows between two looks at the clock


def _refuse(rule: str, message: str) -> FieldErrors:
    return FieldErrors({"file": [(rule, message)]})


class _Budget:
    """Counts rows against the limits while they stream."""

    def __init__(self, limits: TableLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.filled = 0
        self.blank = 0

    def row(self, cells: list[str]) -> None:
        if len(cells) > self.limits.max_columns:
            raise _refuse(
                "max_columns", f"열은 {self.limits.max_columns:,}개까지 읽을 수 있습니다."
            )
        if any(cells):
            self.filled += 1
            if self.filled > self.limits.max_rows + 1:
                raise _refuse(
                    "max_rows", f"한 파일에 {self.limits.max_rows:,}행까지 올릴 수 있습니다."
                )
        else:
            self.blank += 1
            if self.blank > BLANK_ROWS_ALLOWED:
                raise _refuse("max_rows", "빈 행이 너무 많습니다. 빈 행을 지우고 올려 주세요.")
        if (self.filled + self.blank) % _CHECK_EVERY == 0 and time.monotonic() > self.deadline:
            raise _refuse(
                "time_budget",
                f"파일을 {self.limits.seconds:g}초 안에 읽지 못했습니다. 행을 나누어 올려 주세요.",
            )


def table_rows(
    *, content: bytes, filename: str = "", limits: TableLimits = LIMITS
) -> Iterator[list[str]]:
    """The first sheet's (or the CSV's) rows as lists of stripped text, header row first; a
    missing row is an empty list, so the n-th row yielded is the file's row n. Dates are
    YYYY-MM-DD and whole numbers have no decimal point. Raises FieldErrors on 'file'."""
    if len(content) > limits.max_bytes:
        raise _refuse("max_size", f"파일은 {limits.max_bytes // (1024 * 1024)}MB 이하여야 합니다.")
    budget = _Budget(limits)
    if content[:2] == b"PK":
        rows = _xlsx_rows(content, limits)
    elif content[:4] == b"\xd0\xcf\x11\xe0":
        raise _refuse(
            "xls", "엑셀 97-2003(XLS) 파일은 읽을 수 없습니다. XLSX로 저장해 올려 주세요."
        )
    else:
        rows = _csv_rows(content, limits)
    for cells in rows:
        budget.row(cells)
        yield cells


# -- CSV ----------------------------------------------------------------------------------


def _csv_rows(content: bytes, limits: TableLimits) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refuse("encoding", "CSV는 UTF-8 또는 CP949(EUC-KR)여야 합니다.")
    if "\x00" in text:
        raise _refuse("format", "CSV 또는 XLSX 파일을 올려 주세요.")
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            yield [cell.strip() for cell in row]
    except csv.Error as exc:
        raise _refuse("csv", f"CSV {reader.line_num}행을 읽을 수 없습니다.") from exc


# -- XLSX ---------------------------------------------------------------------------------

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _archive(content: bytes, limits: TableLimits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _refuse("xlsx", "엑셀(XLSX) 파일을 읽을 수 없습니다.") from exc
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise _refuse("zip_members", f"XLSX 안의 파일이 {limits.max_members}개를 넘습니다.")
    if sum(m.file_size for m in members) > limits.max_uncompressed:
        mb = limits.max_uncompressed // (1024 * 1024)
        raise _refuse("uncompressed_size", f"압축을 푼 크기가 {mb}MB를 넘습니다.")
    for member in members:
        if member.file_size > limits.max_ratio * max(member.compress_size, 1) + 4096:
            raise _refuse(
                "compression_ratio", f"압축률이 {limits.max_ratio}배를 넘는 파일은 읽지 않습니다."
            )
    return archive


_ROOT = re.compile(rb"<[A-Za-z_:]")
_CHUNK = 64 * 1024


def _events(source: IO[bytes], events: tuple[str, ...]) -> Iterator[Any]:
    """ElementTree's pull parser over a part that declares no DTD. A spreadsheet part never
    has one, and without it there are no entities to expand (defusedxml's guard, which would
    give up the C parser)."""
    head = source.read(4096)
    root = _ROOT.search(head)
    if root is None or b"<!DOCTYPE" in head[: root.start()]:
        raise _refuse("xlsx", "엑셀(XLSX) 파일 안의 XML을 읽을 수 없습니다.")
    parser = XMLPullParser(events=events)
    chunk = head
    while chunk:
        parser.feed(chunk)
        yield from parser.read_events()
        chunk = source.read(_CHUNK)
    parser.close()
    yield from parser.read_events()


def _parse(source: IO[bytes]) -> Element:
    """A small XML part (workbook, relationships, styles) as a tree."""
    root = None
    for _, element in _events(source, ("end",)):
        root = element
    if root is None:
        raise _refuse("xlsx", "엑셀(XLSX) 파일 안의 XML을 읽을 수 없습니다.")
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _part(archive: zipfile.ZipFile, name: str) -> Element | None:
    try:
        with archive.open(name) as source:
            return _parse(source)
    except KeyError:
        return None


def _targets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Relationship id or type (its last word) -> part name, from the workbook's relationships."""
    rels = _part(archive, "xl/_rels/workbook.xml.rels")
    found: dict[str, str] = {}
    for rel in rels.iter(_PKG_REL) if rels is not None else ():
        target = rel.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        found[rel.get("Id", "")] = name
        found.setdefault(rel.get("Type", "").rpartition("/")[2], name)
    return found


def _strings(archive: zipfile.ZipFile, name: str | None) -> list[str]:
    """The shared strings; a phonetic run (rPh) is a reading aid, not part of the text."""
    if name is None or name not in archive.namelist():
        return []
    strings: list[str] = []
    with archive.open(name) as source:
        for _, element in _events(source, ("end",)):
            if _local(element.tag) == "si":
                strings.append(_rich_text(element))
                element.clear()
    return strings


def _rich_text(element: Element) -> str:
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _date_styles(archive: zipfile.ZipFile, name: str | None) -> set[int]:
    """Indexes of the cell formats whose number format shows a date."""
    styles = _part(archive, name) if name else None
    if styles is None:
        return set()
    formats = dict(BUILTIN_FORMATS)
    for fmt in styles.iter():
        if _local(fmt.tag) == "numFmt":
            formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
    dated: set[int] = set()
    for xfs in styles.iter():
        if _local(xfs.tag) == "cellXfs":
            for i, xf in enumerate(xfs):
                code = formats.get(int(xf.get("numFmtId", "0")), "")
                if code and is_date_format(code):
                    dated.add(i)
    return dated


_DIGITS = "0123456789"


def _xlsx_rows(content: bytes, limits: TableLimits) -> Iterator[list[str]]:
    archive = _archive(content, limits)
    try:
        workbook = _part(archive, "xl/workbook.xml")
        if workbook is None:
            raise _refuse("xlsx", "엑셀(XLSX) 파일을 읽을 수 없습니다.")
        targets = _targets(archive)
        sheets = [s for s in workbook.iter() if _local(s.tag) == "sheet"]
        sheet = targets.get(sheets[0].get(_REL, "")) if sheets else None
        if sheet is None or sheet not in archive.namelist():
            raise _refuse("xlsx", "엑셀(XLSX) 파일에 시트가 없습니다.")
        epoch = CALENDAR_WINDOWS_1900
        for prop in workbook.iter():
            if _local(prop.tag) == "workbookPr" and prop.get("date1904") in ("1", "true"):
                epoch = CALENDAR_MAC_1904
        reader = _SheetReader(
            strings=_strings(archive, targets.get("sharedStrings")),
            dated=_date_styles(archive, targets.get("styles")),
            epoch=epoch,
            limits=limits,
        )
        with archive.open(sheet) as source:
            yield from reader.rows(source)
    except (ParseError, zipfile.BadZipFile, EOFError, ValueError, IndexError, OverflowError) as exc:
        raise _refuse("xlsx", "엑셀(XLSX) 파일을 읽을 수 없습니다.") from exc
    finally:
        archive.close()


@dataclass
class _SheetReader:
    strings: list[str]
    dated: set[int]
    epoch: datetime
    limits: TableLimits
    tags: tuple[str, str, str, str] = ("", "", "", "")

    def rows(self, source: IO[bytes]) -> Iterator[list[str]]:
        number = 0
        row_tag = dimension_tag = ""
        # End events only: a sheet is millions of elements, and the dimension ends before
        # the first row starts.
        for _, element in _events(source, ("end",)):
            tag = element.tag
            if not row_tag:
                ns = tag[: tag.find("}") + 1]
                row_tag, dimension_tag = f"{ns}row", f"{ns}dimension"
                self.tags = f"{ns}c", f"{ns}v", f"{ns}is", f"{ns}t"
            if tag == dimension_tag:
                self._declared(element.get("ref", ""))
            if tag != row_tag:
                continue
            at = int(element.get("r") or number + 1)
            if at <= number:
                raise _refuse("xlsx", f"{at}행이 두 번 나옵니다.")
            while number + 1 < at:  # rows the sheet leaves out are empty rows
                number += 1
                yield []
            number = at
            yield self._cells(element)
            element.clear()

    def _declared(self, ref: str) -> None:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.upper())
        except (TypeError, ValueError):
            return  # a malformed dimension says nothing; the stream is still counted
        if max_row and min_row and max_row - min_row > self.limits.max_rows:
            raise _refuse(
                "dimension",
                f"시트 범위({ref})가 {self.limits.max_rows:,}행을 넘습니다. "
                "빈 행을 지우거나 파일을 나누어 올려 주세요.",
            )
        if max_col and min_col and max_col - min_col >= self.limits.max_columns:
            raise _refuse(
                "dimension", f"시트 범위({ref})가 {self.limits.max_columns:,}열을 넘습니다."
            )

    def _cells(self, row: Element) -> list[str]:
        cell_tag, value_tag, inline_tag, text_tag = self.tags
        max_columns = self.limits.max_columns
        cells: list[str] = []
        for cell in row:
            if cell.tag != cell_tag:
                continue
            ref = cell.get("r")
            column = column_index_from_string(ref.rstrip(_DIGITS)) if ref else len(cells) + 1
            if column > max_columns:
                raise _refuse("max_columns", f"열은 {max_columns:,}개까지 읽을 수 있습니다.")
            if column <= len(cells):
                raise _refuse("xlsx", f"셀 {ref}이 두 번 나옵니다.")
            while len(cells) < column - 1:
                cells.append("")
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                inline = cell.find(inline_tag)
                if inline is None:
                    text = ""
                elif len(inline) == 1 and inline[0].tag == text_tag:
                    text = (inline[0].text or "").strip()
                else:
                    text = _rich_text(inline).strip()
            else:
                value = cell.findtext(value_tag)
                text = "" if value is None else self._value(kind, value, cell.get("s"))
            cells.append(text)
        while cells and not cells[-1]:
            cells.pop()
        return cells

    def _value(self, kind: str, value: str, style: str | None) -> str:
        if kind == "n":
            return self._number(value, int(style) if style else 0)
        if kind == "s":
            return self.strings[int(value)].strip()
        if kind == "b":
            return "True" if value.strip() == "1" else "False"
        if kind == "d":
            return value.strip()[:10]
        return value.strip()  # str (a formula's text), e (an error such as #N/A)

    def _number(self, value: str, style: int) -> str:
        if style in self.dated:
            moment = from_excel(float(value), self.epoch)
            if isinstance(moment, datetime | date):
                return (moment.date() if isinstance(moment, datetime) else moment).isoformat()
        if value.isascii() and value.isdigit():
            return value
        number = float(value)
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return value.strip()
