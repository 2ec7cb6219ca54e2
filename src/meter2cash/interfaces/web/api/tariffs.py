"""The tariff catalog (电价目录) API: the stored versions, and one version with every price — what
``m2c tariff list`` and ``m2c tariff show`` print. Any staff user may read it (``archive.read``,
as the catalog service checks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from meter2cash.billing.catalog import VersionSummary, get_version, list_versions
from meter2cash.billing.catalog_files import tariff_to_dict
from meter2cash.interfaces.web.api.deps import ArchiveReader, Ctx
from meter2cash.interfaces.web.api.schemas_common import CODE_PATTERN, DayQuery, day_of
from meter2cash.interfaces.web.api.schemas_tariffs import TariffVersionDetailOut, TariffVersionOut

router = APIRouter(prefix="/tariffs", tags=["tariffs"])


def summary_json(summary: VersionSummary) -> dict[str, Any]:
    """A version summary in the shape of ``m2c tariff list --json``."""
    return {
        "version": summary.version,
        "code": summary.code,
        "name": summary.name,
        "category": summary.category,
        "effective_from": summary.effective_from.isoformat(),
        "effective_to": summary.effective_to.isoformat() if summary.effective_to else None,
        "illustrative": summary.illustrative,
        "sha256": summary.sha256,
        "loaded_by": summary.loaded_by,
        "loaded_at": summary.loaded_at,
    }


@router.get("", response_model=list[TariffVersionOut], summary="Tariff versions (电价目录)")
def tariffs(who: ArchiveReader, ctx: Ctx, on: DayQuery = None) -> list[dict[str, Any]]:
    """Every stored version by code and start day; with ``on``, only those in effect that day."""
    return [summary_json(v) for v in list_versions(ctx, actor=who.username, on=day_of(on))]


@router.get("/{code}", response_model=TariffVersionDetailOut, summary="One tariff version")
def tariff(
    who: ArchiveReader,
    ctx: Ctx,
    code: Annotated[
        str, Path(max_length=40, pattern=CODE_PATTERN, description="Catalog code, e.g. MX-RES-1.")
    ],
    on: DayQuery = None,
) -> dict[str, Any]:
    """The version of ``code`` in effect on ``on`` (today, Beijing time, by default); 404 when the
    code is unknown or has no version in effect that day."""
    stored = get_version(ctx, actor=who.username, code=code, on=day_of(on))
    return {**summary_json(stored.summary), "tariff": tariff_to_dict(stored.tariff)}
