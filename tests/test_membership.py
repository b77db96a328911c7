"""Group membership across restarts: the member-id file, and LeaveGroup on the real broker.

The broker tests measure how soon a successor owns every partition. Without a LeaveGroup the
embedded broker cannot drop a dead member before its session expires, so anything under the
session timeout shows that the LeaveGroup did it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from structlog.testing import capture_logs

from proto import ITEMS_RAW
from services.broker import EmbeddedBroker, free_port
from services.config import CommonSettings, SettingsError, load_settings
from services.kafka import make_consumer
from services.membership import GroupMember, MemberIdStore, leave_group

REPO = Path(__file__).resolve().parents[1]
GROUP = "wirewatch-extract"


# The member-id file


def test_a_saved_member_id_is_loaded_back(tmp_path: Path) -> None:
    store = MemberIdStore(tmp_path, GROUP, "extract-0")
    store.save("member-1")
    store.save("member-2")
    assert store.path == tmp_path / "kafka-members" / f"group-{GROUP}" / "extract-0.json"
    assert MemberIdStore(tmp_path, GROUP, "extract-0").load() == "member-2"
    assert [p.name for p in store.path.parent.iterdir()] == ["extract-0.json"]  # no temp file


def test_each_group_and_name_has_a_file_of_its_own(tmp_path: Path) -> None:
    keys = [(GROUP, "extract-0"), (GROUP, "extract-1"), ("wirewatch-api", "extract-0")]
    for group, name in keys:
        MemberIdStore(tmp_path, group, name).save(f"{group}/{name}")
    for group, name in keys:
        assert MemberIdStore(tmp_path, group, name).load() == f"{group}/{name}"


@pytest.mark.parametrize("group", ["..", "a/../../b", "x" * 300], ids=["dots", "slashes", "long"])
def test_any_group_id_stays_inside_the_data_dir(tmp_path: Path, group: str) -> None:
    store = MemberIdStore(tmp_path / "data", group, "extract-0")
    store.save("member-1")
    assert store.path.resolve().is_relative_to((tmp_path / "data" / "kafka-members").resolve())
    assert store.load() == "member-1"


def test_a_failed_write_keeps_the_previous_id_and_leaves_no_temp_file(tmp_path: Path) -> None:
    store = MemberIdStore(tmp_path, GROUP, "extract-0")
    store.save("member-1")
    # A directory in the file's place makes the final rename fail after the data is written.
    blocked = MemberIdStore(tmp_path, GROUP, "extract-1")
    blocked.path.mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        blocked.save("member-2")
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "extract-0.json",
        "extract-1.json",
    ]
    assert store.load() == "member-1"


def test_a_missing_file_is_no_member_and_clear_is_idempotent(tmp_path: Path) -> None:
    store = MemberIdStore(tmp_path, GROUP, "extract-0")
    assert store.load() is None
    store.save("member-1")
    store.clear()
    store.clear()
    assert store.load() is None


CORRUPT = {
    "not-json": b"{member",
    "binary": b"\xff\xfe\x00",
    "a-list": b'["member-1"]',
    "no-member-id": json.dumps({"group_id": GROUP, "member_name": "extract-0"}).encode(),
    "empty-member-id": json.dumps(
        {"group_id": GROUP, "member_name": "extract-0", "member_id": ""}
    ).encode(),
    "member-id-not-text": json.dumps(
        {"group_id": GROUP, "member_name": "extract-0", "member_id": 7}
    ).encode(),
    "another-group": json.dumps(
        {"group_id": "other", "member_name": "extract-0", "member_id": "member-1"}
    ).encode(),
    "another-name": json.dumps(
        {"group_id": GROUP, "member_name": "extract-1", "member_id": "member-1"}
    ).encode(),
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_file_is_ignored_with_a_warning(tmp_path: Path, content: bytes) -> None:
    store = MemberIdStore(tmp_path, GROUP, "extract-0")
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    with capture_logs() as logs:
        assert store.load() is None
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "member id file corrupt, ignored")
    ]


# The setting


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("extract-0", "extract-0"),
        ("wirewatch-extract-7f9c6b8d5-x2k4p", "wirewatch-extract-7f9c6b8d5-x2k4p"),
    ],
    ids=["empty-is-off", "plain", "pod-name"],
)
def test_member_name_setting(value: str, expected: str | None) -> None:
    settings = load_settings(CommonSettings, kafka_member_name=value)
    assert settings.kafka_member_name == expected


@pytest.mark.parametrize(
    "value",
    ["../x", "a/b", ".hidden", "x" * 129, "two words", "extract-0\n"],
    ids=["parent", "separator", "hidden", "too-long", "space", "trailing-newline"],
)
def test_member_name_must_be_a_plain_file_name(value: str) -> None:
    with pytest.raises(SettingsError, match="WIREWATCH_KAFKA_MEMBER_NAME"):
        load_settings(CommonSettings, kafka_member_name=value)


# LeaveGroup


async def test_leave_group_without_a_broker_fails_quietly() -> None:
    started = time.monotonic()
    with capture_logs() as logs:
        left = await leave_group(f"127.0.0.1:{free_port()}", GROUP, "member-1", timeout_s=1)
    assert left is False
    assert time.monotonic() - started < 3
    assert [e["event"] for e in logs] == ["leave group failed"]


async def test_start_up_goes_on_when_the_broker_cannot_be_asked(tmp_path: Path) -> None:
    """The stored id is kept for the next start: nobody told the group."""
    settings = CommonSettings(
        kafka_bootstrap=f"127.0.0.1:{free_port()}", data_dir=tmp_path, kafka_member_name="e-0"
    )
    member = GroupMember(settings, group_id=GROUP, client_id="test")
    assert member.store is not None
    member.store.save("member-1")
    with capture_logs():
        await member.leave_predecessor()
    assert member.store.load() == "member-1"


# On the real broker

# A predecessor in a process of its own: joins as "extract-0", prints its member id once it owns
# partitions (and has stored the id), then waits to be killed.
_PREDECESSOR = """
import asyncio, sys
from pathlib import Path
from services.config import CommonSettings
from services.kafka import make_consumer
from services.membership import GroupMember

