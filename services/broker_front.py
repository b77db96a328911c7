"""The embedded broker's front door: a byte relay that makes Tansu's ApiVersions answer
readable by librdkafka older than 2.2 (kcat on Debian 12, Ubuntu 22.04's librdkafka).

Clients connect here (the port the broker advertises); every frame goes to Tansu and back
unchanged, except ApiVersions v3+ responses, whose tagged fields that hold their default value
are dropped — what Apache Kafka itself sends, since an absent tagged field *is* its default.
Why: Tansu 0.6.0 writes all four (SupportedFeatures=[], FinalizedFeaturesEpoch=-1,
FinalizedFeatures=[], ZkMigrationReady=false), and librdkafka before 2.2 skips one byte too
few per tagged field; the eight 0xff bytes of the epoch then read as a length of 2^57 and the
handshake fails with "ApiVersionRequest failed: Local: Read underflow". Any response it cannot
parse exactly is passed on untouched.

It runs as a child process of whoever starts the broker (``python -m services.broker_front
--fd N --upstream HOST:PORT``, handed the listening socket), so a caller that blocks or burns
its own CPU never stalls the broker for the processes that share it, and benchmarks that
count their own CPU do not count the relay's.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import struct

__all__ = ["serve", "trim_api_versions"]

_API_VERSIONS = 18
# Tagged fields of ApiVersionsResponse v3+ and the bytes of their default values.
_DEFAULT_TAGS = {
    0: b"\x01",  # SupportedFeatures: empty compact array
    1: b"\xff" * 8,  # FinalizedFeaturesEpoch: -1
    2: b"\x01",  # FinalizedFeatures: empty compact array
    3: b"\x00",  # ZkMigrationReady: false
}
_LENGTH = struct.Struct(">i")
_REQUEST_HEAD = struct.Struct(">hhi")  # api_key, api_version, correlation_id


def _read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]  # IndexError past the end: the caller's "cannot parse"
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 64 bits")


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _skip_tags(data: bytes, pos: int) -> int:
    count, pos = _read_uvarint(data, pos)
    for _ in range(count):
        _, pos = _read_uvarint(data, pos)
        size, pos = _read_uvarint(data, pos)
        pos += size
    return pos


def trim_api_versions(body: bytes) -> bytes:
    """An ApiVersions v3+ response body (correlation id first) without the top-level tagged
    fields that hold their default value; ``body`` itself when it is not exactly that shape
    (an error answer, a layout this does not know)."""
    try:
        if body[4:6] != b"\x00\x00":  # error_code: an error answer may use the v0 layout
            return body
        entries, pos = _read_uvarint(body, 6)
        for _ in range(entries - 1):
            pos = _skip_tags(body, pos + 6)  # api_key, min_version, max_version, tags
        pos += 4  # throttle_time_ms
        tags_at = pos
        count, pos = _read_uvarint(body, pos)
        kept: list[bytes] = []
        for _ in range(count):
            tag, pos = _read_uvarint(body, pos)
            size, pos = _read_uvarint(body, pos)
            value = body[pos : pos + size]
            pos += size
            if _DEFAULT_TAGS.get(tag) != value:
                kept.append(_uvarint(tag) + _uvarint(size) + value)
    except (IndexError, ValueError):
        return body
    if pos != len(body) or entries < 1:
        return body
    return body[:tags_at] + _uvarint(len(kept)) + b"".join(kept)


async def _read_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readexactly(4)
    (size,) = _LENGTH.unpack(head)
    if size < 0:
        raise ConnectionError(f"negative frame size {size}")
    return head, await reader.readexactly(size)


async def _relay(
    upstream: tuple[str, int],
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
) -> None:
    try:
        broker_reader, broker_writer = await asyncio.open_connection(*upstream)
    except OSError:
        client_writer.close()  # what the client would see without us: no broker
        return
    # Correlation ids of ApiVersions v3+ requests whose answer is still to come.
    pending: set[int] = set()

    async def requests() -> None:
        while True:
            head, body = await _read_frame(client_reader)
            if len(body) >= _REQUEST_HEAD.size:
                api_key, version, correlation_id = _REQUEST_HEAD.unpack_from(body)
                if api_key == _API_VERSIONS and version >= 3:
                    pending.add(correlation_id)
            broker_writer.write(head + body)
            await broker_writer.drain()

    async def responses() -> None:
        while True:
            head, body = await _read_frame(broker_reader)
            if pending and len(body) >= 4:
                (correlation_id,) = _LENGTH.unpack_from(body)
                if correlation_id in pending:
                    pending.discard(correlation_id)
                    body = trim_api_versions(body)
                    head = _LENGTH.pack(len(body))
            client_writer.write(head + body)
            await client_writer.drain()

    pumps = [asyncio.create_task(requests()), asyncio.create_task(responses())]
    try:
        # Either side closing (or failing) ends the connection, as it would without us.
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        broker_writer.close()
        client_writer.close()


async def serve(listener: socket.socket, upstream: tuple[str, int]) -> None:
    """Relay every connection accepted on ``listener`` to ``upstream``, until cancelled."""

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _relay(upstream, reader, writer)

    server = await asyncio.start_server(on_connect, sock=listener)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the broker")
    args = parser.parse_args(argv)
    host, _, port = args.upstream.rpartition(":")
    listener = socket.socket(fileno=args.fd)
    # SIGTERM's default action ends the process: nothing here needs draining.
    asyncio.run(serve(listener, (host, int(port))))


if __name__ == "__main__":
    main()
