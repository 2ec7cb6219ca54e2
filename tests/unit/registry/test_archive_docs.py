from __future__ import annotations

from pathlib import Path

import pytest

from meter2cash.registry.archive_columns import COLUMNS_BY_KIND

DOCS = Path(__file__).resolve().parents[3] / "docs"


class TestTheArchiveFilesGuide:
    @pytest.mark.parametrize("kind", list(COLUMNS_BY_KIND))
    def test_every_column_is_documented_with_its_key_and_chinese_header(self, kind: str) -> None:
        guide = (DOCS / "archive-files.md").read_text(encoding="utf-8")
        section = guide.split(f"### {kind}\n", 1)[1].split("\n### ", 1)[0]
        for number, column in enumerate(COLUMNS_BY_KIND[kind], start=1):
            assert (
                f"| {number} | `{column.key}` | {column.zh} | {'yes' if column.required else 'no'} |"
                in section
            )

    @pytest.mark.parametrize("kind", list(COLUMNS_BY_KIND))
    def test_each_kind_has_an_example_file_shown_in_the_guide(self, kind: str) -> None:
        example = (DOCS / "examples" / f"{kind}.csv").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        assert example in (DOCS / "archive-files.md").read_text(encoding="utf-8")
