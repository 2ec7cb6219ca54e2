"""The collection, late-fee and dunning policies in force: the files named in the settings, or the
shipped ones (``M2C_COLLECTION_POLICY``, ``M2C_LATE_FEE_POLICY``, ``M2C_DUNNING_POLICY``)."""

from __future__ import annotations

from pathlib import Path

from meter2cash.collection.collection_policy import CollectionPolicy, load_collection_policy
from meter2cash.collection.dunning_policy import DunningPolicy, bundled_dunning_policy
from meter2cash.collection.dunning_policy import policy_from_yaml as dunning_policy_from_yaml
from meter2cash.collection.late_fee_policy import LateFeePolicy, bundled_late_fee_policy, policy_from_yaml
from meter2cash.platform.settings import Settings


def collection_policy(settings: Settings) -> CollectionPolicy:
    return load_collection_policy(settings.collection_policy)


def late_fee_policy(settings: Settings) -> LateFeePolicy:
    path: Path | None = settings.late_fee_policy
    if path is None:
        return bundled_late_fee_policy()
    return policy_from_yaml(text=path.read_text(encoding="utf-8"), source=str(path))


def dunning_policy(settings: Settings) -> DunningPolicy:
    """The dunning and disconnection (催费停复电) policy: ``M2C_DUNNING_POLICY`` or the shipped one."""
    path: Path | None = settings.dunning_policy
    if path is None:
        return bundled_dunning_policy()
    return dunning_policy_from_yaml(text=path.read_text(encoding="utf-8"), source=str(path))
