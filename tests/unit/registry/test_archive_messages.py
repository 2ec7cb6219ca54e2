from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from meter2cash.platform.i18n import LOCALE_DIR
from meter2cash.registry import archive_rules as rules

SOURCES = Path(__file__).resolve().parents[3] / "src" / "meter2cash"
MODULES = [
    "registry/archive_rules.py",
    "registry/archive_files.py",
    "registry/archive_import.py",
    "registry/archive_export.py",
    "registry/archive_store.py",
    "registry/archive_write.py",
    "interfaces/cli/archive_commands.py",
]


def _message_ids(module: str) -> list[str]:
    tree = ast.parse((SOURCES / module).read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    ]


class TestArchiveMessagesAreChineseFirst:
    @pytest.mark.parametrize("module", MODULES)
    def test_every_message_has_a_chinese_translation(self, module: str) -> None:
        with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
        missing = [m for m in _message_ids(module) if not (catalog.get(m) and catalog.get(m).string)]
        assert missing == []

    def test_a_problem_reads_in_chinese_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("M2C_LANG", raising=False)
        with pytest.raises(rules.BadValue, match="不是有效的日历日期"):
            rules.parse_date("2024-02-30")
