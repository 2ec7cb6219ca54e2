"""Dependencies the API routes share: the application context, and the principal allowed an
action (``web.auth.requires``, the same `Action` the services check again)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.platform.context import AppContext
from meter2cash.platform.permissions import Action

Ctx = Annotated[AppContext, Depends(app_context)]
ArchiveReader = Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))]
BillReader = Annotated[Principal, Depends(requires(Action.BILL_READ))]
