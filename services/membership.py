"""Consumer-group membership across restarts: a restarted consumer leaves for its predecessor.

A consumer that dies without leaving its group (SIGKILL, OOM kill, power loss) keeps its
partitions until its session expires, and the embedded broker needs a second rebalance when the
restarted process joined before that: about 1.5 x the session timeout in all. So a process with
a member name (``WIREWATCH_KAFKA_MEMBER_NAME``) keeps its member id in a file under the data
dir, keyed by group and name, rewritten after each assignment; the next process of that name
sends LeaveGroup for the stored id before it joins, and the group rebalances at once. A clean
stop leaves the group too when aiokafka would not: it skips LeaveGroup at generation 0, the
embedded broker's first generation.

Everything here is best effort: a failure is logged and start-up or shutdown goes on, at worst
as slow as the session timeout. A name shared by two live processes on one data dir makes each
start kick the other out of the group: one extra rebalance and the redelivery of an uncommitted
batch, nothing lost (at-least-once).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from aiokafka import AIOKafkaConsumer
from aiokafka.client import AIOKafkaClient, CoordinationType
from aiokafka.errors import UnknownMemberIdError, for_code
from aiokafka.protocol.group import LeaveGroupRequest

from services.config import CommonSettings
from services.logs import get_logger

__all__ = ["GroupMember", "MemberIdStore", "leave_group"]

log = get_logger("membership")
_LEAVE_TIMEOUT_S = 3.0


class MemberIdStore:
    """The member id that the process named ``name`` last held in ``group_id``, in one file.

    The file is ``<data_dir>/kafka-members/group-<group id>/<name>.json``, replaced atomically,
    so a process killed while writing leaves the previous id or the new one, never a torn file.
    """

    def __init__(self, data_dir: Path, group_id: str, name: str) -> None:
        group = quote(group_id, safe="")
        if len(group) > 200:  # keep the directory name within every file system's limit
            group = hashlib.sha256(group_id.encode()).hexdigest()
        self.group_id = group_id
        self.name = name
        self.path = data_dir / "kafka-members" / f"group-{group}" / f"{name}.json"

    def load(self) -> str | None:
        """The stored member id; ``None`` when there is none or the file is unreadable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("member id file unreadable, ignored", path=str(self.path), error=str(exc))
            return None
        try:
            data = json.loads(raw)
            member_id = data["member_id"]
            if data["group_id"] != self.group_id or data["member_name"] != self.name:
                raise ValueError("written for another group or name")
            if not isinstance(member_id, str) or not member_id:
                raise ValueError("no member id")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("member id file corrupt, ignored", path=str(self.path), error=str(exc))
            return None
        return member_id

    def save(self, member_id: str) -> None:
        """Replace the stored id (write a temporary file, fsync, rename over)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"group_id": self.group_id, "member_name": self.name, "member_id": member_id}
        ).encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def clear(self) -> None:
        """Forget the stored id (nothing to leave for on the next start)."""
        self.path.unlink(missing_ok=True)


async def leave_group(
    bootstrap: str,
    group_id: str,
    member_id: str,
    *,
    client_id: str = "wirewatch",
    timeout_s: float = _LEAVE_TIMEOUT_S,
) -> bool:
    """Ask the group's coordinator to drop ``member_id``; never raises.

    True when the broker accepted (or no longer knew the member: the embedded broker answers
    "no error" either way). False, with a warning logged, when it could not be asked in time.
    """
    started = time.perf_counter()
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        request_timeout_ms=int(timeout_s * 1000),
    )
    outcome = "left"
    try:
        async with asyncio.timeout(timeout_s):
            await client.bootstrap()
            node_id = await client.coordinator_lookup(CoordinationType.GROUP, group_id)
            response = await client.send(node_id, LeaveGroupRequest(group_id, member_id))
        error = for_code(response.error_code)
        if error is UnknownMemberIdError:
            outcome = "already gone"
        elif response.error_code != 0:
            raise error()
    # Best effort whatever goes wrong: the fallback is the session timeout, as without it.
    except Exception as exc:
        log.warning(
            "leave group failed",
            group=group_id,
            member_id=member_id,
            error=f"{type(exc).__name__}: {exc}",
            duration_ms=round((time.perf_counter() - started) * 1000),
        )
        return False
    finally:
        await client.close()
    log.info(
        "left group",
        group=group_id,
        member_id=member_id,
        outcome=outcome,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )
    return True


def _membership(consumer: AIOKafkaConsumer) -> tuple[str, int]:
    """The consumer's member id and generation ("", -1 when it is not in a group).

    aiokafka (pinned at 0.14) exposes neither publicly; its group coordinator holds both.
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None:
        return "", -1
    return str(coordinator.member_id or ""), int(coordinator.generation)


class GroupMember:
    """This process's membership of one consumer group, across its restarts.

    Call ``leave_predecessor`` early in start-up, ``remember`` after each assignment and
    ``stop`` instead of ``consumer.stop``. Without a member name only ``stop`` does anything.
    """

    def __init__(self, settings: CommonSettings, *, group_id: str, client_id: str) -> None:
        self._bootstrap = settings.bootstrap
        self._group_id = group_id
        self._client_id = client_id
        name = settings.kafka_member_name
        self.store = MemberIdStore(settings.data_dir, group_id, name) if name else None
        self._saved: str | None = None

    async def leave_predecessor(self) -> None:
        """Leave the group for the member id the previous process of this name held."""
        if self.store is None:
            return
        member_id = await asyncio.to_thread(self.store.load)
        if member_id is None:
            return
        log.info("leaving for the previous process", group=self._group_id, member_id=member_id)
        if await self._leave(member_id):
            await self._clear()

    async def remember(self, consumer: AIOKafkaConsumer) -> None:
        """Store the consumer's current member id for the next process of this name."""
        member_id, _ = _membership(consumer)
        if self.store is None or not member_id or member_id == self._saved:
            return
        try:
            await asyncio.to_thread(self.store.save, member_id)
        except OSError as exc:
            log.warning("member id not stored", path=str(self.store.path), error=str(exc))
            return
        self._saved = member_id

    async def stop(self, consumer: AIOKafkaConsumer) -> None:
        """Stop the consumer and make sure it left the group (LeaveGroup at generation 0 too)."""
        member_id, generation = _membership(consumer)
        await consumer.stop()
        if not member_id:
            return
        # aiokafka sends LeaveGroup itself only from generation 1 on.
        if generation <= 0 and not await self._leave(member_id):
            return
        await self._clear()

    async def _leave(self, member_id: str) -> bool:
        return await leave_group(
            self._bootstrap, self._group_id, member_id, client_id=self._client_id
        )

    async def _clear(self) -> None:
        if self.store is None:
            return
        try:
            await asyncio.to_thread(self.store.clear)
        except OSError as exc:
            log.warning("member id file not removed", path=str(self.store.path), error=str(exc))
        self._saved = None
