"""One TCP connection to a gateway (集中器 / 串口服务器) and the meters on its RS-485 bus.

A gateway passes bytes between TCP and the bus, so only one request may be on the bus at a
time: `GatewayLink.exchange` holds the link's bus semaphore from request to reply. A reply is
complete when its length field says so. A reply that stops short is judged when the line has
been quiet for ``idle_gap`` seconds (truncated or garbled); no byte at all within
``reply_timeout`` seconds is `NoAnswer`. Bytes that arrive while no request is waiting (a late
answer to a request that timed out) are dropped, so they cannot be taken for the next answer.

The link only reads the event loop's clock, and only for those timeouts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from meter2cash.reading.dlt645.frame import (
    Frame,
    decode_frame,
    frame_extent,
    incomplete_reason,
    read_request,
    reply_payload,
)


class NoAnswer(TimeoutError):
    """Nothing came back within the reply timeout: the meter is silent (dead, unpowered, absent)."""


class LinkDown(ConnectionError):
    """The gateway could not be reached, or dropped the connection."""


@dataclass(frozen=True, slots=True)
class LinkSettings:
    connect_timeout: float = 3.0
    reply_timeout: float = 2.0
    idle_gap: float = 0.3
    wakeup_bytes: int = 4


class _ReplyProtocol(asyncio.Protocol):
    def __init__(self, idle_gap: float) -> None:
        self.idle_gap = idle_gap
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.idle: asyncio.TimerHandle | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = LinkDown(f"gateway closed the connection: {exc or 'EOF'}")
        self._settle(error=self.lost)

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            return
        self.buffer += data
        extent = frame_extent(self.buffer)
        if extent is not None:
            self._settle(reply=bytes(self.buffer[extent[0] : extent[1]]))
            return
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(self.idle_gap, self.deadline)

    def deadline(self) -> None:
        """The reply timeout or the idle gap has passed without a complete frame."""
        self._settle(error=incomplete_reason(bytes(self.buffer)) if self.buffer else NoAnswer())

    def _settle(self, *, reply: bytes | None = None, error: Exception | None = None) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        waiter, self.waiter = self.waiter, None
        self.buffer.clear()
        if waiter is None or waiter.done():
            return
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(reply or b"")


class GatewayLink:
    """A reusable connection to one gateway endpoint; requests on it are serialised."""

    def __init__(self, host: str, port: int, settings: LinkSettings | None = None) -> None:
        self.host = host
        self.port = port
        self.settings = settings or LinkSettings()
        self.bus = asyncio.Semaphore(1)
        self._protocol: _ReplyProtocol | None = None

    @property
    def is_open(self) -> bool:
        return self._protocol is not None and self._protocol.lost is None

    async def open(self) -> None:
        if self.is_open:
            return
        await self.close()
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _ReplyProtocol(self.settings.idle_gap), self.host, self.port),
                self.settings.connect_timeout,
            )
        except (OSError, TimeoutError) as error:
            raise LinkDown(
                f"cannot connect to gateway {self.host}:{self.port}: {error or 'timeout'}"
            ) from None
        self._protocol = protocol

    async def close(self) -> None:
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()

    async def exchange(self, request: bytes) -> bytes:
        """Send one request and return the bytes of the one frame that answers it."""
        async with self.bus:
            await self.open()
            protocol = self._protocol
            assert protocol is not None and protocol.transport is not None
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[bytes] = loop.create_future()
            protocol.buffer.clear()
            protocol.waiter = waiter
            protocol.transport.write(request)
            timer = loop.call_later(self.settings.reply_timeout, protocol.deadline)
            try:
                return await waiter
            finally:
                timer.cancel()
                if protocol.waiter is waiter:
                    protocol.waiter = None

    async def read(self, address: str, di: int) -> tuple[Frame, bytes]:
        """Read data item ``di`` from the meter at ``address``: the reply frame and its value bytes.

        Raises `NoAnswer`, `LinkDown` or a `meter2cash.reading.dlt645.frame.FrameError`.
        """
        raw = await self.exchange(read_request(address, di, wakeup=self.settings.wakeup_bytes))
        frame = decode_frame(raw)
        return frame, reply_payload(frame, asked=address, di=di)

    async def __aenter__(self) -> GatewayLink:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
