"""Errors that carry what a clerk needs to act: each problem names its row, column and reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input. ``row`` counts data rows from 1 (the header is row 0)."""

    reason: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第{self.row}行 row {self.row}")
        if self.column:
            where.append(f"列 column {self.column}")
        shown = f" [{self.value}]" if self.value not in (None, "") else ""
        return f"{', '.join(where)}: {self.reason}{shown}" if where else f"{self.reason}{shown}"


class InputRefused(ValueError):
    """The whole input was refused; nothing was written."""

    def __init__(self, summary: str, problems: list[Problem] | None = None) -> None:
        self.summary = summary
        self.problems = list(problems or [])
        super().__init__(summary)

    def as_dict(self) -> dict[str, object]:
        return {
            "error": "input_refused",
            "summary": self.summary,
            "problems": [
                {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                for p in self.problems
            ],
        }


class NotFound(LookupError):
    pass
