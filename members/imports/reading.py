"""Opening an import file: encoding, header, and the records with their Excel row numbers.

A file that cannot be read at all (empty, not text, wrong header) raises `ImportFileError`
before anything is written; everything after the header is a matter of bad rows, not of the file.
"""

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _

from .cells import RowError

ENCODINGS = ("utf-8-sig", "gb18030")
_BLOCK = 1 << 20
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls (OLE)


class ImportFileError(Exception):
    """The file as a whole is unusable; the message says why, in full sentences."""


@dataclass(frozen=True, slots=True)
class Record:
    """One data row. `row` is the row number Excel shows (the header is row 1)."""

    row: int
    values: dict[str, str] | None
    error: RowError | None = None


def detect_encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030."""
    stream.seek(0)
    head = stream.read(8)
    if not head:
        raise ImportFileError(_("文件是空的。"))
    if head.startswith(_WORKBOOK_MAGIC):
        raise ImportFileError(_("这是 Excel 工作簿，请在 Excel 中“另存为”CSV 文件后再导入。"))
    for encoding in ENCODINGS:
        if _decodes_as(stream, encoding):
            return encoding
    raise ImportFileError(
        _("无法识别文件编码，请将文件另存为 UTF-8 或 GB18030（GBK）编码的 CSV 后再导入。")
    )


def _decodes_as(stream: BinaryIO, encoding: str) -> bool:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while block := stream.read(_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_records(stream: BinaryIO, columns: Sequence[str]) -> Iterator[Record]:
    """Check the header, then yield each non-blank data row keyed by column name.

    The header is checked when this generator is first advanced, so callers call `next()` once
    (see `open_records`) to surface file-level errors before writing anything.
    """
    encoding = detect_encoding(stream)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        reader = csv.reader(text)
        header, raw_width = _read_header(reader, columns)
        yield Record(row=1, values=None)  # the header was fine
        yield from _data_records(reader, header, raw_width)
    finally:
        text.detach()  # leave the caller's file open; they close it


def open_records(stream: BinaryIO, columns: Sequence[str]) -> Iterator[Record]:
    records = read_records(stream, columns)
    next(records)  # raises ImportFileError for an unreadable file
    return records


def _read_header(reader, columns: Sequence[str]) -> tuple[list[str], int]:
    """The column names, and how many cells the header line had (Excel pads every row to it)."""
    try:
        raw = next(reader, None)
    except csv.Error:
        raw = None
    if raw is None or not any(cell.strip() for cell in raw):
        raise ImportFileError(_("第 1 行应为表头，但文件第 1 行为空。"))
    header = [cell.replace("\ufeff", "").strip().lower() for cell in raw]
    # Excel leaves empty header cells after the last real column; they carry no data.
    while header and not header[-1]:
        header.pop()
    problems = _header_problems(header, columns)
    if problems:
        raise ImportFileError(
            _("表头不正确：%(problems)s。表头应为：%(expected)s。")
            % {"problems": "；".join(problems), "expected": ",".join(columns)}
        )
    return header, len(raw)


def _header_problems(header: list[str], columns: Sequence[str]) -> list[str]:
    problems = []
    missing = [c for c in columns if c not in header]
    unknown = [c or _("（空列名）") for c in header if c not in columns]
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if missing:
        problems.append(_("缺少列 %(columns)s") % {"columns": "、".join(missing)})
    if unknown:
        problems.append(_("无法识别的列 %(columns)s") % {"columns": "、".join(unknown)})
    if repeated:
        problems.append(_("列 %(columns)s 重复") % {"columns": "、".join(repeated)})
    return problems


def _data_records(reader, header: list[str], raw_width: int) -> Iterator[Record]:
    width = len(header)
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield Record(
                row,
                None,
                RowError(row, "", "", _("该行格式错误（引号不配对或内容过长），无法读取。")),
            )
            continue
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue  # blank lines (often at the end of an Excel export) are not rows
        if len(cells) == raw_width and not any(cells[width:]):
            cells = cells[:width]  # the padding under the header's empty trailing cells
        if len(cells) != width:
            reason = _("该行有 %(found)s 列，表头有 %(expected)s 列（值中的逗号需要加引号）。") % {
                "found": len(cells),
                "expected": width,
            }
            yield Record(row, None, RowError(row, "", ",".join(cells)[:200], reason))
            continue
        yield Record(row, dict(zip(header, cells, strict=True)))
