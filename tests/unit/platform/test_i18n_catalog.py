"""Every user-facing message in the code has a Chinese translation in the zh_CN catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import meter2cash
from meter2cash.platform.i18n import catalog_files, translations

SOURCE = Path(meter2cash.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def _msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        if isinstance(message, str) and message:
            found.add(message)
    return found


class TestTheChineseCatalog:
    def test_every_message_in_the_code_is_translated_to_chinese(self) -> None:
        translated: set[str] = set()
        for path in catalog_files("zh_CN"):
            with path.open("rb") as handle:
                translated |= {m.id for m in read_po(handle, locale="zh_CN") if m.id and m.string}
        missing = sorted(_msgids() - translated)
        assert missing == [], f"{len(missing)} messages lack a zh_CN translation: {missing[:20]}"

    def test_chinese_is_the_default_and_english_is_the_message_id(self) -> None:
        assert translations("zh_CN").gettext("Wrong username or password.") != "Wrong username or password."
        assert translations("en").gettext("Wrong username or password.") == "Wrong username or password."
