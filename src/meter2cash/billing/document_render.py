"""Rendering the 电费通知单: one Jinja2 template for the screen (HTML) and for paper (PDF, A4).

- `render_html` fills ``templates/bill.html.j2`` with autoescaping on: a customer name such as
  ``<script>`` is shown, never run. Given the CJK font file (`document_fonts.find_cjk_font`), the CSS
  declares it with ``@font-face { src: url(file://…) }``; without it the HTML uses the viewer's
  own Chinese fonts (an HTML file sent elsewhere cannot use this machine's font files anyway).
- `render_pdf` lays the HTML out with WeasyPrint, which embeds a subset of the font (only the
  glyphs used). It fetches nothing but the font files the HTML declares — a font collection is
  cut to its Simplified Chinese face (`document_fonts.font_bytes`) — and refuses to return a PDF
  whose text was not set in that font: a PDF without Chinese glyphs is never produced silently.
- The 12-month usage chart is inline SVG computed here (`usage_chart`), so the PDF has it too.

WeasyPrint and Jinja2 are imported on first use: most commands never render a bill.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from markupsafe import Markup

from meter2cash.billing.document_fonts import FAMILY, CjkFontMissing, font_bytes
from meter2cash.billing.documents import BillDocument, MonthUsage
from meter2cash.billing.power_factor import percent_text
from meter2cash.platform.i18n import gettext as _

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "bill.html.j2"

CHART_WIDTH, CHART_HEIGHT = 416, 144
_CHART_TOP, _CHART_BOTTOM, _CHART_SIDE = 18, 22, 8


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the month, e.g. 7月
    value: str  # whole kWh, or "—" for a month without a determinant
    current: bool  # the bill's own month


@dataclass(frozen=True, slots=True)
class UsageChart:
    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]
    first: str
    last: str


def usage_chart(
    usage: Sequence[MonthUsage], *, width: int = CHART_WIDTH, height: int = CHART_HEIGHT
) -> UsageChart:
    """Bar geometry of the monthly kWh, oldest month on the left, the bill's month last."""
    baseline = float(height - _CHART_BOTTOM)
    room = baseline - _CHART_TOP
    values = [u.kwh for u in usage if u.kwh is not None]
    top = max(values, default=Decimal(0))
    slot = (width - 2 * _CHART_SIDE) / max(len(usage), 1)
    bars = []
    for index, month in enumerate(usage):
        kwh = month.kwh if month.kwh is not None and month.kwh > 0 else Decimal(0)
        bar_height = float(kwh / top) * room if top > 0 else 0.0
        bars.append(
            Bar(
                x=round(_CHART_SIDE + index * slot + slot * 0.18, 2),
                y=round(baseline - bar_height, 2),
                width=round(slot * 0.64, 2),
                height=round(bar_height, 2),
                label=f"{month.month}月",
                value="—" if month.kwh is None else _whole(month.kwh),
                current=index == len(usage) - 1,
            )
        )
    return UsageChart(
        width=width,
        height=height,
        baseline=baseline,
        bars=tuple(bars),
        first=usage[0].period if usage else "",
        last=usage[-1].period if usage else "",
    )


def render_html(document: BillDocument, *, font: Path | None = None) -> str:
    """The bill as one HTML page (A4 print CSS included); with a ``font`` file, the CSS declares it."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            d=document,
            chart=usage_chart(document.usage),
            font_url=Markup(_file_url(font)) if font else None,
            family=FAMILY,
        )
    )


def render_pdf(html: str, *, renderer: PdfRenderer | None = None) -> bytes:
    """The PDF of a bill's HTML (from `render_html` with a font), with its CJK font embedded."""
    return (renderer or PdfRenderer()).render(html)


class PdfRenderer:
    """Renders many bills with one WeasyPrint font configuration (the font is loaded once)."""

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        for name in ("weasyprint", "fontTools"):  # their warnings about CSS we do not use
            logging.getLogger(name).setLevel(logging.ERROR)
        self._fonts = FontConfiguration()

    def render(self, html: str) -> bytes:
        from weasyprint import HTML

        fetcher = _FontFetcher()
        document = HTML(string=html, url_fetcher=fetcher).render(font_config=self._fonts)
        pdf: bytes = document.write_pdf()
        if fetcher.failed:
            raise CjkFontMissing(
                _("The CJK font could not be loaded ({reason}): no PDF was made.").format(
                    reason="; ".join(fetcher.failed)
                )
            )
        families = {getattr(font, "family", "") for font in document.fonts.values()}
        if FAMILY not in families:
            raise CjkFontMissing(_("The bill's text was not set in the embedded CJK font: no PDF was made."))
        return pdf


class _FontFetcher:
    """WeasyPrint's URL fetcher for a bill: the declared font files, and nothing else."""

    _fail_on_errors = False  # read by weasyprint.urls.fetch

    def __init__(self) -> None:
        self.failed: list[str] = []

    def __call__(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        if not url.startswith("file://"):
            raise ValueError(f"a bill document fetches no {url}")
        path = Path(_unquote_file_url(url))
        try:
            data = font_bytes(path)
        except (OSError, ValueError) as error:
            self.failed.append(f"{path}: {error}")
            raise
        return URLFetcherResponse(url, data)


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=_money,
        percent=_percent,
        css_string=_css_string,
        kwh=_kwh,
        reading=_reading,
        quantity=_quantity,
        day=_day,
        month=_month,
        whole=_whole,
    )
    return env


def _file_url(path: Path) -> str:
    return "file://" + quote(str(path.resolve()), safe="/")


def _unquote_file_url(url: str) -> str:
    return unquote(url.removeprefix("file://"))


def _css_string(text: str) -> Markup:
    """A CSS string literal of ``text``: quotes, backslashes, ``<`` and controls as CSS escapes."""
    escaped = "".join(f"\\{ord(c):x} " if c in "\"'\\<>&" or ord(c) < 32 else c for c in text)
    return Markup(f'"{escaped}"')


def _percent(percent: Decimal) -> str:
    """The 力调 percentage as the bill lines write it: ``+5.0%``, ``-0.75%``, ``0.0%``."""
    return ("+" if percent > 0 else "") + percent_text(percent) + "%"


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def _kwh(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def _reading(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:f}"


def _quantity(line: Any) -> str:
    if line.unit == "元":
        return _money(line.quantity)
    return _kwh(line.quantity)


def _whole(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"


def _day(value: date | None) -> str:
    return "—" if value is None else f"{value.year}年{value.month}月{value.day}日"


def _month(period: str) -> str:
    return f"{period[:4]}年{int(period[5:7])}月"
