"""Build the demo bureau (``m2c demo``): the use case.

1. Bring the schema up to date and make sure the demo users exist (admin first).
2. If ``<data_dir>/demo/manifest.json`` describes this very bureau and the archive holds it,
   stop: the bureau already exists. A manifest of a *different* bureau is refused (use
   ``--fresh``).
3. Otherwise generate it (pure, from the seed), write its files, import the archive through the
   archive import service (route books, areas, accounts, energy splits — each import is
   idempotent), apply the planted meter replacements through the registry service, record one
   ``demo.build`` audit entry, and write the manifest last.

The steps run in their own units of work (the import service owns its transactions), but every
step can be repeated without duplicating anything, so a build that stopped halfway is finished by
running it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import cast

from sqlalchemy import func, select

from meter2cash.demo import steps
from meter2cash.demo.files import DATA_FILES, MANIFEST, demo_dir, read_json
from meter2cash.demo.generate import ARCHIVE_KINDS, generate
from meter2cash.demo.output import WRITE_STEPS, write_files, write_manifest
from meter2cash.demo.replacements import apply_replacements
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.steps import Progress, Silent
from meter2cash.demo.users import ADMIN, DEMO_USERS, ensure_demo_users
from meter2cash.platform import migrate
from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.archive_import import import_archive_rows
from meter2cash.registry.model import Account


class OtherDemoExists(Exception):
    """The data directory holds a demo bureau built from another spec."""


@dataclass(frozen=True)
class DemoOutcome:
    already_existed: bool
    summary: dict[str, object]
    directory: Path
    users_created: list[str] = field(default_factory=list)
    imported: dict[str, dict[str, int]] = field(default_factory=dict)
    replacements: int = 0

    @property
    def files(self) -> list[Path]:
        return [self.directory / name for name in DATA_FILES]

    @property
    def users(self) -> list[tuple[str, str, str]]:
        """(username, role, password) of every demo user."""
        return [(u.username, u.role.value, u.password) for u in DEMO_USERS]


def build_demo(
    ctx: AppContext, *, spec: DemoSpec, actor: str = ADMIN, progress: Progress | None = None
) -> DemoOutcome:
    report = progress or Silent()
    migrate.upgrade(ctx.engine)
    created_users = ensure_demo_users(ctx, actor=actor)
    with use_case(ctx, actor=actor, action=Action.DEMO_BUILD):
        pass  # refuse a user who may not build the demo before doing any work
    directory = demo_dir(ctx.settings.data_dir)
    existing = _existing_summary(ctx, spec, directory)
    if existing is not None:
        return DemoOutcome(True, existing, directory, created_users)

    report.start(steps.GENERATE, None)
    demo = generate(spec)
    summary = demo.counts()
    report.update(steps.GENERATE, 1)
    report.start(steps.FILES, WRITE_STEPS)
    written = iter(range(1, WRITE_STEPS + 1))
    write_files(demo, directory, advance=lambda: report.update(steps.FILES, next(written)))
    imported = {}
    for kind in ARCHIVE_KINDS:
        rows = demo.rows[kind]
        if not rows:  # a tiny bureau may have no 定量定比 splits; an empty file is not imported
            continue
        report.start(kind, len(rows))
        result = import_archive_rows(
            ctx,
            actor=actor,
            kind=kind,
            rows=rows,
            source_name=f"demo/{kind}.csv",
            progress=partial(report.update, kind),
        )
        report.update(kind, len(rows))
        imported[kind] = dict(result.created)
    replaced = apply_replacements(ctx, demo, actor=actor, progress=report)
    changed = replaced > 0 or any(sum(created.values()) for created in imported.values())
    with use_case(ctx, actor=actor, action=Action.DEMO_BUILD) as (session, who):
        if changed:
            record_audit(
                session,
                at=ctx.clock.now(),
                actor=who.username,
                action="demo.build",
                object_type="demo",
                object_id=str(spec.seed),
                after={
                    "accounts": spec.accounts,
                    "seed": spec.seed,
                    "until": spec.until,
                    "months": spec.months,
                    "replacements": replaced,
                },
                reason="demo bureau",
            )
    summary["account_numbers"] = [demo.bureau.accounts.account_no[0], demo.bureau.accounts.account_no[-1]]
    write_manifest(demo, directory, summary)
    return DemoOutcome(False, summary, directory, created_users, imported, replaced)


def _existing_summary(ctx: AppContext, spec: DemoSpec, directory: Path) -> dict[str, object] | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    manifest = read_json(path)
    if manifest.get("identity") != spec.identity():
        built = manifest.get("identity", {})
        raise OtherDemoExists(
            _(
                "{directory} holds another demo bureau ({accounts} accounts, seed {seed}); "
                "run with --fresh to replace it."
            ).format(directory=directory, accounts=built.get("accounts"), seed=built.get("seed"))
        )
    summary: dict[str, object] = manifest["summary"]
    numbers = [str(n) for n in cast(list[object], summary.get("account_numbers", []))]
    with ctx.sessions() as session:
        found = session.scalar(
            select(func.count()).select_from(Account).where(Account.account_no.in_(numbers))
        )
    return summary if numbers and found == len(numbers) else None
