"""The bureau's collection policy (收费策略): the settlement order within a bill, reversals, and the
banks, agents and gateways that may send money. Read from ``data/collection_policy.yaml`` or the
file named by the ``M2C_COLLECTION_POLICY`` setting; a bad file is refused naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meter2cash.collection.allocation import WithinBill
from meter2cash.collection.gl import Channel


class BadCollectionPolicy(ValueError):
    pass


@dataclass(frozen=True)
class CollectionPolicy:
    within_bill: WithinBill
    reversal_same_day_only: bool
    banks: Mapping[str, str]
    agents: Mapping[str, str]
    gateways: Mapping[str, str]

    def sources(self, channel: Channel) -> Mapping[str, str]:
        """The codes that may send money on ``channel`` (the counter has one: ``counter``)."""
        if channel is Channel.BANK_WITHHOLDING:
            return self.banks
        if channel is Channel.AGENT:
            return self.agents
        if channel is Channel.PORTAL:
            return self.gateways
        return {"counter": "营业厅坐收"}


def policy_from_yaml(*, text: str, source: str = "collection policy") -> CollectionPolicy:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BadCollectionPolicy(f"{source}: not valid YAML: {error}") from None
    if not isinstance(document, Mapping):
        raise BadCollectionPolicy(f"{source}: expected a mapping of settings")
    try:
        within = WithinBill(document.get("within_bill", WithinBill.LATE_FEE_FIRST.value))
    except ValueError:
        known = ", ".join(item.value for item in WithinBill)
        raise BadCollectionPolicy(f"{source}: within_bill must be one of {known}") from None
    same_day = document.get("reversal_same_day_only", True)
    if not isinstance(same_day, bool):
        raise BadCollectionPolicy(f"{source}: reversal_same_day_only must be true or false")
    return CollectionPolicy(
        within_bill=within,
        reversal_same_day_only=same_day,
        banks=_codes(document, "banks", source),
        agents=_codes(document, "agents", source),
        gateways=_codes(document, "gateways", source),
    )


def _codes(document: Mapping[str, Any], key: str, source: str) -> Mapping[str, str]:
    raw = document.get(key) or {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(code, str) and isinstance(name, str) and code.strip() for code, name in raw.items()
    ):
        raise BadCollectionPolicy(f"{source}: {key} must map codes to names")
    return dict(raw)


@cache
def bundled_collection_policy() -> CollectionPolicy:
    text = resources.files("meter2cash.collection").joinpath("data/collection_policy.yaml").read_text("utf-8")
    return policy_from_yaml(text=text, source="collection_policy.yaml")


def load_collection_policy(path: Path | None) -> CollectionPolicy:
    if path is None:
        return bundled_collection_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadCollectionPolicy(f"{path}: cannot read the collection policy: {error}") from None
    return policy_from_yaml(text=text, source=str(path))
