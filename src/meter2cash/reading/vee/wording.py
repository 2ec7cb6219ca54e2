"""Finding reasons and code titles in the user's language (zh_CN first). The translating edge of
the pure checks: it reads the message catalog, so it is not pure itself."""

from __future__ import annotations

from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.vee.codes import TITLES, VeeCode
from meter2cash.reading.vee.findings import Finding


def explain(finding: Finding) -> str:
    """The finding's reason, translated and filled in."""
    return _(finding.template).format(**finding.params)


def title(code: VeeCode) -> str:
    """The code's short title, translated."""
    return _(TITLES[code])
