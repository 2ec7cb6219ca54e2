from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.reading.dlt645.frame import (
    READ_ERROR_REPLY,
    READ_REPLY,
    WILDCARD,
    BadAddress,
    BadChecksum,
    Frame,
    FrameError,
    GarbledFrame,
    MeterErrorReply,
    TruncatedFrame,
    UnexpectedReply,
    WrongAddress,
    address_bytes,
    address_text,
    decode_frame,
    encode_frame,
    error_reply,
    frame_extent,
    incomplete_reason,
    normalise_address,
    read_reply,
    read_request,
    reply_payload,
)
from meter2cash.reading.dlt645.identifiers import PHASE_A_VOLTAGE, decode_value

# Captured on site: phase-A voltage (02010100) read through the wildcard address.
CAPTURED_REQUEST = bytes.fromhex("68 AA AA AA AA AA AA 68 11 04 33 34 34 35 B1 16")
CAPTURED_REPLY = bytes.fromhex("68 AA AA AA AA AA AA 68 91 06 33 34 34 35 33 33 99 16")

addresses = st.text("0123456789", min_size=12, max_size=12)
payloads = st.binary(max_size=255)


class TestTheCapturedPair:
    def test_encoding_the_voltage_read_gives_exactly_the_captured_request(self) -> None:
        assert read_request(WILDCARD, PHASE_A_VOLTAGE.code) == CAPTURED_REQUEST

    def test_decoding_the_captured_reply_gives_zero_volts(self) -> None:
        frame = decode_frame(CAPTURED_REPLY)
        payload = reply_payload(frame, asked=WILDCARD, di=PHASE_A_VOLTAGE.code)
        voltage = decode_value(PHASE_A_VOLTAGE, payload)
        assert frame == Frame(WILDCARD, READ_REPLY, bytes.fromhex("00 01 01 02 00 00"))
        assert voltage == 0  # 0.00 V; the format XXX.X reports it with one decimal
        assert str(voltage) == "0.0"

    def test_the_captured_reply_still_decodes_behind_wake_up_bytes(self) -> None:
        assert decode_frame(b"\xfe\xfe\xfe\xfe" + CAPTURED_REPLY) == decode_frame(CAPTURED_REPLY)


class TestAddresses:
    def test_an_address_is_sent_low_byte_first(self) -> None:
        assert address_bytes("123456789012") == bytes.fromhex("12 90 78 56 34 12")

    def test_a_short_numeric_address_is_padded_with_zeros(self) -> None:
        assert normalise_address(" 1234 ") == "000000001234"

    def test_the_wildcard_is_accepted_in_any_case(self) -> None:
        assert normalise_address("aaaaaaaaaaaa") == WILDCARD

    @pytest.mark.parametrize("text", ["", "12345678901X", "1234567890123", "AB3456789012", "12 34"])
    def test_text_that_is_no_address_is_refused(self, text: str) -> None:
        with pytest.raises(BadAddress):
            normalise_address(text)

    @given(addresses)
    def test_every_address_survives_the_wire(self, address: str) -> None:
        assert address_text(address_bytes(address)) == address


class TestFrameRoundTrips:
    @given(addresses, st.integers(0, 255), payloads, st.integers(0, 4))
    def test_a_frame_decodes_to_what_was_encoded(
        self, address: str, control: int, data: bytes, wakeup: int
    ) -> None:
        frame = Frame(address, control, data)
        assert decode_frame(encode_frame(frame, wakeup=wakeup)) == frame

    @given(addresses, payloads, st.data())
    def test_changing_any_byte_between_the_first_68_and_the_checksum_is_a_checksum_error(
        self, address: str, data: bytes, draw: st.DataObject
    ) -> None:
        raw = bytearray(encode_frame(Frame(address, READ_REPLY, data)))
        index = draw.draw(st.sampled_from([1, 2, 3, 4, 5, 6, *range(10, len(raw) - 2)]))
        raw[index] = (raw[index] + draw.draw(st.integers(1, 255))) & 0xFF
        with pytest.raises(BadChecksum):
            decode_frame(bytes(raw))

    @given(addresses, payloads, st.integers(0, 4), st.data())
    def test_every_frame_cut_short_is_truncated(
        self, address: str, data: bytes, wakeup: int, draw: st.DataObject
    ) -> None:
        raw = encode_frame(Frame(address, READ_REPLY, data), wakeup=wakeup)
        cut = draw.draw(st.integers(0, len(raw) - 1))
        with pytest.raises(TruncatedFrame):
            decode_frame(raw[:cut])

    @given(st.binary(max_size=300))
    def test_arbitrary_bytes_decode_or_raise_a_frame_error_and_nothing_else(self, raw: bytes) -> None:
        with contextlib.suppress(FrameError):
            decode_frame(raw)
        frame_extent(raw)
        assert isinstance(incomplete_reason(raw), FrameError)


