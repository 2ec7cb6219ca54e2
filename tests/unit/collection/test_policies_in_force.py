"""The policies in force come from the files the settings name, or the shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from meter2cash.collection.dunning_policy import BadDunningPolicy, bundled_dunning_policy
from meter2cash.collection.policies import dunning_policy
from meter2cash.platform.settings import Settings

BUREAU_POLICY = """
defaults:
  steps:
    - step: reminder
      days_after_due: 10
      channels: [letter]
  disconnect_after_days: 45
classes:
  residential:
    label: 居民
    notice_lead_days: 5
"""


def test_without_a_file_the_shipped_dunning_policy_is_in_force(tmp_path: Path) -> None:
    assert dunning_policy(Settings(data_dir=tmp_path)) == bundled_dunning_policy()


def test_a_bureau_dunning_policy_file_named_in_the_settings_is_in_force(tmp_path: Path) -> None:
    path = tmp_path / "dunning.yaml"
    path.write_text(BUREAU_POLICY, encoding="utf-8")
    rules = dunning_policy(Settings(data_dir=tmp_path, dunning_policy=path)).for_class("residential")
    assert rules.steps[0].days_after_due == 10
    assert rules.disconnect_after_days == 45
    assert rules.notice_lead_days == 5


def test_a_bureau_dunning_policy_out_of_the_lawful_range_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "dunning.yaml"
    path.write_text(BUREAU_POLICY.replace("disconnect_after_days: 45", "disconnect_after_days: 10"), "utf-8")
    with pytest.raises(BadDunningPolicy, match="disconnect_after_days"):
        dunning_policy(Settings(data_dir=tmp_path, dunning_policy=path))
