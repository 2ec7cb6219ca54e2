"""Archive files on disk: CSV and Excel .xlsx in, the same out.

Reading:
- CSV is decoded as UTF-8 (with or without BOM) when it strictly is UTF-8, else as GBK when it
  strictly is GBK (what Excel on Chinese Windows writes). UTF-16 and anything else is refused
  with a message naming the encoding problem, never guessed. Text that only decodes as GBK by
  accident (Latin-1 bytes such as ``Müller`` do) is refused too: real GBK text is mostly GB2312.
- .xlsx is read with openpyxl in read-only mode: the first sheet, header in row 1. Cells are
  turned into the text a clerk sees (`archive_rules.cell_text`): ``5.0`` → ``5``, dates → ISO.

Rows are numbered from 1 at the first row under the header; blank rows are skipped but keep
their numbers, so a problem's row number is always the spreadsheet row minus one.

Writing: CSV as UTF-8 with BOM (so Excel opens it as Unicode) and CRLF line ends; .xlsx with every
cell stored as text (no leading zeros lost, no formulas). Files are written to a temporary name
and renamed, so a failed export leaves no half file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.archive_rules import Numbered, cell_text

CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
MIN_GB2312_SHARE = 0.5


@dataclass(frozen=True)
class ArchiveTable:
    """A file's header and its data rows of text cells, with where it came from."""

    name: str
    headers: tuple[str, ...]
    rows: list[Numbered[tuple[str, ...]]]
    sha256: str  # of the file's bytes, as ``sha256sum`` shows it
    encoding: str  # utf-8, utf-8-sig, gbk or xlsx


def _refuse(reason: str, *, name: str, row: int | None = None) -> InputRefused:
    return InputRefused(_("The file {name} cannot be read").format(name=name), [Problem(reason, row=row)])


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _plausible_gbk(text: str) -> bool:
    """Chinese text in GBK is mostly GB2312 characters; Latin-1 read as GBK is mostly not."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    in_gb2312 = sum(1 for ch in wide if ch.encode("gb2312", errors="ignore"))
    return in_gb2312 / len(wide) >= MIN_GB2312_SHARE


def decode_text(data: bytes, *, name: str) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (BOM or not) first, then GBK, both strictly."""
    if data.startswith(UTF16_BOMS):
        raise _refuse(_("the file is UTF-16/UTF-32 encoded; save it as 'CSV UTF-8' or as GBK CSV"), name=name)
    if b"\x00" in data:
        raise _refuse(
            _("the file contains NUL bytes (UTF-16 without BOM, or not a text file); save it as 'CSV UTF-8'"),
            name=name,
        )
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode(encoding, errors="strict"), encoding
    except UnicodeDecodeError as not_utf8:
        utf8_error = not_utf8
    try:
        text = data.decode("gbk", errors="strict")
    except UnicodeDecodeError:
        text = None
    if text is not None and _plausible_gbk(text):
        return text, "gbk"
    raise _refuse(
        _(
            "the file is neither UTF-8 nor GBK: byte 0x{byte:02X} on line {line} cannot be read; "
            "save it as 'CSV UTF-8' or as GBK CSV"
        ).format(byte=data[utf8_error.start], line=_line_of(data, utf8_error.start)),
        name=name,
    )


def _trim(cells: Sequence[str]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


def read_csv_text(text: str, *, name: str) -> tuple[tuple[str, ...], list[Numbered[tuple[str, ...]]]]:
    """Header and numbered data rows of CSV text; cells stripped of surrounding blanks."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = [_trim(list(map(str.strip, record))) for record in reader]
    except csv.Error as error:
        raise _refuse(
            _("the CSV is malformed near line {line}: {error}").format(line=reader.line_num, error=error),
            name=name,
        ) from None
    while records and not records[0]:
        records.pop(0)
    if not records:
        raise _refuse(_("the file is empty: the first row must hold the column headers"), name=name)
    return records[0], list(enumerate(records[1:], start=1))


def read_xlsx(path: Path) -> tuple[tuple[str, ...], list[Numbered[tuple[str, ...]]]]:
    """Header and numbered data rows of the first sheet of an .xlsx workbook."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _refuse(
            _("not a readable .xlsx workbook: {error}").format(error=error), name=path.name
        ) from None
    try:
        if not workbook.worksheets:
            raise _refuse(_("the workbook has no sheet"), name=path.name)
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = _trim([cell_text(value) for value in next(rows, ())])
        if not header:
            raise _refuse(_("the file is empty: the first row must hold the column headers"), name=path.name)
        body = [
            (number, _trim([cell_text(value) for value in values]))
            for number, values in enumerate(rows, start=1)
        ]
    finally:
        workbook.close()
    while body and not body[-1][1]:
        body.pop()
    return header, body


def read_archive_file(path: Path) -> ArchiveTable:
    """Read a .csv or .xlsx archive file; refuse, naming the problem, what cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _refuse(
            _("the old .xls format is not supported; save the workbook as .xlsx or 'CSV UTF-8'"),
            name=path.name,
        )
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise _refuse(
            _("unknown file type {suffix}; use .csv or .xlsx").format(suffix=suffix or "-"), name=path.name
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _refuse(
            _("cannot open the file: {error}").format(error=error.strerror), name=path.name
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if suffix in XLSX_SUFFIXES:
        headers, rows = read_xlsx(path)
        return ArchiveTable(path.name, headers, rows, digest, "xlsx")
    text, encoding = decode_text(data, name=path.name)
    headers, rows = read_csv_text(text, name=path.name)
    return ArchiveTable(path.name, headers, rows, digest, encoding)


def write_archive_file(
    path: Path, *, headers: Sequence[str], rows: Iterable[Sequence[str]], sheet: str
) -> int:
    """Write a header and text rows as .csv (UTF-8 with BOM) or .xlsx (all cells text); rows written."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _refuse(
            _("unknown file type {suffix}; use .csv or .xlsx").format(suffix=suffix or "-"), name=path.name
        )
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _refuse(_("cannot write there: {error}").format(error=error.strerror), name=path.name) from None
    os.close(handle)
    try:
        count = (
            _write_csv(Path(temporary), headers, rows)
            if suffix == ".csv"
            else _write_xlsx(Path(temporary), headers, rows, sheet)
        )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _text_cell(worksheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=value)
    cell.data_type = "s"
    return cell


def _write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[str]], sheet: str) -> int:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet)

    def text_cells(values: Sequence[str]) -> list[object]:
        """Every value as a text cell; openpyxl would take one starting with '=' for a formula."""
        return [
            _text_cell(worksheet, value) if value.startswith("=") else (value or None) for value in values
        ]

    worksheet.append(text_cells(headers))
    count = 0
    for row in rows:
        worksheet.append(text_cells(row))
        count += 1
    workbook.save(path)
    return count
