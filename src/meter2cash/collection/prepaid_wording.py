"""Prepaid decisions, reading issues, vend problems and card-meter exceptions in words: the
translating edge of the pure prepaid modules (it reads the message catalog, so it is not pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.i18n import translations


class Worded(Protocol):
    """Anything with an English message id and its parameters."""

    @property
    def template(self) -> str: ...

    @property
    def params(self) -> Mapping[str, str]: ...


def explain(item: Worded) -> str:
    """The reason in the user's language (zh_CN first), filled in."""
    return _(item.template).format(**item.params)


def bilingual(item: Worded) -> str:
    """``中文 English``: the reason as stored for revenue protection (稽查) and in the audit trail."""
    chinese = translations("zh_CN").gettext(item.template).format(**item.params)
    english = item.template.format(**item.params)
    return english if chinese == english else f"{chinese} {english}"
