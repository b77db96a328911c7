"""Every variable of the README's settings table, set in the environment as users set it.

Each variable has the command that reads it and the values it is tried with: its documented
forms (the README's default among them) and, where the README allows one, an empty value; and
an invalid value where one exists. The real ``wirewatch`` script runs in a subprocess with only
those ``WIREWATCH_`` variables set (plus a data dir, a free port and the test broker):

- a valid value **starts** the command: ``api`` answers ``/healthz`` (then its write endpoint
  is probed with the configured keys), ``ingest`` and ``extract`` log their "started" line,
  which they write once their broker clients and (extract) the NLP pipeline are up;
- an invalid value **exits** with status 2 and one line on stderr naming the variable.

To stay fast, the valid values of one command are batched: run *n* of a command sets the
*n*-th value of each of its variables, so a run checks many variables at once and a failure
still names the variable (the one-line error) or shows the log. Invalid values run one per
process, several processes at a time. ``wirewatch up --demo`` runs twice: with two API keys
(either is accepted on ``POST /v1/webhooks``, none is refused) and with an empty value
(writes refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from services.broker import EmbeddedBroker, free_port
from services.config import ENV_PREFIX, parse_list
from services.kafka import ensure_topics

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
WIREWATCH = REPO / ".venv" / "bin" / "wirewatch"
README = (REPO / "README.md").read_text(encoding="utf-8")
KEYS = ("k1-0123456789abcdef", "k2-0123456789abcdef")
SECRET = "whsec_" + "A" * 32
START_TIMEOUT_S = 45
PARALLEL = 4

# The command each kind of run starts, and the line on stderr that says it started (the api
# is asked over HTTP instead, which also works whatever the log level).
COMMANDS = {
    "api": ["api", "--no-consume"],
    "api-consume": ["api"],
    "ingest": ["ingest"],
    "extract": ["extract"],
    "up": ["up", "--demo"],
}
STARTED = {"ingest": "ingest started", "extract": "extract started"}


@dataclass(frozen=True)
class Setting:
    """How one variable is tried: ``valid`` values start ``command``, ``invalid`` ones stop it.

    Values may hold ``{tmp}`` (the run's directory, also its working directory), ``{port}``
    (a free port) and ``{broker}`` (the test broker's bootstrap).
    """

    command: str
    valid: tuple[str, ...]
    invalid: tuple[str, ...] = ()
    # A value the error line must contain instead of "invalid setting VARIABLE:".
    says: str | None = None


HOOKS = json.dumps([{"url": "https://hooks.example.org/in", "secret": SECRET}])
SETTINGS: dict[str, Setting] = {
    # Common: Kafka, local state, logging. The api reads them all.
    "WIREWATCH_KAFKA_BOOTSTRAP": Setting(
        "api-consume", ("{broker}", "{broker},{broker}"), ("kafka", "kafka:x")
    ),
    "WIREWATCH_DATA_DIR": Setting("api", ("./data", "{tmp}/state")),
    "WIREWATCH_TOPIC_PARTITIONS": Setting("api-consume", ("3", "1"), ("0", "many")),
    "WIREWATCH_LOG_LEVEL": Setting("api", ("info", "debug", "warning", "error"), ("verbose",)),
    "WIREWATCH_LOG_FORMAT": Setting("api", ("console", "json"), ("xml",)),
    "WIREWATCH_KAFKA_CONNECT_TIMEOUT_S": Setting("ingest", ("30", "0"), ("-1", "soon")),
    "WIREWATCH_KAFKA_SESSION_TIMEOUT_S": Setting("api-consume", ("6", "10"), ("0.5",)),
    "WIREWATCH_KAFKA_REBALANCE_TIMEOUT_S": Setting("api-consume", ("3",), ("0",)),
    "WIREWATCH_KAFKA_MEMBER_NAME": Setting("api-consume", ("api", ""), ("../evil",)),
    # The embedded broker lacks idempotent producers: `true` is for Apache Kafka, so it is
    # tried where nothing produces.
    "WIREWATCH_KAFKA_IDEMPOTENCE": Setting("api", ("false", "true"), ("sometimes",)),
    "WIREWATCH_METRICS_HOST": Setting("ingest", ("127.0.0.1", "0.0.0.0")),
    # api
    "WIREWATCH_API_HOST": Setting("api", ("127.0.0.1", "0.0.0.0")),
    "WIREWATCH_API_PORT": Setting("api", ("{port}",), ("65536", "")),
    "WIREWATCH_DATABASE_URL": Setting(
        "api", ("sqlite+aiosqlite:///{tmp}/store.sqlite3", ""), ("mysql://db/wirewatch",)
    ),
    "WIREWATCH_ALLOW_PRIVATE_URLS": Setting("api", ("false", "true"), ("maybe",)),
    "WIREWATCH_API_KEYS": Setting(
        "api",
        (",".join(KEYS), json.dumps(list(KEYS)), ""),
        ("short", json.dumps(list(KEYS))[:-1]),
    ),
    "WIREWATCH_REQUIRE_KEY_FOR_READS": Setting("api", ("false", "true"), ("sometimes",)),
    "WIREWATCH_API_CONSUME": Setting("api-consume", ("true", "false"), ("perhaps",)),
    "WIREWATCH_API_GROUP_ID": Setting("api-consume", ("wirewatch-api",)),
    "WIREWATCH_NOVELTY_WINDOW_S": Setting("api", ("604800",), ("0",)),
    "WIREWATCH_DISPUTE_WINDOW_S": Setting("api", ("2592000",), ("-1",)),
    "WIREWATCH_ALERTS_PUBLISH": Setting("api-consume", ("true", "false"), ("x",)),
    "WIREWATCH_WEBHOOKS": Setting(
        "api",
        ("[]", HOOKS, ""),
        ("not json", json.dumps([{"url": "ftp://h.example", "secret": SECRET}])),
    ),
    "WIREWATCH_WEBHOOK_DISPATCH": Setting("api", ("true", "false"), ("x",)),
    "WIREWATCH_WEBHOOK_RETRY_SCHEDULE": Setting(
        "api", ("5,30,120,600,1800,3600,10800", "[0.5, 2]", ""), ("5,x", "5,-1")
    ),
    "WIREWATCH_WEBHOOK_RETRY_JITTER": Setting("api", ("0.1", "0"), ("1",)),
    "WIREWATCH_WEBHOOK_TIMEOUT_S": Setting("api", ("10",), ("61",)),
    "WIREWATCH_WEBHOOK_LEASE_S": Setting("api", ("60",), ("5",)),
    "WIREWATCH_WEBHOOK_POLL_INTERVAL_S": Setting("api", ("0.5",), ("0",)),
    "WIREWATCH_WEBHOOK_CONCURRENCY": Setting("api", ("8",), ("0",)),
    # ingest
    "WIREWATCH_FEEDS_FILE": Setting(
        "ingest", ("{tmp}/feeds.yaml",), ("{tmp}/missing.yaml",), says="cannot read feeds file"
    ),
    "WIREWATCH_MIN_POLL_INTERVAL_S": Setting("ingest", ("30",), ("-1",)),
    "WIREWATCH_DEFAULT_POLL_INTERVAL_S": Setting("ingest", ("300",), ("0",)),
    "WIREWATCH_MAX_POLL_INTERVAL_S": Setting("ingest", ("3600",), ("5",)),
    "WIREWATCH_BACKOFF_CAP_S": Setting("ingest", ("3600",), ("0",)),
    "WIREWATCH_CONTACT": Setting("ingest", ("", "mailto:desk@example.org")),
    "WIREWATCH_MAX_BODY_BYTES": Setting("ingest", ("10485760",), ("0",)),
    "WIREWATCH_CONNECT_TIMEOUT_S": Setting("ingest", ("10",), ("0",)),
    "WIREWATCH_READ_TIMEOUT_S": Setting("ingest", ("20",), ("0",)),
    "WIREWATCH_TOTAL_TIMEOUT_S": Setting("ingest", ("60",), ("0",)),
    "WIREWATCH_MAX_CONNECTIONS": Setting("ingest", ("50",), ("0",)),
    "WIREWATCH_MAX_PER_HOST": Setting("ingest", ("4",), ("0",)),
    "WIREWATCH_SEEN_RETENTION_DAYS": Setting("ingest", ("90",), ("0",)),
    "WIREWATCH_ARCHIVE_RETENTION_DAYS": Setting("ingest", ("30",), ("0",)),
    "WIREWATCH_FULL_TEXT_CONCURRENCY": Setting("ingest", ("4",), ("0",)),
    "WIREWATCH_INGEST_METRICS_PORT": Setting("ingest", ("{port}", "{port}", "0"), ("65536",)),
    "WIREWATCH_FAULT_INJECT": Setting("ingest", ("", "crash-after-produce"), ("crash-always",)),
    # extract
    "WIREWATCH_EXTRACT_GROUP_ID": Setting("extract", ("wirewatch-extract",)),
    "WIREWATCH_EXTRACT_BATCH_SIZE": Setting("extract", ("64",), ("0",)),
    "WIREWATCH_EXTRACT_WORKERS": Setting("extract", ("1",), ("0", "65")),
    "WIREWATCH_EXTRACT_MAX_CHARS": Setting("extract", ("100000",), ("999",)),
    "WIREWATCH_EXTRACT_METRICS_PORT": Setting("extract", ("{port}", "0"), ("65536",)),
    # up
    "WIREWATCH_BROKER_PORT": Setting("up", ("0",), ("65536",)),
    "WIREWATCH_DEMO_RATE_PER_S": Setting("up", ("3",), ("0",)),
}
# Documented defaults not tried literally, and why.
NOT_LITERALLY = {
    "WIREWATCH_API_PORT": "8000 may be taken on a test machine: a free port is the same form",
    "WIREWATCH_INGEST_METRICS_PORT": "likewise 9101",
    "WIREWATCH_EXTRACT_METRICS_PORT": "likewise 9102",
    "WIREWATCH_BROKER_PORT": "likewise 9092; 0 (any free port) is documented too",
}
# Besides the variables above, each run kind gets these unless the variable is under test.
BASE: dict[str, dict[str, str]] = {
    "api": {"WIREWATCH_API_PORT": "{port}"},
    "api-consume": {"WIREWATCH_API_PORT": "{port}", "WIREWATCH_KAFKA_BOOTSTRAP": "{broker}"},
    "ingest": {
        "WIREWATCH_KAFKA_BOOTSTRAP": "{broker}",
        "WIREWATCH_FEEDS_FILE": "{tmp}/feeds.yaml",
        "WIREWATCH_INGEST_METRICS_PORT": "0",
    },
    "extract": {"WIREWATCH_KAFKA_BOOTSTRAP": "{broker}", "WIREWATCH_EXTRACT_METRICS_PORT": "0"},
    "up": {
        "WIREWATCH_API_PORT": "{port}",
        "WIREWATCH_BROKER_PORT": "0",
        "WIREWATCH_INGEST_METRICS_PORT": "0",
        "WIREWATCH_EXTRACT_METRICS_PORT": "0",
        "WIREWATCH_ALLOW_PRIVATE_URLS": "true",
        "WIREWATCH_DEMO_RATE_PER_S": "10",
    },
}
COMMON = {"WIREWATCH_DATA_DIR": "{tmp}/data", "WIREWATCH_LOG_LEVEL": "info"}
# Nothing is fetched: the one feed is a closed port on this machine.
FEEDS_YAML = "feeds:\n  - url: http://127.0.0.1:9/feed.xml\n    name: closed port\n"


def readme_settings() -> dict[str, str]:
    """Each variable of the README's settings table with its default column."""
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for row in re.findall(r"^\| (`.+?) \| (.+?) \| .+\|$", section, re.MULTILINE):
        names = [
            name if name.startswith(ENV_PREFIX) else ENV_PREFIX + name
            for name in re.findall(r"`([A-Z0-9_]+)`", row[0])
        ]
        defaults = row[1].split(" / ")
        for i, name in enumerate(names):
            found[name] = defaults[i] if len(defaults) == len(names) else row[1]
    return found


README_SETTINGS = readme_settings()


def test_every_readme_variable_is_tried() -> None:
    assert len(README_SETTINGS) > 50  # the table was found
    assert set(SETTINGS) == set(README_SETTINGS)


@pytest.mark.parametrize("variable", sorted(SETTINGS))
def test_the_documented_default_is_among_the_values_tried(variable: str) -> None:
    literal = re.match(r"`([^`]*)`", README_SETTINGS[variable])
    if literal is None or variable in NOT_LITERALLY:
        return
    assert literal.group(1) in SETTINGS[variable].valid


@dataclass
class Run:
    """One process to start and what it must do."""

    kind: str
    env: dict[str, str]
    expect_error: str | None = None  # None: it must start
    outcome: str | None = None  # None: as expected; else what went wrong
    checked: list[str] = field(default_factory=list)


def _valid_runs() -> list[Run]:
    runs: list[Run] = []
    for kind in COMMANDS:
        mine = {v: s for v, s in SETTINGS.items() if s.command == kind}
        if kind == "up":
            # With two keys (either accepted) and with none (writes refused).
            keys = SETTINGS["WIREWATCH_API_KEYS"].valid
            for n, key_value in enumerate((keys[0], "")):
                env = {v: s.valid[min(n, len(s.valid) - 1)] for v, s in mine.items()}
                runs.append(Run(kind, {**env, "WIREWATCH_API_KEYS": key_value}))
            continue
        for n in range(max(len(s.valid) for s in mine.values())):
            runs.append(Run(kind, {v: s.valid[n] for v, s in mine.items() if n < len(s.valid)}))
    return runs


def _invalid_runs() -> list[Run]:
    runs = []
    for variable, setting in SETTINGS.items():
        # A bad value stops the command before it needs anything: try each on the cheapest
        # command that reads it (extract for the common settings).
        kind = setting.command
        if variable in ("WIREWATCH_LOG_LEVEL", "WIREWATCH_LOG_FORMAT", "WIREWATCH_DATA_DIR"):
            kind = "extract"
        for value in setting.invalid:
            says = setting.says or f"invalid setting {variable}: "
            runs.append(Run(kind, {variable: value}, expect_error=says))
    # The single-service commands need a broker; empty means none.
    runs.append(
        Run(
            "ingest",
            {"WIREWATCH_KAFKA_BOOTSTRAP": ""},
            expect_error="WIREWATCH_KAFKA_BOOTSTRAP is not set",
        )
    )
    return runs


VALID_RUNS = _valid_runs()
INVALID_RUNS = _invalid_runs()


def _fill(value: str, tmp: Path, port: int, broker: str) -> str:
    return value.replace("{tmp}", str(tmp)).replace("{port}", str(port)).replace("{broker}", broker)


def _environment(run: Run, tmp: Path, broker: str) -> tuple[dict[str, str], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    # The checkout under test, whatever the virtualenv's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    wanted = {**COMMON, "WIREWATCH_LOG_FORMAT": "json", **BASE[run.kind], **run.env}
    if run.kind == "extract" and "WIREWATCH_EXTRACT_GROUP_ID" not in run.env:
        wanted["WIREWATCH_EXTRACT_GROUP_ID"] = f"settings-{tmp.name}"  # no rebalance with others
    for name, value in wanted.items():
        env[name] = _fill(value, tmp, port, broker)
    api_port = int(env.get("WIREWATCH_API_PORT", "0") or "0")
    return env, api_port


async def _kill(proc: asyncio.subprocess.Process, kind: str) -> None:
    if proc.returncode is not None:
        return
    if kind == "up":  # its children have sessions of their own: `up` stops them on SIGTERM
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 15)
            return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def _probe_api(run: Run, port: int) -> None:
    """Wait for /healthz, then check who may write: the configured keys, and only them."""
    parsed = parse_list(run.env.get("WIREWATCH_API_KEYS", ""))
    keys = tuple(str(key) for key in parsed) if isinstance(parsed, list) else ()
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        while True:
            with contextlib.suppress(httpx2.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
        run.checked.append("healthz")
        # `up` may create a real subscription (private URLs allowed there); elsewhere an empty
        # body shows the key was accepted (422: validation comes after authentication).
        body = {"url": "http://127.0.0.1:9/hook"} if run.kind == "up" else {}
        accepted = 201 if run.kind == "up" else 422
        answers = {}
        for key in (*keys, None, "k9-not-a-configured-key"):
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            answers[key] = (
                await client.post("/v1/webhooks", json=body, headers=headers)
            ).status_code
        wanted = {key: accepted for key in keys} | {None: 401, "k9-not-a-configured-key": 403}
        if not keys:
            wanted[KEYS[0]] = 403
            headers = {"Authorization": f"Bearer {KEYS[0]}"}
            answers[KEYS[0]] = (
                await client.post("/v1/webhooks", json=body, headers=headers)
            ).status_code
        if answers != wanted:
            run.outcome = f"POST /v1/webhooks answered {answers}, expected {wanted}"
        run.checked.append("writes")


async def _execute(run: Run, tmp: Path, broker: str) -> None:
    env, api_port = _environment(run, tmp, broker)
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(WIREWATCH),
        *COMMANDS[run.kind],
        cwd=tmp,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    seen_start = asyncio.Event()

    async def read() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            if STARTED.get(run.kind, "\0") in lines[-1]:
                seen_start.set()

    reader = asyncio.create_task(read())

    async def started_signal() -> None:
        if run.kind.startswith("api") or run.kind == "up":
            await _probe_api(run, api_port)
            return
        await seen_start.wait()
        run.checked.append(STARTED[run.kind])

    try:
        if run.expect_error is not None:
            code = await asyncio.wait_for(proc.wait(), START_TIMEOUT_S)
            await reader
            shown = [line for line in lines if line.strip()]
            if code != 2 or len(shown) != 1 or run.expect_error not in shown[0]:
                run.outcome = f"exit {code}, stderr {shown[-5:]}"
            return
        waiter = asyncio.create_task(proc.wait())
        signal_task = asyncio.create_task(started_signal())
        done, _ = await asyncio.wait(
            {waiter, signal_task}, timeout=START_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if signal_task in done:
            signal_task.result()
        elif waiter in done:
            signal_task.cancel()
            run.outcome = f"exited {proc.returncode} before starting: {lines[-5:]}"
        else:
            signal_task.cancel()
            run.outcome = f"no start within {START_TIMEOUT_S} s: {lines[-5:]}"
        waiter.cancel()
    finally:
        await _kill(proc, run.kind)
        reader.cancel()
        run.checked.append(f"{time.monotonic() - started:.1f}s")


@pytest.fixture(scope="module")
async def outcomes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[Run]]:
    """Every run, done once for the module, several at a time."""
    root = tmp_path_factory.mktemp("settings-env")
    runs = [*VALID_RUNS, *INVALID_RUNS]
    limit = asyncio.Semaphore(PARALLEL)
    async with EmbeddedBroker() as broker:
        await ensure_topics(broker.bootstrap, partitions=3)

        for n in range(len(runs)):
            (root / f"run{n}").mkdir()
            (root / f"run{n}" / "feeds.yaml").write_text(FEEDS_YAML, encoding="utf-8")

        async def one(n: int, run: Run) -> None:
            async with limit:
                await _execute(run, root / f"run{n}", broker.bootstrap)

        # The slow (valid) runs come first, so the quick invalid ones fill the gaps.
        await asyncio.gather(*(one(n, run) for n, run in enumerate(runs)))
        yield runs


def _runs_with(variable: str, value: str, *, valid: bool) -> list[Run]:
    return [
        run for run in (VALID_RUNS if valid else INVALID_RUNS) if run.env.get(variable) == value
    ]


VALID_CASES = [(v, value) for v, s in SETTINGS.items() for value in dict.fromkeys(s.valid)]
INVALID_CASES = [(v, value) for v, s in SETTINGS.items() for value in s.invalid]


@pytest.mark.parametrize(
    ("variable", "value"), VALID_CASES, ids=[f"{v}={value!r}" for v, value in VALID_CASES]
)
def test_a_documented_value_starts_the_command(
    outcomes: list[Run], variable: str, value: str
) -> None:
    runs = _runs_with(variable, value, valid=True)
    assert runs, f"no run sets {variable}={value!r}"
    for run in runs:
        assert run.outcome is None, f"{' '.join(COMMANDS[run.kind])} with {run.env}: {run.outcome}"


@pytest.mark.parametrize(
    ("variable", "value"), INVALID_CASES, ids=[f"{v}={value!r}" for v, value in INVALID_CASES]
)
def test_an_invalid_value_stops_start_up_with_one_line_naming_it(
    outcomes: list[Run], variable: str, value: str
) -> None:
    (run,) = _runs_with(variable, value, valid=False)
    assert run.outcome is None, f"{' '.join(COMMANDS[run.kind])} with {run.env}: {run.outcome}"


def test_a_single_service_with_an_empty_bootstrap_says_it_needs_one(outcomes: list[Run]) -> None:
    (run,) = _runs_with("WIREWATCH_KAFKA_BOOTSTRAP", "", valid=False)
    assert run.outcome is None, run.outcome


@pytest.mark.parametrize("keys", ["two keys", "empty"])
def test_up_demo_takes_api_keys_from_the_environment(outcomes: list[Run], keys: str) -> None:
    """Acceptance: `WIREWATCH_API_KEYS=k1,k2 wirewatch up --demo` starts and either key may
    write, none may not; an empty value starts too, with every write refused."""
    value = ",".join(KEYS) if keys == "two keys" else ""
    (run,) = [r for r in VALID_RUNS if r.kind == "up" and r.env["WIREWATCH_API_KEYS"] == value]
    assert run.outcome is None, run.outcome
    assert "writes" in run.checked
