"""The bill PDF draws its Chinese: the CJK font is embedded (a subset of the Simplified Chinese face)
and pdfium — which uses no system font for an embedded one — renders the glyphs, not only the
digits. Without the font file no PDF is made.

These tests need the font file (Debian ``fonts-noto-cjk``; ``.ci/run`` installs it) and are
skipped, saying so, only where it is absent."""

from __future__ import annotations

import ctypes
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from bill_document_samples import sample_document
from meter2cash.billing.document_fonts import (
    FONT_CANDIDATES,
    CjkFontMissing,
    collection_offsets,
    face_from_collection,
    find_cjk_font,
    font_bytes,
    simplified_chinese_face,
)
from meter2cash.billing.document_render import PdfRenderer, render_html, render_pdf
from meter2cash.platform.settings import Settings

FONT = next((p for p in FONT_CANDIDATES if p.is_file()), None)
pytestmark = pytest.mark.skipif(
    FONT is None,
    reason="no Noto Sans CJK font file (apt-get install fonts-noto-cjk; .ci/run installs it)",
)
pdfium = pytest.importorskip("pypdfium2")
pdfium_raw = pytest.importorskip("pypdfium2.raw")

TITLE = "电费通知单"
MAX_BYTES_PER_PAGE = 400_000


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer()


@pytest.fixture(scope="module")
def font() -> Path:
    return find_cjk_font(Settings())


@pytest.fixture(scope="module")
def bill_pdf(renderer: PdfRenderer, font: Path) -> bytes:
    return render_pdf(render_html(sample_document(), font=font), renderer=renderer)


@pytest.fixture
def opened(bill_pdf: bytes) -> Iterator[object]:
    document = pdfium.PdfDocument(bill_pdf)
    yield document
    document.close()


def grey(pdf: bytes, *, scale: float = 2.0) -> np.ndarray:
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=scale, grayscale=True).to_pil().convert("L")
        return np.asarray(image, dtype=np.int16)
    finally:
        document.close()


def title_box(pdf: bytes, *, scale: float = 2.0) -> tuple[int, int, int, int]:
    """The pixel box (left, top, right, bottom) of the title's characters on page 1."""
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage()
        found = text.search(TITLE).get_next()
        assert found is not None, "the title is not in the page's text"
        first = found[0]
        boxes = [text.get_charbox(first + i) for i in range(found[1])]
        height = page.get_height()
    finally:
        document.close()
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
    return (
        int(left * scale),
        int((height - top) * scale),
        int(right * scale) + 1,
        int((height - bottom) * scale) + 1,
    )


def embedded_fonts(document: object) -> dict[str, tuple[bool, bytes]]:
    """Every font a text object of page 1 uses: base name → (embedded?, font program)."""
    page = document[0]  # type: ignore[index]
    found: dict[str, tuple[bool, bytes]] = {}
    for obj in page.get_objects(max_depth=8):
        if obj.type != pdfium_raw.FPDF_PAGEOBJ_TEXT:
            continue
        handle = pdfium_raw.FPDFTextObj_GetFont(obj.raw)
        size = pdfium_raw.FPDFFont_GetBaseFontName(handle, None, 0)
        name = ctypes.create_string_buffer(size)
        pdfium_raw.FPDFFont_GetBaseFontName(handle, name, size)
        length = ctypes.c_size_t()
        pdfium_raw.FPDFFont_GetFontData(handle, None, 0, ctypes.byref(length))
        data = (ctypes.c_uint8 * length.value)()
        pdfium_raw.FPDFFont_GetFontData(handle, data, length.value, ctypes.byref(length))
        found[name.value.decode()] = (bool(pdfium_raw.FPDFFont_GetIsEmbedded(handle)), bytes(data))
    return found


