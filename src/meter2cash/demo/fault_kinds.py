"""The kinds of planted faults (planted_faults.csv ``kind``) and their Chinese names."""

from __future__ import annotations

KINDS = (
    "misread",
    "missed_reading",
    "rollover",
    "meter_replacement",
    "stopped_meter",
    "theft",
    "late_payer",
    "chronic_non_payer",
)

KIND_NAMES_ZH = {
    "misread": "抄错(数字颠倒)",
    "missed_reading": "漏抄",
    "rollover": "示数翻转",
    "meter_replacement": "换表",
    "stopped_meter": "停走",
    "theft": "窃电",
    "late_payer": "迟缴",
    "chronic_non_payer": "长期欠费",
}
