"""Shared CLI plumbing: the context, the acting user, JSON output and meaningful exit codes.

Exit codes: 0 done; 1 unexpected error; 2 wrong usage; 3 input refused (nothing written);
4 unknown user or permission denied; 5 integrity problem (e.g. the audit chain is broken);
6 not found.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from meter2cash.interfaces.bootstrap import default_context
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.users import PermissionDenied, UnknownUser

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 3
EXIT_DENIED = 4
EXIT_INTEGRITY = 5
EXIT_NOT_FOUND = 6

console = Console()
err_console = Console(stderr=True)

AsUser = typer.Option(None, "--as", envvar="M2C_USER", help="Staff user to act as (or M2C_USER).")
JsonFlag = typer.Option(False, "--json", help="Print machine-readable JSON.")


def context() -> AppContext:
    return default_context()


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def cli_errors(*, as_json: bool = False) -> Iterator[None]:
    """Turn domain errors into a clear message and an exit code; never a stack trace."""
    try:
        yield
    except InputRefused as refused:
        if as_json:
            print_json(refused.as_dict())
        else:
            err_console.print(f"[bold red]拒绝 Refused:[/] {refused.summary}")
            for problem in refused.problems[:200]:
                err_console.print(f"  - {problem.describe()}", markup=False)
            if len(refused.problems) > 200:
                err_console.print(f"  … {len(refused.problems) - 200} more")
            err_console.print("没有写入任何数据 Nothing was written.")
        raise typer.Exit(EXIT_REFUSED) from None
    except (PermissionDenied, UnknownUser) as denied:
        _fail(as_json, "denied", str(denied), EXIT_DENIED)
    except NotFound as missing:
        _fail(as_json, "not_found", str(missing), EXIT_NOT_FOUND)


def _fail(as_json: bool, kind: str, message: str, code: int) -> None:
    if as_json:
        print_json({"error": kind, "message": message})
    else:
        err_console.print(f"[bold red]{message}[/]", highlight=False)
    raise typer.Exit(code)


@contextmanager
def progress_bar(description: str, *, hidden: bool = False) -> Iterator[Callable[[int, int], None] | None]:
    """A transient progress bar on stderr for a long command; yields the ``(done, total)``
    callback to hand to the use case, or None when ``hidden`` (``--json`` output stays clean)."""
    if hidden:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        bar = progress.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        yield advance
