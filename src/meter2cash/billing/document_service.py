"""Writing bill documents (电费通知单) for one account or a whole route book: PDF and/or HTML.

The bills are read in one short transaction, rendered outside it (a route book's PDFs take
minutes, and a SQLite write lock must not be held meanwhile) into a staging folder inside the
output folder, and moved into place in the transaction that writes the batch's one audit record
(``bill.document``: period, scope, formats, the bills and a SHA-256 over the files' names and
digests); when that transaction fails the moved files are removed again, so the documents appear
together with their audit record or not at all. A file of the same name is replaced.

A file is named by the bill number, or ``<account no>_<period>`` before the bill is issued.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from meter2cash.billing.bill_model import Bill
from meter2cash.billing.document_fonts import find_cjk_font
from meter2cash.billing.document_render import PdfRenderer, render_html, render_pdf
from meter2cash.billing.documents import BillDocument, Letterhead, load_document
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account

FORMATS = ("pdf", "html")

Progress = Callable[[int, int], None]


@dataclass
class DocumentReport:
    period: str
    scope: str  # "account:<no>", "route_book:<code>" or "*"
    out_dir: Path
    bills: int = 0
    files: list[Path] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "scope": self.scope,
            "out_dir": str(self.out_dir),
            "bills": self.bills,
            "files": [str(f) for f in self.files],
        }


def write_documents(
    ctx: AppContext,
    *,
    actor: str | None,
    period: str,
    route_book: str | None = None,
    account_no: str | None = None,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    progress: Progress | None = None,
) -> DocumentReport:
    """Write the period's bill documents of one account, one route book, or (neither) all bills."""
    wanted = _check(period=period, route_book=route_book, account_no=account_no, formats=formats)
    font = find_cjk_font(ctx.settings) if "pdf" in wanted else None  # no font: refused before any work
    scope = f"account:{account_no}" if account_no else f"route_book:{route_book}" if route_book else "*"
    letterhead = Letterhead.from_settings(ctx.settings)
    printed_on = business_date(ctx.clock.now())
    with use_case(ctx, actor=actor, action=Action.BILL_DOCUMENT) as (session, _who):
        query = (
            select(Bill.id)
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.period == period, Bill.kind == "regular")
            .order_by(Account.account_no)
        )
        if account_no is not None:
            query = query.where(Account.account_no == account_no)
        if route_book is not None:
            query = query.where(Account.route_book_id == route_books(session, route_book)[0].id)
        bill_ids = list(session.scalars(query))
        if not bill_ids:
            raise NotFound(_no_bills(period=period, route_book=route_book, account_no=account_no))
        documents = [
            load_document(session, bill_id=b, letterhead=letterhead, printed_on=printed_on) for b in bill_ids
        ]
    out_dir.mkdir(parents=True, exist_ok=True)
    report = DocumentReport(period=period, scope=scope, out_dir=out_dir, bills=len(documents))
    staging = Path(tempfile.mkdtemp(prefix=".m2c-documents-", dir=out_dir))
    try:
        staged = _render_all(documents, staging=staging, formats=wanted, font=font, progress=progress)
        try:
            with use_case(ctx, actor=actor, action=Action.BILL_DOCUMENT) as (session, who):
                record_audit(
                    session,
                    at=ctx.clock.now(),
                    actor=who.username,
                    action="bill.document",
                    object_type="bill_document",
                    object_id=f"{period}/{scope}",
                    after={
                        "period": period,
                        "scope": scope,
                        "formats": list(wanted),
                        "bills": len(documents),
                        "bill_ids": [d.bill_id for d in documents],
                        "files": len(staged),
                        "sha256": _manifest_digest(staged),
                    },
                )
                for path in staged:
                    target = out_dir / path.name
                    os.replace(path, target)
                    report.files.append(target)
        except BaseException:
            for target in report.files:  # the audit record did not commit: neither do the files
                target.unlink(missing_ok=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _render_all(
    documents: Sequence[BillDocument],
    *,
    staging: Path,
    formats: tuple[str, ...],
    font: Path | None,
    progress: Progress | None,
) -> list[Path]:
    renderer = PdfRenderer() if font is not None else None
    staged: list[Path] = []
    if progress:
        progress(0, len(documents))
    for done, document in enumerate(documents, start=1):
        if "pdf" in formats and font is not None:
            path = staging / f"{document.file_stem}.pdf"
            path.write_bytes(render_pdf(render_html(document, font=font), renderer=renderer))
            staged.append(path)
        if "html" in formats:
            path = staging / f"{document.file_stem}.html"
            path.write_text(render_html(document), encoding="utf-8")
            staged.append(path)
        if progress:
            progress(done, len(documents))
    return staged


def _manifest_digest(paths: Sequence[Path]) -> str:
    """SHA-256 over "name digest" lines of every file, in name order: what exactly was written."""
    lines = sorted(f"{p.name} {hashlib.sha256(p.read_bytes()).hexdigest()}\n" for p in paths)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _check(
    *, period: str, route_book: str | None, account_no: str | None, formats: Sequence[str]
) -> tuple[str, ...]:
    problems = []
    try:
        year, month = period.split("-")
        date(int(year), int(month), 1)
        if len(period) != 7:
            raise ValueError(period)
    except ValueError:
        problems.append(Problem(_("the period must be YYYY-MM"), column="period", value=period))
    if route_book is not None and account_no is not None:
        problems.append(Problem(_("give an account or a route book, not both"), column="scope"))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        problems.append(
            Problem(_("the format must be pdf, html or both"), column="format", value=",".join(formats))
        )
    if problems:
        raise InputRefused(_("The bill documents were not written"), problems)
    return tuple(f for f in FORMATS if f in formats)


def _no_bills(*, period: str, route_book: str | None, account_no: str | None) -> str:
    if account_no is not None:
        return _("No bill for account {account} in {period}").format(account=account_no, period=period)
    if route_book is not None:
        return _("No bills of route book {book} in {period}").format(book=route_book, period=period)
    return _("No bills in {period}").format(period=period)
