"""``m2c demo --fresh``: start again from an empty data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

from meter2cash.demo.files import demo_dir
from meter2cash.platform.context import AppContext
from meter2cash.platform.i18n import gettext as _


class FreshRefused(Exception):
    """``--fresh`` only deletes a SQLite database that lives in the data directory."""


def reset_demo(ctx: AppContext) -> list[Path]:
    """Delete the SQLite database and the demo directory of the data directory (``--fresh``).

    Refused unless the database is a SQLite file inside the data directory: a demo never
    deletes a database it did not make.
    """
    url = ctx.engine.url
    data_dir = ctx.settings.data_dir.resolve()
    database = Path(url.database).resolve() if url.database else None
    if url.get_backend_name() != "sqlite" or database is None or not database.is_relative_to(data_dir):
        raise FreshRefused(
            _(
                "--fresh only deletes a SQLite database inside the data directory {directory}; "
                "this database is {url}."
            ).format(directory=data_dir, url=url.render_as_string(hide_password=True))
        )
    ctx.engine.dispose()
    removed = []
    for path in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm", "-journal"))):
        if path.exists():
            path.unlink()
            removed.append(path)
    directory = demo_dir(ctx.settings.data_dir)
    if directory.exists():
        shutil.rmtree(directory)
        removed.append(directory)
    return removed
