"""Translations. Message ids are English; the zh_CN catalog (Chinese first) is the default.

Catalogs are Babel ``.po`` files under ``meter2cash/locale``, read directly with Babel, so no
compile step is needed. ``M2C_LANG=en`` shows the English ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANG = "zh_CN"
LANGUAGES = ("zh_CN", "en")
_request_lang: ContextVar[str | None] = ContextVar("m2c_lang", default=None)


def catalog_files(lang: str) -> list[Path]:
    """The language's catalogs: ``messages.po`` first, then one per area (e.g. ``web_console.po``)."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


@cache
def translations(lang: str) -> NullTranslations:
    files = catalog_files(lang)
    if lang == "en" or not files:
        return NullTranslations()
    merged: Translations | None = None
    for po_path in files:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(fp=compiled)
        merged = part if merged is None else merged.merge(part)
    assert merged is not None
    return merged


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


def current_lang() -> str:
    """The language of this request (web) or else of the process (``M2C_LANG``)."""
    return _request_lang.get() or os.environ.get("M2C_LANG", DEFAULT_LANG)


@contextmanager
def use_lang(lang: str) -> Iterator[None]:
    """Translate in ``lang`` within this context (one web request), whatever M2C_LANG says."""
    token = _request_lang.set(lang if lang in LANGUAGES else DEFAULT_LANG)
    try:
        yield
    finally:
        _request_lang.reset(token)


def gettext(message: str) -> str:
    return translations(current_lang()).gettext(message)
