"""The CJK font a bill PDF embeds (电费通知单 字体).

A PDF that only *names* a Chinese font (ReportLab's ``STSong-Light``, a CID font the viewer is
expected to have) shows nothing but the digits in a viewer without Asian fonts. So the bill PDF
embeds a subset of a real font file: Noto Sans CJK SC by default (Debian ``fonts-noto-cjk``).

- The file is found explicitly — ``M2C_CJK_FONT``, or the first of the usual Noto Sans CJK
  locations that exists — and handed to WeasyPrint by its path, so the result does not depend on
  what fontconfig happens to know. No file: :class:`CjkFontMissing`, never a PDF without Chinese.
- A font *collection* (``.ttc``: Noto's holds the JP, KR, SC, TC and HK faces, JP first) is cut
  down to its Simplified Chinese face here, table by table without parsing the glyphs, so the bill
  shows the mainland glyph forms (骨, 直 differ between JP and SC).
- One weight is embedded (regular): a second (bold) would add about 110 KB to every bill, since a
  subset keeps the glyph numbering of a font of 65,535 glyphs. The bill's emphasis is size and
  colour.
"""

from __future__ import annotations

import math
import re
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.settings import Settings

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # Debian, Ubuntu: fonts-noto-cjk
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),  # Fedora
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),  # Arch
)
FAMILY = "M2C CJK"  # the family name the template's @font-face gives the embedded font

_SC_FACE = re.compile(r"(CJKsc|CJK SC|Sans SC|Serif SC|SansSC|SerifSC|SC$)")
_POSTSCRIPT_NAME, _FAMILY_NAME = 6, 1
ENGLISH_US = 0x409


class CjkFontMissing(NotFound):
    """No CJK font file to embed: a bill PDF would show no Chinese, so none is made."""


class NotAFont(ValueError):
    pass


def find_cjk_font(settings: Settings) -> Path:
    """The configured font file, or the first usual one that exists; refused clearly when none is."""
    configured = settings.cjk_font
    for path in (configured,) if configured is not None else FONT_CANDIDATES:
        if path.is_file():
            return path.resolve()
    if configured is not None:
        raise CjkFontMissing(
            _(
                "The CJK font file {path} (M2C_CJK_FONT) does not exist: a bill PDF without it would "
                "show no Chinese text, so none was made."
            ).format(path=configured)
        )
    raise CjkFontMissing(
        _(
            "No CJK font to embed in bill PDFs: install Noto Sans CJK (Debian: apt-get install "
            "fonts-noto-cjk) or set M2C_CJK_FONT to a .otf/.ttf/.ttc file. Looked in: {paths}"
        ).format(paths=", ".join(str(p) for p in FONT_CANDIDATES))
    )


def font_bytes(path: Path) -> bytes:
    """The font file's bytes; for a collection, one font made of its Simplified Chinese face."""
    stat = path.stat()
    return _font_bytes(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _font_bytes(path: str, _mtime_ns: int, _size: int) -> bytes:
    data = Path(path).read_bytes()
    if data[:4] != b"ttcf":
        return data
    return face_from_collection(data, index=simplified_chinese_face(data))


def collection_offsets(data: bytes) -> list[int]:
    """Where each face's table directory starts in a TrueType/OpenType collection."""
    if len(data) < 12 or data[:4] != b"ttcf":
        raise NotAFont("not a font collection")
    (count,) = struct.unpack_from(">I", data, 8)
    return list(struct.unpack_from(f">{count}I", data, 12))


def simplified_chinese_face(data: bytes) -> int:
    """The index of the collection's Simplified Chinese face (not the monospaced one); 0 if none."""
    for index, offset in enumerate(collection_offsets(data)):
        names = _names(data, offset)
        postscript = names.get(_POSTSCRIPT_NAME, "")
        family = names.get(_FAMILY_NAME, "")
        if "Mono" in postscript or "Mono" in family:
            continue
        if _SC_FACE.search(postscript) or _SC_FACE.search(family):
            return index
    return 0


def face_from_collection(data: bytes, *, index: int) -> bytes:
    """A stand-alone sfnt font of face ``index`` of a collection: its tables copied as they are."""
    offset = collection_offsets(data)[index]
    version, tables = _tables(data, offset)
    count = len(tables)
    selector = int(math.log2(count))
    search_range = (2**selector) * 16
    header = struct.pack(">IHHHH", version, count, search_range, selector, count * 16 - search_range)
    position = 12 + 16 * count
    records, blobs = [], []
    head_at: int | None = None
    for tag in sorted(tables):
        checksum, start, length = tables[tag]
        blob = data[start : start + length]
        if tag == b"head":  # checksumAdjustment is set below, over the new file
            blob, head_at = blob[:8] + b"\0\0\0\0" + blob[12:], position
        records.append(struct.pack(">4sIII", tag, checksum, position, length))
        padding = b"\0" * (-length % 4)
        blobs.append(blob + padding)
        position += length + len(padding)
    font = bytearray(header + b"".join(records) + b"".join(blobs))
    if head_at is not None:
        total = int(np.frombuffer(font, dtype=">u4").sum(dtype=np.uint64)) & 0xFFFFFFFF
        struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - total) & 0xFFFFFFFF)
    return bytes(font)


def _tables(data: bytes, offset: int) -> tuple[int, dict[bytes, tuple[int, int, int]]]:
    version, count = struct.unpack_from(">IH", data, offset)
    tables = {}
    for i in range(count):
        tag, checksum, start, length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * i)
        if start + length > len(data):
            raise NotAFont(f"table {tag!r} lies outside the file")
        tables[tag] = (checksum, start, length)
    return version, tables


def _names(data: bytes, offset: int) -> dict[int, str]:
    """The name table's strings by name id (Windows Unicode first, then Mac Roman)."""
    _version, tables = _tables(data, offset)
    if b"name" not in tables:
        return {}
    _checksum, start, _length = tables[b"name"]
    _format, count, strings = struct.unpack_from(">HHH", data, start)
    windows: dict[int, str] = {}
    mac: dict[int, str] = {}
    for i in range(count):
        platform, _encoding, language, name_id, length, at = struct.unpack_from(
            ">6H", data, start + 6 + 12 * i
        )
        raw = data[start + strings + at : start + strings + at + length]
        if platform == 3 and (language == ENGLISH_US or name_id not in windows):
            windows[name_id] = raw.decode("utf-16-be", "replace")
        elif platform == 1:
            mac.setdefault(name_id, raw.decode("latin-1"))
    return {**mac, **windows}