async def main() -> None:
    settings = CommonSettings(
        kafka_bootstrap=sys.argv[1], data_dir=Path(sys.argv[2]), kafka_member_name="extract-0"
    )
    member = GroupMember(settings, group_id=sys.argv[3], client_id="predecessor")
    consumer = make_consumer(settings, "items.raw", group_id=sys.argv[3], client_id="predecessor")
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    await member.remember(consumer)
    print(consumer._coordinator.member_id, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def _owns_everything(consumer: AIOKafkaConsumer, timeout_s: float) -> None:
    """Wait until ``consumer`` is assigned every raw partition."""
    async with asyncio.timeout(timeout_s):
        while len(consumer.assignment()) < 3:
            await consumer.getmany(timeout_ms=100)


@pytest.mark.integration
async def test_a_successor_leaves_for_its_killed_predecessor(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    predecessor = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _PREDECESSOR,
        broker.bootstrap,
        str(tmp_path),
        GROUP,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    assert predecessor.stdout is not None
    try:
        line = await asyncio.wait_for(predecessor.stdout.readline(), timeout=30)
    finally:
        predecessor.send_signal(signal.SIGKILL)
        await predecessor.wait()
    old_member_id = line.decode().strip()
    settings = CommonSettings(
        kafka_bootstrap=broker.bootstrap, data_dir=tmp_path, kafka_member_name="extract-0"
    )
    member = GroupMember(settings, group_id=GROUP, client_id="successor")
    assert member.store is not None
    assert member.store.load() == old_member_id
    started = time.monotonic()
    await member.leave_predecessor()
    consumer = make_consumer(settings, ITEMS_RAW.name, group_id=GROUP, client_id="successor")
    await consumer.start()
    try:
        await _owns_everything(consumer, timeout_s=settings.kafka_session_timeout_s + 5)
        elapsed = time.monotonic() - started
        await member.remember(consumer)
        assert member.store.load() == consumer._coordinator.member_id != old_member_id
    finally:
        await member.stop(consumer)
    assert elapsed < settings.kafka_session_timeout_s
    assert member.store.load() is None  # a clean stop leaves nothing to leave for


@pytest.mark.integration
async def test_a_clean_stop_at_generation_0_leaves_the_group(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """aiokafka skips LeaveGroup at generation 0, the embedded broker's first generation."""
    settings = CommonSettings(
        kafka_bootstrap=broker.bootstrap, data_dir=tmp_path, kafka_member_name="extract-0"
    )
    first = make_consumer(settings, ITEMS_RAW.name, group_id=GROUP, client_id="first")
    member = GroupMember(settings, group_id=GROUP, client_id="first")
    await first.start()
    await _owns_everything(first, timeout_s=15)
    await member.remember(first)
    assert first._coordinator.generation == 0
    await member.stop(first)
    assert member.store is not None
    assert member.store.load() is None
    second = make_consumer(settings, ITEMS_RAW.name, group_id=GROUP, client_id="second")
    started = time.monotonic()
    await second.start()
    try:
        await _owns_everything(second, timeout_s=settings.kafka_session_timeout_s + 5)
        elapsed = time.monotonic() - started
    finally:
        await second.stop()
    assert elapsed < settings.kafka_session_timeout_s
