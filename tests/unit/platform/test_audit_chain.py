from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from meter2cash.platform.audit_chain import GENESIS, ChainFields, canonical_json, compute_hash, find_break


def chain(count: int) -> list[ChainFields]:
    records, prev = [], GENESIS
    for seq in range(1, count + 1):
        fields = ChainFields(
            seq=seq,
            occurred_at=f"2026-01-01T00:00:{seq:02d}",
            actor="admin",
            action="x",
            object_type="t",
            object_id=str(seq),
            before=None,
            after=canonical_json({"n": seq}),
            reason=None,
            prev_hash=prev,
        )
        fields = replace(fields, hash=compute_hash(fields))
        records.append(fields)
        prev = fields.hash
    return records


class TestFindingTheFirstBreak:
    def test_a_whole_chain_has_no_break(self) -> None:
        records = chain(5)
        assert find_break(records, head_seq=5, head_hash=records[-1].hash) is None

    @given(st.integers(1, 8), st.sampled_from(["actor", "action", "object_id", "reason", "occurred_at"]))
    def test_changing_any_field_of_any_record_breaks_the_chain_at_that_record(
        self, seq: int, name: str
    ) -> None:
        records = chain(8)
        records[seq - 1] = replace(records[seq - 1], **{name: "tampered"})
        found = find_break(records, head_seq=8, head_hash=records[-1].hash)
        assert found is not None and found.seq == seq

    def test_a_removed_record_is_named_missing(self) -> None:
        records = chain(5)
        del records[2]
        found = find_break(records, head_seq=5, head_hash=None)
        assert found is not None and (found.seq, found.problem) == (3, "missing")

    def test_rehashing_an_edited_record_still_breaks_the_link_to_the_next(self) -> None:
        records = chain(5)
        edited = replace(records[1], actor="someone else")
        records[1] = replace(edited, hash=compute_hash(edited))
        found = find_break(records, head_seq=5, head_hash=records[-1].hash)
        assert found is not None and (found.seq, found.problem) == (3, "relinked")

    def test_a_log_shorter_than_its_head_is_truncated(self) -> None:
        records = chain(5)
        found = find_break(records[:4], head_seq=5, head_hash=records[-1].hash)
        assert found is not None and found.problem == "truncated"

    def test_canonical_json_does_not_depend_on_key_order(self) -> None:
        assert (
            canonical_json({"b": 1, "a": "电"}) == canonical_json({"a": "电", "b": 1}) == '{"a":"电","b":1}'
        )
