"""Translations. Message ids are English; the zh_CN catalog (Chinese first) is the default.

Catalogs are Babel ``.po`` files under ``meter2cash/locale``, read directly with Babel, so no
compile step is needed. ``M2C_LANG=en`` shows the English ids.
"""

from __future__ import annotations

import os
from functools import cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANG = "zh_CN"


@cache
def translations(lang: str) -> NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def current_lang() -> str:
    return os.environ.get("M2C_LANG", DEFAULT_LANG)


def gettext(message: str) -> str:
    return translations(current_lang()).gettext(message)