class TestBrokenFrames:
    def test_bytes_without_a_start_byte_are_garbled(self) -> None:
        with pytest.raises(GarbledFrame):
            decode_frame(bytes.fromhex("00 FF 13 37 42 E5 5A 00 FF 7F 11 22"))

    def test_a_missing_second_start_byte_is_garbled(self) -> None:
        raw = bytearray(CAPTURED_REPLY)
        raw[7] = 0x00
        with pytest.raises(GarbledFrame):
            decode_frame(bytes(raw))

    def test_a_wrong_end_byte_is_garbled(self) -> None:
        with pytest.raises(GarbledFrame):
            decode_frame(CAPTURED_REPLY[:-1] + b"\x17")

    def test_bytes_after_the_end_are_garbled(self) -> None:
        with pytest.raises(GarbledFrame):
            decode_frame(CAPTURED_REPLY + b"\x00")

    def test_a_wrong_checksum_is_reported_as_such(self) -> None:
        with pytest.raises(BadChecksum, match="expected 99"):
            decode_frame(CAPTURED_REPLY[:-2] + b"\x98\x16")

    def test_only_wake_up_bytes_are_a_truncated_frame(self) -> None:
        with pytest.raises(TruncatedFrame):
            decode_frame(b"\xfe\xfe")


class TestFindingFramesInAStream:
    def test_noise_and_wake_up_bytes_before_a_frame_are_skipped(self) -> None:
        stream = b"\x00\x13\xfe\xfe" + CAPTURED_REPLY + b"\x68\x01"
        start, end = frame_extent(stream) or (0, 0)
        assert stream[start:end] == CAPTURED_REPLY

    def test_a_frame_still_arriving_is_not_yet_found(self) -> None:
        assert frame_extent(CAPTURED_REPLY[:-1]) is None

    def test_bytes_cut_short_after_a_header_are_truncated_and_noise_is_garbled(self) -> None:
        assert isinstance(incomplete_reason(CAPTURED_REPLY[:9]), TruncatedFrame)
        assert isinstance(incomplete_reason(b"\x00\xff\x13\x37\x42\x11\x22\x33\x44"), GarbledFrame)


class TestReplies:
    def test_a_reply_from_another_meter_is_refused(self) -> None:
        frame = decode_frame(read_reply("000000000002", 0x00010000, b"\x00" * 4))
        with pytest.raises(WrongAddress):
            reply_payload(frame, asked="000000000001", di=0x00010000)

    def test_a_wildcard_request_takes_the_reply_of_whichever_meter_answers(self) -> None:
        frame = decode_frame(read_reply("000000000002", 0x00010000, b"\x01\x02\x03\x04"))
        assert reply_payload(frame, asked=WILDCARD, di=0x00010000) == b"\x01\x02\x03\x04"

    def test_an_error_reply_raises_with_its_reasons(self) -> None:
        frame = decode_frame(error_reply("000000000001", 0x02))
        with pytest.raises(MeterErrorReply) as raised:
            reply_payload(frame, asked="000000000001", di=0x01010000)
        assert frame.control == READ_ERROR_REPLY
        assert raised.value.no_data
        assert raised.value.reasons == ("no requested data (无请求数据)",)

    def test_a_reply_for_another_data_identifier_is_unexpected(self) -> None:
        frame = decode_frame(read_reply("000000000001", 0x00010100, b"\x00" * 4))
        with pytest.raises(UnexpectedReply):
            reply_payload(frame, asked="000000000001", di=0x00010000)

    def test_a_frame_that_is_not_a_read_reply_is_unexpected(self) -> None:
        frame = decode_frame(read_request("000000000001", 0x00010000))
        with pytest.raises(UnexpectedReply):
            reply_payload(frame, asked="000000000001", di=0x00010000)