class TestTheChineseIsDrawn:
    def test_the_title_is_ink_on_the_page_not_an_empty_space(self, renderer: PdfRenderer, font: Path) -> None:
        """The same page with the title replaced by ideographic spaces: only the title's box differs,
        and it differs by the ink of five glyphs."""
        titled = render_pdf(render_html(sample_document(), font=font), renderer=renderer)
        html = render_html(sample_document(), font=font).replace(f"<h1>{TITLE}</h1>", "<h1>　　　　　</h1>")
        blank = render_pdf(html, renderer=renderer)
        left, top, right, bottom = title_box(titled)
        with_title = grey(titled)[top:bottom, left:right]
        without = grey(blank)[top:bottom, left:right]
        ink, none = np.count_nonzero(with_title < 128), np.count_nonzero(without < 128)
        assert none == 0 and ink > 0.08 * with_title.size, (ink, none, with_title.size)

    def test_every_font_is_embedded_and_the_cjk_one_holds_the_title_glyphs(self, opened: object) -> None:
        fonts = embedded_fonts(opened)
        assert fonts and all(embedded for embedded, _ in fonts.values()), fonts.keys()
        (name,) = [n for n in fonts if re.fullmatch(r"[A-Z]{6}\+M2C-CJK", n)]
        program = TTFont(io.BytesIO(fonts[name][1]))
        assert program["name"].getDebugName(6) == "NotoSansCJKsc-Regular"  # the mainland face, not JP
        cmap = program.getBestCmap()
        glyphs = program.getGlyphSet()
        for char in TITLE + "户号应缴金额缴费截止日期":
            pen = BoundsPen(glyphs)
            glyphs[cmap[ord(char)]].draw(pen)
            assert pen.bounds is not None, f"{char} has no outline in the embedded font"

    def test_a_subset_is_embedded_not_the_whole_font(self, opened: object) -> None:
        (program,) = [data for name, (_, data) in embedded_fonts(opened).items() if "M2C-CJK" in name]
        assert len(program) < 2_000_000  # the face is 16 MB
        assert len(TTFont(io.BytesIO(program)).getBestCmap()) < 600

    def test_the_text_can_be_searched_and_copied(self, opened: object) -> None:
        text = opened[0].get_textpage().get_text_range()  # type: ignore[index]
        assert "电费通知单" in text.replace(" ", "") and "张三" in text and "145.80" in text


class TestSizeAndTime:
    def test_one_page_of_less_than_400_kb(self, bill_pdf: bytes, opened: object) -> None:
        pages = len(opened)  # type: ignore[arg-type]
        assert pages == 1
        assert len(bill_pdf) / pages < MAX_BYTES_PER_PAGE

    def test_a_long_bill_flows_onto_a_second_page(self, renderer: PdfRenderer, font: Path) -> None:
        document = sample_document()
        lines = document.lines * 8
        long = sample_document(lines=lines)
        pdf = render_pdf(render_html(long, font=font), renderer=renderer)
        reader = pdfium.PdfDocument(pdf)
        try:
            pages = len(reader)
            last = reader[pages - 1].get_textpage().get_text_range()
        finally:
            reader.close()
        assert pages >= 2 and "缴费说明" in last.replace(" ", "")
        assert len(pdf) / pages < MAX_BYTES_PER_PAGE

    def test_a_bill_renders_in_a_few_seconds(self, renderer: PdfRenderer, font: Path) -> None:
        html = render_html(sample_document(), font=font)
        started = time.perf_counter()
        render_pdf(html, renderer=renderer)
        assert time.perf_counter() - started < 10


class TestWithoutTheFontNoPdf:
    def test_a_configured_font_that_does_not_exist_is_refused_by_name(self, tmp_path: Path) -> None:
        missing = tmp_path / "NoSuchFont.otf"
        with pytest.raises(CjkFontMissing, match=r"NoSuchFont\.otf"):
            find_cjk_font(Settings(cjk_font=missing))

    def test_html_without_the_font_is_not_turned_into_a_pdf(self, renderer: PdfRenderer) -> None:
        with pytest.raises(CjkFontMissing):
            render_pdf(render_html(sample_document()), renderer=renderer)

    def test_a_font_file_that_vanished_after_the_html_was_made(
        self, renderer: PdfRenderer, tmp_path: Path
    ) -> None:
        html = render_html(sample_document(), font=tmp_path / "gone.ttc")
        with pytest.raises(CjkFontMissing):
            render_pdf(html, renderer=renderer)

    def test_no_other_url_is_fetched(self, renderer: PdfRenderer, font: Path) -> None:
        html = render_html(sample_document(), font=font).replace(
            "</body>", '<img src="http://127.0.0.1:9/x.png"></body>'
        )
        assert render_pdf(html, renderer=renderer).startswith(b"%PDF")  # the image is skipped, not fetched


class TestTheFontCollection:
    def test_the_simplified_chinese_face_is_cut_out_of_the_collection(self, font: Path) -> None:
        if font.suffix.lower() != ".ttc":
            pytest.skip("the configured font is not a collection")
        data = font.read_bytes()
        index = simplified_chinese_face(data)
        assert len(collection_offsets(data)) > 1
        face = TTFont(io.BytesIO(face_from_collection(data, index=index)), checkChecksums=1)
        assert face["name"].getDebugName(6) == "NotoSansCJKsc-Regular"
        assert TTFont(io.BytesIO(font_bytes(font)))["name"].getDebugName(1) == "Noto Sans CJK SC"
