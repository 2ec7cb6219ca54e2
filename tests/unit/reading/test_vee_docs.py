"""docs/vee.md documents every code and every policy number the code has."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from meter2cash.reading.estimation import EstimationMethod, EstimationPolicy
from meter2cash.reading.interval_checks import IntervalCode, IntervalPolicy
from meter2cash.reading.vee import QualityFlag, VeeCode, VeePolicy
from meter2cash.reading.vee.codes import NEM12_LETTER, SEVERITY, TITLES

DOC = (Path(__file__).resolve().parents[3] / "docs" / "vee.md").read_text(encoding="utf-8")
NAMES = [
    *(f"`{c.value}`" for c in VeeCode),
    *(f"`{c.value}`" for c in IntervalCode),
    *(f"`{q.value}`" for q in QualityFlag),
    *(f"`{m.value}`" for m in EstimationMethod),
    *(f"`{f.name}`" for policy in (VeePolicy, EstimationPolicy, IntervalPolicy) for f in fields(policy)),
]


class TestVeeDocumentation:
    @pytest.mark.parametrize("name", NAMES)
    def test_each_code_flag_method_and_policy_number_is_documented(self, name: str) -> None:
        assert name in DOC

    def test_every_code_has_a_severity_and_a_title(self) -> None:
        assert set(SEVERITY) == set(TITLES) == set(VeeCode)

    def test_every_quality_flag_has_a_nem12_letter(self) -> None:
        assert set(NEM12_LETTER) == set(QualityFlag)
        assert set(NEM12_LETTER.values()) <= {"A", "E", "F", "S", "N"}
