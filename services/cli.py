"""The ``wirewatch`` command: the whole stack (``up``) or each part alone.

Every subcommand reads its ``WIREWATCH_*`` settings once, refuses invalid ones with one
line naming the variable (exit 2), and stops cleanly on SIGINT/SIGTERM. The commands that
talk to Kafka wait for the broker first; one that stays unreachable ends them with one line
naming it (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from services.config import CommonSettings, SettingsError, load_settings
from services.lifecycle import run_until_stopped
from services.logs import configure_logging, get_logger

__all__ = ["main"]

log = get_logger("cli")


def _metrics_server(host: str, port: int, registry: CollectorRegistry, name: str) -> None:
    if port == 0:
        return
    try:
        start_http_server(port, addr=host, registry=registry)
        log.info("metrics served", process=name, url=f"http://{host}:{port}/metrics")
    except OSError as exc:
        log.warning("metrics port unavailable; serving no /metrics", port=port, error=str(exc))


def _run_with_broker(
    settings: CommonSettings,
    main: Callable[[asyncio.Event], Awaitable[int | None]],
    *,
    name: str,
) -> int:
    """``run_until_stopped(main)``, once the broker answers a metadata request.

    An unreachable broker is retried for ``kafka_connect_timeout_s``, then raises
    ``BrokerUnreachable`` (one line on stderr, exit 1); a signal during the wait stops the
    command at once (exit 0).
    """
    from services.kafka import wait_for_broker

    bootstrap = settings.bootstrap

    async def after_broker(stop: asyncio.Event) -> int | None:
        if not await wait_for_broker(bootstrap, settings.kafka_connect_timeout_s, stop=stop):
            return 0
        return await main(stop)

    return run_until_stopped(after_broker, name=name)


def _cmd_up(args: argparse.Namespace) -> int:
    from services.up import UpSettings, run_up

    settings = load_settings(UpSettings)
    configure_logging(settings.log_level, settings.log_format)
    return run_until_stopped(
        lambda stop: run_up(settings, stop, feeds_file=args.feeds, demo=args.demo), name="up"
    )


def _cmd_broker(args: argparse.Namespace) -> int:
    from services.broker import EmbeddedBroker
    from services.kafka import ensure_topics

    settings = load_settings(CommonSettings)
    configure_logging(settings.log_level, settings.log_format)

    async def main(stop: asyncio.Event) -> int:
        async with EmbeddedBroker(port=args.port) as broker:
            await ensure_topics(broker.bootstrap, settings.topic_partitions)
            print(f"broker listening on {broker.bootstrap}", flush=True)
            waiter = asyncio.create_task(broker.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            return 1 if waiter.done() else 0

    return run_until_stopped(main, name="broker")


def _cmd_ingest(args: argparse.Namespace) -> int:
    from services.ingest.settings import IngestSettings

    overrides = {"feeds_file": args.feeds} if args.feeds else {}
    settings = load_settings(IngestSettings, **overrides)
    settings.bootstrap  # noqa: B018 - fail early, with the clear message, when unset
    configure_logging(settings.log_level, settings.log_format)
    registry = CollectorRegistry()
    _metrics_server(settings.metrics_host, settings.ingest_metrics_port, registry, "ingest")
    from services.ingest.service import run_ingest

    return _run_with_broker(
        settings, lambda stop: run_ingest(settings, stop, registry=registry), name="ingest"
    )


def _cmd_extract(args: argparse.Namespace) -> int:
    from services.extract.settings import ExtractSettings

    overrides = {"extract_workers": args.workers} if args.workers else {}
    settings = load_settings(ExtractSettings, **overrides)
    settings.bootstrap  # noqa: B018
    configure_logging(settings.log_level, settings.log_format)
    if settings.extract_workers > 1:
        from services.extract.workers import run_workers

        return _run_with_broker(settings, lambda stop: run_workers(settings, stop), name="extract")
    from services.extract.service import run_extract

    registry = CollectorRegistry()
    _metrics_server(settings.metrics_host, settings.extract_metrics_port, registry, "extract")
    return _run_with_broker(
        settings, lambda stop: run_extract(settings, stop, registry=registry), name="extract"
    )


def _cmd_api(args: argparse.Namespace) -> int:
    # Settings first: a bad value is reported before the web stack is imported.
    from services.api.settings import ApiSettings

    overrides: dict[str, object] = {}
    if args.no_consume:
        overrides["api_consume"] = False
    if args.host:
        overrides["api_host"] = args.host
    if args.port is not None:
        overrides["api_port"] = args.port
    settings = load_settings(ApiSettings, **overrides)
    if settings.api_consume:
        settings.bootstrap  # noqa: B018
    configure_logging(settings.log_level, settings.log_format)
    from services.api.service import run_api

    if settings.api_consume:
        return _run_with_broker(settings, lambda stop: run_api(settings, stop), name="api")
    return run_until_stopped(lambda stop: run_api(settings, stop), name="api")


def _cmd_tail(args: argparse.Namespace) -> int:
    from proto import CODECS
    from services.tail import tail

    if args.topic not in CODECS:
        print(
            f"wirewatch tail: unknown topic {args.topic!r}; one of: {', '.join(sorted(CODECS))}",
            file=sys.stderr,
        )
        return 2
    settings = load_settings(CommonSettings)
    configure_logging("warning", settings.log_format)

    async def main(stop: asyncio.Event) -> int:
        task = asyncio.create_task(
            tail(
                settings.bootstrap,
                args.topic,
                from_beginning=args.from_beginning,
                follow=not args.no_follow,
                limit=args.max,
                idle_timeout_s=args.idle_timeout,
            )
        )
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not task.done():
            task.cancel()
        return 0

    return _run_with_broker(settings, main, name="tail")


def _cmd_feeds(args: argparse.Namespace) -> int:
    from services.ingest.feeds import dump_feeds, feeds_from_opml, feeds_to_opml, load_feeds
    from services.ingest.service import default_feeds_path

    if args.feeds_command == "import":
        feeds = feeds_from_opml(Path(args.file).read_bytes(), source=str(args.file))
        text = dump_feeds(feeds)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"wrote {len(feeds)} feeds to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    source = args.feeds or default_feeds_path()
    feeds = load_feeds(source)
    sys.stdout.write(feeds_to_opml(feeds) if args.feeds_command == "export" else dump_feeds(feeds))
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from services.ingest.archive import Archive, replay
    from services.ingest.settings import IngestSettings
    from services.kafka import ensure_topics, make_producer

    settings = load_settings(IngestSettings)
    configure_logging("warning", settings.log_format)
    since = args.since if args.since.tzinfo else args.since.replace(tzinfo=UTC)

    async def main(stop: asyncio.Event) -> int:
        await ensure_topics(settings.bootstrap, settings.topic_partitions)
        producer = make_producer(settings, client_id="wirewatch-replay")
        await producer.start()
        try:
            async with Archive(settings.archive_path) as archive:
                task = asyncio.create_task(replay(archive, producer, since=since, feed=args.feed))
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not task.done():
                    task.cancel()
                    print("replay interrupted", file=sys.stderr)
                    return 130
                return 0
        finally:
            await producer.stop()

    return _run_with_broker(settings, main, name="replay")


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date: {text!r} (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)"
        ) from None


def _cmd_db(args: argparse.Namespace) -> int:
    from services.api.settings import ApiSettings
    from services.api.store.migrate import upgrade_sync

    settings = load_settings(ApiSettings)
    settings.prepare_data_dir()
    upgrade_sync(settings.database)
    print(f"database at the latest revision: {settings.database.split('://')[0]}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Alerts on new claims of troop movement in live news wire feeds. "
        "Settings come from WIREWATCH_* environment variables (see the README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser(
        "up",
        help="run the whole stack (embedded broker unless WIREWATCH_KAFKA_BOOTSTRAP is set)",
        description="Start the embedded broker "
        "(unless WIREWATCH_KAFKA_BOOTSTRAP is set), create the topics, and run "
        "ingest, extract and api together. Ctrl-C stops everything.",
    )
    up.add_argument("--feeds", type=Path, metavar="FILE", help="feeds YAML file")
    up.add_argument(
        "--demo",
        action="store_true",
        help="also serve an offline replay feed of bundled wire items and poll it",
    )
    up.set_defaults(func=_cmd_up)

    broker = sub.add_parser(
        "broker",
        help="run the embedded Kafka-protocol broker alone",
        description="Run the embedded broker (memory-only) and create topics.",
    )
    broker.add_argument("--port", type=int, default=9092, help="port on 127.0.0.1 (default 9092)")
    broker.set_defaults(func=_cmd_broker)

    ingest = sub.add_parser(
        "ingest",
        help="poll feeds into items.raw",
        description="Poll the feeds and produce RawItems to items.raw.",
    )
    ingest.add_argument("--feeds", type=Path, metavar="FILE", help="feeds YAML file")
    ingest.set_defaults(func=_cmd_ingest)

    extract = sub.add_parser(
        "extract",
        help="items.raw → entities and claims → items.enriched",
        description="Consume items.raw, extract entities and troop-movement "
        "claims, produce items.enriched.",
    )
    extract.add_argument("--workers", type=int, metavar="N", help="worker processes (default 1)")
    extract.set_defaults(func=_cmd_extract)

    api = sub.add_parser(
        "api",
        help="HTTP API and the store's consumer",
        description="Serve the HTTP API; consume items.enriched and feeds.status "
        "into the store unless --no-consume.",
    )
    api.add_argument("--no-consume", action="store_true", help="serve HTTP only")
    api.add_argument("--host", help="bind address (default WIREWATCH_API_HOST)")
    api.add_argument("--port", type=int, help="port (default WIREWATCH_API_PORT)")
    api.set_defaults(func=_cmd_api)

    tail = sub.add_parser(
        "tail",
        help="print a topic as JSON lines",
        description="Decode a wirewatch topic to JSON lines on stdout.",
    )
    tail.add_argument(
        "topic",
        metavar="TOPIC",
        help="items.raw, items.enriched, alerts, feeds.status or a .dlq topic",
    )
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest record")
    tail.add_argument("--no-follow", action="store_true", help="stop at the end of the topic")
    tail.add_argument("--max", type=int, metavar="N", help="stop after N records")
    tail.add_argument("--idle-timeout", type=float, metavar="S", help="stop after S idle seconds")
    tail.set_defaults(func=_cmd_tail)

    sub.add_parser(
        "claims",
        help="extract claims from JSON lines on stdin",
        description="Read {id, title, text} JSON lines on stdin; write "
        "{id, claims} JSON lines on stdout. `wirewatch claims --help` for more.",
        add_help=False,
    )

    feeds = sub.add_parser(
        "feeds",
        help="import, export or check feed lists",
        description="Convert between OPML and the YAML feeds file.",
    )
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    imp = feeds_sub.add_parser(
        "import",
        help="OPML → YAML feeds file",
        description="Read an OPML file; write the YAML feeds list.",
    )
    imp.add_argument("file", type=Path, metavar="FILE.opml")
    imp.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    exp = feeds_sub.add_parser(
        "export",
        help="YAML feeds file → OPML",
        description="Write the feeds list as OPML on stdout.",
    )
    exp.add_argument("--feeds", type=Path, metavar="FILE", help="default: the bundled list")
    chk = feeds_sub.add_parser(
        "check",
        help="validate a feeds file and print it normalised",
        description="Validate a YAML feeds file.",
    )
    chk.add_argument("--feeds", type=Path, metavar="FILE", help="default: the bundled list")
    feeds.set_defaults(func=_cmd_feeds)

    replay = sub.add_parser(
        "replay",
        help="republish archived items into items.raw",
        description="Republish items ingest archived (published at or after --since) into "
        "items.raw: to re-run a new extractor, or to refill a restarted embedded broker.",
    )
    replay.add_argument(
        "--since",
        type=_date,
        required=True,
        metavar="DATE",
        help="ISO 8601 date or time (UTC unless it says otherwise)",
    )
    replay.add_argument("--feed", metavar="URL", help="only this feed")
    replay.set_defaults(func=_cmd_replay)

    db = sub.add_parser("db", help="database migrations", description="Manage the store schema.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser(
        "upgrade",
        help="apply migrations up to the latest revision",
        description="Apply the alembic migrations to WIREWATCH_DATABASE_URL.",
    )
    db.set_defaults(func=_cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wirewatch`` script."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["claims"]:
        # The batch command owns its arguments (argparse cannot pass `--help` through).
        from services.extract.batch import main as claims_main

        return int(claims_main(words[1:]))
    args = build_parser().parse_args(words)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"wirewatch: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from services.ingest.feeds import FeedsFileError
        from services.kafka import BrokerUnreachable

        if isinstance(exc, FeedsFileError | FileNotFoundError) or _detector_error(exc):
            print(f"wirewatch: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, BrokerUnreachable):
            print(f"wirewatch: {exc}", file=sys.stderr)
            return 1
        raise
    return code


def _detector_error(exc: Exception) -> bool:
    """A claim detector artefact that cannot be read (extract only: the other images have no
    numpy, so the class is looked up only where it can be imported)."""
    try:
        from services.extract.claims.detector import DetectorError
    except ImportError:
        return False
    return isinstance(exc, DetectorError)


if __name__ == "__main__":
    sys.exit(main())
