"""What a check returns: findings as values (never exceptions, never log lines). Pure.

A finding carries an English message template (a gettext msgid with ``{named}`` fields) and the
parameters to fill it in, so the rule stays free of translation; the edge
(:mod:`meter2cash.reading.vee.wording`) translates the template and fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meter2cash.reading.vee.codes import SEVERITY, Severity, VeeCode


def N_(message: str) -> str:
    """Mark an English message id for the catalog without translating it here."""
    return message


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule raised on one reading (``index`` in input order) or on the meter (``index=None``)."""

    code: VeeCode
    severity: Severity
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    index: int | None = None

    @property
    def reason(self) -> str:
        """The reason in English (the untranslated message id, filled in)."""
        return self.template.format(**self.params)


def finding(
    code: VeeCode,
    template: str,
    *,
    index: int | None,
    severity: Severity | None = None,
    **params: object,
) -> Finding:
    """A finding with the code's usual severity; parameters are shown as text (Decimals exactly)."""
    return Finding(
        code=code,
        severity=severity or SEVERITY[code],
        template=template,
        params={name: str(value) for name, value in params.items()},
        index=index,
    )
